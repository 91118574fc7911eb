"""The journal's tables, in the migration's own database: one row per merchant's move (its
phase, where its copy stands, who holds it), the id map between the two systems (deleted with
the merchant's purge: nothing links a commerce buyer to a social viewer after it), an append-only
event log the regulator's audit log observes, and progress snapshots kept for the regulator."""

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.sql.elements import BindParameter

from keranjang.infra.bulk import among, chunks, insert_rows, one_of
from keranjang.infra.types import Id, UtcDateTime
from keranjang.migration.errors import NotFound

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


# The phases a run claims moves in (`claims.CLAIMABLE`), written out: the claim's query names
# them as literals, so PostgreSQL matches it to the partial index below in every plan (a bound
# parameter proves nothing about a generic plan).
READY_PHASES = ("planned", "bound", "copying", "catching_up", "cut_over")
READY_SQL = "phase IN ({})".format(", ".join(f"'{p}'" for p in READY_PHASES))


class MoveRow(Base):
    """A legacy seller's move into commerce. Every phase writes here before it is done, so a
    worker that dies resumes where the journal says (idempotent phases)."""

    __tablename__ = "moves"
    __table_args__ = (
        Index("ix_moves_phase_rank", "phase", "rank"),
        # The moves still to claim in the plan's order: the claim walks it from the front.
        Index(
            "ix_moves_claimable",
            "rank",
            postgresql_where=text(READY_SQL),
            sqlite_where=text(READY_SQL),
        ),
    )
    seller_id: Mapped[int] = mapped_column(Id, primary_key=True)  # legacy_sellers.id
    rank: Mapped[int] = mapped_column(Integer)  # the plan's order (largest sales first)
    phase: Mapped[str] = mapped_column(String(20))
    commerce_merchant_id: Mapped[int | None] = mapped_column(BigInteger)
    # The seller's confirmation, or the operator who forced the move and why.
    confirmed_by: Mapped[str | None] = mapped_column(String(60))
    forced_reason: Mapped[str | None] = mapped_column(String(500))
    # Copy position: per legacy table, the last key copied (JSON); change-log cursor.
    position: Mapped[str] = mapped_column(Text, default="{}")
    change_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Who holds the move now; a lease not renewed lapses and another worker takes it over.
    worker: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    # The figures progress is computed from.
    sales_idr: Mapped[int] = mapped_column(BigInteger, default=0)  # legacy sales, for the plan
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_copied: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_verified: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_purged: Mapped[int] = mapped_column(BigInteger, default=0)
    pause_ms: Mapped[int | None] = mapped_column(Integer)
    # Cutovers abandoned in a row with this merchant alone under the fence (predicted, or
    # found in the pause, over the budget), the last pause expected and the budget it missed;
    # `left_at`: when a run stopped trying and left the move for an operator (`claims`).
    abandons: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    predicted_pause_ms: Mapped[int | None] = mapped_column(Integer)
    abandoned_budget_ms: Mapped[int | None] = mapped_column(Integer)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Times a batch cut at the fence left it for the next round since its last cutover (the
    # journal says so the first time and every `cutting.LEFT_BEHIND_EVENT_EVERY`th).
    left_behind: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cutover_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purge_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


def ready_to_claim() -> Any:
    """`phase` one of `READY_PHASES`, written as literals (see `ix_moves_claimable`)."""
    phases: BindParameter[list[str]] = bindparam(
        "ready_phases", list(READY_PHASES), expanding=True, literal_execute=True
    )
    return MoveRow.phase.in_(phases)


class IdMapRow(Base):
    """One legacy row's counterpart in commerce (`kind`: product, order, buyer, payment…)."""

    __tablename__ = "id_map"
    __table_args__ = (
        PrimaryKeyConstraint("kind", "legacy_id", name="pk_id_map"),
        Index("ix_id_map_seller_kind", "seller_id", "kind"),
    )
    # Keyed by the legacy row (no surrogate id: the copy's largest write, a sequence and an
    # index a row for nothing; journal revision 0005).
    kind: Mapped[str] = mapped_column(String(30))
    legacy_id: Mapped[int] = mapped_column(BigInteger)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    commerce_id: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """What happened to a move, append-only: every phase entered, every operator action (with
    who and why), every verification result; of the cutovers abandoned, each one abandoned
    inside the pause and the first of a row predicted over budget (the move counts the rest),
    and a move left for the operator."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger, index=True)
    phase: Mapped[str] = mapped_column(String(20))
    what: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SnapshotRow(Base):
    """Progress at a moment, per category and overall (basis points of 100%), with throughput."""

    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    payment_bp: Mapped[int] = mapped_column(Integer)
    data_bp: Mapped[int] = mapped_column(Integer)
    operations_bp: Mapped[int] = mapped_column(Integer)
    overall_bp: Mapped[int] = mapped_column(Integer)
    merchants_moved: Mapped[int] = mapped_column(Integer)
    merchants_total: Mapped[int] = mapped_column(Integer)
    rows_per_second: Mapped[float] = mapped_column(Float)
    eta: Mapped[datetime | None] = mapped_column(UtcDateTime)


# -- the journal's statements -----------------------------------------------------------------
# Every phase writes here before it counts; every read of the id map goes through these.


def moves_for_update(s: Session, seller_ids: Iterable[int]) -> list[MoveRow]:
    """The moves of a batch, locked in seller order (two workers never lock them crosswise)."""
    wanted = sorted(set(seller_ids))
    query = select(MoveRow).where(one_of(MoveRow.seller_id, wanted)).order_by(MoveRow.seller_id)
    rows = list(s.scalars(query.with_for_update()))
    if len(rows) != len(wanted):
        missing = sorted(set(wanted) - {r.seller_id for r in rows})
        raise NotFound(f"sellers {missing} are not in the plan; plan first")
    return rows


def move_for_update(s: Session, seller_id: int) -> MoveRow:
    row = s.scalar(select(MoveRow).where(MoveRow.seller_id == seller_id).with_for_update())
    if row is None:
        raise NotFound(f"seller {seller_id} is not in the plan; plan first")
    return row


def add_event(s: Session, move: MoveRow, what: str, detail: dict[str, Any], actor: str) -> None:
    s.add(
        EventRow(
            seller_id=move.seller_id,
            phase=move.phase,
            what=what[:60],
            detail=json.dumps(detail, default=str),
            actor=actor[:80],
            at=move.updated_at,
        )
    )


def position(move: MoveRow) -> dict[str, Any]:
    return position_of(move.position)


def position_of(text: str | None) -> dict[str, Any]:
    """A move's position, from its column as read."""
    found = json.loads(text or "{}")
    return found if isinstance(found, dict) else {}


def set_position(move: MoveRow, **changes: Any) -> None:
    move.position = json.dumps(position(move) | changes, sort_keys=True)


def mapped(s: Session, kind: str, legacy_ids: Iterable[int]) -> dict[int, int]:
    """legacy id -> commerce id, for those of `legacy_ids` the map holds."""
    found: dict[int, int] = {}
    for chunk in chunks(s, legacy_ids):
        query = select(IdMapRow.legacy_id, IdMapRow.commerce_id).where(
            IdMapRow.kind == kind, among(s, IdMapRow.legacy_id, chunk)
        )
        found.update({int(a): int(b) for a, b in s.execute(query)})
    return found


def map_ids(
    s: Session,
    seller_id: int | Mapping[int, int],
    kind: str,
    pairs: dict[int, int],
    *,
    known: dict[int, int] | None = None,
) -> None:
    """Record (or, for ids taken meanwhile on SQLite, correct) legacy id -> commerce id, under
    the seller whose row it is (`seller_id`: one seller, or legacy id -> seller for a batch).
    `known`: what the map holds of these legacy ids, if the caller has just read it."""
    if not pairs:
        return
    owner = (lambda _: seller_id) if isinstance(seller_id, int) else seller_id.__getitem__
    if known is None:
        known = mapped(s, kind, pairs)
    fresh = [
        {"seller_id": owner(a), "kind": kind, "legacy_id": a, "commerce_id": b}
        for a, b in pairs.items()
        if a not in known
    ]
    insert_rows(s.connection(), IdMapRow.__table__, fresh)  # type: ignore[arg-type]
    for legacy_id, commerce_id in pairs.items():
        if legacy_id in known and known[legacy_id] != commerce_id:
            s.execute(
                update(IdMapRow)
                .where(IdMapRow.kind == kind, IdMapRow.legacy_id == legacy_id)
                .values(commerce_id=commerce_id)
            )


def highest(s: Session, kind: str) -> int:
    """The highest commerce id the map gives a row of `kind` (any seller's), 0 if none: ids
    reserved on SQLite are chosen above it, since a mapped row may not be written yet."""
    query = select(func.max(IdMapRow.commerce_id)).where(IdMapRow.kind == kind)
    return int(s.scalar(query) or 0)


def pairs_of(s: Session, sellers: Sequence[int], kind: str) -> dict[int, int]:
    """legacy id -> commerce id, of the sellers' rows of `kind`."""
    query = select(IdMapRow.legacy_id, IdMapRow.commerce_id).where(
        among(s, IdMapRow.seller_id, list(sellers)), IdMapRow.kind == kind
    )
    return {int(a): int(b) for a, b in s.execute(query)}


def reverse(s: Session, seller_id: int | Sequence[int], kind: str) -> dict[int, int]:
    """commerce id -> legacy id, for the seller's (or the sellers') rows of `kind`."""
    sellers = [seller_id] if isinstance(seller_id, int) else list(seller_id)
    return {b: a for a, b in pairs_of(s, sellers, kind).items()}


def rounds(s: Session, seller_ids: Sequence[int]) -> dict[int, int]:
    """Each seller's move in order: 1, and one more after each rollback (a move's opening
    entries in commerce are named by it; the rollback's closing ones count the same way)."""
    query = (
        select(EventRow.seller_id, func.count())
        .where(one_of(EventRow.seller_id, list(seller_ids)), EventRow.what == "rolled_back")
        .group_by(EventRow.seller_id)
    )
    back = {int(seller): int(n) for seller, n in s.execute(query)}
    return {seller: back.get(seller, 0) + 1 for seller in seller_ids}
