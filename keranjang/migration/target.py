"""Writing commerce's tables in bulk for one merchant: ids reserved from commerce's own
sequences, rows inserted with those ids (COPY on PostgreSQL, executemany on SQLite) or, when
already there, brought up to date. Every function takes the caller's connection (one commerce
transaction per batch).

Ids: on PostgreSQL a block of `nextval` of the table's own sequence: nobody else can ever be
handed those ids, so the journal can record them before the rows exist. SQLite has no sequence
(a new row takes the largest id + 1): ids are reserved above the largest id there and above
every id the journal has handed out (an id mapped before a crash is not written yet, and must
not be handed out again); an id reserved there can still be taken by commerce's own insert
before ours lands; `write` notices (the row there is not ours: its `owner` column says
so) and answers those ids, for the caller to reserve again.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.infra.bulk import among, chunks, insert_rows, next_ids, one_of, postgresql

Values = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """A kind of row the engine writes: its id-map name, commerce's table, and the column that
    tells a row is the one the engine meant (ids reserved on SQLite can be taken meanwhile)."""

    name: str
    table: Table
    owner: str


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


KINDS = {
    k.name: k
    for k in (
        Kind("product", _t(catalog_db.ProductRow), "merchant_id"),
        Kind("order", _t(order_db.OrderRow), "number"),
        # A creator's line of the app: its own attribution, mapped by the legacy line's id.
        Kind("attribution", _t(attribution_db.AttributionRow), "jti"),
        Kind("line", _t(order_db.OrderLineRow), "order_id"),
        Kind("hold", _t(order_db.StockHoldRow), "order_id"),
        Kind("event", _t(order_db.OrderEventRow), "order_id"),
        Kind("payment", _t(money_db.PaymentRow), "order_id"),
        Kind("refund", _t(money_db.RefundRow), "refund_key"),
    )
}


def reserve(c: Connection, table: Table, n: int, above: int = 0) -> list[int]:
    """`n` fresh ids for `table`, in increasing order. On SQLite they are chosen above the
    table's largest id and above `above` (the highest id the journal has handed out for the
    table: rows mapped but not written yet, after a crash or a batch retried, hold theirs)."""
    if n <= 0:
        return []
    if postgresql(c):
        return next_ids(c, table, n)
    top = max(int(c.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0), above)
    return list(range(top + 1, top + 1 + n))


def present(c: Connection, kind: Kind, ids: Iterable[int]) -> dict[int, Any]:
    """Of `ids`, those commerce holds, with their owner column's value."""
    found, owner = {}, kind.table.c[kind.owner]
    for chunk in chunks(c, ids):
        query = select(kind.table.c.id, owner).where(among(c, kind.table.c.id, chunk))
        found.update({int(i): v for i, v in c.execute(query)})
    return found


def attributions_of_lines(c: Connection, ids: Iterable[int]) -> dict[int, int]:
    """line id -> its attribution, of these order lines commerce holds that a creator brought."""
    ol, found = order_db.OrderLineRow, {}
    for chunk in chunks(c, ids):
        query = select(ol.id, ol.attribution_id).where(
            among(c, ol.id, chunk), ol.attribution_id.is_not(None)
        )
        found.update({int(i): int(a or 0) for i, a in c.execute(query)})
    return found


def write(
    c: Connection, kind: Kind, rows: Sequence[Values], new: frozenset[int] = frozenset()
) -> list[int]:
    """Insert the rows (each with its reserved `id`) commerce lacks, update those it holds; the
    ids held by a row that is not ours (SQLite, taken meanwhile) are answered, nothing written
    for them. `new`: ids reserved just now, which no row can hold yet (not looked up)."""
    there = present(c, kind, (r["id"] for r in rows if r["id"] not in new))
    stolen = [r["id"] for r in rows if r["id"] in there and there[r["id"]] != r[kind.owner]]
    fresh = [r for r in rows if r["id"] not in there]
    known = [r for r in rows if r["id"] in there and r["id"] not in stolen]
    bulk_insert(c, kind.table, fresh)
    bulk_update(c, kind.table, known)
    return stolen


def bulk_insert(c: Connection, table: Table, rows: Sequence[Values]) -> None:
    insert_rows(c, table, list(rows))


def bulk_update(c: Connection, table: Table, rows: Sequence[Values]) -> None:
    if not rows:
        return
    columns = [k for k in rows[0] if k != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({k: bindparam(f"_{k}") for k in columns})
    )
    c.execute(statement, [{f"_{k}": v for k, v in r.items()} for r in rows])


def delete(c: Connection, kind: Kind, ids: Iterable[int]) -> None:
    wanted = sorted(set(ids))
    if wanted:
        c.execute(kind.table.delete().where(one_of(kind.table.c.id, wanted)))


