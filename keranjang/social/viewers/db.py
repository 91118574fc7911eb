"""Viewers' tables, in social's database and schema history."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, bindparam, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from keranjang.infra.types import Id, UtcDateTime
from keranjang.social.db import Base
from keranjang.social.viewers import domain


class ViewerRow(Base):
    __tablename__ = "viewers"
    # Buyers are looked up by email whatever its case (the migration's way back).
    __table_args__ = (Index("ix_viewers_email_lower", func.lower(text("email"))),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # None: unclaimed (a buyer brought back by a merchant's rollback): no log-in until it sets one.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def to_domain(self) -> domain.Viewer:
        return domain.Viewer(self.id, self.email, self.name)


class ViewerTokenRow(Base):
    """A viewer's session (API bearer token or page cookie): only the token's digest is kept."""

    __tablename__ = "viewer_tokens"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


_v, _t = ViewerRow, ViewerTokenRow
# The hot path of every signed-in request: one narrow query, built once.
SESSION_VIEWER = (
    select(_v.id, _v.email, _v.name, _t.expires_at)
    .join(_t, _t.viewer_id == _v.id)
    .where(_t.token_digest == bindparam("digest"))
)


class ViewerSettingRow(Base):
    """A viewer's personalisation choice; no row: on (the default)."""

    __tablename__ = "viewer_settings"
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), primary_key=True)
    personalised: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ViewerWatchRow(Base):
    """A creator's content a signed-in viewer opened while personalisation was on: the only
    signal the feed's order may use. Deleted when the viewer turns personalisation off."""

    __tablename__ = "viewer_watches"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
