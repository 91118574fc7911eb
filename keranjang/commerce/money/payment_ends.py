"""An order that ended unpaid has its open payments ended at the partner, so the buyer cannot pay
into an order that no longer exists.

The order's cancel (by its buyer, its shop or an operator) writes a request
(`orders.db.PaymentEndRow`) in the transaction that ends it. Once that has committed,
`after_commit` tries once, quickly (`QUICK_SECONDS` for all its partner calls: the buyer is
waiting, and a partner that hangs must not hold the request), and `drain`, periodically, asks
for whatever is still due. A network call never runs inside a transaction. Whoever asks first
claims the request (a conditional UPDATE pushing `next_at` past `CLAIM`), so the two never ask
for the same request at once, and only the claimant records the answer, on a request still
open. What is ended: every try of the order's payment, and of its checkout's one payment once
that pays no open order (`payment_end_targets`). The partner's answer, for each:

- ended (cancelled or expired): recorded as the partner's news of it would be;
- paid meanwhile (`AlreadyPaid`): applied as its notification would be: the order has ended, so
  the money is booked as owed back and returned to the buyer (`payment_news`, under a fixed key
  per transaction: the notification arriving too changes nothing more);
- not known at the partner: nothing to end;
- the partner out of reach: asked again later, each delay longer (`RETRY_DELAYS`); `drain` stops
  at the first such answer and leaves the rest due, so a partner that hangs costs one call;
- refused (a wrong key, a 412 while the payment is still open, …): kept as `refused`, with the
  partner's words, and asked again on the same delays: an operator fixing the cause needs do
  nothing more. Reconciliation lists refused requests and those failing for long (`stuck`).

Any other failure on one request (the database refusing what its answer meant) is logged and
that request alone is asked again later; the others go on.

Hold expiry goes the other way round (`expire_holds`): the partner is asked to expire the
payments first, outside any transaction, and the order expires only once it has; a partner that
answers that the buyer paid in time gets the order paid instead. An order with no payment stored
(a checkout left unpaid) expires at once, unasked, and its request is asked later like a cancel's. A partner out of reach leaves
the order due (the sweep stops asking at the first), until `EXPIRY_GRACE` past its hold: then the
order expires all the same (its stock is not held for ever) and its payments are ended here.

What remains open: a create still in flight when its order ends (commerce stores it after the
asking) stays open at the partner until it lapses; a payment made into it is returned as late.
"""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.payment_end_targets import Target, target_of
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments import (
    AlreadyPaid,
    Ending,
    PartnerUnavailable,
    PaymentError,
    PaymentPartner,
    UnknownPayment,
    within,
)

log = structlog.get_logger(__name__)
PENDING, DONE, REFUSED = "pending", "done", "refused"
OPEN = (PENDING, REFUSED)  # still to be asked
# Seconds to wait after each failed try; the last repeats.
RETRY_DELAYS = (30, 60, 120, 300, 900, 1800, 3600)
BATCH = 100
QUICK_SECONDS = 2.0  # all the partner calls made while a person waits for the answer
SWEEP_SECONDS = 10.0  # all the partner calls of one round of hold expiry
CLAIM = timedelta(minutes=10)  # longer than any asking takes; then another may ask again
EXPIRY_GRACE = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


@dataclass(frozen=True)
class Claim:
    """A request being asked for by this caller until `until` (its `next_at` meanwhile)."""

    row_id: int
    until: datetime


@dataclass(frozen=True)
class Heard:
    """What the partner answered for a target, in words, and whether any of it was paid."""

    words: str
    paid: bool
    attempt: int | None = None  # the order's stored payment attempt when it was read