def insert_ignoring(c: Connection, table: Table, rows: Sequence[Values]) -> None:
    """Insert, leaving out rows whose unique key is taken (a buyer opened meanwhile).
    On PostgreSQL one statement whatever the number of rows: each column one array parameter,
    `INSERT … SELECT unnest(…), … ON CONFLICT DO NOTHING` (a statement of constant text, which
    psycopg parses once; multi-row INSERT pages were parsed again on every page). On SQLite,
    RETURNING makes SQLAlchemy send the rows as multi-row INSERTs ("insertmanyvalues")."""
    if not rows:
        return
    if not postgresql(c):
        c.execute(sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id), rows).all()
        return
    columns = list(rows[0])
    arrays = [
        func.unnest(bindparam(f"_{k}", [r[k] for r in rows], type_=ARRAY(table.c[k].type)))
        for k in columns
    ]
    c.execute(
        postgresql_insert(table).from_select(columns, select(*arrays)).on_conflict_do_nothing()
    )


# -- buyers -----------------------------------------------------------------------------------


def buyers_by_email(c: Connection, emails: Iterable[str]) -> dict[str, int]:
    b = buying_db.BuyerRow
    found = {}
    for chunk in chunks(c, emails):
        query = select(b.email, b.id).where(among(c, b.email, chunk))
        found.update({str(e): int(i) for e, i in c.execute(query)})
    return found


def open_buyers(c: Connection, buyers: Sequence[Values]) -> dict[str, int]:
    """The accounts of these buyers' emails: existing ones kept as they are (claimed or not,
    made for another merchant's move or not), the others opened unclaimed."""
    insert_ignoring(c, _t(buying_db.BuyerRow), buyers)
    return buyers_by_email(c, (b["email"] for b in buyers))


def add_addresses(c: Connection, addresses: Sequence[Values]) -> int:
    """Save the addresses a buyer does not have yet (the same address is not saved twice, so a
    buyer moved with two merchants keeps one copy)."""
    a = buying_db.AddressRow
    keys = ("buyer_id", "label", "recipient", "phone", "street", "city", "postal_code")
    have: set[tuple[Any, ...]] = set()
    for chunk in chunks(c, (x["buyer_id"] for x in addresses)):
        query = select(*(a.__table__.c[k] for k in keys)).where(among(c, a.buyer_id, chunk))
        have.update(tuple(r) for r in c.execute(query))
    fresh = []
    for x in addresses:
        key = tuple(x[k] for k in keys)
        if key not in have:
            have.add(key)
            fresh.append(x)
    bulk_insert(c, _t(a), fresh)
    return len(fresh)


# -- the merchant -----------------------------------------------------------------------------


def merchant_with_hash(c: Connection, hashes: Iterable[str]) -> int | None:
    m = catalog_db.MerchantRow
    return c.scalar(select(m.id).where(one_of(m.token_hash, list(hashes))))


def merchants_with_hashes(c: Connection, hashes: Iterable[str]) -> dict[str, int]:
    """token hash -> merchant id, of those hashes commerce's merchants carry."""
    m = catalog_db.MerchantRow
    query = select(m.token_hash, m.id).where(one_of(m.token_hash, sorted(set(hashes))))
    return {str(h): int(i) for h, i in c.execute(query)}


def slugs_near(c: Connection, slugs: Iterable[str]) -> set[str]:
    """The shop addresses taken among these, and those `mapping.free_slug` would try instead
    of a taken one (`<slug>-moved…`). The slugs are looked up whole, through the unique index;
    only the few taken are looked up by prefix. (A batch's 500 prefixes as one `LIKE … OR …`
    scanned every merchant for each: about 45 ms a batch at 10,000 merchants, growing with
    commerce.)"""
    m = catalog_db.MerchantRow
    taken: set[str] = set()
    for chunk in chunks(c, slugs):
        taken |= set(c.scalars(select(m.slug).where(among(c, m.slug, chunk))))
    prefixes = sorted({f"{s[:40]}-moved" for s in taken})
    if prefixes:
        near = or_(*(m.slug.startswith(p, autoescape=True) for p in prefixes))
        taken |= set(c.scalars(select(m.slug).where(near)))
    return taken


def open_merchants(c: Connection, merchants: Sequence[tuple[Values, Values | None]]) -> list[int]:
    """Open the merchants (each with its application, if any) in one statement each: their
    ids, in order."""
    m = _t(catalog_db.MerchantRow)
    statement = insert(m).returning(m.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in c.execute(statement, [v for v, _ in merchants]).scalars()]
    applications = [
        a | {"merchant_id": i} for i, (_, a) in zip(ids, merchants, strict=True) if a is not None
    ]
    if applications:
        c.execute(insert(_t(catalog_db.MerchantApplicationRow)), applications)
    return ids


def put_payout_account(c: Connection, account: Values) -> None:
    put_payout_accounts(c, [account])


def put_payout_accounts(c: Connection, accounts: Sequence[Values]) -> None:
    """Each merchant's payout account, replacing the one it had."""
    if not accounts:
        return
    a = _t(money_db.PayoutAccountRow)
    c.execute(a.delete().where(one_of(a.c.merchant_id, [x["merchant_id"] for x in accounts])))
    c.execute(insert(a), list(accounts))


def not_selling(c: Connection, merchant_ids: Iterable[int]) -> None:
    m = _t(catalog_db.MerchantRow)
    for chunk in chunks(c, merchant_ids):
        c.execute(update(m).where(among(c, m.c.id, chunk)).values(selling=False))


def update_merchant(c: Connection, merchant_id: int, values: Values) -> None:
    m = _t(catalog_db.MerchantRow)
    c.execute(update(m).where(m.c.id == merchant_id).values(values))
