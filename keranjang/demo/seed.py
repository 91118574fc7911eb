"""Seed a demo marketplace over HTTP: merchants and products in commerce, creators, content and
pins in social. Deterministic for a given `seed`."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from keranjang.demo import catalog as data

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True)
class SeedSize:
    merchants: int = 6
    products_per_merchant: int = 5
    creators: int = 5
    content_per_creator: int = 3
    seed: int = 2023

    @property
    def steps(self) -> int:
        return self.merchants * (1 + self.products_per_merchant) + self.creators * (
            2 + self.content_per_creator
        )


@dataclass(frozen=True)
class Seeded:
    merchants: int
    products: list[int]
    creators: int
    content: int
    pins: int


class SeedError(Exception):
    pass


class Seeder:
    def __init__(
        self,
        social: httpx.Client,
        commerce: httpx.Client,
        operator_token: str,
        progress: Callable[[int], None] = lambda _n: None,
    ) -> None:
        self.social = social
        self.commerce = commerce
        self.operator = {"Authorization": f"Bearer {operator_token}"}
        self.progress = progress
        # Every creator's password for their own pages (none: they sign in only to the API).
        self.creator_password: str | None = None

    def run(self, size: SeedSize) -> Seeded:
        rng = random.Random(size.seed)
        products: list[int] = []
        for i in range(size.merchants):
            products += self._merchant(i, size.products_per_merchant, rng)
        content = pins = 0
        for i in range(size.creators):
            c, p = self._creator(i, size, products, rng)
            content, pins = content + c, pins + p
        return Seeded(size.merchants, products, size.creators, content, pins)

    def _merchant(self, i: int, count: int, rng: random.Random) -> list[int]:
        slug, name, city, category = data.MERCHANTS[i % len(data.MERCHANTS)]
        suffix = f"-{i // len(data.MERCHANTS) + 1}" if i >= len(data.MERCHANTS) else ""
        body = {"slug": slug + suffix, "name": name + suffix.replace("-", " "), "city": city}
        shop = self._post(self.commerce, "/api/merchants", body, self.operator)
        auth = {"Authorization": f"Bearer {shop['token']}"}
        self.progress(1)
        ids = []
        for j in range(count):
            title, price = data.PRODUCTS[category][j % len(data.PRODUCTS[category])]
            product = {
                "title": title if j < len(data.PRODUCTS[category]) else f"{title} #{j + 1}",
                "description": f"{title} dari {name}, {city}. Produk lokal pilihan.",
                "price_idr": price,
                "stock": rng.choice([0, 3, 10, 25, 50, 120]) if j else 40,
                "category": category,
                "commission_bp": data.COMMISSION_RATES_BP[(i + j) % len(data.COMMISSION_RATES_BP)],
            }
            if category in data.STANDARDS:
                field, number = data.STANDARDS[category]
                product[field] = number.format(n=1000 * i + j + 1)
            ids.append(self._post(self.commerce, "/api/products", product, auth)["id"])
            self.progress(1)
        return ids

    def _creator(
        self, i: int, size: SeedSize, products: list[int], rng: random.Random
    ) -> tuple[int, int]:
        handle, name = data.CREATORS[i % len(data.CREATORS)]
        if i >= len(data.CREATORS):
            handle = f"{handle}{i // len(data.CREATORS) + 1}"
        body = {"handle": handle, "display_name": name, "password": self.creator_password}
        creator = self._post(self.social, "/api/creators", body)
        auth = {"Authorization": f"Bearer {creator['token']}"}
        path = f"/api/creators/{creator['id']}/ecommerce-permission"
        self._send(self.social, "PUT", path, {"permitted": True}, self.operator)
        self.progress(2)
        pins = 0
        for k in range(size.content_per_creator):
            chosen = rng.sample(products, k=min(len(products), rng.randint(1, 3)))
            pins += self._content(k, chosen, auth, rng)
            self.progress(1)
        return size.content_per_creator, pins

    def _content(
        self, k: int, products: list[int], auth: dict[str, str], rng: random.Random
    ) -> int:
        live = k % 3 == 1
        titles = data.LIVE_TITLES if live else data.VIDEO_TITLES
        first = self._get(self.commerce, f"/catalog/products/{products[0]}")
        title = rng.choice(titles).format(p=first["title"], m=first["merchant_name"])[:120]
        body = {"kind": "live" if live else "video", "title": title, "campaign": None}
        if live:
            body["campaign"] = f"live-{rng.randint(100, 999)}"
        content = self._post(self.social, "/api/content", body, auth)
        for product_id in products:
            self._post(
                self.social, f"/api/content/{content['id']}/pins", {"product_id": product_id}, auth
            )
        return len(products)

    def _get(self, client: httpx.Client, path: str) -> dict[str, Any]:
        return self._send(client, "GET", path, None, {})

    def _post(
        self,
        client: httpx.Client,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._send(client, "POST", path, body, headers or {})

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str],
    ) -> dict[str, Any]:
        try:
            response = client.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SeedError(f"{method} {path} failed: {exc}") from exc
        if response.is_error:
            raise SeedError(f"{method} {path} answered {response.status_code}: {response.text}")
        result: dict[str, Any] = response.json()
        return result


def catalog_is_empty(commerce: httpx.Client) -> bool:
    response = commerce.get("/catalog/products", params={"limit": 1})
    response.raise_for_status()
    return not response.json()["items"]
