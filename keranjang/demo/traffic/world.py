"""Who acts, set up over HTTP before the run: the driver's own viewers (signed up in social), its
own creators (registered, given e-commerce permission with the operator's token), its own legacy
sellers with products (opened with the operator's token), and the sellers it finds through the
feed's legacy pins, acted for with tokens derived from the legacy generator's key when the
driver is given it. The creators pin every product of every seller it acts for, so each has a
yellow cart to follow."""

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from keranjang.demo.traffic.http import Answer, Call, Http
from keranjang.demo.traffic.knowledge import Creator, Knowledge, Pin, Product, Seller, Viewer
from keranjang.demo.traffic.orders import product_keys

CITIES = [("Bandung", "40111"), ("Surabaya", "60111"), ("Medan", "20111"), ("Makassar", "90111")]
PRODUCTS = [
    ("Kopi Susu Gula Aren 1 L", 65_000),
    ("Keripik Singkong Balado", 22_000),
    ("Sambal Roa Manado", 48_000),
    ("Batik Cap Mega Mendung", 175_000),
    ("Madu Hutan Sumbawa 500 g", 120_000),
    ("Tas Anyaman Pandan", 95_000),
]


@dataclass(frozen=True)
class Cast:
    """How many of its own actors the driver sets up, and what it may act with."""

    run_tag: str  # a few hex digits that keep this run's emails, handles and slugs apart
    viewers: int = 6
    creators: int = 2
    sellers: int = 2
    products_per_seller: int = 4
    operator_token: str | None = None
    seed_key: bytes | None = None  # the legacy generator's key (`legacy-seed-key`)
    max_found_sellers: int = 20


