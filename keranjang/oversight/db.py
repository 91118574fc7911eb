"""Oversight's own tables: results (append-only), the audit log's entries and its signed
checkpoints, the evaluations that wrote them, and the migration's progress as observed."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from keranjang.infra.types import Id, UtcDateTime

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    regime: Mapped[str] = mapped_column(String(60))
    trigger: Mapped[str] = mapped_column(String(20))  # periodic | on_demand
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    log_size: Mapped[int] = mapped_column(BigInteger)  # the checkpoint signed after it


class ResultRow(Base):
    """One rule's verdict on one subject, never updated: a new evaluation appends a new row."""

    __tablename__ = "results"
    __table_args__ = (Index("ix_results_rule_subject", "rule_id", "subject", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(BigInteger, index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    rule_version: Mapped[int] = mapped_column(Integer)
    regime: Mapped[str] = mapped_column(String(60))
    legal_basis: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(String(500))
    assessment: Mapped[str | None] = mapped_column(String(20))
    sanction: Mapped[str | None] = mapped_column(String(30))
    evidence: Mapped[str] = mapped_column(Text)  # JSON: findings and the evidence read
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    since: Mapped[datetime] = mapped_column(UtcDateTime)  # when the rule entered this status
    log_index: Mapped[int] = mapped_column(BigInteger, unique=True)


class LogEntryRow(Base):
    """The audit log, append-only: the entry's bytes as hashed into the Merkle tree."""

    __tablename__ = "log_entries"
    index: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))  # result | migration_event | operator_action
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    source_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # a migration event id
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class CheckpointRow(Base):
    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProgressRow(Base):
    """The migration's progress snapshots as the monitor read them (percent, two decimals)."""

    __tablename__ = "progress"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, unique=True)
    payment: Mapped[float] = mapped_column()
    data: Mapped[float] = mapped_column()
    merchant_operations: Mapped[float] = mapped_column()
    overall: Mapped[float] = mapped_column()
    eta: Mapped[datetime | None] = mapped_column(UtcDateTime)
