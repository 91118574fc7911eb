"""Sellers (local and foreign, with their registration facts), payout accounts, routes and
products (every listing field, cross-border ones included), as row tuples. Pure.

`Catalog` keeps what orders and pins need of them (names, prices, titles), by position: seller
`i` has the ids `first + i`, and its products the positions `i * per_seller + j`."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keranjang.social.legacy_shop.generator import names, tokens
from keranjang.social.legacy_shop.generator.plan import FOREIGN_SHARE, Plan

Row = tuple[object, ...]
RandomFn = Callable[[], float]
COLUMNS: dict[str, tuple[str, ...]] = {
    "legacy_sellers": (
        "id", "slug", "name", "kind", "city", "token_digest", "owner_name", "identity_document",
        "business_legality_document", "legalisation_reference", "sni_certificate",
        "halal_certificate", "description_id", "origin_country", "origin_city", "created_at",
        "updated_at",
    ),
    "legacy_payout_accounts": (
        "seller_id", "bank_code", "account_number", "holder_name", "updated_at",
    ),
    "merchant_routes": ("legacy_seller_id", "route", "commerce_merchant_id", "changed_at", "purged_at"),
    "legacy_products": (
        "id", "seller_id", "title", "description", "price_idr", "stock", "category", "image_url",
        "hs_code", "origin_country", "cross_border", "fob_usd_cents", "npb_number", "sni_number",
        "halal_number", "commission_bp", "created_at", "updated_at",
    ),
}  # fmt: skip
CATEGORY_NAMES = tuple(names.CATEGORIES)
COMMISSIONS_BP = (0, 0, 300, 500, 800, 1_000)
# Orders end up to this many days back (and began up to a month before); sellers, products
# and buyers are older than all of them.
HISTORY_DAYS = 180


@dataclass
class Catalog:
    first_seller: int
    first_product: int
    per_seller: int
    seller_names: list[str] = field(default_factory=list)
    seller_created: list[datetime] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # "ID" for a local seller
    titles: list[str] = field(default_factory=list)
    prices: list[int] = field(default_factory=list)
    commissions: list[int] = field(default_factory=list)
    stocks: list[int] = field(default_factory=list)
    images: list[str | None] = field(default_factory=list)


def sellers(plan: Plan, out: dict[str, list[Row]]) -> Catalog:
    rng, now = plan.rng("sellers"), plan.now
    first = plan.first("legacy_sellers")
    catalog = Catalog(first, plan.first("legacy_products"), plan.size.products_per_merchant)
    for i in range(plan.size.merchants):
        seller_id = first + i
        word, quality = rng.choice(names.SHOP_WORDS), rng.choice(names.SHOP_QUALITIES)
        owner = f"{rng.choice(names.FIRST_NAMES)} {rng.choice(names.LAST_NAMES)}"
        created = now - timedelta(days=HISTORY_DAYS + 60, seconds=rng.randrange(86_400 * 1_300))
        city = rng.choice(names.CITIES)[0]
        facts = (
            _foreign_facts(rng.random, owner, seller_id) if rng.random() < FOREIGN_SHARE else None
        )
        name = f"{word} {quality}" + (f" {facts[-1]}" if facts else f" {city}")
        out["legacy_sellers"].append(
            (seller_id, f"{word}-{quality}-{seller_id}".lower(), name,
             "foreign" if facts else "local", facts[-1] if facts else city,
             tokens.seller_digest(plan.key, seller_id),
             *(facts or _local_facts(rng.random, owner)), created, created)
        )  # fmt: skip
        out["merchant_routes"].append((seller_id, "legacy", None, created, None))
        if rng.random() < 0.9:
            account = str(rng.randrange(10**9, 10**13))
            out["legacy_payout_accounts"].append(
                (seller_id, rng.choice(names.BANKS), account, owner, created)
            )
        catalog.seller_names.append(name)
        catalog.seller_created.append(created)
        catalog.origins.append(str(facts[7]) if facts else "ID")
    return catalog


def _local_facts(random: RandomFn, owner: str) -> Row:
    nik = f"{int(random() * 10**16):016d}"
    description = "Produk lokal pilihan, dikirim dari Indonesia." if random() < 0.5 else None
    return (owner, nik, None, None, None, None, description, None, None)


def _foreign_facts(random: RandomFn, owner: str, seller_id: int) -> Row:
    """Pasal 5's facts; about a third of the old app's foreign sellers left one out."""
    country, city, registry = names.FOREIGN_ORIGINS[int(random() * len(names.FOREIGN_ORIGINS))]
    gap = int(random() * 9) if random() < 0.3 else None
    facts: list[str | None] = [
        owner,
        f"P{int(random() * 10**8):08d}",
        f"{registry} {seller_id:012d}",
        f"Apostille {country}/{2021 + seller_id % 3}/{seller_id % 100_000:05d}",
        f"SNI {1000 + seller_id % 9000}:2020",
        f"ID{int(random() * 10**12):012d}",
        f"Barang impor dari {city}, dikirim langsung ke Indonesia.",
        country,
        city,
    ]
    if gap is not None and gap < 7:  # never the origin: the shop's city is named after it
        facts[gap] = None
    return tuple(facts)


def products(plan: Plan, catalog: Catalog, out: list[Row]) -> None:
    """Each seller's products; most of a foreign seller's are cross-border, from its origin."""
    rng = plan.rng("products")
    pid = catalog.first_product
    for i, created in enumerate(catalog.seller_created):
        seller = (catalog.first_seller + i, catalog.seller_names[i], catalog.origins[i], created)
        category = rng.choice(CATEGORY_NAMES)
        for _ in range(catalog.per_seller):
            out.append(_product(rng.random, pid, seller, category, catalog))
            pid += 1
            if rng.random() < 0.2:  # a shop's range spans a few categories
                category = rng.choice(CATEGORY_NAMES)


def _product(
    random: RandomFn, pid: int, seller: tuple[int, str, str, datetime], category: str,
    catalog: Catalog,
) -> Row:  # fmt: skip
    seller_id, seller_name, origin, seller_created = seller
    goods, standard = names.CATEGORIES[category]
    base, typical = goods[int(random() * len(goods))]
    title = base + names.VARIANTS[int(random() * len(names.VARIANTS))]
    price = max(1_000, round(typical * (0.6 + random() * 1.2) / 500) * 500)
    cross = origin != "ID" and random() < 0.9
    fob = _fob_usd_cents(random) if cross else None
    if fob is not None:  # landed in Indonesia: FOB at about Rp16.000 per dollar, plus freight
        price = round(fob * 160 * 1.3 / 500) * 500
    stock = 0 if random() < 0.08 else min(5_000, int(5 / (1 - random()) ** 0.8))
    commission = COMMISSIONS_BP[int(random() * len(COMMISSIONS_BP))]
    image = f"https://cdn.keranjang.example/legacy/p/{pid}.jpg" if random() < 0.7 else None
    number = f"{pid:07d}"
    created = seller_created + timedelta(days=random() * 20)
    catalog.titles.append(title)
    catalog.prices.append(price)
    catalog.commissions.append(commission)
    catalog.stocks.append(stock)
    catalog.images.append(image)
    return (
        pid, seller_id, title, f"{title} dari {seller_name}. {category} pilihan.", price, stock,
        category, image, names.HS_CODES[category] if cross or random() < 0.3 else None,
        origin, cross, fob, f"NPB-{number}" if cross and random() < 0.85 else None,
        f"SNI IEC 62368-1:2014 NRP {number}" if standard == "sni_number" else None,
        f"ID0011{number}" if standard == "halal_number" else None,
        commission, created, created,
    )  # fmt: skip


def _fob_usd_cents(random: RandomFn) -> int:
    """Most cross-border goods at US$100 or more (Pasal 19); some of the old app's below it."""
    if random() < 0.85:
        return 100_00 + int(random() * 400_00)
    return 20_00 + int(random() * 79_00)
