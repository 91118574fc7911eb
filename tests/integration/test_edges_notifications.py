"""A verified notification that matches nothing gets a final answer (200, an outcome saying so)
and is counted as an anomaly, through each partner: a real partner retries anything else for a
day. Commerce through the simulator, Midtrans and Xendit; social's legacy shop through the
simulator."""

import json
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from keranjang.payments import NewPayment, PaymentMethod
from keranjang.payments.midtrans_wire import signature
from tests.integration import partner_midtrans, payment_partners
from tests.integration.conftest import System
from tests.integration.legacy_fixtures import Legacy, legacy_fixture
from tests.integration.partner_xendit import XenditHarness
from tests.integration.payment_partners import Delivered, PartnerHarness, SimulatorHarness
from tests.integration.test_partner_notifications import books, paid_at_partner, send, through

__all__ = ["legacy_fixture", "through"]
UNKNOWN = "KRJ-0badc0ffee"


def anomalies(client, kind: str) -> float:  # type: ignore[no-untyped-def]
    """`keranjang_payment_anomalies_total{kind=…}` as the service's /metrics reports it."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "keranjang_payment_anomalies_total" and sample.labels == {
                "kind": kind
            }:
                return float(sample.value)
    return 0.0


def relabelled(harness: PartnerHarness, note: Delivered, order_id: str) -> Delivered:
    """The settlement `note`, for another order id, verified as the partner's own: re-signed with
    the partner's key (Midtrans' format), or carrying the account's callback token (Xendit)."""
    body = note.json()
    if isinstance(harness, XenditHarness):
        body["data"] = dict(body["data"]) | {"reference_id": order_id}  # type: ignore[call-overload]
    else:
        key = (
            payment_partners.SERVER_KEY
            if isinstance(harness, SimulatorHarness)
            else partner_midtrans.SERVER_KEY
        )
        code, gross = str(body["status_code"]), str(body["gross_amount"])
        body |= {"order_id": order_id, "signature_key": signature(order_id, code, gross, key)}
    return Delivered(note.headers, json.dumps(body).encode())


def settlement(notes: list[Delivered]) -> Delivered:
    paid = {"settlement", "capture", "payment.succeeded", "PAID", "SETTLED"}
    return next(
        n
        for n in notes
        if {n.json().get("transaction_status"), n.json().get("event"), n.json().get("status")}
        & paid
    )


def test_a_signed_settlement_the_partner_does_not_know_gets_a_final_answer(
    system: System, through: PartnerHarness
) -> None:
    order = paid_at_partner(system, through)
    forged = relabelled(through, settlement(through.delivered()), UNKNOWN)
    before = anomalies(system.commerce, "unknown_at_partner")
    for _ in range(2):  # asked again, the same final answer
        code, outcome = send(system, forged)
        assert code == 200, outcome
        assert outcome.startswith("ignored") and "partner" in outcome, outcome
    assert anomalies(system.commerce, "unknown_at_partner") == before + 2
    assert books(system, order["id"])[:3] == ("awaiting_payment", 0, 0)


def test_a_settlement_of_an_order_commerce_does_not_know_is_answered_and_counted(
    system: System, through: PartnerHarness
) -> None:
    """The partner has the payment (another shop on the same account, a test payment), commerce
    has no such order: the partner is told to stop, and the anomaly is counted."""
    created = through.partner.create_payment(
        NewPayment(
            order_id=UNKNOWN,
            gross_amount=125_000,
            method=PaymentMethod.QRIS,
            description="not one of commerce's orders",
            finish_redirect_url="http://commerce.test/",
            expires_in=timedelta(minutes=30),
        )
    )
    through.pay(created)
    before = anomalies(system.commerce, "unknown_order")
    code, outcome = send(system, settlement(through.delivered()))
    assert (code, outcome) == (200, "ignored: no such order")
    assert anomalies(system.commerce, "unknown_order") == before + 1


def test_the_legacy_shop_answers_a_signed_settlement_the_partner_does_not_know(
    legacy: Legacy,
) -> None:
    seller = legacy.seller()
    viewer = legacy.viewer()
    order = legacy.buy(viewer, legacy.product(seller))
    legacy.pay(order)
    forged = relabelled(legacy.sim, settlement(legacy.inbox.delivered), UNKNOWN)
    before = anomalies(legacy.social, "unknown_at_partner")
    r = legacy.social.post("/legacy/payments/notifications", content=forged.body)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"].startswith("ignored"), r.text
    assert anomalies(legacy.social, "unknown_at_partner") == before + 1
