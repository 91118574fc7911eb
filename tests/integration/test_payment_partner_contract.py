"""The payment-partner contract: what every adapter (the simulator, Midtrans, Xendit) must do,
each against its partner. Midtrans and Xendit are replayed in-process from their documented
request and response formats (no test touches the network); the simulator keeps a database, so
it runs on SQLite and PostgreSQL."""

import importlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments import (
    AlreadyPaid,
    CreatedPayment,
    DuplicateOrder,
    NewPayment,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
    UnknownPayment,
)
from keranjang.payments.contract import Ending
from tests.integration.payment_partners import PartnerHarness, events

# Each partner's harness factory: (database_url, clock, folder) -> an iterator of one harness.
HARNESSES = {
    "simulator": "tests.integration.payment_partners:simulator_harness",
    "midtrans": "tests.integration.partner_midtrans:midtrans_harness",
    "xendit": "tests.integration.partner_xendit:xendit_harness",
}
PARTNERS = list(HARNESSES)
PRICE = 350_000


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))


@pytest.fixture(params=PARTNERS)
def harness(
    request: pytest.FixtureRequest,
    database_url: Callable[[str], str],
    clock: FixedClock,
    tmp_path: Path,
) -> Iterator[PartnerHarness]:
    module, _, factory = HARNESSES[request.param].partition(":")
    yield from getattr(importlib.import_module(module), factory)(database_url, clock, tmp_path)


def new_payment(
    method: PaymentMethod = PaymentMethod.VIRTUAL_ACCOUNT, **fields: object
) -> NewPayment:
    values: dict[str, object] = {
        "order_id": f"ORD-{uuid.uuid4().hex[:12]}",
        "gross_amount": PRICE,
        "method": method,
        "description": "Kemeja Batik Tulis",
    } | fields
    return NewPayment(**values)  # type: ignore[arg-type]


def paid(harness: PartnerHarness, **fields: object) -> CreatedPayment:
    created = harness.partner.create_payment(new_payment(**fields))
    harness.pay(created)
    return created


def paid_refundably(harness: PartnerHarness) -> CreatedPayment:
    """Paid by QRIS: every partner refunds QRIS payments through its API (Midtrans does not
    refund bank transfers that way)."""
    return paid(harness, method=PaymentMethod.QRIS)


# creating a payment --------------------------------------------------------------------------
@pytest.mark.parametrize("method", list(PaymentMethod))
def test_the_buyer_gets_what_each_method_needs(
    harness: PartnerHarness, method: PaymentMethod
) -> None:
    created = harness.partner.create_payment(new_payment(method, va_bank="bni"))
    assert created.status is PaymentStatus.PENDING
    assert created.gross_amount == PRICE
    assert created.partner_transaction_id
    assert created.expires_at.tzinfo is not None
    if method is PaymentMethod.VIRTUAL_ACCOUNT:
        assert created.virtual_account is not None
        assert created.virtual_account.bank == "bni"
        assert created.virtual_account.number.isdigit()
    elif method is PaymentMethod.QRIS:
        assert created.qris and created.qris.startswith("000201")
    else:
        assert created.redirect_url


def test_a_payment_expires_when_asked(harness: PartnerHarness, clock: FixedClock) -> None:
    created = harness.partner.create_payment(new_payment(expires_in=timedelta(minutes=30)))
    assert created.expires_at == clock.now() + timedelta(minutes=30)


def test_an_order_id_pays_once(harness: PartnerHarness) -> None:
    first = new_payment()
    harness.partner.create_payment(first)
    with pytest.raises(DuplicateOrder):
        harness.partner.create_payment(first)


def test_a_payment_the_partner_cannot_take_is_refused_with_its_reason(
    harness: PartnerHarness,
) -> None:
    with pytest.raises(PartnerRefused) as refused:
        harness.partner.create_payment(new_payment(gross_amount=0))
    assert 400 <= refused.value.status < 500
    assert "gross_amount" in str(refused.value)


