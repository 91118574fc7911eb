"""The floor's fourth measure: verifying the remapped copy per seller by aggregates, the least a
verification can read: for every seller and kind of row, how many rows and the sum of their
money (or quantities), read from social and from commerce in one statement each, the two read
at once (two databases, two server processes), and compared in Python through the merchants'
id map. Any difference fails the bench: the floor's copy has to be right to count.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.migration.floor_steps import OPEN, PARTLY

Figures = dict[tuple[str, int], tuple[int, int]]  # (kind, seller or merchant) -> (rows, sum)

LATEST_PAYMENTS = (
    "(SELECT DISTINCT ON (order_id) order_id, amount_idr FROM legacy_payments "
    "ORDER BY order_id, attempt DESC)"
)
SOCIAL = " UNION ALL ".join(
    (
        "SELECT 'product', seller_id, count(*), sum(price_idr + stock) FROM legacy_products "
        "GROUP BY 2",
        "SELECT 'buyer', seller_id, count(DISTINCT viewer_id), 0 FROM legacy_orders GROUP BY 2",
        "SELECT 'order', seller_id, count(*), sum(total_idr) FROM legacy_orders GROUP BY 2",
        "SELECT 'attribution', o.seller_id, count(*), sum(l.creator_id) FROM legacy_order_lines l "
        "JOIN legacy_orders o ON o.id = l.order_id WHERE l.creator_id IS NOT NULL GROUP BY 2",
        "SELECT 'line', o.seller_id, count(*), sum(l.unit_price_idr * l.quantity) "
        "FROM legacy_order_lines l JOIN legacy_orders o ON o.id = l.order_id GROUP BY 2",
        "SELECT 'hold', o.seller_id, count(*), sum(h.quantity) FROM legacy_stock_holds h "
        "JOIN legacy_orders o ON o.id = h.order_id GROUP BY 2",
        "SELECT 'event', o.seller_id, count(*), 0 FROM legacy_order_events e "
        "JOIN legacy_orders o ON o.id = e.order_id GROUP BY 2",
        f"SELECT 'payment', o.seller_id, count(*), sum(p.amount_idr) FROM {LATEST_PAYMENTS} p "
        "JOIN legacy_orders o ON o.id = p.order_id GROUP BY 2",
        "SELECT 'refund', o.seller_id, count(*), sum(r.amount_idr) FROM legacy_refunds r "
        "JOIN legacy_orders o ON o.id = r.order_id GROUP BY 2",
        # What the orders carry as refunded: the money verification of the refunds' effect.
        "SELECT 'refunded', o.seller_id, count(*), sum(r.taken) FROM (SELECT order_id, "
        f"sum(amount_idr) AS taken FROM legacy_refunds WHERE kind IN ('order', '{PARTLY}') "
        f"AND status IN ({OPEN}) GROUP BY 1) r JOIN legacy_orders o ON o.id = r.order_id "
        "WHERE r.taken > 0 GROUP BY 2",
    )
)
COMMERCE = " UNION ALL ".join(
    (
        "SELECT 'product', merchant_id, count(*), sum(price_idr + stock) FROM products GROUP BY 2",
        "SELECT 'buyer', merchant_id, count(DISTINCT buyer_id), 0 FROM orders GROUP BY 2",
        "SELECT 'order', merchant_id, count(*), sum(total_idr) FROM orders GROUP BY 2",
        "SELECT 'attribution', merchant_id, count(*), sum(creator_id) FROM attributions GROUP BY 2",
        "SELECT 'line', o.merchant_id, count(*), sum(l.unit_price_idr * l.quantity) "
        "FROM order_lines l JOIN orders o ON o.id = l.order_id GROUP BY 2",
        "SELECT 'hold', o.merchant_id, count(*), sum(h.quantity) FROM stock_holds h "
        "JOIN orders o ON o.id = h.order_id GROUP BY 2",
        "SELECT 'event', o.merchant_id, count(*), 0 FROM order_events e "
        "JOIN orders o ON o.id = e.order_id GROUP BY 2",
        "SELECT 'payment', o.merchant_id, count(*), sum(p.amount_idr) FROM payments p "
        "JOIN orders o ON o.id = p.order_id GROUP BY 2",
        "SELECT 'refund', o.merchant_id, count(*), sum(r.amount_idr) FROM refunds r "
        "JOIN orders o ON o.id = r.order_id GROUP BY 2",
        "SELECT 'refunded', merchant_id, count(*), sum(refunded_idr) FROM orders "
        "WHERE refunded_idr > 0 GROUP BY 2",
    )
)


def _read(url: str, query: str) -> Figures:
    from bench.migration.floor_backends import backends  # psutil: the bench's extra only

    with backends.connect(url) as conn:
        return as_figures(conn.execute(query).fetchall())


def differences(social: Figures, commerce: Figures, merchants: dict[int, int]) -> list[str]:
    """Every (kind, seller) whose rows or sum differ between the two sides, named."""
    seller_of = {merchant: seller for seller, merchant in merchants.items()}
    moved = {(kind, seller_of.get(m, -m)): v for (kind, m), v in commerce.items()}
    wrong = []
    for key in sorted(set(social) | set(moved)):
        if social.get(key) != moved.get(key):
            wrong.append(f"{key[0]} of seller {key[1]}: social {social.get(key)}, "
                         f"commerce {moved.get(key)}")  # fmt: skip
    return wrong


def verify(urls: dict[str, str], merchants: dict[int, int]) -> tuple[int, float, list[str]]:
    """Rows covered (counted on social's side), seconds, and the differences found (none
    expected: the bench fails on any)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        social_read = pool.submit(_read, urls["social"], SOCIAL)
        commerce_read = pool.submit(_read, urls["commerce"], COMMERCE)
        social, commerce = social_read.result(), commerce_read.result()
    wrong = differences(social, commerce, merchants)
    seconds = time.perf_counter() - started
    # Rows verified: the kinds the copy wrote (buyers counted per seller, as the engine does).
    rows = sum(n for (kind, _), (n, _) in social.items() if kind != "refunded")
    return rows, seconds, wrong


def as_figures(rows: Any) -> Figures:
    """(kind, owner, rows, sum) rows as Figures (tests build both sides this way)."""
    return {(str(k), int(o)): (int(n), int(t or 0)) for k, o, n, t in rows}
