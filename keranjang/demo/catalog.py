"""Demo data: Indonesian shops, their products, and creators who promote them."""

MERCHANTS = [
    ("batik-sekar", "Batik Sekar", "Solo", "Fashion"),
    ("dapur-nusantara", "Dapur Nusantara", "Bandung", "Makanan"),
    ("kopi-gayo-asli", "Kopi Gayo Asli", "Takengon", "Minuman"),
    ("rumah-rotan", "Rumah Rotan", "Cirebon", "Rumah Tangga"),
    ("glow-lokal", "Glow Lokal", "Jakarta", "Kecantikan"),
    ("gadget-pintar", "Gadget Pintar", "Surabaya", "Elektronik"),
    ("tenun-sumba", "Tenun Sumba", "Waingapu", "Fashion"),
    ("sambal-bu-rudy", "Sambal Bu Rudy", "Surabaya", "Makanan"),
]

PRODUCTS = {
    "Fashion": [
        ("Kemeja Batik Tulis Parang", 385_000),
        ("Kain Batik Cap Kawung", 165_000),
        ("Dress Batik Modern", 249_000),
        ("Selendang Tenun Ikat", 210_000),
        ("Sarung Tenun Premium", 320_000),
    ],
    "Makanan": [
        ("Rendang Daging Kemasan 250 g", 89_000),
        ("Sambal Bawang Pedas", 35_000),
        ("Keripik Tempe Original", 18_500),
        ("Kue Lapis Legit", 145_000),
        ("Abon Sapi Manis", 52_000),
    ],
    "Minuman": [
        ("Kopi Arabika Gayo 250 g", 95_000),
        ("Kopi Robusta Lampung 500 g", 78_000),
        ("Teh Melati Tubruk", 24_000),
        ("Wedang Uwuh Jahe", 30_000),
        ("Sirup Markisa Medan", 48_000),
    ],
    "Rumah Tangga": [
        ("Keranjang Rotan Anyam", 125_000),
        ("Kursi Rotan Teras", 890_000),
        ("Tudung Saji Bambu", 45_000),
        ("Tikar Pandan Lipat", 99_000),
        ("Lampu Hias Anyaman Bambu", 135_000),
    ],
    "Kecantikan": [
        ("Serum Niacinamide 20 ml", 79_000),
        ("Sabun Kopi Scrub", 27_500),
        ("Lulur Bali Tradisional", 42_000),
        ("Minyak Kemiri Rambut", 38_000),
        ("Masker Bengkoang Alami", 33_000),
    ],
    "Elektronik": [
        ("TWS Earbuds Bluetooth 5.3", 189_000),
        ("Power Bank 10.000 mAh", 159_000),
        ("Kabel Data USB-C 1 m", 29_000),
        ("Lampu LED Sensor Gerak", 65_000),
        ("Smartwatch Layar AMOLED", 449_000),
    ],
}

# The standards proof a shop shows on its listings (Pasal 11): halal certificates for food and
# drink, SNI for electronics. The numbers are made up, in the real formats' shape.
STANDARDS = {
    "Makanan": ("halal_number", "ID00110000{n:07d}"),
    "Minuman": ("halal_number", "ID00210000{n:07d}"),
    "Elektronik": ("sni_number", "SNI IEC 62368-1:2014 NRP {n:05d}"),
}

# What shops give a creator whose yellow cart brought the buyer, in basis points (500 = 5%).
COMMISSION_RATES_BP = (0, 300, 500, 800, 1_000)

CREATORS = [
    ("rina.masak", "Rina Masak Enak"),
    ("budi.review", "Budi Review Gadget"),
    ("sekar.gaya", "Sekar Gaya Harian"),
    ("ngopi.bareng", "Ngopi Bareng Dimas"),
    ("cantik.alami", "Cantik Alami by Laras"),
    ("rumah.nyaman", "Rumah Nyaman"),
]

VIDEO_TITLES = [
    "Unboxing {p}",
    "Review jujur: {p}",
    "3 alasan aku suka {p}",
    "Haul minggu ini ft. {p}",
]
LIVE_TITLES = ["LIVE promo gajian: {p}", "Flash sale malam ini! {p}", "Live bareng {m}"]
