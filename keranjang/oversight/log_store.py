"""The audit log in oversight's database: entries appended under a lock (one writer at a time,
so indexes never collide), checkpoints signed over the whole tree, and what proofs and tiles
are computed from (`auditlog` does the hashing and the proofs)."""

import json
import zlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from keranjang.oversight.auditlog.checkpoint import Checkpoint, sign
from keranjang.oversight.auditlog.merkle import leaf_hash, root
from keranjang.oversight.db import CheckpointRow, LogEntryRow

LOCK_KEY = zlib.crc32(b"keranjang.oversight.log")


@dataclass(frozen=True)
class LogKey:
    """The log's name (its checkpoints' origin and key name) and its Ed25519 signing key."""

    origin: str
    key: Ed25519PrivateKey


def canonical(document: object) -> bytes:
    """The one byte form of a JSON document: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def lock(session: Session) -> None:
    """Hold the log for this transaction (PostgreSQL; SQLite lets one writer in anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def size(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LogEntryRow)) or 0)


def append(
    session: Session, kind: str, leaf: bytes, at: datetime, source_id: int | None = None
) -> int:
    """Append one entry (call under `lock`); its index."""
    index = size(session)
    row = LogEntryRow(
        index=index, kind=kind, leaf=leaf, leaf_hash=leaf_hash(leaf), source_id=source_id, at=at
    )
    session.add(row)
    session.flush()
    return index


def leaf_hashes(session: Session, upto: int | None = None) -> list[bytes]:
    query = select(LogEntryRow.leaf_hash).order_by(LogEntryRow.index)
    if upto is not None:
        query = query.where(LogEntryRow.index < upto)
    return [bytes(h) for h in session.scalars(query)]


def entries(session: Session, start: int, stop: int) -> list[bytes]:
    query = (
        select(LogEntryRow.leaf)
        .where(LogEntryRow.index >= start, LogEntryRow.index < stop)
        .order_by(LogEntryRow.index)
    )
    return [bytes(e) for e in session.scalars(query)]


def last_event_id(session: Session) -> int:
    query = select(func.max(LogEntryRow.source_id)).where(
        LogEntryRow.kind.in_(("migration_event", "operator_action"))
    )
    return int(session.scalar(query) or 0)


def sign_checkpoint(
    session: Session, origin: str, key: Ed25519PrivateKey, at: datetime
) -> CheckpointRow:
    """A signed checkpoint of the whole log as it stands in this transaction."""
    hashes = leaf_hashes(session)
    head = Checkpoint(origin, len(hashes), root(hashes))
    row = CheckpointRow(size=head.size, root=head.root, note=sign(head, origin, key), at=at)
    session.add(row)
    session.flush()
    return row


def latest_checkpoint(session: Session) -> CheckpointRow | None:
    return session.scalars(select(CheckpointRow).order_by(CheckpointRow.id.desc()).limit(1)).first()
