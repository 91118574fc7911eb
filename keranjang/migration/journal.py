"""The journal's tables, in the migration's own database: one row per merchant's move (its
phase, where its copy stands, who holds it), the id map between the two systems (deleted with
the merchant's purge: nothing links a commerce buyer to a social viewer after it), an append-only
event log the regulator's audit log observes, and progress snapshots kept for the regulator."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from keranjang.infra.types import Id, UtcDateTime

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class MoveRow(Base):
    """A legacy seller's move into commerce. Every phase writes here before it is done, so a
    worker that dies resumes where the journal says (idempotent phases)."""

    __tablename__ = "moves"
    __table_args__ = (Index("ix_moves_phase_rank", "phase", "rank"),)
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
    cutover_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purge_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdMapRow(Base):
    """One legacy row's counterpart in commerce (`kind`: product, order, buyer, payment…)."""

    __tablename__ = "id_map"
    __table_args__ = (
        UniqueConstraint("kind", "legacy_id", name="uq_id_map_legacy"),
        Index("ix_id_map_seller", "seller_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seller_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30))
    legacy_id: Mapped[int] = mapped_column(BigInteger)
    commerce_id: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """What happened to a move, append-only: every phase entered, every cutover abandoned,
    every operator action (with who and why), every verification result."""

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
