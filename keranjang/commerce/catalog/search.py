"""Browsing and searching the catalog: one query for the storefront, category pages and search.

Words are matched against each product's search document (title and description, a generated
column: `db.SearchDocument`) or its shop's name; every word must match (a word matches as a
prefix: "bati" finds "batik"). The database decides how: PostgreSQL full-text (`@@` on the GIN
indexed vector, ranked by `ts_rank`), SQLite `LIKE` on the lower-cased text (ranked by how many
words are in the title). Results come a page at a time with the total, sorted by relevance,
price either way or newest; ties by id, so pages never overlap."""

import enum
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from keranjang.commerce.catalog.db import MerchantRow, ProductRow
from keranjang.commerce.errors import Invalid

MAX_QUERY = 100
MAX_WORDS = 8
MAX_PAGE = 1_000
PER_PAGE = 24
WORD = re.compile(r"\w+")
Matching = tuple[ColumnElement[bool], ColumnElement[Any]]  # which products, and how relevant


class Sort(enum.StrEnum):
    RELEVANCE = "relevan"
    PRICE_UP = "termurah"
    PRICE_DOWN = "termahal"
    NEWEST = "terbaru"


@dataclass(frozen=True)
class Browse:
    """What a shopper asked to see: words, a category, an order and a page (from 1)."""

    query: str = ""
    category: str | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    per_page: int = PER_PAGE
    merchant_id: int | None = None  # one shop's products only

    @property
    def words(self) -> list[str]:
        return WORD.findall(self.query.lower())[:MAX_WORDS]


@dataclass(frozen=True)
class Found:
    rows: list[ProductRow]
    total: int


def browse_of(query: str, category: str | None, sort: str, page: int) -> Browse:
    """A `Browse` from what a page or client sent, or `Invalid` saying what to fix."""
    if len(query) > MAX_QUERY:
        raise Invalid(
            f"the search words are too long: at most {MAX_QUERY} characters",
            code="query_too_long",
            params={"max": MAX_QUERY},
        )
    try:
        order = Sort(sort or Sort.RELEVANCE)
    except ValueError:
        choices = ", ".join(s.value for s in Sort)
        raise Invalid(
            f"unknown sort {sort!r}; choose one of: {choices}",
            code="unknown_sort",
            params={"sort": sort, "choices": choices},
        ) from None
    if not 1 <= page <= MAX_PAGE:
        raise Invalid(
            f"page must be from 1 to {MAX_PAGE}", code="page_range", params={"max": MAX_PAGE}
        )
    return Browse(query.strip(), category or None, order, page)


def search(session: Session, asked: Browse) -> Found:
    p, m = ProductRow, MerchantRow
    words = asked.words
    matching, relevance = _matching(session, words) if words else (None, literal(0))
    query = select(p).join(m, p.merchant_id == m.id).where(m.selling)  # not a moving shop's
    if matching is not None:
        query = query.where(matching)
    if asked.category is not None:
        query = query.where(p.category == asked.category)
    if asked.merchant_id is not None:
        query = query.where(p.merchant_id == asked.merchant_id)
    count = select(func.count()).select_from(query.with_only_columns(p.id).subquery())
    total = session.scalar(count) or 0
    ordered = query.order_by(*_order(asked.sort, relevance, bool(words)), p.id.desc())
    offset = (asked.page - 1) * asked.per_page
    rows = list(session.scalars(ordered.offset(offset).limit(asked.per_page)))
    return Found(rows, total)


def categories(session: Session) -> list[str]:
    return list(session.scalars(select(ProductRow.category).distinct().order_by("category")))


def _matching(session: Session, words: list[str]) -> Matching:
    if session.get_bind().dialect.name == "postgresql":
        return _full_text(session, words)
    return _like(words)


def _full_text(session: Session, words: list[str]) -> Matching:
    # Words are \w+ only, so nothing in them is tsquery syntax; each matches as a prefix.
    asked = func.to_tsquery("simple", " & ".join(f"{w}:*" for w in words))
    document = ProductRow.search_document
    in_text = document.op("@@")(asked)
    # Shops whose name matches, found first (there are few), so the products' condition is two
    # indexed ones the planner ORs as bitmaps: the GIN index and the merchant's.
    named = func.to_tsvector("simple", MerchantRow.name).op("@@")(asked)
    shops = list(session.scalars(select(MerchantRow.id).where(named)))
    matching = or_(in_text, ProductRow.merchant_id.in_(shops)) if shops else in_text
    return matching, func.ts_rank(document, asked)


def _like(words: list[str]) -> Matching:
    def contains(column: Any, word: str) -> ColumnElement[bool]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(f"%{escaped}%", escape="\\")

    document, shop = ProductRow.search_document, func.lower(MerchantRow.name)
    matching = or_(
        and_(*(contains(document, w) for w in words)), and_(*(contains(shop, w) for w in words))
    )
    title = func.lower(ProductRow.title)
    in_title = sum((case((contains(title, w), 1), else_=0) for w in words), literal(0))
    return matching, in_title


def _order(sort: Sort, relevance: ColumnElement[Any], searching: bool) -> list[ColumnElement[Any]]:
    if sort is Sort.PRICE_UP:
        return [ProductRow.price_idr.asc()]
    if sort is Sort.PRICE_DOWN:
        return [ProductRow.price_idr.desc()]
    if sort is Sort.RELEVANCE and searching:
        return [relevance.desc(), ProductRow.created_at.desc()]
    return [ProductRow.created_at.desc()]
