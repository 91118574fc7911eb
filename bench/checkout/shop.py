"""The shop the buyers check out from: merchants, products and buyers seeded through commerce's
public API, more buyers written straight into its database, and what the buyers were answered."""

from __future__ import annotations

import asyncio
import collections
import random
import secrets
from dataclasses import dataclass, field

from bench.checkout.api import Api, expect
from bench.checkout.options import Options
from bench.checkout.system import System
from bench.kit.postgres import conninfo


@dataclass(frozen=True)
class Buyer:
    email: str
    token: str


@dataclass
class Lane:
    """One virtual buyer's pool: buyers whose cart holds one product, ready to check out, and
    buyers already checked out (empty cart) for the next unmeasured refill."""

    ready: collections.deque[Buyer] = field(default_factory=collections.deque)
    spent: list[Buyer] = field(default_factory=list)
    # Checkouts that found the pool empty and filled a cart inside the window (see checkout_op).
    dry: int = 0


@dataclass
class Shop:
    products: list[int]
    initial_stock: int
    buyers: list[Buyer]
    lanes: list[Lane] = field(default_factory=list)
    pool_buyers: int = 0  # buyers written straight into commerce's database (see add_buyers)


@dataclass
class Tally:
    """What the buyers were answered, warm-ups, probes and drains included: the books must
    show exactly this at the end."""

    checkouts: int = 0
    orders: int = 0
    units: int = 0
    payments: int = 0


async def _list_products(api: Api, system: System, options: Options, run: str) -> list[int]:
    """Merchants registered by the operator, each listing its share of the products."""
    rng = random.Random(2024)
    products: list[int] = []
    per_merchant = -(-options.products // options.merchants)
    for m in range(options.merchants):
        merchant = await expect(
            api,
            201,
            "POST",
            "/api/merchants",
            body={"slug": f"bench-{run}-{m}", "name": f"Toko Bench {m}", "city": "Bandung"},
            token=system.operator_token,
        )
        for p in range(min(per_merchant, options.products - len(products))):
            body = {
                "title": f"Barang {m}-{p}",
                "price_idr": rng.randrange(10, 500) * 1_000,
                "stock": options.stock,
                "category": "Lainnya",
            }
            product = await expect(
                api, 201, "POST", "/api/products", body=body, token=merchant["token"]
            )
            products.append(product["id"])
    return products


async def seed(api: Api, system: System, options: Options) -> Shop:
    """Merchants registered by the operator, products with plenty of stock, one buyer per
    connection (signed up through `POST /api/buyers`)."""
    run = secrets.token_hex(3)
    products = await _list_products(api, system, options, run)

    async def sign_up(i: int) -> Buyer:
        email = f"buyer{i}-{run}@bench.example"
        body = {"email": email, "name": f"Pembeli {i}", "password": secrets.token_urlsafe(16)}
        answer = await expect(api, 201, "POST", "/api/buyers", body=body)
        return Buyer(email, answer["token"])

    buyers = list(await asyncio.gather(*(sign_up(i) for i in range(options.connections))))
    lanes = [Lane(spent=[buyer]) for buyer in buyers]
    return Shop(products, options.stock * len(products), buyers, lanes)


def add_buyers(system: System, shop: Shop, count: int) -> list[Buyer]:
    """`count` more buyers with a session each, written straight into commerce's database in
    two statements: a sign-up hashes the password with argon2 (about 0.25 s of CPU here), which
    would make a pool of a thousand buyers take minutes to seed. Each copies the password hash
    of the first buyer signed up through the API, so they are ordinary accounts."""
    import psycopg

    from keranjang.infra.credentials import token_digest

    first = len(shop.buyers) + shop.pool_buyers
    run = shop.buyers[0].email.split("-", 1)[1].split("@", 1)[0]
    with psycopg.connect(conninfo(system.db_urls["commerce"])) as conn:
        rows = conn.execute(
            "INSERT INTO buyers (email, name, password_hash, created_at) "
            "SELECT 'buyer' || g || '-' || %s || '@bench.example', 'Pembeli ' || g, "
            "(SELECT password_hash FROM buyers WHERE email = %s), now() "
            "FROM generate_series(%s::int, %s::int) AS g ORDER BY g RETURNING id, email",
            (run, shop.buyers[0].email, first, first + count - 1),
        ).fetchall()
        tokens = [secrets.token_urlsafe(32) for _ in rows]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO buyer_sessions (token_hash, buyer_id, created_at, expires_at) "
                "VALUES (%s, %s, now(), now() + interval '30 days')",
                [
                    (token_digest(tok), buyer_id)
                    for tok, (buyer_id, _) in zip(tokens, rows, strict=True)
                ],
            )
    shop.pool_buyers += count
    return [Buyer(email, tok) for tok, (_, email) in zip(tokens, rows, strict=True)]