@dataclass
class Setup:
    http: Http
    social: str
    cast: Cast

    def call(self, action: str, method: str, path: str, **fields: Any) -> Call:
        return Call("setup", action, method, self.social + path, **fields)

    async def world(self) -> Knowledge:
        known = Knowledge()
        viewers = [self.viewer(i) for i in range(self.cast.viewers)]
        known.viewers = [v for v in await asyncio.gather(*viewers) if v.token]
        creators = [self.creator(i) for i in range(self.cast.creators)]
        known.creators = [c for c in await asyncio.gather(*creators) if c is not None]
        own = [self.own_seller(i) for i in range(self.cast.sellers)]
        known.sellers = [s for s in await asyncio.gather(*own) if s is not None]
        await self.found_sellers(known)
        await self.pin_everything(known)
        return known

    async def viewer(self, i: int) -> Viewer:
        city, postal = CITIES[i % len(CITIES)]
        email = f"traffic.{self.cast.run_tag}.{i}@example.com"
        viewer = Viewer(i, email, secrets.token_urlsafe(18))
        name = f"Pembeli {i + 1}"
        body = {"email": email, "name": name, "password": viewer.password}
        answer = await self.http.send(
            self.call("sign_up", "POST", "/api/viewers", json=body, write=True),
            keys=lambda a: {"viewer_id": a.body["viewer"]["id"]},
        )
        viewer.token = answer.body["token"] if answer.ok else ""
        viewer.address = {
            "recipient": name,
            "phone": f"+62812{7000000 + i:07d}",
            "street": f"Jl. Merdeka No. {i + 1}",
            "city": city,
            "postal_code": postal,
        }
        return viewer

    async def creator(self, i: int) -> Creator | None:
        body = {"handle": f"trf{self.cast.run_tag}.{i}", "display_name": f"Kreator {i + 1}"}
        made = await self.http.send(
            self.call("register_creator", "POST", "/api/creators", json=body, write=True),
            keys=lambda a: {"creator_id": a.body["id"]},
        )
        if not made.ok:
            return None
        creator = Creator(made.body["id"], made.body["token"], permitted=False)
        if self.cast.operator_token:
            path = f"/api/creators/{creator.id}/ecommerce-permission"
            grant = self.call(
                "grant_permission",
                "PUT",
                path,
                json={"permitted": True},
                write=True,
                headers=bearer(self.cast.operator_token),
            )
            creator.permitted = (await self.http.send(grant)).ok
        return creator

    async def own_seller(self, i: int) -> Seller | None:
        if not self.cast.operator_token:
            return None
        city, _ = CITIES[i % len(CITIES)]
        body = {
            "slug": f"trf-{self.cast.run_tag}-{i}",
            "name": f"Toko Lalu Lintas {i + 1}",
            "city": city,
        }
        opened = await self.http.send(
            self.call(
                "open_shop",
                "POST",
                "/legacy/api/sellers",
                json=body,
                write=True,
                headers=bearer(self.cast.operator_token),
            ),
            keys=lambda a: {"seller_id": a.body["id"], "slug": a.body["slug"]},
        )
        if not opened.ok:
            return None
        seller = Seller(opened.body["id"], opened.body["token"])
        for j in range(self.cast.products_per_seller):
            title, price = PRODUCTS[(i + j) % len(PRODUCTS)]
            listing = {
                "title": f"{title} #{j + 1}",
                "price_idr": price,
                "stock": 60,
                "category": "Makanan",
                "commission_bp": 500,
            }
            added = await self.http.send(
                self.call(
                    "add_product",
                    "POST",
                    "/legacy/api/seller/products",
                    json=listing,
                    write=True,
                    merchant=seller.id,
                    headers=bearer(seller.token),
                ),
                keys=product_keys,
            )
            if added.ok:
                seller.products.append(product_of(added.body))
        return seller

    async def found_sellers(self, known: Knowledge) -> None:
        """Legacy pins in the feed; their sellers, when the generator's key gives their tokens."""
        feed = await self.http.send(self.call("feed", "GET", "/api/content?limit=100"))
        for content in feed.body if feed.ok and isinstance(feed.body, list) else []:
            for pin in content["pins"]:
                if pin["source"] == "legacy":
                    product = pin["product"]
                    known.add_pin(Pin(pin["id"], product["product_id"], product["merchant_id"]))
        if self.cast.seed_key is None:
            return
        merchants = sorted({p.merchant for p in known.pins})[: self.cast.max_found_sellers]
        for merchant in merchants:
            if known.seller(merchant) is None:
                seller = await self.generated_seller(merchant)
                if seller is not None:
                    known.sellers.append(seller)

    async def generated_seller(self, seller_id: int) -> Seller | None:
        assert self.cast.seed_key is not None
        seller = Seller(seller_id, generated_seller_token(self.cast.seed_key, seller_id))
        listed = await self.http.send(
            self.call(
                "seller_products",
                "GET",
                "/legacy/api/seller/products",
                merchant=seller_id,
                headers=bearer(seller.token),
            )
        )
        if not listed.ok:
            return None
        seller.products = [product_of(p) for p in listed.body[:20]]
        return seller

    async def pin_everything(self, known: Knowledge) -> None:
        """Each creator goes live once and pins its share of every product the driver sells."""
        creators = [c for c in known.creators if c.permitted]
        products = known.products()
        for n, creator in enumerate(creators):
            body = {
                "kind": "live",
                "title": f"Live belanja bareng #{n + 1}",
                "campaign": f"trf-{n}",
            }
            live = await self.http.send(
                self.call(
                    "go_live",
                    "POST",
                    "/api/content",
                    json=body,
                    write=True,
                    headers=bearer(creator.token),
                ),
                keys=content_keys,
            )
            if not live.ok:
                continue
            creator.live.append(live.body["id"])
            for product in products[n :: len(creators)][:10]:
                pinned = await self.http.send(
                    self.call(
                        "pin",
                        "POST",
                        f"/api/content/{live.body['id']}/pins",
                        write=True,
                        json={"legacy_product_id": product.id},
                        merchant=product.seller_id,
                        headers=bearer(creator.token),
                    ),
                    keys=pin_keys,
                )
                if pinned.ok:
                    known.add_pin(Pin(pinned.body["id"], product.id, product.seller_id))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def generated_seller_token(key: bytes, seller_id: int) -> str:
    """A generated seller's token: the scheme `keranjang legacy seed` derives credentials with
    (an HMAC-SHA256 of "legacy-seller:<id>" under its key, base64url without padding), written out
    here because the driver imports no part of Keranjang: it holds the key as an operator would."""
    digest = hmac.new(key, f"legacy-seller:{seller_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def product_of(body: dict[str, Any]) -> Product:
    return Product(body["id"], body["seller_id"], body["price_idr"], body["stock"])


def content_keys(answer: Answer) -> dict[str, Any]:
    return {"content_id": answer.body["id"], "kind": answer.body["kind"]}


def pin_keys(answer: Answer) -> dict[str, Any]:
    return {
        "pin_id": answer.body["id"],
        "content_id": answer.body["content_id"],
        "legacy_product_id": answer.body["product"]["product_id"],
    }
