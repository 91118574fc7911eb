"""Commerce's refusals in the reader's words: each error's `code` names an Indonesian text here
(the catalog's msgid, with `{param}` fields), worded per locale through `web.i18n`. A `field`
parameter is shown by the form's own label (the page passes its labels), else by the label
below, never by the API's field name. The message in the error itself stays the English a
developer reads in the logs."""

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from keranjang.commerce.errors import CommerceError, HandoffRefused
from keranjang.commerce.web.formatting import day, wib
from keranjang.infra.i18n import Words

# code -> Indonesian text; a code not here falls back to its class's own (the first of its MRO).
ERRORS = {
    # every class's own
    "refused": "Permintaan ini tidak bisa diproses.",
    "not_found": "Yang kamu cari tidak ada.",
    "invalid": "Ada isian yang perlu diperbaiki.",
    "conflict": "Permintaan ini tidak bisa dijalankan sekarang; muat ulang halaman lalu coba lagi.",
    "empty_cart": "Keranjangmu kosong. Tambahkan produk dulu sebelum checkout.",
    "idempotency_mismatch": (
        "Formulir ini sudah dipakai untuk pesanan sebelumnya. Cek Pesanan Saya; "
        "bila ingin memesan lagi, kirim formulir yang baru ini."
    ),
    "illegal_transition": "Pesanan berstatus “{status}” tidak bisa diubah menjadi “{target}”.",
    "order_changed": "Pesanan ini baru saja berubah; muat ulang halaman lalu coba lagi.",
    "out_of_stock": (
        "Stok {title} tidak cukup untuk {quantity} barang; kurangi jumlahnya atau hapus "
        "dari keranjang."
    ),
    "not_selling": (
        "Toko {shop} sedang pindah antara toko di aplikasi sosial dan toko ini, jadi belum bisa "
        "dibeli di sini. Tidak ada pesanan yang dibuat: coba lagi nanti, atau beli lewat "
        "keranjang kuning di aplikasi."
    ),
    "payment_too_late": (
        "Pesanan {number} tidak bisa dibayar lagi: stoknya hanya disimpan sampai {until}."
    ),
    "taken": (
        "Permintaan lain mengubah hal yang sama pada saat yang sama; muat ulang lalu coba lagi."
    ),
    "unclaimed": (
        "Email ini punya akun dari belanjaan sebelumnya yang belum punya kata sandi: minta link "
        "klaim untuk membuatnya."
    ),
    "not_permitted": "Kamu tidak diizinkan melakukan ini.",
    "unauthenticated": "Masuk dulu untuk melanjutkan.",
    "gone": "Link ini sudah tidak berlaku.",
    "payment_unavailable": "Mitra pembayaran sedang tidak bisa dihubungi; coba lagi sebentar lagi.",
    "refund_refused": (
        "Mitra pembayaran menolak pengembalian dana; tidak ada dana yang dikembalikan."
    ),
    "unavailable": "Basis data toko sedang tidak bisa dihubungi; coba lagi sebentar lagi.",
    # fields of a form
    "required": "{field} wajib diisi.",
    "length": "{field} harus {min} sampai {max} karakter.",
    "negative": "{field} tidak boleh negatif.",
    "price_range": "{field} harus bilangan bulat rupiah dari 1 sampai {max}.",
    "image_url": "{field} harus alamat http(s) atau path di toko ini.",
    "commission_range": "{field} harus dari 0 sampai {max}%.",
    "country_code": "{field} harus kode negara ISO 3166 dua huruf, misalnya ID atau CN.",
    "hs_code": "{field} harus 6 sampai 10 angka (titik boleh), misalnya 6205.20.00.",
    "fob_range": "{field} harus dari US$0,01 sampai US${max}.",
    "standard_number": "{field} harus 3 sampai 64 huruf, angka, spasi atau . : / -",
    "cross_border_from_id": (
        "{field} harus negara asal pengiriman: produk lintas negara tidak dikirim dari ID."
    ),
    "cross_border_needs": "{field} wajib diisi untuk produk lintas negara.",
    "fob_below_floor": (
        "{field} paling sedikit US$100 per unit untuk barang yang dijual langsung dari luar "
        "negeri (Permendag 31/2023 Pasal 19), kecuali kode HS-nya ada di daftar positif."
    ),
    "slug_format": (
        "{field} harus 3 sampai 50 huruf kecil, angka atau '-', tidak diawali atau diakhiri '-'."
    ),
    "email_format": "{field} harus alamat email seperti nama@contoh.com.",
    "quantity_range": "{field} harus dari {min} sampai {max}.",
    "bank_code": "{field} harus 3 sampai 10 huruf atau angka, misalnya BCA atau 014.",
    "account_number": "{field} harus 5 sampai 20 angka, tanpa spasi atau tanda hubung.",
    "holder_differs": (
        "{field} bukan nama pemilik rekening ini di bank: tulis persis seperti di rekening."
    ),
    "bank_has_no_account": (
        "Bank tidak punya rekening dengan nomor itu: periksa kode bank dan nomor rekeningnya."
    ),
    "tracking_number": "{field} harus 6 sampai 64 huruf, angka atau '-'.",
    "cancel_reason": "Tulis alasan pembatalan: pembeli membacanya.",
    "unknown_courier": "Pilih kurir pengiriman.",
    # the shop and its catalog
    "slug_taken": "Alamat toko {slug} sudah dipakai; pilih yang lain.",
    "application_done": "Pendaftaran ini sudah lengkap dan tokonya sudah buka.",
    "shop_token_missing": "Masukkan token toko Anda.",
    "shop_token_wrong": "Token toko itu tidak sah.",
    "no_shop": "Tidak ada toko di alamat /shops/{slug}.",
    "not_your_product": "Tidak ada produk dengan id {id} di toko Anda",
    "product_moving": "Produk ini sedang tidak dijual: tokonya sedang pindah.",
    "no_product": "Produk ini tidak ada (lagi) di toko.",
    "query_too_long": "Kata pencarian terlalu panjang: paling banyak {max} karakter.",
    "unknown_sort": "Urutan “{sort}” tidak dikenal; pilih salah satu: {choices}.",
    "page_range": "Halaman harus antara 1 dan {max}.",
    "page_number": "Nomor halaman harus angka bulat, mulai dari 1.",
    "no_category": "Kategori “{category}” tidak ada. Pilih kategori dari beranda toko.",
    # buyers and their accounts
    "no_buyer": "Akun pembeli ini tidak ada.",
    "has_password": "Akun ini sudah punya kata sandi: masuk saja.",
    "claim_unknown": "Link klaim ini tidak dikenal: periksa link-nya, atau minta yang baru.",
    "claimed": "Akun ini sudah diklaim: silakan masuk.",
    "claim_used": "Link klaim ini sudah dipakai: masuk, atau minta link baru.",
    "claim_expired": "Link klaim ini sudah kedaluwarsa: minta yang baru.",
    "email_taken": "Sudah ada akun dengan email ini; masuk saja.",
    "wrong_login": "Email atau kata sandi salah.",
    "log_in_first": "Masuk dulu untuk melanjutkan.",
    "session_ended": "Sesimu sudah berakhir; masuk lagi.",
    "too_many_addresses": "Satu akun menyimpan paling banyak {max} alamat; hapus salah satu dulu.",
    "no_address": "Alamat itu bukan salah satu alamat tersimpanmu.",
    "address_either": "Isi alamat baru atau pilih alamat tersimpan, salah satu saja.",
    # carts, checkout and paying
    "quantity": "Isi jumlah dari 1 sampai {max}.",
    "quantity_or_remove": "Isi jumlah dari 0 (hapus) sampai {max}.",
    "no_page": "Halaman ini tidak ada.",
    "too_many_lines": "Checkout ditolak: satu checkout paling banyak {max} produk berbeda.",
    "still_placing": "Pesananmu masih diproses. Buka Pesanan Saya sebentar lagi.",
    "in_progress": "Checkout yang sama masih diproses; coba lagi sebentar lagi.",
    "pick_method": "Pilih metode pembayaran.",
    "not_your_order": "Pesanan ini tidak ada di akunmu.",
    "already_paid": "Pesanan {number} sudah dibayar; tidak ada lagi yang perlu dibayar.",
    "not_payable": "Pesanan ini tidak menunggu pembayaran lagi.",
    "partner_down": (
        "Mitra pembayaran sedang tidak bisa dihubungi. Pesananmu tetap tersimpan; "
        "coba bayar lagi sebentar lagi."
    ),
    "too_many_payments": (
        "Mitra pembayaran sudah memegang terlalu banyak pembayaran untuk pesanan {number}; "
        "hubungi kami."
    ),
    "busy": "Pembayaran checkout ini sedang dibuat oleh permintaan lain; coba lagi.",
    "invoice_after_payment": "Invoice terbit setelah pesanan dibayar.",
    "buyer_cancel_unpaid_only": (
        "Pesanan yang sudah dibayar tidak bisa dibatalkan di sini; hubungi tokonya."
    ),
    "receive_after_delivery": "Pesanan bisa dikonfirmasi diterima setelah tiba di tujuan.",
    # orders, refunds and payouts in the seller center
    "not_your_shop_order": "Tidak ada pesanan dengan id {id} di toko Anda",
    "no_status": "Tidak ada status pesanan “{status}”.",
    "reason_too_long": "Alasan pembatalan paling banyak {max} karakter.",
    "refund_reason": "Tulis alasan pengembalian (paling banyak {max} karakter).",
    "refund_scope": "Pilih dulu yang dikembalikan: barang tertentu, atau semuanya.",
    "refund_what": "Isi jumlah barang yang dikembalikan, atau centang ongkos kirim.",
    "refund_whole": "Jumlah yang dikembalikan harus bilangan bulat.",
    "refund_in_flight": "Pengembalian dana pesanan ini masih diproses mitra pembayaran.",
    "cancel_only_unshipped": (
        "Pesanan {number} hanya bisa dibatalkan setelah dibayar dan sebelum dikirim; "
        "kembalikan dananya saja."
    ),
    "nothing_paid_to_refund": (
        "Pesanan {number} belum dibayar: tidak ada dana yang bisa dikembalikan."
    ),
    "settled_in_app": (
        "Pesanan {number} selesai di toko lama dalam aplikasi, yang sudah menyelesaikan "
        "uangnya: tidak bisa dikembalikan di sini."
    ),
    "refund_window_closed": "Masa pengembalian pesanan {number} sudah berakhir pada {closed}.",
    "nothing_to_refund": "Tidak ada lagi yang bisa dikembalikan dari pesanan ini.",
    "not_in_order": "Produk {id} tidak ada di pesanan ini.",
    "refund_quantity": "{title}: kembalikan 1 sampai {max} barang.",
    "not_your_refund": "Pengembalian dana ini tidak ada di akunmu.",
    "refund_account_given": "Rekening untuk pengembalian dana ini sudah kami terima.",
    "bank_refunds_off": "Pengembalian dana lewat transfer bank tidak aktif di toko ini.",
    "bank_check_down": "Rekening bank belum bisa diperiksa sekarang; coba lagi.",
    "transfer_down": (
        "Bank belum bisa dihubungi; rekeningmu sudah tersimpan dan dana dikirim begitu bank "
        "menjawab."
    ),
    "minimum_payout": "Pencairan minimum paling sedikit 1 rupiah.",
    "no_payout_batch": "Tidak ada kelompok pencairan dengan id {id}.",
    "no_disbursement": "Pencairan {id} tidak dikirim lewat mitra transfer.",
    "partner_amount_differs": "Jumlah dari mitra tidak sama dengan yang dikirim; tidak dipercaya.",
    "no_payout_account": "Rekening pencairan belum diisi: isi dulu.",
    "period_reversed": "Tanggal akhir ({until}) sebelum tanggal awal ({since}): tukar keduanya.",
    "bad_date": "Tanggal “{typed}” tidak dikenal; tulis sebagai TTTT-BB-HH, mis. 2024-03-27.",
    # forms, tokens and links
    "cross_site": (
        "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang. Buka lagi "
        "halamannya (di toko atau di Pusat Penjual) dan kirim ulang dari sana."
    ),
    "form_unreadable": "Formulir tidak bisa dibaca; buka lagi halamannya dan kirim ulang.",
    "no_figures_token": "Token angka kreator belum diatur di layanan toko ini.",
    "figures_token_needed": "Angka kreator hanya untuk token angka dari aplikasi sosial.",
    "regulator_token_needed": "Kirim token regulator.",
    "regulator_only": "Bukti hanya untuk token regulator.",
    "no_operator_token": "Token operator belum diatur di layanan toko ini.",
    "operator_token_needed": "Tindakan ini butuh token operator platform.",
    "no_disbursement_partner": "Mitra transfer belum diatur di layanan toko ini.",
    "handoff": "Link ini tidak bisa dibaca; ketuk keranjang kuning lagi di aplikasi.",
    "handoff_expired": (
        "Link ini sudah kedaluwarsa; kembali ke video dan ketuk keranjang kuning lagi."
    ),
    "handoff_replayed": "Link ini sudah dipakai; ketuk keranjang kuning lagi.",
    "handoff_unknown_key": "Link ini tidak diterbitkan Keranjang social, atau sudah diubah.",
    "handoff_bad_signature": "Link ini tidak diterbitkan Keranjang social, atau sudah diubah.",
    "handoff_wrong_audience": "Link ini diterbitkan untuk toko lain.",
    "handoff_unknown_product": "Produk ini tidak dijual lagi di sini.",
    "handoff_merchant_mismatch": "Link ini menyebut toko yang bukan penjual produknya.",
    "handoff_missing": "Link ini tidak membawa token keranjang kuning.",
}
# An order's statuses as a buyer reads them (and a refusal names them).
STATUS_NAMES = {
    "awaiting_payment": "Menunggu pembayaran",
    "paid": "Dibayar",
    "shipped": "Dikirim",
    "delivered": "Tiba di tujuan",
    "completed": "Selesai",
    "cancelled": "Dibatalkan",
    "expired": "Kedaluwarsa",
    "refunded": "Dana dikembalikan",
    "returned": "Kembali ke toko lama",
}
# The notes commerce itself writes into an order's history (stored as written: older rows keep
# them), by their stored text; a note a person typed is shown as typed.
NOTES = {
    "no payment in time": "tidak dibayar tepat waktu",
    "the buyer received the goods": "pembeli sudah menerima barangnya",
    "no word from the buyer": "selesai otomatis: tidak ada kabar dari pembeli",
    "dibatalkan pembeli": "dibatalkan pembeli",
}
PAID_AGAIN = re.compile(r"paid again after the order was (\w+): returned to the buyer")
# A field's label where the page gives none (the API's field names, as people read them).
LABELS = {
    "name": "Nama",
    "slug": "Alamat toko",
    "title": "Nama produk",
    "description": "Deskripsi",
    "price_idr": "Harga (Rp)",
    "stock": "Stok",
    "category": "Kategori",
    "image_url": "URL gambar",
    "commission_bp": "Komisi kreator (%)",
    "hs_code": "Kode HS",
    "origin_country": "Negara asal",
    "fob_usd_cents": "Harga FOB (US$)",
    "npb_number": "Nomor NPB",
    "sni_number": "Nomor SNI",
    "halal_number": "Nomor sertifikat halal",
    "email": "Email",
    "password": "Kata sandi",
    "quantity": "Jumlah",
    "courier": "Kurir",
    "bank_code": "Kode bank",
    "account_number": "Nomor rekening",
    "holder_name": "Nama pemilik rekening",
    "tracking_number": "Nomor resi",
    "reason": "Alasan",
}
# The heading of the error page, by a refused hand-off's reason or by the status.
HEADINGS = {
    "expired": "Link kedaluwarsa",
    "replayed": "Link sudah dipakai",
    "bad_signature": "Link tidak sah",
    "unknown_key": "Link tidak sah",
    "not_selling": "Toko sedang pindah",
    404: "Halaman tidak tersedia",
    0: "Ada masalah",
}


