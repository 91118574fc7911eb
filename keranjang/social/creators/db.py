"""Creators' sign-in: their password and page sessions, in social's database and schema history.
A creator's own credentials, kept apart from promotion's tables (which hold nothing of a
person to sign in with)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from keranjang.infra.types import UtcDateTime
from keranjang.social.db import Base, ContentRow, CreatorRow


class CreatorCredentialRow(Base):
    """A creator's password for their pages (argon2id); no row: none set yet."""

    __tablename__ = "creator_credentials"
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreatorSessionRow(Base):
    """A creator's page session: only the token's digest is kept."""

    __tablename__ = "creator_sessions"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


_c, _s = CreatorRow, CreatorSessionRow
# Every signed-in page: one narrow query, built once.
SESSION_CREATOR = (
    select(_c.id, _c.handle, _c.display_name, _c.ecommerce_permitted, _s.expires_at)
    .join(_s, _s.creator_id == _c.id)
    .where(_s.token_digest == bindparam("digest"))
)


def password_of(session: Session, handle: str) -> tuple[int, str] | None:
    """The creator id and password hash for a handle; None without a creator or a password."""
    row = session.execute(
        select(CreatorCredentialRow.creator_id, CreatorCredentialRow.password_hash)
        .join(CreatorRow, CreatorRow.id == CreatorCredentialRow.creator_id)
        .where(CreatorRow.handle == handle)
    ).first()
    return None if row is None else (row[0], row[1])


def set_password(session: Session, creator_id: int, password_hash: str, at: datetime) -> None:
    row = session.get(CreatorCredentialRow, creator_id) or CreatorCredentialRow(
        creator_id=creator_id
    )
    row.password_hash = password_hash
    row.changed_at = at
    session.add(row)


def content_of(session: Session, creator_id: int, limit: int) -> list[ContentRow]:
    query = (
        select(ContentRow)
        .where(ContentRow.creator_id == creator_id)
        .order_by(ContentRow.created_at.desc(), ContentRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query).unique())
