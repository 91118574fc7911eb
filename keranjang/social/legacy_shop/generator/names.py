"""The words a generated marketplace is made of: Indonesian shop names, people, cities, streets,
categories and goods, banks, and the countries foreign sellers ship from. Plain data."""

SHOP_WORDS = (
    "Batik", "Dapur", "Kopi", "Rotan", "Glow", "Gadget", "Tenun", "Sambal", "Toko", "Rumah",
    "Warung", "Kios", "Galeri", "Pojok", "Lapak", "Butik", "Sentra", "Kedai", "Griya", "Pusat",
)  # fmt: skip
SHOP_QUALITIES = (
    "Sekar", "Nusantara", "Asli", "Lokal", "Pintar", "Sumba", "Makmur", "Jaya", "Sentosa",
    "Berkah", "Abadi", "Murah", "Cantik", "Ceria", "Sejahtera", "Mandiri", "Lestari", "Indah",
)  # fmt: skip
FIRST_NAMES = (
    "Siti", "Budi", "Rina", "Dewi", "Agus", "Sri", "Eko", "Putri", "Andi", "Wati", "Joko", "Ayu",
    "Rudi", "Lestari", "Dimas", "Laras", "Fajar", "Nur", "Hendra", "Maya", "Bayu", "Indah",
)  # fmt: skip
LAST_NAMES = (
    "Aminah", "Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Rahmawati",
    "Setiawan", "Nugroho", "Lubis", "Siregar", "Harahap", "Tanjung", "Wibowo", "Halim",
)  # fmt: skip
# City and the first three digits of its postal codes.
CITIES = (
    ("Jakarta", "101"), ("Bandung", "401"), ("Surabaya", "601"), ("Medan", "201"),
    ("Semarang", "501"), ("Makassar", "902"), ("Yogyakarta", "552"), ("Solo", "571"),
    ("Denpasar", "801"), ("Palembang", "301"), ("Malang", "651"), ("Bogor", "161"),
    ("Cirebon", "451"), ("Pontianak", "781"), ("Manado", "951"), ("Padang", "251"),
)  # fmt: skip
STREETS = (
    "Jl. Merdeka", "Jl. Sudirman", "Jl. Diponegoro", "Jl. Gajah Mada", "Jl. Ahmad Yani",
    "Jl. Pahlawan", "Jl. Kartini", "Jl. Pemuda", "Gg. Mawar", "Jl. Veteran", "Jl. Melati",
)  # fmt: skip
ADDRESS_LABELS = ("Rumah", "Kantor", "Kos", "Rumah Orang Tua")

# Category: (goods with a typical price in rupiah, the standards proof its listings carry).
CATEGORIES: dict[str, tuple[tuple[tuple[str, int], ...], str | None]] = {
    "Fashion": (
        (("Kemeja Batik Tulis", 385_000), ("Kain Batik Cap", 165_000), ("Dress Batik", 249_000),
         ("Selendang Tenun", 210_000), ("Sarung Tenun", 320_000), ("Hijab Voal", 59_000)),
        None,
    ),
    "Makanan": (
        (("Rendang Kemasan", 89_000), ("Sambal Bawang", 35_000), ("Keripik Tempe", 18_500),
         ("Kue Lapis Legit", 145_000), ("Abon Sapi", 52_000), ("Kerupuk Udang", 27_000)),
        "halal_number",
    ),
    "Minuman": (
        (("Kopi Arabika Gayo", 95_000), ("Kopi Robusta", 78_000), ("Teh Melati", 24_000),
         ("Wedang Uwuh", 30_000), ("Sirup Markisa", 48_000)),
        "halal_number",
    ),
    "Rumah Tangga": (
        (("Keranjang Rotan", 125_000), ("Kursi Rotan", 890_000), ("Tudung Saji", 45_000),
         ("Tikar Pandan", 99_000), ("Lampu Anyaman", 135_000)),
        None,
    ),
    "Kecantikan": (
        (("Serum Niacinamide", 79_000), ("Sabun Kopi", 27_500), ("Lulur Bali", 42_000),
         ("Minyak Kemiri", 38_000), ("Masker Bengkoang", 33_000)),
        "halal_number",
    ),
    "Elektronik": (
        (("TWS Earbuds", 189_000), ("Power Bank 10000 mAh", 159_000), ("Kabel USB-C", 29_000),
         ("Lampu LED Sensor", 65_000), ("Smartwatch AMOLED", 449_000), ("Kipas Angin Mini", 85_000)),
        "sni_number",
    ),
    "Buku": (
        (("Novel Laskar Pelangi", 89_000), ("Buku Resep Nusantara", 120_000),
         ("Komik Wayang", 45_000), ("Atlas Indonesia", 150_000)),
        None,
    ),
}  # fmt: skip
VARIANTS = ("", " Premium", " Original", " Edisi Spesial", " Paket Hemat", " Mini", " Jumbo")
# HS codes by category (the positive list's books among them: heading 4901).
HS_CODES = {
    "Fashion": "6205200000",
    "Makanan": "2106909900",
    "Minuman": "0901210000",
    "Rumah Tangga": "4602120000",
    "Kecantikan": "3304990000",
    "Elektronik": "8518300000",
    "Buku": "4901991000",
}

BANKS = ("bca", "mandiri", "bni", "bri", "cimb", "permata", "btn", "danamon")
# Where foreign sellers ship from: country, city, a business-registry prefix.
FOREIGN_ORIGINS = (
    ("CN", "Guangzhou", "USCC"), ("CN", "Yiwu", "USCC"), ("MY", "Kuala Lumpur", "SSM"),
    ("SG", "Singapore", "UEN"), ("TH", "Bangkok", "DBD"), ("KR", "Seoul", "BRN"),
    ("JP", "Osaka", "CN"),
)  # fmt: skip

CANCEL_REASONS = (
    "Stok habis di gudang",
    "Pembeli minta batal",
    "Alamat tidak terjangkau kurir",
    "Harga salah cantum",
)
REFUND_REASONS = (
    "Barang rusak saat diterima",
    "Barang tidak sesuai deskripsi",
    "Paket hilang di perjalanan",
    "Ukuran tidak sesuai",
)
COURIERS = ("JNE", "JNT", "SICEPAT", "ANTERAJA", "POS")
LIVE_TITLES = ("LIVE promo gajian: {p}", "Flash sale malam ini! {p}", "Live bareng {m}")
VIDEO_TITLES = ("Unboxing {p}", "Review jujur: {p}", "3 alasan aku suka {p}", "Haul ft. {p}")
