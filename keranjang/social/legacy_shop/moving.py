"""What the legacy shop keeps for a seller's move to commerce: the seller's consent, the fence the
migration raises for the cutover's short pause, and the guard every legacy write of a seller goes
through in its own transaction (checkout, payments and their news, seller tools, refunds, cart
additions, the shop's jobs).

The guard refuses a write while the seller is fenced (`SellerFenced`: 503, retry in a second)
or once it is routed to commerce (`SellerMoved`: 409, the shop app serves it now).

How the check cannot race the fence:

- PostgreSQL: the guard first takes the seller's row in the routing table (`merchant_routes`)
  `FOR SHARE`, then reads the fence in a later statement. The migration raises the fence in a
  transaction that takes the same route row `FOR UPDATE` and inserts the `legacy_fences` row.
  `FOR UPDATE` waits until every writer holding the row `FOR SHARE` has committed, so a write in
  flight finishes (and its change-log rows are committed) before the fence holds; a writer that
  comes later waits for the fence's commit, and its next statement (READ COMMITTED takes a new
  snapshot per statement) sees the fence, or the flipped route, and is refused. A fence row
  alone could not do this: `FOR SHARE` on a row that does not exist yet locks nothing.
- SQLite: one writer at a time. The driver opens a transaction only at the first write, so the
  guard opens it itself (`BEGIN IMMEDIATE`) when none is open: the fence is then read under the
  database's write lock, and the migration's fence cannot commit between the check and the write.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.infra.types import Id, UtcDateTime
from keranjang.social import db as promotion
from keranjang.social.db import Base
from keranjang.social.domain import Route
from keranjang.social.legacy_shop import db, domain


class FenceRow(Base):
    """A seller whose legacy writes are held back while the migration cuts it over (present:
    fenced). Written and deleted by the migration only."""

    __tablename__ = "legacy_fences"
    seller_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    fenced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200))


class MoveConsentRow(Base):
    """The seller's own confirmation, in the seller tools, that its shop may move to commerce."""

    __tablename__ = "legacy_move_consents"
    seller_id: Mapped[int] = mapped_column(
        ForeignKey("legacy_sellers.id"), primary_key=True, autoincrement=False
    )
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime)


def check_open(s: Session, seller_id: int, *, writing: bool = True) -> None:
    """Refuse a legacy write of this seller while it is fenced or once it is routed to commerce.
    Call it inside the write's own transaction (`writing`, the default: it takes the locks the
    module's docstring describes) and before the write's other locks; `writing=False` is a
    cheap early look, to refuse before asking the payment partner, and proves nothing."""
    if writing:
        _hold_sqlite_writer(s)
    query = select(promotion.MerchantRouteRow.route).where(
        promotion.MerchantRouteRow.legacy_seller_id == seller_id
    )
    route = s.scalar(query.with_for_update(read=True) if writing else query)
    fenced = s.scalar(select(FenceRow.seller_id).where(FenceRow.seller_id == seller_id))
    domain.check_open(seller_id, Route(route or Route.LEGACY), fenced is not None)


def _hold_sqlite_writer(s: Session) -> None:
    """Written by hand: pysqlite begins a transaction only before the first INSERT, UPDATE or
    DELETE, so reads before it see the database outside any transaction; an explicit
    `BEGIN IMMEDIATE` takes SQLite's write lock now, for the fence read and the write alike."""
    connection = s.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def seller_of_order(s: Session, order_id: int) -> int | None:
    return s.scalar(select(db.OrderRow.seller_id).where(db.OrderRow.id == order_id))


@dataclass(frozen=True)
class Consent:
    seller_id: int
    confirmed_at: datetime | None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class MovingService:
    """The seller's side of the move: confirming it, and reading the confirmation back."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def consent(self, seller_id: int) -> Consent:
        with self.sessions() as s:
            row = s.get(MoveConsentRow, seller_id)
            return Consent(seller_id, None if row is None else row.confirmed_at)

    def confirm(self, seller_id: int) -> Consent:
        """Record the seller's consent once; confirming again answers the first confirmation."""
        try:
            with transaction(self.sessions) as s:
                if s.get(MoveConsentRow, seller_id) is None:
                    s.add(MoveConsentRow(seller_id=seller_id, confirmed_at=self.clock.now()))
        except IntegrityError:
            pass  # confirmed concurrently: the first confirmation stands
        return self.consent(seller_id)