def test_wrong_credentials_are_refused(harness: PartnerHarness) -> None:
    with pytest.raises(PartnerRefused) as refused:
        harness.with_wrong_credentials().create_payment(new_payment())
    assert refused.value.status == 401


# notifications -------------------------------------------------------------------------------
def test_a_paid_payment_is_notified_as_paid_with_its_amount(harness: PartnerHarness) -> None:
    created = paid(harness)
    notified = events(harness.partner, harness.delivered())
    assert [e.status for e in notified] == [PaymentStatus.PENDING, PaymentStatus.PAID]
    event = notified[-1]
    assert event.is_paid
    assert event.order_id == created.order_id
    assert event.gross_amount == PRICE
    assert event.partner_transaction_id == created.partner_transaction_id
    assert event.occurred_at.tzinfo is not None
    assert event.method is PaymentMethod.VIRTUAL_ACCOUNT


def test_forged_notifications_are_rejected(harness: PartnerHarness) -> None:
    paid(harness)
    delivered = harness.delivered()
    for name, body in harness.forgeries(delivered).items():
        with pytest.raises(NotificationRejected) as rejected:
            harness.partner.parse_notification({"content-type": "application/json"}, body)
        assert rejected.value.reason in {"bad_signature", "malformed"}, name


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"{}", b'{"order_id": "ORD-1"}', b"\xff\xfe", b"{" * 5000],
)
def test_malformed_notifications_are_rejected(harness: PartnerHarness, body: bytes) -> None:
    with pytest.raises(NotificationRejected) as rejected:
        harness.partner.parse_notification({}, body)
    assert rejected.value.reason == "malformed"


def test_a_duplicate_notification_parses_to_the_same_event(harness: PartnerHarness) -> None:
    paid(harness)
    settlement = harness.delivered()[-1]
    first, again = events(harness.partner, [settlement, settlement])
    assert first == again
    assert first.dedupe_key == again.dedupe_key


def test_each_change_has_its_own_dedupe_key(harness: PartnerHarness) -> None:
    created = paid_refundably(harness)
    harness.partner.refund(RefundRequest(created.order_id, "part-1", 50_000))
    harness.partner.refund(RefundRequest(created.order_id, "part-2", 50_000))
    keys = [e.dedupe_key for e in events(harness.partner, harness.delivered())]
    assert len(keys) == 4
    assert len(set(keys)) == 4


# status lookup -------------------------------------------------------------------------------
def test_status_lookup_follows_the_payment(harness: PartnerHarness) -> None:
    created = harness.partner.create_payment(new_payment())
    assert harness.partner.status(created.order_id).status is PaymentStatus.PENDING
    harness.pay(created)
    status = harness.partner.status(created.order_id)
    assert status.is_paid
    assert status.gross_amount == PRICE
    assert status.partner_transaction_id == created.partner_transaction_id


def test_status_of_an_unknown_order_is_refused(harness: PartnerHarness) -> None:
    with pytest.raises(UnknownPayment):
        harness.partner.status("ORD-NEVER-CREATED")


# refunds -------------------------------------------------------------------------------------
def test_a_full_refund_returns_everything(harness: PartnerHarness) -> None:
    created = paid_refundably(harness)
    result = harness.partner.refund(RefundRequest(created.order_id, "refund-1"))
    assert (result.amount, result.status) == (PRICE, PaymentStatus.REFUNDED)
    last = events(harness.partner, harness.delivered())[-1]
    assert (last.status, last.refunded_amount) == (PaymentStatus.REFUNDED, PRICE)
    assert harness.partner.status(created.order_id).status is PaymentStatus.REFUNDED


def test_partial_refunds_add_up_to_a_full_one(harness: PartnerHarness) -> None:
    created = paid_refundably(harness)
    first = harness.partner.refund(RefundRequest(created.order_id, "part-1", 100_000))
    assert (first.amount, first.status) == (100_000, PaymentStatus.PARTIALLY_REFUNDED)
    status = harness.partner.status(created.order_id)
    assert (status.status, status.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 100_000)
    rest = harness.partner.refund(RefundRequest(created.order_id, "part-2"))
    assert (rest.amount, rest.status) == (PRICE - 100_000, PaymentStatus.REFUNDED)


