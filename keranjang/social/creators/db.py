"""Creators' page sessions, in social's database and schema history (the password is a column
of the creators' table, `keranjang.social.db.CreatorRow`)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from keranjang.infra.types import UtcDateTime
from keranjang.social.db import Base, ContentRow, CreatorRow


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


def creator_by_handle(session: Session, handle: str) -> CreatorRow | None:
    return session.scalar(select(CreatorRow).where(CreatorRow.handle == handle))


def content_of(session: Session, creator_id: int, limit: int) -> list[ContentRow]:
    query = (
        select(ContentRow)
        .where(ContentRow.creator_id == creator_id)
        .order_by(ContentRow.created_at.desc(), ContentRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query).unique())
