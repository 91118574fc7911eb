"""Payment rules without I/O: Midtrans' wire format and signature, and the simulator's rules for
transactions, refunds, fault switches and the buyer's payment instructions."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang.payments import PaymentStatus
from keranjang.payments import midtrans_wire as wire
from keranjang.payments.simulator import domain, faults, instructions, notifications

# Midtrans' documented example (order "1111", status "200", "100000.00"); the digest was computed
# with coreutils' sha512sum, independently of this code.
VECTOR = ("1111", "200", "100000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg")
VECTOR_DIGEST = (
    "edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b"
    "997ac178a236fcff35af263fc4d4c231"
)
NOW = datetime(2024, 3, 27, 9, 0, tzinfo=UTC)


# Midtrans' wire format -----------------------------------------------------------------------
def test_the_signature_matches_midtrans_documented_rule() -> None:
    assert wire.signature(*VECTOR) == VECTOR_DIGEST


def test_a_matching_signature_is_accepted_and_any_change_refused() -> None:
    order, code, amount, key = VECTOR
    assert wire.signature_matches(order, code, amount, key, VECTOR_DIGEST)
    assert wire.signature_matches(order, code, amount, key, VECTOR_DIGEST.upper())
    assert not wire.signature_matches(order, code, "100001.00", key, VECTOR_DIGEST)
    assert not wire.signature_matches(order, "201", amount, key, VECTOR_DIGEST)
    assert not wire.signature_matches(order, code, amount, "another-key", VECTOR_DIGEST)
    assert not wire.signature_matches(order, code, amount, key, "")


def test_amounts_travel_as_whole_rupiah_with_two_decimals() -> None:
    assert wire.format_amount(350_000) == "350000.00"
    assert wire.parse_amount("350000.00") == 350_000
    assert wire.parse_amount("350000") == 350_000


@pytest.mark.parametrize("text", ["350000.50", "-1.00", "1e5", "", "12,000.00", " 1.00", "1.000"])
def test_amounts_that_are_not_whole_rupiah_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        wire.parse_amount(text)


@given(st.integers(min_value=0, max_value=domain.MAX_AMOUNT))
def test_every_amount_survives_the_wire(amount: int) -> None:
    assert wire.parse_amount(wire.format_amount(amount)) == amount


def test_times_travel_in_western_indonesian_time() -> None:
    assert wire.format_time(NOW) == "2024-03-27 16:00:00"
    assert wire.parse_time("2024-03-27 16:00:00") == NOW


@pytest.mark.parametrize(
    ("status", "fraud", "normalized"),
    [
        ("settlement", "accept", PaymentStatus.PAID),
        ("capture", "accept", PaymentStatus.PAID),
        ("capture", "challenge", PaymentStatus.PENDING),
        ("pending", "accept", PaymentStatus.PENDING),
        ("deny", "deny", PaymentStatus.FAILED),
        ("expire", None, PaymentStatus.EXPIRED),
        ("cancel", None, PaymentStatus.CANCELLED),
        ("partial_refund", None, PaymentStatus.PARTIALLY_REFUNDED),
        ("refund", None, PaymentStatus.REFUNDED),
    ],
)
def test_paid_means_settlement_or_an_accepted_capture(
    status: str, fraud: str | None, normalized: PaymentStatus
) -> None:
    assert wire.normalized_status(status, fraud) is normalized


def test_an_unknown_status_is_not_guessed() -> None:
    with pytest.raises(ValueError, match="unknown transaction_status"):
        wire.normalized_status("paid", "accept")


def test_a_status_must_match_its_signed_code() -> None:
    assert wire.code_matches_status("settlement", "200")
    assert not wire.code_matches_status("settlement", "201")
    assert wire.code_matches_status("capture", "201")
    assert wire.code_matches_status("expire", "407")


# the simulator's transactions ----------------------------------------------------------------
def transaction(**charge: object) -> domain.Transaction:
    values: dict[str, object] = {
        "order_id": "ORD-1",
        "gross_amount": 350_000,
        "payment_type": domain.PaymentType.BANK_TRANSFER,
    } | charge
    return domain.new_transaction(
        domain.Charge(**values), "3f2c7a3e-0000-4000-8000-000000000001", NOW
    )  # type: ignore[arg-type]


def settled() -> domain.Transaction:
    return domain.settle(transaction(), domain.PaymentType.QRIS, NOW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"order_id": "ORD 1"}, "order_id"),
        ({"order_id": "x" * 51}, "order_id"),
        ({"gross_amount": 0}, "gross_amount"),
        ({"bank": "xyz"}, "bank must be one of bca"),
        ({"expires_in": timedelta(seconds=30)}, "custom_expiry"),
        ({"finish_redirect_url": "javascript:alert(1)"}, "redirect URL must be"),
    ],
)
def test_a_charge_that_breaks_a_rule_says_what_to_fix(
    fields: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {
        "order_id": "ORD-1",
        "gross_amount": 1,
        "payment_type": domain.PaymentType.QRIS,
    } | fields
    with pytest.raises(domain.Invalid, match=message):
        domain.check_charge(domain.Charge(**values))  # type: ignore[arg-type]


def test_each_method_has_its_default_expiry() -> None:
    assert transaction().expires_at == NOW + timedelta(hours=24)
    assert transaction(payment_type=domain.PaymentType.QRIS).expires_at == NOW + timedelta(
        minutes=15
    )


def test_only_a_pending_payment_can_be_paid_cancelled_or_expired() -> None:
    for close in (domain.cancel, domain.expire):
        closed = close(transaction())
        with pytest.raises(domain.Conflict, match="can no longer be paid"):
            domain.settle(closed, domain.PaymentType.QRIS, NOW)
        with pytest.raises(domain.Conflict):
            domain.require_paid(closed)
    with pytest.raises(domain.Conflict):
        domain.cancel(settled())


def test_a_payment_is_overdue_from_its_expiry() -> None:
    tx = transaction(payment_type=domain.PaymentType.QRIS)
    assert not domain.is_overdue(tx, NOW + timedelta(minutes=14, seconds=59))
    assert domain.is_overdue(tx, NOW + timedelta(minutes=15))
    assert not domain.is_overdue(settled(), NOW + timedelta(days=2))


def test_refunds_take_what_is_left_and_no_more() -> None:
    tx, _ = domain.refund(settled(), domain.RefundAsk("a", 100_000), "rfd-1", NOW)
    assert (tx.status, tx.refundable) == (domain.TxStatus.PARTIAL_REFUND, 250_000)
    with pytest.raises(domain.Invalid, match="from 1 to 250000"):
        domain.refund(tx, domain.RefundAsk("b", 250_001), "rfd-2", NOW)
    tx, rest = domain.refund(tx, domain.RefundAsk("b"), "rfd-2", NOW)
    assert (rest.amount, tx.status, tx.refundable) == (250_000, domain.TxStatus.REFUND, 0)
    with pytest.raises(domain.Conflict, match="only a settled payment"):
        domain.refund(tx, domain.RefundAsk("c", 1), "rfd-3", NOW)


def test_a_refund_key_names_one_refund() -> None:
    tx, done = domain.refund(settled(), domain.RefundAsk("same", 1_000), "rfd-1", NOW)
    assert domain.refund_by_key(tx, domain.RefundAsk("same", 1_000)) == done
    assert domain.refund_by_key(tx, domain.RefundAsk("same")) == done
    assert domain.refund_by_key(tx, domain.RefundAsk("other", 1_000)) is None
    with pytest.raises(domain.Conflict, match="use a new refund_key"):
        domain.refund_by_key(tx, domain.RefundAsk("same", 2_000))


def test_an_unpaid_payment_cannot_be_refunded() -> None:
    with pytest.raises(domain.Conflict):
        domain.refund(transaction(), domain.RefundAsk("a"), "rfd-1", NOW)


# notifications -------------------------------------------------------------------------------
def test_a_notification_is_signed_with_the_rule_and_carries_the_midtrans_fields() -> None:
    body = notifications.body(settled(), "server-key")
    assert body["status_code"] == "200"
    assert body["transaction_status"] == "settlement"
    assert body["gross_amount"] == "350000.00"
    assert body["fraud_status"] == "accept"
    assert body["transaction_time"] == "2024-03-27 16:00:00"
    expected = hashlib.sha512(b"ORD-1200350000.00server-key").hexdigest()
    assert body["signature_key"] == expected


def test_a_forgery_claims_settlement_under_another_signature() -> None:
    real = notifications.body(transaction(), "server-key")
    fake = notifications.forged(real)
    assert (fake["transaction_status"], fake["status_code"]) == ("settlement", "200")
    assert not wire.signature_matches(
        "ORD-1", "200", "350000.00", "server-key", str(fake["signature_key"])
    )


def test_failed_deliveries_are_retried_a_bounded_number_of_times() -> None:
    delays = [notifications.retry_delay(n) for n in range(1, 7)]
    assert delays[0] == timedelta(seconds=1)
    assert delays[-1] is None
    assert all(d is not None for d in delays[:-1])


# fault switches ------------------------------------------------------------------------------
def test_drop_next_counts_down_and_probability_uses_the_draw() -> None:
    delivery, after = faults.plan(faults.Faults(drop_next=2), draw=0.99)
    assert delivery.dropped and after.drop_next == 1
    delivery, after = faults.plan(faults.Faults(drop_probability=0.3), draw=0.29)
    assert delivery.dropped
    delivery, after = faults.plan(faults.Faults(drop_probability=0.3), draw=0.3)
    assert not delivery.dropped


def test_switches_plan_copies_delay_holding_and_forgeries() -> None:
    switches = faults.Faults(duplicate=3, delay_seconds=2.5, reorder=True, forge=True)
    delivery, _ = faults.plan(switches, draw=0.5)
    assert delivery == notifications.Delivery(3, timedelta(seconds=2.5), True, False, True)


# what the buyer pays with --------------------------------------------------------------------
def read_tlv(payload: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(payload):
        tag, length = payload[i : i + 2], int(payload[i + 2 : i + 4])
        fields[tag] = payload[i + 4 : i + 4 + length]
        i += 4 + length
    return fields


def test_a_qris_payload_is_well_formed_with_its_amount_and_checksum() -> None:
    payload = instructions.qris_payload("3f2c7a3e-0000", "ORD-1", 350_000)
    fields = read_tlv(payload)
    assert (fields["00"], fields["01"], fields["53"], fields["54"]) == ("01", "12", "360", "350000")
    assert read_tlv(fields["62"])["01"] == "ORD-1"
    crc = 0xFFFF  # CRC-16/CCITT-FALSE, bit by bit, to check binascii's table-driven one
    for byte in payload[:-4].encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    assert fields["63"] == f"{crc:04X}"


def test_virtual_account_numbers_are_stable_per_bank_and_transaction() -> None:
    number = instructions.va_number("bca", "tx-1")
    assert number == instructions.va_number("bca", "tx-1")
    assert number != instructions.va_number("bca", "tx-2")
    assert number.startswith("39010") and len(number) == 16 and number.isdigit()
