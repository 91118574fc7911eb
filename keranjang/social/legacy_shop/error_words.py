"""The in-app shop's errors in the reader's words: each error's `code` names an Indonesian text
of social's catalog, its `params` fill the text's `{fields}`, and a `field` param is named by the
form's own label ("Kode pos", never `postal_code`). A code without a text of its own falls back
to its class's. The developer's English message stays in the logs and in the JSON `detail`."""

from keranjang.social.i18n import N_, Words, worded
from keranjang.social.legacy_shop.domain import LegacyShopError, OrderStatus

# The forms' labels, by the field an error names.
FIELD_LABELS = {
    "recipient": N_("Nama penerima"),
    "phone": N_("Nomor HP"),
    "street": N_("Alamat lengkap"),
    "city": N_("Kota atau kabupaten"),
    "postal_code": N_("Kode pos"),
    "label": N_("Nama alamat"),
    "quantity": N_("Jumlah"),
    "tracking_number": N_("Nomor resi"),
    "reason": N_("Alasan"),
    "title": N_("Nama produk"),
    "name": N_("Nama"),
    "slug": N_("Alamat toko"),
    "price_idr": N_("Harga (Rp)"),
    "stock": N_("Stok"),
    "image_url": N_("Alamat foto"),
    "origin_country": N_("Negara asal"),
    "hs_code": N_("Kode HS"),
    "fob_usd_cents": N_("Harga FOB (sen dolar AS)"),
    "npb_number": N_("Nomor NPB"),
    "sni_number": N_("Nomor SNI"),
    "halal_number": N_("Sertifikat halal"),
    "commission_bp": N_("Komisi kreator (basis poin)"),
    "bank_code": N_("Kode bank"),
    "account_number": N_("Nomor rekening"),
    "holder_name": N_("Nama pemilik rekening"),
}
STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT: N_("Menunggu pembayaran"),
    OrderStatus.PAID: N_("Dibayar"),
    OrderStatus.SHIPPED: N_("Dikirim"),
    OrderStatus.DELIVERED: N_("Sampai"),
    OrderStatus.COMPLETED: N_("Selesai"),
    OrderStatus.CANCELLED: N_("Dibatalkan"),
    OrderStatus.EXPIRED: N_("Kedaluwarsa"),
    OrderStatus.REFUNDED: N_("Dana dikembalikan"),
}
MESSAGES = {
    # one text per class of the tree
    "shop_error": N_("Permintaan ini tidak bisa dijalankan."),
    "not_found": N_("Yang kamu cari tidak ada, atau bukan milikmu."),
    "invalid": N_("Ada isian yang tidak bisa diterima; periksa lagi."),
    "empty_cart": N_("Keranjangmu kosong. Tambahkan produk dulu sebelum checkout."),
    "key_reused": N_(
        "Formulir ini sudah dipakai untuk pesanan lain. Cek Pesanan Saya, atau kirim formulir "
        "baru ini."
    ),
    "conflict": N_("Keadaannya sudah berubah; muat ulang halamannya."),
    "taken": N_("Nama itu sudah dipakai; pilih yang lain."),
    "out_of_stock": N_("Stok {title} tersisa {left}, kamu memesan {asked}."),
    "illegal_transition": N_("Pesanan yang {current} tidak bisa menjadi {target}."),
    "order_changed": N_("Pesanan {number} baru saja berubah; lihat lagi."),
    "seller_moved": N_(
        "Penjual ini kini berjualan di toko Keranjang, bukan di aplikasi: beli produknya lewat "
        "keranjang kuning, dan hapus dari keranjang di aplikasi."
    ),
    "not_permitted": N_("Permintaan ini tidak diizinkan."),
    "unauthenticated": N_("Masuk dulu, lalu coba lagi."),
    "notification_refused": N_("Kabar pembayaran itu ditolak."),
    "unavailable": N_("Layanan sedang sibuk atau tidak terjangkau; coba lagi sebentar lagi."),
    "partner_down": N_("Mitra pembayaran sedang tidak bisa dihubungi. Coba lagi sebentar lagi."),
    "seller_fenced": N_("Toko ini sedang pindah; coba lagi sebentar lagi."),
    "shop_closed": N_("Toko dalam aplikasi sudah tutup. Belanja sekarang di toko Keranjang: {url}"),
    # finer codes
    "field_length": N_("{field}: isi {low} sampai {high} karakter."),
    "field_required": N_("{field} wajib diisi."),
    "number_range": N_("{field}: isi angka bulat {low} sampai {high}."),
    "phone_format": N_("{field}: isi 8 sampai 15 angka, boleh diawali +, contoh +6281234567890."),
    "postal_code_format": N_("{field} terdiri dari 5 angka, contoh 40111."),
    "slug_format": N_(
        "{field}: 3 sampai 50 huruf kecil, angka atau '-', tidak diawali atau diakhiri '-'."
    ),
    "country_format": N_("{field}: kode negara dua huruf (ISO 3166), contoh ID atau CN."),
    "url_format": N_("{field}: alamat http(s) atau jalur di situs ini."),
    "hs_code_format": N_("{field}: 6 sampai 10 angka (boleh bertitik), contoh 6205.20.00."),
    "standard_number_format": N_("{field}: 3 sampai 64 huruf, angka, spasi atau . : / -"),
    "bank_code_format": N_("{field}: 3 sampai 10 huruf, contoh bca atau mandiri."),
    "account_number_format": N_("{field}: 6 sampai 20 angka."),
    "unknown_field": N_("{field} tidak bisa diubah di sini."),
    "too_many_addresses": N_("Kamu menyimpan paling banyak {limit} alamat; hapus salah satu."),
    "too_many_lines": N_("Satu checkout memuat paling banyak {limit} produk berbeda."),
    "address_missing": N_("Pilih salah satu alamat tersimpan, atau isi alamat baru."),
    "key_format": N_("Formulir checkout tidak lengkap; periksa lalu kirim lagi."),
    "no_address": N_("Alamat tersimpan itu tidak ada lagi."),
    "no_product": N_("Produk itu tidak ada di toko ini."),
    "no_legacy_product": N_("Produk itu tidak ada di toko ini."),
    "no_order": N_("Pesanan itu tidak ada, atau bukan milikmu."),
    "no_seller": N_("Penjual itu tidak ada."),
    "nothing_to_pay": N_(
        "Pesanan ini tidak bisa dibayar lagi (sudah dibayar, dibatalkan, atau lewat waktu)."
    ),
    "hold_too_short": N_("Waktu bayar pesanan {number} hampir habis; pesan ulang."),
    "partner_refused": N_("Mitra pembayaran menolak pembayaran ini."),
    "payment_exists": N_("Pesanan {number} sudah punya pembayaran; coba lagi."),
    "nothing_to_refund": N_("Pesanan {number} tidak punya pembayaran untuk dikembalikan."),
    "seller_token_missing": N_("Kirim token penjual sebagai 'Authorization: Bearer …'."),
    "seller_token_wrong": N_(
        "Token penjual itu tidak berlaku. Tempel token yang kamu terima saat toko dibuka."
    ),
    "session_ended": N_("Sesimu sudah berakhir; masuk lagi."),
    "no_operator_token": N_("Token operator belum diatur di layanan social ini."),
    "operator_only": N_("Tindakan ini memerlukan token operator platform."),
    "cross_site_form": N_(
        "Permintaan ditolak: formulir ini tidak dikirim dari halaman aplikasi ini. Buka lagi "
        "halamannya dan kirim ulang dari sana."
    ),
    "form_refused": N_("Formulir ini tidak dapat dibaca. Buka lagi halamannya dan kirim ulang."),
}


def field_label(words: Words, field: str) -> str:
    return words._(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def status_label(words: Words, status: str) -> str:
    return words._(STATUS_LABELS[OrderStatus(status)])


def say(words: Words, exc: LegacyShopError) -> str:
    """What the reader is told of an error, in their locale and the form's words."""
    params = dict(exc.params)
    if isinstance(params.get("field"), str):
        params["field"] = field_label(words, str(params["field"]))
    for name in ("current", "target", "status"):
        if params.get(name) in STATUS_LABELS:
            params[name] = status_label(words, str(params[name])).lower()
    text = MESSAGES.get(exc.code) or MESSAGES.get(type(exc).code, MESSAGES["shop_error"])
    return worded(words, text, params)