def say(exc: CommerceError, words: Words, labels: Mapping[str, str] | None = None) -> str:
    """What the reader is told: the code's text in their locale, its fields filled in, a field
    named by the form's own label (`labels`: field -> Indonesian label)."""
    codes = [exc.code, *(getattr(k, "code", "") for k in type(exc).__mro__)]
    if isinstance(exc, HandoffRefused):
        codes.insert(1, "handoff")
    return word(codes, exc.params, words, labels)


def word(
    codes: Sequence[str],
    params: Mapping[str, object],
    words: Words,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The first of `codes` this table words, in the reader's locale, with `params` filled in."""
    text = next((ERRORS[code] for code in codes if code in ERRORS), ERRORS["refused"])
    shown_params = {k: shown(v, words) for k, v in params.items()}
    for name in ("status", "target"):
        if str(params.get(name)) in STATUS_NAMES:
            shown_params[name] = words._(STATUS_NAMES[str(params[name])])
    if "field" in params:
        name = str(params["field"])
        shown_params["field"] = words._((labels or {}).get(name) or LABELS.get(name, name))
    try:
        return words._(text, **shown_params)
    except (KeyError, IndexError):  # a text naming a parameter this refusal did not give
        return words._(ERRORS["refused"])


def note(reason: str, words: Words, statuses: Mapping[str, str]) -> str:
    """An order history's note in the reader's words (`statuses`: the order's status labels)."""
    if reason in NOTES:
        return words._(NOTES[reason])
    again = PAID_AGAIN.fullmatch(reason)
    if again is not None:
        status = words._(statuses.get(again[1], again[1]))
        return words._(
            "dibayar lagi setelah pesanan {status}: dananya dikembalikan ke pembeli",
            status=status,
        )
    return reason


def shown(value: object, words: Words) -> object:
    """A parameter as the reader reads it: times in WIB, days with the locale's months."""
    if isinstance(value, datetime):
        return wib(value, words.lang)
    if isinstance(value, date):
        return day(value, words.lang)
    return value


def heading(exc: CommerceError, status: int, words: Words) -> str:
    reason = getattr(exc, "reason", exc.code)
    text = HEADINGS.get(reason) or HEADINGS.get(status) or HEADINGS[0]
    return words._(str(text))