class PaymentEndingService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: PaymentPartner,
        paying: PayingService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.paying = paying

    def after_commit(self, order_ids: Iterable[int]) -> None:
        """End the payments of orders whose end has just committed, trying once and quickly.
        Never raises: what could not be done now stays due, and `drain` does it later."""
        e = order_db.PaymentEndRow
        deadline = time.monotonic() + QUICK_SECONDS
        for order_id in order_ids:
            left = deadline - time.monotonic()
            if left <= 0:
                return  # the rest stay due
            try:
                with self.sessions() as s:
                    found = s.scalar(
                        select(e.id).where(e.order_id == order_id, e.status == PENDING)
                    )
                if found is not None:
                    with within(left):
                        self.end(found)
            except Exception as exc:  # the order has ended all the same: drain asks later
                log.warning("payment_end_deferred", order_id=order_id, error=str(exc))

    def drain(self) -> int:
        """End every payment whose request is due, until the partner is out of reach; how many
        were ended (or found ended)."""
        e = order_db.PaymentEndRow
        with self.sessions() as s:
            due = list(
                s.scalars(
                    select(e.id)
                    .where(e.status.in_(OPEN), e.next_at <= self.clock.now())
                    .order_by(e.next_at, e.id)
                    .limit(BATCH)
                )
            )
        ended = 0
        for row_id in due:
            try:
                outcome = self.end(row_id)
            except Exception as exc:  # not even rescheduled (the database away): claimed, so
                log.warning("payment_end_failed", request=row_id, error=str(exc))  # asked later
                continue
            if outcome == PartnerUnavailable.__name__:
                break  # the rest stay due: a partner that hangs costs one call per round
            ended += outcome == DONE
        return ended

    def end(self, row_id: int) -> str:
        """Ask the partner to end one request's payments, if it is due and nobody else is
        asking: DONE, REFUSED, PENDING (failed: asked again later), "PartnerUnavailable", or
        "" (not due, or taken by another)."""
        claim = self._claim(row_id)
        if claim is None:
            return ""
        try:
            heard = self._ask(self._target(row_id))
        except PartnerUnavailable as exc:
            self._later(claim, PENDING, str(exc))
            return PartnerUnavailable.__name__
        except PaymentError as exc:
            self._later(claim, REFUSED, f"refused: {exc}")
            return REFUSED
        except Exception as exc:  # one request's failure (a database error) never stops others
            log.exception("payment_end_error", request=row_id)
            self._later(claim, PENDING, f"failed: {type(exc).__name__}: {exc}")
            return PENDING
        self._finish(claim, heard.words)
        return DONE

    def expire_holds(self, order_ids: Sequence[int], expire: Callable[[int], bool]) -> int:
        """Expire these orders, whose hold ran out, asking the partner first (see the module's
        words); `expire` expires one order in its own transaction (False: it moved meanwhile).
        How many expired."""
        now, expired, asking = self.clock.now(), 0, True
        with within(SWEEP_SECONDS):
            for order_id in order_ids:
                try:
                    heard = self._ask_first(order_id, now) if asking else None
                except PartnerUnavailable as exc:
                    log.warning("hold_expiry_partner_away", order_id=order_id, error=str(exc))
                    heard, asking = None, False
                except PaymentError:  # refused: expired first, its payment ended by `drain`
                    heard = Heard("", False)
                except Exception:
                    log.exception("hold_expiry_failed", order_id=order_id)
                    continue
                if heard is None and not self._past_grace(order_id, now):
                    continue  # asked again next round
                if heard is not None and heard.paid:
                    continue  # paid in time: applied, so the order is paid
                if expire(order_id):
                    expired += 1
                    if heard is not None and heard.words:
                        self._ended_first(order_id, heard)
        return expired

    # asking ---------------------------------------------------------------------------------
    def _ask(self, target: Target) -> Heard:
        """Ask the partner to end every id of the target; its answers, applied."""
        done, paid = [target.kept] if target.kept else [], False
        for tries in target.payments:
            for partner_id, probe in tries.asked():
                try:
                    ended = self.partner.cancel(partner_id, target.ending)
                    done.append(f"{partner_id} {self.paying.apply_status(ended)}")
                except AlreadyPaid as exc:
                    paid = True
                    done.append(f"{partner_id} paid: {self.paying.apply_status(exc.event)}")
                except UnknownPayment:
                    if probe:
                        break
                    done.append(f"{partner_id} unknown at the partner")
        return Heard("; ".join(done) or "nothing to end at the partner", paid)

    def _target(self, row_id: int) -> Target:
        with self.sessions() as s:
            row = s.get_one(order_db.PaymentEndRow, row_id)
            order = s.get_one(order_db.OrderRow, row.order_id)
            return target_of(s, order, Ending(row.ending))

    def _ask_first(self, order_id: int, now: datetime) -> Heard:
        """The partner's answer to expiring the payments of an order still awaiting payment,
        with the stored attempt it was read with (nothing: the order is no longer awaiting)."""
        with self.sessions() as s:
            order = s.get_one(order_db.OrderRow, order_id)
            if order.status != OrderStatus.AWAITING_PAYMENT.value:
                return Heard("", False)
            target = target_of(s, order, Ending.EXPIRE, expiring_at=now)
        if target.attempt is None:  # no payment stored: none paid in time that commerce knows
            return Heard("", False)  # of; it expires now, and `drain` ends any at the partner
        heard = self._ask(target)
        return Heard(heard.words, heard.paid, target.attempt)

    def _past_grace(self, order_id: int, now: datetime) -> bool:
        with self.sessions() as s:
            hold = s.scalar(
                select(order_db.OrderRow.hold_expires_at).where(order_db.OrderRow.id == order_id)
            )
        return hold is not None and hold + EXPIRY_GRACE <= now

    def _ended_first(self, order_id: int, heard: Heard) -> None:
        """The request the order's expiry wrote is done already, by what the partner answered
        before it: unless the order's payment changed since it was read (a new attempt)."""
        e, p = order_db.PaymentEndRow, money_db.PaymentRow
        with transaction(self.sessions) as s:
            stored = s.scalar(select(p.attempt).where(p.order_id == order_id))
            if stored != heard.attempt:
                return  # left due: `drain` asks for the new attempt too
            s.execute(
                update(e)
                .where(e.order_id == order_id, e.status == PENDING)
                .values(status=DONE, outcome=heard.words[:300], updated_at=self.clock.now())
            )

    # the request's row ----------------------------------------------------------------------
    def _claim(self, row_id: int) -> Claim | None:
        """Take the request if it is due and open: its `next_at` moves to `CLAIM` ahead, so no
        one else asks meanwhile (and, should this process die, it is asked again after)."""
        e, now = order_db.PaymentEndRow, self.clock.now()
        until = now + CLAIM
        with transaction(self.sessions) as s:
            taken = s.execute(
                update(e)
                .where(e.id == row_id, e.status.in_(OPEN), e.next_at <= now)
                .values(next_at=until, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        return Claim(row_id, until) if taken.rowcount == 1 else None  # type: ignore[attr-defined]

    def _claimed(self, s: Session, claim: Claim) -> order_db.PaymentEndRow | None:
        """The request, locked, if it is still open and still this caller's claim."""
        e = order_db.PaymentEndRow
        return s.scalar(
            select(e)
            .where(e.id == claim.row_id, e.status.in_(OPEN), e.next_at == claim.until)
            .with_for_update()
        )

    def _later(self, claim: Claim, status: str, error: str) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = self._claimed(s, claim)
            if row is None:
                return
            row.attempts += 1
            row.next_at = now + retry_delay(row.attempts)
            row.status, row.outcome, row.updated_at = status, error[:300], now
            attempts = row.attempts
        log.warning("payment_end_retried", request=claim.row_id, attempts=attempts, error=error)

    def _finish(self, claim: Claim, outcome: str) -> None:
        with transaction(self.sessions) as s:
            row = self._claimed(s, claim)
            if row is None:
                return
            row.status, row.outcome, row.updated_at = DONE, outcome[:300], self.clock.now()
            row.next_at = row.updated_at
        log.info("payment_end", request=claim.row_id, status=DONE, outcome=outcome)
