"""Reconciliation: commerce's payments compared with what the payment partner says about them.

Notifications get lost, arrive late, or come while commerce is down; refunds can be left at the
partner unanswered. A run closes those gaps and reports the rest. It looks at every payment
attempt the partner holds for an order, not only the one commerce stored: an attempt commerce
never stored (it stopped after the partner made it, or lost a race between two `start`s) can be
paid too.

- an unpaid order the partner says is paid (same amount) is paid through the notification's own
  code path, under the notification's dedupe key, whichever attempt was paid;
- another attempt paid for an order already paid or ended is booked as owed back to the buyer
  and refunded, as its notification would have been;
- a payment the partner says expired, failed or was cancelled is recorded;
- refunds still `requested` are asked for again, with their keys;
- everything else that disagrees is reported and left alone, for an operator: commerce paid but
  the partner not, amounts that differ, refunded sums that differ, money taken for an order
  commerce has ended, payments the partner does not know, more attempts than commerce makes.

Status lookups run outside any transaction; each change is its own transaction (PayingService).
"""

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Select, String, case, cast, exists, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.domain import ENDED_PAYMENTS, RefundStage, RefundStatus
from keranjang.commerce.money.late_payments import LatePayment, late_payments
from keranjang.commerce.money.paying import MAX_ATTEMPTS, PayingService, partner_order_id
from keranjang.commerce.money.reconcile_together import check_checkout_payments, paid_together
from keranjang.commerce.money.refunding import RefundService
from keranjang.commerce.money.stuck_payment_ends import StuckPaymentEnd, stuck_payment_ends
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import ENDED_UNPAID, OrderStatus
from keranjang.infra.clock import Clock
from keranjang.payments import (
    PaymentError,
    PaymentEvent,
    PaymentPartner,
    PaymentStatus,
    UnknownPayment,
)

log = structlog.get_logger(__name__)
PAGE = 500
# What the periodic job looks at: payments and orders that changed this recently, and every
# order still awaiting payment. An operator's full run (`keranjang reconcile`) looks at all.
RECENT = timedelta(days=2)
# The partner's statuses under which it holds (or has held) the buyer's money.
TAKEN = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
COLLECTED = frozenset(
    {
        OrderStatus.PAID.value,
        OrderStatus.SHIPPED.value,
        OrderStatus.DELIVERED.value,
        OrderStatus.COMPLETED.value,
        OrderStatus.REFUNDED.value,
    }
)
AWAITING = OrderStatus.AWAITING_PAYMENT.value
# The attempt ids a partner holds for an order are 1..N (`PayingService._create` takes the next
# only when the partner refuses one as a duplicate), N at most MAX_ATTEMPTS past the stored
# attempt; its status API may not know some of them (an unopened Snap payment). They are looked
# up to the stored attempt, then until one is unknown, and never past stored + MAX_ATTEMPTS +
# this margin: a partner claiming every id cannot keep a run going.
ATTEMPTS_MARGIN = 2


@dataclass(frozen=True)
class Disagreement:
    order_number: str
    commerce: str
    partner: str


