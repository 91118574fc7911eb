"""Social's errors in the reader's words: each error's `code` names an Indonesian text of the
catalog (with the error's `params` as its `{fields}`), worded per locale; a code without its own
text falls back to its class's. The developer's English message stays in the logs and in the JSON
`detail`; pages show only these words."""

from keranjang.social.domain import SocialError
from keranjang.social.i18n import N_, Words, worded

HEADINGS = {
    404: N_("Tidak ditemukan"),
    401: N_("Perlu masuk"),
    403: N_("Tidak diizinkan"),
    409: N_("Tidak bisa sekarang"),
    422: N_("Periksa lagi"),
    503: N_("Coba lagi sebentar lagi"),
}
SOMETHING_WRONG = N_("Ada masalah")
MESSAGES = {
    # one text per class of the tree
    "social_error": N_("Permintaan ini tidak bisa dijalankan."),
    "not_found": N_("Yang dicari tidak ada."),
    "invalid": N_("Ada isian yang tidak bisa diterima; periksa lagi."),
    "conflict": N_("Keadaannya sudah berubah; muat ulang halamannya."),
    "not_permitted": N_("Permintaan ini tidak diizinkan."),
    "unauthenticated": N_("Masuk dulu, lalu coba lagi."),
    "catalog_unavailable": N_("Katalog toko Keranjang sedang tidak terbaca; coba lagi sebentar."),
    "figures_unavailable": N_("Angka dari toko Keranjang belum dapat dibaca; coba lagi nanti."),
    # finer codes
    "wrong_login": N_("Email atau kata sandi salah."),
    "wrong_creator_login": N_("Nama pengguna atau kata sandi salah."),
    "sign_in_needed": N_("Masuk dulu, lalu coba lagi."),
    "session_ended": N_("Sesi Anda sudah berakhir; masuk lagi."),
    "no_viewer": N_("Penonton {id} tidak ada."),
    "no_creator": N_("Kreator {id} tidak ada."),
    "no_content": N_("Video atau live {id} tidak ada."),
    "not_a_live": N_("Konten {id} adalah video, bukan siaran live."),
    "no_pin": N_("Produk yang disematkan ini ({id}) tidak ada."),
    "pin_in_app": N_("Produk {id} dijual di toko dalam aplikasi, bukan di toko Keranjang."),
    "no_catalog_product": N_("Toko Keranjang tidak punya produk {id}."),
    "product_moving": N_("Produk ini sedang pindah ke toko Keranjang; coba lagi sebentar."),
    "email_format": N_("Isi alamat email seperti nama@contoh.com."),
    "name_length": N_("Nama harus {low} sampai {high} karakter."),
    "password_length": N_("Kata sandi harus {low} sampai {high} karakter."),
    "display_name_empty": N_("Nama tampilan tidak boleh kosong."),
    "handle_format": N_(
        "Nama pengguna harus 3 sampai 30 karakter: huruf kecil, angka, '_' atau '.'."
    ),
    "handle_taken": N_("Nama pengguna {handle} sudah dipakai; pilih yang lain."),
    "title_length": N_("Judul harus {low} sampai {high} karakter."),
    "creator_token_missing": N_("Kirim token kreator Anda sebagai 'Authorization: Bearer …'."),
    "creator_token_wrong": N_("Token kreator itu tidak berlaku."),
    "not_your_live": N_("Anda hanya dapat mengakhiri siaran live Anda sendiri."),
    "only_live_ends": N_("Hanya siaran live yang dapat diakhiri."),
    "not_your_content": N_("Anda hanya dapat menyematkan produk di konten Anda sendiri."),
    "no_ecommerce_permission": N_(
        "Anda belum punya izin e-commerce; minta platform memberikannya."
    ),
    "too_many_pins": N_("Satu konten dapat menyematkan paling banyak {limit} produk."),
    "already_pinned": N_("Produk {id} sudah disematkan di sini."),
    "shop_closed": N_("Toko dalam aplikasi sudah tutup: sematkan produk dari toko Keranjang."),
    "no_operator_token": N_("Token operator belum diatur di layanan social ini."),
    "operator_only": N_("Tindakan ini memerlukan token operator platform."),
    "cross_site_form": N_(
        "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang Social. Buka "
        "lagi halamannya dan kirim ulang dari sana."
    ),
    "settings_cross_site": N_(
        "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang Social. Buka "
        "lagi halaman Pengaturan dan kirim ulang dari sana."
    ),
    "settings_sign_in": N_("Masuk dulu untuk mengubah pengaturan personalisasi."),
    "personalisation_choice": N_("Pilih 'nyala' atau 'mati' untuk personalisasi, lalu simpan."),
    "form_refused": N_("Formulir ini tidak dapat dibaca. Buka lagi halamannya dan kirim ulang."),
    "figures_token_missing": N_(
        "Angka kreator belum dapat dibaca: token angka (KERANJANG_SOCIAL_FIGURES_TOKEN) belum "
        "diatur di layanan social."
    ),
    "payout_token_missing": N_(
        "Rekening belum dapat dibaca: token angka (KERANJANG_SOCIAL_FIGURES_TOKEN) belum diatur "
        "di layanan social."
    ),
    "figures_token_refused": N_(
        "Toko menolak token angka social ({status}): samakan KERANJANG_SOCIAL_FIGURES_TOKEN "
        "dengan KERANJANG_COMMERCE_FIGURES_TOKEN."
    ),
    "shop_unreachable": N_("Toko tidak dapat dihubungi; coba lagi nanti."),
    "shop_answered": N_("Toko menjawab {status}; coba lagi nanti."),
    "shop_unreadable": N_("Jawaban toko tidak dapat dibaca; coba lagi nanti."),
    "shop_wrong_creator": N_("Toko menjawab untuk kreator lain; coba lagi nanti."),
    "payout_account_refused": N_("Rekening belum dapat disimpan: {reason}"),
}


def say(words: Words, exc: SocialError) -> str:
    """What the reader is told of an error, in their locale."""
    text = MESSAGES.get(exc.code) or MESSAGES.get(type(exc).code, MESSAGES["social_error"])
    return worded(words, text, exc.params)


def heading(words: Words, status: int) -> str:
    return words._(HEADINGS.get(status, SOMETHING_WRONG))