def test_a_refund_retried_with_its_key_is_made_once(harness: PartnerHarness) -> None:
    created = paid_refundably(harness)
    ask = RefundRequest(created.order_id, "refund-once", 50_000)
    first, retried = harness.partner.refund(ask), harness.partner.refund(ask)
    assert first == retried
    assert harness.partner.status(created.order_id).refunded_amount == 50_000


def test_refunding_more_than_was_paid_is_refused(harness: PartnerHarness) -> None:
    created = paid_refundably(harness)
    with pytest.raises(PartnerRefused):
        harness.partner.refund(RefundRequest(created.order_id, "too-much", PRICE + 1))


def test_an_unpaid_payment_cannot_be_refunded(harness: PartnerHarness) -> None:
    created = harness.partner.create_payment(new_payment())
    with pytest.raises(PartnerRefused):
        harness.partner.refund(RefundRequest(created.order_id, "early"))


# ending a payment with its order -------------------------------------------------------------
ENDED = {PaymentStatus.CANCELLED, PaymentStatus.EXPIRED}


@pytest.mark.parametrize("method", list(PaymentMethod))
def test_a_cancelled_payment_cannot_be_paid(harness: PartnerHarness, method: PaymentMethod) -> None:
    created = harness.partner.create_payment(new_payment(method, va_bank="bni"))
    ended = harness.partner.cancel(created.order_id)
    assert ended.order_id == created.order_id
    assert ended.status in ENDED
    assert not harness.attempt_pay(created)
    if method is not PaymentMethod.EWALLET:  # a hosted page never opened may have no status
        assert harness.partner.status(created.order_id).status in ENDED


@pytest.mark.parametrize("method", list(PaymentMethod))
def test_an_expired_order_s_payment_expires_at_the_partner(
    harness: PartnerHarness, method: PaymentMethod
) -> None:
    created = harness.partner.create_payment(new_payment(method, va_bank="bni"))
    ended = harness.partner.cancel(created.order_id, Ending.EXPIRE)
    assert ended.status is PaymentStatus.EXPIRED
    assert not harness.attempt_pay(created)


def test_cancelling_twice_is_harmless(harness: PartnerHarness) -> None:
    created = harness.partner.create_payment(new_payment())
    first = harness.partner.cancel(created.order_id)
    again = harness.partner.cancel(created.order_id)
    assert again.status is first.status
    assert again.gross_amount == PRICE
    assert not harness.attempt_pay(created)


def test_a_paid_payment_is_not_cancelled_and_the_caller_learns_it_was_paid(
    harness: PartnerHarness,
) -> None:
    created = paid(harness)
    with pytest.raises(AlreadyPaid) as refused:
        harness.partner.cancel(created.order_id)
    assert refused.value.event.is_paid
    assert refused.value.event.gross_amount == PRICE
    assert "refund" in str(refused.value)
    assert harness.partner.status(created.order_id).is_paid


def test_an_unknown_payment_cannot_be_cancelled(harness: PartnerHarness) -> None:
    with pytest.raises(UnknownPayment):
        harness.partner.cancel("ORD-NEVER-CREATED")


# the partner down ----------------------------------------------------------------------------
@pytest.mark.parametrize("down", ["unreachable", "503"])
def test_a_partner_that_is_down_is_partner_unavailable(harness: PartnerHarness, down: str) -> None:
    partner = harness.unreachable() if down == "unreachable" else harness.failing(503)
    with pytest.raises(PartnerUnavailable):
        partner.create_payment(new_payment())
    with pytest.raises(PartnerUnavailable):
        partner.status("ORD-1")
    with pytest.raises(PartnerUnavailable):
        partner.refund(RefundRequest("ORD-1", "refund-1"))
    with pytest.raises(PartnerUnavailable):
        partner.cancel("ORD-1")