@dataclass
class Report:
    """`checked`: payments looked at: every attempt the partner holds for an order (stored by
    commerce or not), and an order's stored payment the partner does not know; `settled`: missed
    payments applied now (an unpaid order paid, or another payment booked as owed back);
    `recorded`: ended payments recorded; `unreachable`: orders the partner did not answer for
    (nothing of theirs is changed); `failed`: orders whose change the database refused this run
    (a payment stored at the same moment, say): the run goes on, and the next tries again;
    `late_payments`: payments that landed after their order ended, and their refunds;
    `payment_ends`: payments of ended orders the partner refused to end, or failed to for long."""

    checked: int = 0
    settled: int = 0
    recorded: int = 0
    refunds_settled: int = 0
    unreachable: int = 0
    failed: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    late_payments: list[LatePayment] = field(default_factory=list)
    payment_ends: list[StuckPaymentEnd] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The report as JSON takes it (times in ISO 8601)."""
        return asdict(self, dict_factory=_json_ready)


def _json_ready(items: list[tuple[str, object]]) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in items}


@dataclass(frozen=True)
class Ours:
    """One payment as commerce knows it, with its order."""

    payment_id: int
    number: str
    order_status: str
    total_idr: int
    refunded_idr: int
    refund_in_flight: bool
    attempt: int
    transaction_id: str
    payment_status: str


SETTLE, RECORD, LEAVE = "settle", "record", "leave"


def judge(ours: Ours, theirs: PaymentEvent) -> tuple[str, str | None]:
    """What to do about one payment (settle it, record it, or leave it) and, if commerce and the
    partner disagree about it, what the partner says, in words (then nothing is changed). The
    payment is looked up by the order id the partner keys it by; its transaction id is not
    compared, because a hosted page (Midtrans Snap) only gets one once the buyer picks how to
    pay."""
    taken = theirs.status in TAKEN
    if ours.order_status == AWAITING:
        if theirs.is_paid and theirs.gross_amount == ours.total_idr:
            return SETTLE, None
        if taken and theirs.gross_amount != ours.total_idr:
            return LEAVE, f"{_said(theirs)}: the amounts differ"
        if taken:
            return LEAVE, f"{_said(theirs)}: refunded, yet commerce never saw it paid"
    if not taken:
        if ours.order_status in COLLECTED:
            return LEAVE, f"{_said(theirs)}: the buyer's money is not in"
        if theirs.status.value in ENDED_PAYMENTS and ours.payment_status != theirs.status.value:
            return RECORD, None
        return LEAVE, None
    if theirs.gross_amount != ours.total_idr:
        return LEAVE, f"{_said(theirs)}: the amounts differ"
    if ours.order_status in ENDED_UNPAID and theirs.is_paid:
        return SETTLE, None  # applied as its notification: a payment after the end, returned
    if ours.order_status in ENDED_UNPAID and theirs.gross_amount > theirs.refunded_amount:
        left = theirs.gross_amount - theirs.refunded_amount
        return LEAVE, f"{_said(theirs)}: Rp{left} taken for an ended order needs a refund"
    if not ours.refund_in_flight and theirs.refunded_amount != ours.refunded_idr:
        return LEAVE, f"{_said(theirs)}: the refunded sums differ"
    return LEAVE, None


def judge_other(ours: Ours, theirs: PaymentEvent, returned: int) -> tuple[str, str | None]:
    """As `judge`, for an attempt of the order other than the one commerce stored. Only money it
    took matters: paid, it is applied as its notification (it pays the unpaid order, or is owed
    back); refunded, the partner must have returned what commerce returned of it (`returned`).
    One never paid, or ended, needs nothing: the order's own payment is elsewhere."""
    if theirs.status not in TAKEN:
        return LEAVE, None
    said = f"another attempt {theirs.order_id}, {_said(theirs)}"
    if theirs.gross_amount != ours.total_idr:
        return LEAVE, f"{said}: the amounts differ"
    if theirs.is_paid:
        return SETTLE, None
    if not ours.refund_in_flight and theirs.refunded_amount != returned:
        return LEAVE, f"{said}: the refunded sums differ"
    return LEAVE, None


def _said(theirs: PaymentEvent) -> str:
    refunded = f", Rp{theirs.refunded_amount} refunded" if theirs.refunded_amount else ""
    return f"{theirs.status.value}, Rp{theirs.gross_amount}{refunded}"


def _ours_in_words(ours: Ours) -> str:
    refunded = f", Rp{ours.refunded_idr} refunded" if ours.refunded_idr else ""
    return f"order {ours.order_status}, Rp{ours.total_idr}{refunded}"


class ReconciliationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: PaymentPartner,
        paying: PayingService,
        refunds: RefundService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.paying = paying
        self.refunds = refunds

    def run(self, since: timedelta | None = None) -> Report:
        """Reconcile every payment through this partner, or (`since`) those whose payment or
        order changed since then, with every order still awaiting payment. Refunds still at the
        partner are asked for first, so the refunded sums compared are the settled ones."""
        report = Report(refunds_settled=self.refunds.settle_requested())
        cutoff = None if since is None else self.clock.now() - since
        for ours in self._payments(cutoff):
            try:
                self._check(ours, report)
            except DBAPIError as exc:  # one order's failure must not stop the others'
                report.failed += 1
                log.warning("reconciliation_failed", order=ours.number, error=str(exc))
        self._together(report, cutoff)
        self._unreturned(report)
        report.late_payments = late_payments(self.sessions, cutoff)
        report.payment_ends = stuck_payment_ends(self.sessions)
        log.info(
            "reconciled",
            checked=report.checked,
            settled=report.settled,
            recorded=report.recorded,
            refunds_settled=report.refunds_settled,
            unreachable=report.unreachable,
            failed=report.failed,
            disagreements=len(report.disagreements),
        )
        return report

    def run_recent(self) -> Report:
        """The periodic job's run: what changed within `RECENT`."""
        return self.run(RECENT)

    def _check(self, ours: Ours, report: Report) -> None:
        """Reconcile one order: its stored payment first, then its other attempts, oldest first.
        Nothing is applied unless the partner answered for every attempt."""
        try:
            held, beyond = self._attempts(ours)
        except PaymentError as exc:
            report.unreachable += 1
            log.warning("reconciliation_unreachable", order=ours.number, error=str(exc))
            return
        report.checked += len(held)
        theirs = held.get(ours.attempt)
        if theirs is None:
            report.checked += 1
            self._disagree(report, ours, f"no payment {ours.transaction_id}")
        else:
            self._act(ours, theirs, judge(ours, theirs), report)
        for attempt, other in sorted(held.items()):
            if attempt != ours.attempt:
                returned = self._returned(ours, other) if other.refunded_amount else 0
                self._act(ours, other, judge_other(ours, other, returned), report)
        if beyond:
            last = partner_order_id(ours.number, max(held))
            self._disagree(
                report,
                ours,
                f"holds payments up to {last} and beyond: more attempts than commerce makes",
            )

    def _attempts(self, ours: Ours) -> tuple[dict[int, PaymentEvent], bool]:
        """What the partner says of each attempt it holds for the order, and whether it still
        knew the last id looked up. Every id up to the stored attempt is looked up, and one the
        partner does not know is skipped, not taken for the end: Midtrans' status API does not
        know a Snap payment until its buyer picks a way to pay, so attempt 1 can be unknown
        while the stored attempt 2 is paid. Past the stored attempt, ids are looked up until
        one is unknown. Raises `PaymentError` (not `UnknownPayment`) when the partner does not
        answer."""
        held: dict[int, PaymentEvent] = {}
        for attempt in range(1, ours.attempt + MAX_ATTEMPTS + ATTEMPTS_MARGIN + 1):
            try:
                held[attempt] = self.partner.status(partner_order_id(ours.number, attempt))
            except UnknownPayment:
                if attempt >= ours.attempt:
                    return held, False
        return held, True

    def _act(
        self, ours: Ours, theirs: PaymentEvent, verdict: tuple[str, str | None], report: Report
    ) -> None:
        action, disagreement = verdict
        if disagreement is not None:
            self._disagree(report, ours, disagreement)
        elif action == SETTLE:
            outcome = self.paying.apply_status(theirs)
            report.settled += outcome == "order paid" or outcome.startswith("stray")
        elif action == RECORD:
            report.recorded += self.paying.apply_status(theirs).startswith("recorded")

    def _returned(self, ours: Ours, theirs: PaymentEvent) -> int:
        """What commerce returned to the buyer of a second payment under this attempt's id."""
        r, o = money_db.RefundRow, order_db.OrderRow
        with self.sessions() as s:
            returned = s.scalar(
                select(func.coalesce(func.sum(r.amount_idr), 0))
                .join(o, o.id == r.order_id)
                .where(
                    o.number == ours.number,
                    r.stage == RefundStage.STRAY,
                    r.status == RefundStatus.SUCCEEDED,
                    r.partner_order_id == theirs.order_id,
                )
            )
        return int(returned or 0)

    def _together(self, report: Report, cutoff: datetime | None) -> None:
        """Checkout payments (one for several orders) are checked as a whole."""
        checked, settled, unreachable, found = check_checkout_payments(self.paying, cutoff)
        report.checked, report.settled = report.checked + checked, report.settled + settled
        report.unreachable += unreachable
        for number, commerce, partner in found:
            self._disagree_on(report, Disagreement(number, commerce, partner))

    def _unreturned(self, report: Report) -> None:
        """Second payments the partner refused to refund: the buyer is still owed them."""
        r, o = money_db.RefundRow, order_db.OrderRow
        with self.sessions() as s:
            rows = s.execute(
                select(o.number, r.partner_order_id, r.amount_idr, r.error)
                .join(o, o.id == r.order_id)
                .where(r.stage == RefundStage.STRAY, r.status == RefundStatus.FAILED)
            ).all()
        for number, partner_id, amount, error in rows:
            found = Disagreement(
                number,
                f"second payment {partner_id} of Rp{amount} owed back to the buyer",
                f"refused its refund: {error}",
            )
            log.warning("reconciliation_disagreement", **asdict(found))
            report.disagreements.append(found)

    def _disagree(self, report: Report, ours: Ours, partner_says: str) -> None:
        self._disagree_on(report, Disagreement(ours.number, _ours_in_words(ours), partner_says))

    def _disagree_on(self, report: Report, found: Disagreement) -> None:
        log.warning("reconciliation_disagreement", **asdict(found))
        report.disagreements.append(found)

    def _payments(self, cutoff: datetime | None) -> Iterator[Ours]:
        """This partner's payments in pages by id, each page read in its own short session."""
        after = 0
        while True:
            with self.sessions() as s:
                page = [Ours(*row) for row in s.execute(_query(self.partner.name, cutoff, after))]
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1].payment_id


