"""TODO docstring."""

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import (
    Connection,
    ForeignKey,
    String,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from keranjang.commerce.attribution.domain import Attribution, Count, CreatorFigures
from keranjang.commerce.tables import Base
from keranjang.infra.types import Id, UtcDateTime


class AttributionRow(Base):
    """One redeemed hand-off. The unique `jti` makes every token single-use."""

    __tablename__ = "attributions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    creator_id: Mapped[int] = mapped_column(Id, index=True)
    # Empty for a line moved from the app, which knew only its creator (revision 0011).
    content_id: Mapped[int | None] = mapped_column(Id)
    pin_id: Mapped[int | None] = mapped_column(Id)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    campaign: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


def creator_figures(session: Session, creator_id: int) -> CreatorFigures:
    a = AttributionRow
    total, first, last = session.execute(
        select(func.count(), func.min(a.at), func.max(a.at)).where(a.creator_id == creator_id)
    ).one()

    def grouped(column: object) -> tuple[Count, ...]:
        rows = session.execute(
            select(column, func.count())  # type: ignore[call-overload]
            # Lines moved from the app have no content: counted in `handoffs`, not by content.
            .where(a.creator_id == creator_id, column.isnot(None))  # type: ignore[attr-defined]
            .group_by(column)
            .order_by(column)
        )
        return tuple(Count(key, n) for key, n in rows)

    return CreatorFigures(
        creator_id=creator_id,
        handoffs=total,
        by_content=grouped(a.content_id),
        by_product=grouped(a.product_id),
        first_at=first,
        last_at=last,
    )


_INSERT_ATTRIBUTION = insert(AttributionRow.__table__)  # type: ignore[arg-type]


def record_attribution(connection: Connection, a: Attribution) -> int:
    """One INSERT, returning the row id; the unique `jti` raises IntegrityError for a token
    already redeemed."""
    result = connection.execute(_INSERT_ATTRIBUTION, asdict(a))
    return int(result.inserted_primary_key[0])  # type: ignore[index]
