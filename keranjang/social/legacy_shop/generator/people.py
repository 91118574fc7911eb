"""Viewers as buyers (profile phone, addresses, a few live carts) and creators with their videos
and live sessions, pinning legacy products (with the public catalog rows promotion caches for
them), as row tuples. Pure."""

import bisect
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta

from keranjang.social.legacy_shop.catalog import NO_IMAGE
from keranjang.social.legacy_shop.generator import names, tokens
from keranjang.social.legacy_shop.generator.plan import CONTENT_PER_CREATOR, MAX_PINS, Plan
from keranjang.social.legacy_shop.generator.shops import HISTORY_DAYS, Catalog, Row

COLUMNS: dict[str, tuple[str, ...]] = {
    "viewers": ("id", "email", "name", "password_hash", "created_at"),
    "legacy_buyer_profiles": ("viewer_id", "phone", "updated_at"),
    "legacy_addresses": (
        "id", "viewer_id", "label", "recipient", "phone", "street", "city", "postal_code",
        "created_at",
    ),
    "creators": ("id", "handle", "display_name", "ecommerce_permitted", "token_hash", "created_at"),
    "content": (
        "id", "creator_id", "kind", "title", "description", "campaign", "live_status", "created_at",
    ),
    "legacy_catalog_cache": (
        "legacy_product_id", "seller_id", "seller_name", "title", "price_idr", "image_url",
        "in_stock", "fetched_at",
    ),
    "pins": ("id", "content_id", "product_id", "legacy_product_id", "created_at"),
    "legacy_cart_lines": ("id", "viewer_id", "product_id", "quantity", "creator_id"),
}  # fmt: skip


@dataclass
class Buyers:
    first: int
    addresses: list[str] = field(default_factory=list)  # each viewer's first address, as JSON

    def pick(self, rng: random.Random) -> int:
        """A buyer, the first ones more often: a few buy a lot, most now and then."""
        return int(len(self.addresses) * rng.random() ** 2)


def viewers(plan: Plan, out: dict[str, list[Row]]) -> Buyers:
    rng, now = plan.rng("viewers"), plan.now
    password_hash = tokens.viewer_password_hash(plan.key)
    first, address_id = plan.first("viewers"), plan.first("legacy_addresses")
    buyers = Buyers(first)
    for i in range(plan.size.buyers):
        viewer_id = first + i
        given, family = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        created = now - timedelta(days=HISTORY_DAYS + 60, seconds=rng.randrange(86_400 * 1_000))
        email = f"{given}.{family}.{viewer_id}@example.com".lower()
        out["viewers"].append((viewer_id, email, f"{given} {family}", password_hash, created))
        phone = f"+628{rng.randrange(10**9, 10**11)}"
        out["legacy_buyer_profiles"].append((viewer_id, phone, created))
        for k in range(1 if rng.random() < 0.7 else 2):
            city, postal = rng.choice(names.CITIES)
            street = f"{rng.choice(names.STREETS)} No. {rng.randrange(1, 200)}"
            postal_code = f"{postal}{rng.randrange(100):02d}"
            recipient = f"{given} {family}"
            out["legacy_addresses"].append(
                (address_id, viewer_id, names.ADDRESS_LABELS[k], recipient, phone, street, city,
                 postal_code, created)
            )  # fmt: skip
            address_id += 1
            if k == 0:
                fields = (recipient, phone, street, city, postal_code)
                buyers.addresses.append(json.dumps(dict(zip(ADDRESS_KEYS, fields, strict=True))))
    return buyers


ADDRESS_KEYS = ("recipient", "phone", "street", "city", "postal_code")


@dataclass
class Pinned:
    """Which creator pinned each pinned product (by product position), for commissions."""

    by_product: dict[int, int] = field(default_factory=dict)


def creators(
    plan: Plan, catalog: Catalog, weights: list[float], out: dict[str, list[Row]]
) -> Pinned:
    """Creators with a live session on now, a video and an ended live, each pinning products of
    sellers drawn by their sales (big sellers are the promoted ones)."""
    rng, now = plan.rng("creators"), plan.now
    first, content_id, pin_id = plan.first("creators"), plan.first("content"), plan.first("pins")
    pinned = Pinned()
    for i in range(plan.size.creators):
        creator_id = first + i
        given, family = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        handle = f"{given}.{family}.{creator_id}".lower()[:30]
        joined = now - timedelta(days=200 + rng.randrange(600))
        digest = tokens.creator_digest(plan.key, creator_id)
        out["creators"].append((creator_id, handle, f"{given} {family}", True, digest, joined))
        for k in range(CONTENT_PER_CREATOR):
            products = _choose(rng, catalog, weights)
            out["content"].append(
                _content(rng, (content_id, creator_id, k), products, catalog, plan)
            )
            created = out["content"][-1][-1]
            for position in products:
                product_id = catalog.first_product + position
                out["pins"].append((pin_id, content_id, None, product_id, created))
                if position not in pinned.by_product:
                    pinned.by_product[position] = creator_id
                    out["legacy_catalog_cache"].append(_cached(catalog, position, plan))
                pin_id += 1
            content_id += 1
    return pinned


def _choose(rng: random.Random, catalog: Catalog, weights: list[float]) -> list[int]:
    seller = bisect.bisect(weights, rng.random() * weights[-1])
    count = min(catalog.per_seller, rng.randint(1, MAX_PINS))
    chosen = rng.sample(range(catalog.per_seller), count)
    return sorted(seller * catalog.per_seller + j for j in chosen)


def _content(
    rng: random.Random, ids: tuple[int, int, int], products: list[int], catalog: Catalog, plan: Plan
) -> Row:
    content_id, creator_id, k = ids
    live = k != 1
    title = rng.choice(names.LIVE_TITLES if live else names.VIDEO_TITLES).format(
        p=catalog.titles[products[0]], m=catalog.seller_names[products[0] // catalog.per_seller]
    )[:120]
    status: str | None = "live"
    if k == 0:  # on air now
        created = plan.now - timedelta(seconds=rng.randrange(60, 7_200))
    else:
        created = plan.now - timedelta(seconds=rng.randrange(86_400, 86_400 * 60))
        status = "ended" if live else None
    campaign = f"live-{content_id}" if live else None
    return (
        content_id,
        creator_id,
        "live" if live else "video",
        title,
        "",
        campaign,
        status,
        created,
    )


def _cached(catalog: Catalog, position: int, plan: Plan) -> Row:
    """What `ShopCatalog` shows promotion of a product, as its refresh would store it."""
    seller = position // catalog.per_seller
    return (
        catalog.first_product + position, catalog.first_seller + seller,
        catalog.seller_names[seller], catalog.titles[position], catalog.prices[position],
        catalog.images[position] or NO_IMAGE, catalog.stocks[position] > 0, plan.now,
    )  # fmt: skip


def carts(plan: Plan, catalog: Catalog, buyers: Buyers, out: list[Row]) -> None:
    """A few buyers with something in the cart right now."""
    rng, line_id = plan.rng("carts"), plan.first("legacy_cart_lines")
    products = plan.size.products
    for i in range(len(buyers.addresses)):
        if rng.random() >= 0.05:
            continue
        for position in sorted(set(rng.sample(range(products), min(products, rng.randint(1, 2))))):
            out.append(
                (
                    line_id,
                    buyers.first + i,
                    catalog.first_product + position,
                    rng.randint(1, 3),
                    None,
                )
            )
            line_id += 1