def _stray_refunded(o: type[order_db.OrderRow], p: type[money_db.PaymentRow]) -> Any:
    """What was returned of second payments made under this payment's partner order id."""
    r = money_db.RefundRow
    partner_id = case((p.attempt == 1, o.number), else_=o.number + "-" + cast(p.attempt, String))
    return (
        select(func.coalesce(func.sum(r.amount_idr), 0))
        .where(
            r.order_id == o.id,
            r.stage == RefundStage.STRAY,
            r.status == RefundStatus.SUCCEEDED,
            r.partner_order_id == partner_id,
        )
        .scalar_subquery()
    )


def _query(partner: str, cutoff: datetime | None, after: int) -> Select[*tuple[Any, ...]]:
    p, o, r = money_db.PaymentRow, order_db.OrderRow, money_db.RefundRow
    in_flight = exists().where(r.order_id == o.id, r.status == RefundStatus.REQUESTED)
    query = (
        select(
            p.id,
            o.number,
            o.status,
            o.total_idr,
            o.refunded_idr + _stray_refunded(o, p),
            in_flight,
            p.attempt,
            p.partner_transaction_id,
            p.status,
        )
        .join(o, o.id == p.order_id)
        .where(p.partner == partner, p.id > after, ~paid_together())
        .order_by(p.id)
        .limit(PAGE)
    )
    if cutoff is not None:
        query = query.where(
            or_(
                o.status == AWAITING,
                p.updated_at >= cutoff,
                o.updated_at >= cutoff,
                exists().where(r.order_id == o.id, r.updated_at >= cutoff),
            )
        )
    return query
