"""SQL statements per checkout: commerce in this process, on a database of its own.

Commerce's app runs here (FastAPI's TestClient, no background jobs) on an empty database, paying
through the running payment simulator. A SQLAlchemy `before_cursor_execute` listener on
`app.state.engine` records every statement while the checkout request (and, when payments are
separate, the payment request) is handled; the cart request before it is recorded apart and not
counted. Transactions are counted from the engine's begin/commit/rollback events: psycopg sends
BEGIN, COMMIT and ROLLBACK itself, not through a cursor, so they are not statements here. The
third checkout is the one reported (the first ones warm the pool and caches).

Only `keranjang.commerce.app.create_app` and `keranjang.commerce.config.CommerceSettings` are
imported from commerce: the two paths that stay put while commerce's insides move.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.checkout.buyer import PAYMENT_METHOD, checkout_body, idempotency_key
from bench.checkout.system import System
from bench.kit.errors import BenchError

T = TypeVar("T")


@dataclass
class Recorded:
    statements: list[dict[str, Any]] = field(default_factory=list)
    transactions: dict[str, int] = field(
        default_factory=lambda: {"begin": 0, "commit": 0, "rollback": 0}
    )

    def add(self, other: Recorded) -> None:
        self.statements += other.statements
        for kind, n in other.transactions.items():
            self.transactions[kind] += n


class Recorder:
    """Listens on an engine; records into a `Recorded` only while `record` runs a call."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self._into: Recorded | None = None
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._on_statement, named=True)
        for kind in ("begin", "commit", "rollback"):
            event.listen(engine, kind, self._on_transaction(kind))

    def _on_statement(
        self, *, statement: str, parameters: Any, executemany: bool, **_event: Any
    ) -> None:
        with self._lock:
            if self._into is not None:
                many = executemany and isinstance(parameters, list | tuple)
                rows = len(parameters) if many else 1
                entry = {"sql": statement, "executemany": executemany, "rows": rows}
                self._into.statements.append(entry)

    def _on_transaction(self, kind: str) -> Callable[..., None]:
        def listener(*_args: Any) -> None:
            with self._lock:
                if self._into is not None:
                    self._into.transactions[kind] += 1

        return listener

    def record(self, call: Callable[[], T]) -> tuple[T, Recorded]:
        rec = Recorded()
        self._into = rec
        try:
            return call(), rec
        finally:
            self._into = None


def _commerce_in_process(system: System, workdir: Path) -> Any:
    """Commerce's app on the run's empty `sqlcount` database, settings only from here: none of
    this environment's KERANJANG_* variables."""
    for name in [k for k in os.environ if k.startswith("KERANJANG_")]:
        del os.environ[name]
    data_dir = workdir / "sqlcount"
    data_dir.mkdir()
    try:
        from keranjang.commerce.app import create_app
        from keranjang.commerce.config import CommerceSettings

        settings = CommerceSettings(
            data_dir=data_dir,
            database_url=system.db_urls["sqlcount"],
            public_url="http://commerce.bench",
            social_url="http://127.0.0.1:9",
            admin_token=system.operator_token,
            secret_key=secrets.token_urlsafe(32),
            payments_url=system.payments_url,
            payments_server_key=system.payments_server_key,
            hold_release_seconds=0,
        )
        return create_app(settings)
    except Exception as exc:  # an import or migration error: nothing to count with
        raise BenchError(
            f"commerce could not start in-process to count statements: {exc!r}"
        ) from exc


class Caller:
    """JSON calls to the in-process app, which must answer 200 or 201."""

    def __init__(self, app: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Starlette's deprecation note about httpx
            from fastapi.testclient import TestClient
        self._client = TestClient(app, base_url="http://commerce.bench")

    def __call__(
        self, method: str, path: str, body: dict[str, Any], token: str | None, **headers: str
    ) -> Any:
        sent = {"Accept": "application/json", **headers}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        r = self._client.request(method, path, json=body, headers=sent)
        if r.status_code not in (200, 201):
            raise BenchError(f"statement count: {method} {path} answered {r.status_code}: {r.text}")
        return r.json()

    def close(self) -> None:
        self._client.close()


def _seed(call: Caller, operator_token: str) -> tuple[int, str]:
    """A merchant, a product and a buyer: (the product's id, the buyer's token)."""
    shop = {"slug": "sql-count", "name": "Toko SQL", "city": "Bandung"}
    merchant = call("POST", "/api/merchants", shop, operator_token)
    product = {"title": "Barang", "price_idr": 100_000, "stock": 1_000}
    product_id = call("POST", "/api/products", product, merchant["token"])["id"]
    buyer = {"email": "sql@bench.example", "name": "Pembeli", "password": "x" * 16}
    return product_id, call("POST", "/api/buyers", buyer, None)["token"]


Run = tuple[Recorded, Recorded, Recorded]  # the cart request, the checkout, the payments


def _one_checkout(
    call: Caller, recorder: Recorder, product_id: int, buyer: str, inline_payment: bool
) -> Run:
    """The cart request, the checkout request and the payment requests, each recorded."""
    item = f"/api/cart/items/{product_id}"
    _, cart = recorder.record(lambda: call("PUT", item, {"quantity": 1}, buyer))
    body, key = checkout_body(inline_payment), {"Idempotency-Key": idempotency_key()}
    answer, checkout = recorder.record(lambda: call("POST", "/api/checkout", body, buyer, **key))
    payment = Recorded()
    if not inline_payment:
        for order in answer["orders"]:
            path = f"/api/orders/{order['id']}/payment"
            pay = functools.partial(call, "POST", path, {"method": PAYMENT_METHOD}, buyer)
            _, one = recorder.record(pay)
            payment.add(one)
    return cart, checkout, payment


def _summary(runs: list[Run], inline_payment: bool) -> dict[str, Any]:
    cart, checkout, payment = runs[-1]
    counted = checkout.statements + payment.statements
    return {
        "inline_payment": inline_payment,
        "cart_request_not_counted": asdict(cart),
        "checkout_request": asdict(checkout),
        "payment_requests": asdict(payment),
        "statements": len(counted),
        "executemany": sum(1 for s in counted if s["executemany"]),
        "transactions": {
            k: checkout.transactions[k] + payment.transactions[k] for k in checkout.transactions
        },
        "per_checkout_run": [len(c.statements) + len(p.statements) for _, c, p in runs],
        "note": "the third of three checkouts; an executemany counts as one statement; BEGIN, "
        "COMMIT and ROLLBACK are counted as transactions, not statements",
    }


def count_statements(system: System, inline_payment: bool, workdir: Path) -> dict[str, Any]:
    """The statements commerce sends to PostgreSQL for one checkout (see the module's text)."""
    app = _commerce_in_process(system, workdir)
    engine = app.state.engine
    recorder = Recorder(engine)
    call = Caller(app)
    try:
        product_id, buyer = _seed(call, system.operator_token)
        runs = [_one_checkout(call, recorder, product_id, buyer, inline_payment) for _ in range(3)]
    finally:
        call.close()
        engine.dispose()
    return _summary(runs, inline_payment)


def one_line(sql: str, width: int = 150) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
