"""Payments taken by social itself, the very thing Pasal 21(3) forbids: social asks the payment
partner for each order's payment, receives the partner's notifications at its own URL, and
returns money through the partner. Built like the real thing, because it is what the migration
moves: notifications verified (signature, amount), handled once however often and in whatever
order they come (a unique dedupe key), a settlement confirmed with the partner's status before
an order is paid, and refunds asked again, with the same key, until the partner answers."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.counters import counter
from keranjang.infra.database import transaction
from keranjang.payments import (
    CreatedPayment,
    DuplicateOrder,
    NewPayment,
    NotificationRejected,
    PartnerRefused,
    PaymentError,
    PaymentEvent,
    PaymentMethod,
    PaymentPartner,
    PaymentStatus,
    RefundRequest,
    UnknownPayment,
)
from keranjang.social.legacy_shop import books, db, domain, ledger, moving, views
from keranjang.social.legacy_shop import paying_rows as rows
from keranjang.social.legacy_shop.domain import OrderStatus

# A partner counts a payment's life from its own clock: this much of the hold is kept back.
PARTNER_LEEWAY = timedelta(seconds=30)
ENDED = frozenset({PaymentStatus.EXPIRED, PaymentStatus.FAILED, PaymentStatus.CANCELLED})
# How far along a payment is: late news of an earlier stage never moves it back.
STAGE = {PaymentStatus.PENDING: 0, PaymentStatus.EXPIRED: 1, PaymentStatus.FAILED: 1,
         PaymentStatus.CANCELLED: 1, PaymentStatus.PAID: 2, PaymentStatus.PARTIALLY_REFUNDED: 3,
         PaymentStatus.REFUNDED: 4}  # fmt: skip
MOVED = "moved: the order is served by the shop app now"
NO_SUCH_ORDER, UNKNOWN_AT_PARTNER = "ignored: no such order", "ignored: the partner has no payment"
ANOMALIES = counter(
    "keranjang_payment_anomalies", "Verified payment news matching nothing", ["kind"]
)
log = structlog.get_logger(__name__)
CONFIRMING = frozenset(
    {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


class PayingService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, partner: PaymentPartner
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner

    # starting a payment ---------------------------------------------------------------------
    def start(
        self,
        viewer_id: int,
        order_id: int,
        method: PaymentMethod,
        *,
        finish_url: str | None = None,
    ) -> views.PaymentView:
        """The payment of the buyer's unpaid order; asking again answers the same payment while
        it can be paid. One the partner ended is replaced by a new attempt. The payment expires
        with the order's stock hold; `finish_url` is where the partner's pay page sends the buyer
        back (the order's page in the app)."""
        with self.sessions() as s:
            order = s.get(db.OrderRow, order_id)
            if order is None or order.viewer_id != viewer_id:
                raise domain.NotFound(f"no order {order_id} of yours", "no_order", id=order_id)
            seller_id = order.seller_id
            moving.check_open(s, seller_id, writing=False)  # before asking the partner
            latest = views.latest_payment(s, order_id)
            if order.status != OrderStatus.AWAITING_PAYMENT.value:
                if latest is not None and order.paid_by == domain.known_by(
                    latest.partner_order_id, latest.instructions
                ):
                    return views.payment_view(latest, order_id)
                raise domain.Conflict(f"order {order.number} is {order.status}: nothing to pay",
                                      "nothing_to_pay", number=order.number, status=order.status)  # fmt: skip
            if latest is not None and PaymentStatus(latest.status) not in ENDED:
                return views.payment_view(latest, order_id)
            attempt = 1 if latest is None else latest.attempt + 1
            number, total, hold = order.number, order.total_idr, order.hold_expires_at
        new = NewPayment(
            order_id=domain.partner_order_id(number, attempt),
            gross_amount=total,
            method=method,
            description=f"Pesanan {number}",
            finish_redirect_url=finish_url,
            expires_in=self._lifetime(number, hold),
        )
        return self._store((order_id, seller_id), attempt, self._create(new, number, attempt))

    def _lifetime(self, number: str, hold_expires_at: datetime) -> timedelta:
        minutes = (hold_expires_at - self.clock.now() - PARTNER_LEEWAY) // timedelta(minutes=1)
        if minutes < 1:
            raise domain.Conflict(f"order {number} is held too briefly now to be paid",
                                  "hold_too_short", number=number)  # fmt: skip
        return timedelta(minutes=minutes)

    def _create(self, new: NewPayment, number: str, attempt: int) -> CreatedPayment:
        """Ask the partner; an attempt it already holds (social stopped after asking and
        before storing) is skipped for the next one."""
        for tried in (attempt, attempt + 1):
            try:
                ask = replace(new, order_id=domain.partner_order_id(number, tried))
                return self.partner.create_payment(ask)
            except DuplicateOrder:
                continue
            except PartnerRefused as exc:
                raise domain.Conflict(f"the partner refused: {exc}", "partner_refused") from exc
            except PaymentError as exc:
                raise domain.PartnerDown(f"the payment partner is unreachable: {exc}") from exc
        raise domain.Conflict(f"order {number} already has payments at the partner; retry",
                              "payment_exists", number=number)  # fmt: skip

    def _store(
        self, order: tuple[int, int], attempt: int, created: CreatedPayment
    ) -> views.PaymentView:
        """Keep the payment the partner made for (order id, seller id); a seller fenced or
        moved meanwhile keeps it at the partner only (commerce's reconciliation finds it)."""
        order_id, seller_id = order
        _, tried = domain.order_number_and_attempt(created.order_id)
        how = {
            "redirect_url": created.redirect_url,
            "virtual_account": asdict(created.virtual_account) if created.virtual_account else None,
            "qris": created.qris,
            "expires_at": created.expires_at.isoformat(),
        }
        now = self.clock.now()
        row = db.PaymentRow(
            order_id=order_id,
            attempt=tried,
            partner_order_id=created.order_id,
            partner=self.partner.name,
            partner_transaction_id=created.partner_transaction_id,
            method=created.method.value,
            amount_idr=created.gross_amount,
            status=created.status.value,
            instructions=json.dumps(how),
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction(self.sessions) as s:
                moving.check_open(s, seller_id)
                s.add(row)
        except IntegrityError:  # stored meanwhile by a concurrent start, or by its news
            with self.sessions() as s:
                stored = s.scalar(
                    select(db.PaymentRow).where(db.PaymentRow.partner_order_id == created.order_id)
                )
                if stored is None:
                    raise
                return views.payment_view(stored, order_id)
        return views.payment_view(row, order_id)

    # the partner's news ---------------------------------------------------------------------
    def receive(self, headers: Mapping[str, str], body: bytes) -> str:
        """Handle one notification as received; returns what was done, in words."""
        try:
            event = self.partner.parse_notification(headers, body)
        except NotificationRejected as exc:
            raise domain.NotificationRefused(f"notification refused ({exc.reason}): {exc}") from exc
        return self.take(event)

    def take(self, event: PaymentEvent, *, confirmed: bool = False) -> str:
        """Apply the partner's view of a payment once (by its dedupe key), from a notification
        or (`confirmed`) from the partner's own status answer (`reconciling`)."""
        try:
            self._check_seller(event, writing=False)  # before asking the partner
            if event.is_paid and not confirmed and not self._confirm(event):
                return _anomaly("unknown_at_partner", event, UNKNOWN_AT_PARTNER)
            with transaction(self.sessions) as s:
                self._check_seller(event, s)
                if s.scalar(
                    select(db.PaymentNewsRow.id).where(
                        db.PaymentNewsRow.dedupe_key == event.dedupe_key
                    )
                ):
                    return "duplicate: already handled"
                outcome, refund_id = self._apply(s, event)
                s.add(rows.news_row(event, outcome, self.clock.now()))
        except domain.SellerMoved:
            return MOVED  # commerce's reconciliation finds the payment under the same id
        if refund_id is not None:
            self.ask_refunds([refund_id])
        return _anomaly("unknown_order", event, outcome) if outcome == NO_SUCH_ORDER else outcome

    def _check_seller(
        self, event: PaymentEvent, s: Session | None = None, *, writing: bool = True
    ) -> None:
        """News of a fenced seller's payment is refused for now (the partner sends it again);
        of a moved seller's, `SellerMoved`: it changes nothing here."""
        number, _ = domain.order_number_and_attempt(event.order_id)
        query = select(db.OrderRow.seller_id).where(db.OrderRow.number == number)
        if s is not None:
            seller_id = s.scalar(query)
            if seller_id is not None:
                moving.check_open(s, seller_id, writing=writing)
            return
        with self.sessions() as fresh:
            self._check_seller(event, fresh, writing=writing)

    def _confirm(self, event: PaymentEvent) -> bool:
        """A settlement is believed only once the partner's status API says so too; False when
        the partner says for certain it has no such payment (a final answer: nothing to do)."""
        try:
            current = self.partner.status(event.order_id)
        except UnknownPayment:
            return False
        except PartnerRefused as exc:
            raise domain.NotificationRefused(f"the partner does not know it: {exc}") from exc
        except PaymentError as exc:
            raise domain.PartnerDown(f"cannot confirm with the partner now: {exc}") from exc
        if current.status not in CONFIRMING or current.gross_amount != event.gross_amount:
            raise domain.NotificationRefused(
                f"the partner's status of {event.order_id} is {current.status.value} for "
                f"{current.gross_amount}: the notification is not confirmed"
            )
        return True

    def _apply(self, s: Session, event: PaymentEvent) -> tuple[str, int | None]:
        number, attempt = domain.order_number_and_attempt(event.order_id)
        order = s.scalar(select(db.OrderRow).where(db.OrderRow.number == number).with_for_update())
        if order is None:
            return NO_SUCH_ORDER, None
        payment = s.scalar(
            select(db.PaymentRow).where(db.PaymentRow.partner_order_id == event.order_id)
        )
        if payment is None:
            payment = rows.payment_from(
                event, order.id, attempt, self.partner.name, self.clock.now()
            )
            s.add(payment)
        elif STAGE[event.status] > STAGE.get(PaymentStatus(payment.status), 0):
            payment.status, payment.updated_at = event.status.value, self.clock.now()
        if not event.is_paid:
            return f"recorded: {event.status.value}", None
        if event.gross_amount != order.total_idr:
            return f"held: paid {event.gross_amount}, the order totals {order.total_idr}", None
        if order.status == OrderStatus.AWAITING_PAYMENT.value:
            return self._pay(s, order, event), None
        if order.paid_by == event.order_id:
            return f"noted: order is already {order.status}", None
        return self._stray(s, order, event)

    def _pay(self, s: Session, order: db.OrderRow, event: PaymentEvent) -> str:
        now = self.clock.now()
        actor = "partner:" + event.partner_transaction_id[:40]
        db.move_order(s, order, domain.Move(OrderStatus.PAID, actor, "", now))
        order.paid_by = event.order_id
        books.post(s, ledger.payment(order.id, order.seller_id, order.total_idr), now)
        return "order paid"

    def _stray(self, s: Session, order: db.OrderRow, event: PaymentEvent) -> tuple[str, int]:
        """A second payment, or one of an order that had ended: owed back, and refunded."""
        now = self.clock.now()
        books.post(s, ledger.stray_payment(order.id, event.order_id, event.gross_amount), now)
        reason = f"paid after the order was {order.status}: returned to the buyer"
        refund = rows.refund_row(order.id, event.order_id, event.gross_amount, reason, now)
        refund.kind = "stray"
        s.add(refund)
        s.flush()
        return f"stray: order is already {order.status}; the payment is being returned", refund.id

    # refunds --------------------------------------------------------------------------------
    def queue_refund(self, s: Session, order: db.OrderRow, reason: str) -> int:
        """Return a paid order's money (in the caller's transaction); `ask_refunds` asks."""
        if order.paid_by is None:
            raise domain.Conflict(f"order {order.number} has no payment to return",
                                  "nothing_to_refund", number=order.number)  # fmt: skip
        row = rows.refund_row(
            order.id, order.paid_by, books.left_of(s, order), reason, self.clock.now()
        )
        s.add(row)
        s.flush()
        return row.id

    def ask_refunds(self, ids: Sequence[int] | None = None) -> int:
        """Ask the partner for refunds still requested (those named, or all); same key each
        time, so a retry is never a second refund. Returns how many succeeded."""
        with self.sessions() as s:
            query = select(db.RefundRow).where(db.RefundRow.status == "requested")
            if ids is not None:
                query = query.where(db.RefundRow.id.in_(ids))
            pending = list(s.scalars(query.order_by(db.RefundRow.id).limit(200)))
        return sum(self._ask(row) for row in pending)

    def _ask(self, row: db.RefundRow) -> bool:
        request = RefundRequest(row.partner_order_id, row.refund_key, row.amount_idr, row.reason)
        try:
            with self.sessions() as s:
                moving.check_open(s, moving.seller_of_order(s, row.order_id) or 0, writing=False)
        except (domain.SellerFenced, domain.SellerMoved):
            return False  # asked later, here or (moved) by commerce, with the same key
        try:
            self.partner.refund(request)
        except PartnerRefused as exc:
            self._refund_outcome(row.id, "refused", str(exc))
            return False
        except PaymentError as exc:
            self._refund_outcome(row.id, "requested", str(exc))
            return False
        return self._refund_outcome(row.id, "succeeded", None)

    def _refund_outcome(self, refund_id: int, status: str, error: str | None) -> bool:
        """Record the partner's answer; while the seller is fenced or once moved, nothing is
        recorded here: the refund stays requested and is asked again, with the same key, by
        whichever side serves the seller then."""
        now = self.clock.now()
        try:
            with transaction(self.sessions) as s:
                return self._record_refund(s, refund_id, (status, error), now)
        except (domain.SellerFenced, domain.SellerMoved):
            return False

    def _record_refund(
        self, s: Session, refund_id: int, outcome: tuple[str, str | None], now: datetime
    ) -> bool:
        status, error = outcome
        seller_id = s.scalar(
            select(db.OrderRow.seller_id)
            .join(db.RefundRow, db.RefundRow.order_id == db.OrderRow.id)
            .where(db.RefundRow.id == refund_id)
        )
        if seller_id is not None:
            moving.check_open(s, seller_id)
        row = s.get_one(db.RefundRow, refund_id, with_for_update=True)
        if row.status != "requested":
            return False
        row.status, row.last_error, row.updated_at = status, (error or "")[:500] or None, now
        if status == "succeeded":
            books.post(s, _refund_entry(s, row), now)
        return status == "succeeded"


def _refund_entry(s: Session, row: db.RefundRow) -> ledger.Entry:
    if row.kind == "stray":
        return ledger.stray_returned(row.order_id, row.partner_order_id, row.amount_idr)
    order = s.get_one(db.OrderRow, row.order_id)
    shares = books.order_shares(s, order) if books.posted(s, f"completion:{order.id}") else None
    return ledger.refund(order.id, order.seller_id, row.amount_idr, shares)


def _anomaly(kind: str, event: PaymentEvent, outcome: str) -> str:
    """Verified news that matches nothing: answered 200 all the same (the partner stops), counted."""
    ANOMALIES.labels(kind=kind).inc()
    log.warning("payment_anomaly", kind=kind, order=event.order_id, outcome=outcome)
    return outcome
