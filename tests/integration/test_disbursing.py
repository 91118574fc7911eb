"""Payouts sent through a disbursement partner, on the Xendit and Iris replicas: the seller's
statement shows the payout in transit, then paid out after the partner's callback, to the rupiah;
a failed one comes back to the payable balance with its reason; under duplicated, dropped,
reordered and forged callbacks and a crash between sending and recording, each payee is paid
exactly once and the ledger stays balanced."""

from typing import Any

import pytest

from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.commerce.money.domain import BankAccount
from keranjang.commerce.money.transit import in_transit
from keranjang.payments.disbursements import DisbursementEvent, DisbursementPartner, Transfer
from keranjang.payments.errors import NotificationRejected
from tests.integration.conftest import System
from tests.integration.partner_disbursements import FAILING_ACCOUNT, Replica
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_money import Shop
from tests.integration.test_payouts import (
    MERCHANT_SHARE,
    payouts,
    released_after_window,
    statement,
)

PARTNERS = ["xendit", "iris"]


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


def ready(shop: Shop, kind: str, account: str = "1234567890") -> tuple[Replica, DisbursingService]:
    """A completed order past its refund window, the merchant's bank account registered, and
    commerce paying out through the `kind` replica."""
    commerce = shop.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    commerce.payout_accounts.put(shop.m, BankAccount("bca", account, "Siti Rahayu"))
    shop.completed_order()
    assert released_after_window(shop) == 1
    replica = Replica(kind)
    return replica, disbursing(shop, replica.adapter())


def disbursing(shop: Shop, partner: DisbursementPartner) -> DisbursingService:
    svc = payouts(shop)
    return DisbursingService(svc.sessions, svc.clock, partner)


def figures(shop: Shop) -> dict[str, Any]:
    r = statement(shop)
    assert r.status_code == 200, r.text
    s = r.json()
    return {k: s[k] for k in ("in_transit_idr", "paid_out_idr")} | {
        "payable": s["closing"]["payable_idr"]
    }


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_statement_shows_a_payout_in_transit_then_paid_out_after_the_callback(
    shop: Shop, kind: str
) -> None:
    replica, svc = ready(shop, kind)
    batch = svc.run_batch()
    assert [p.amount_idr for p in batch.payouts] == [MERCHANT_SHARE]
    [sent] = svc.send_due()
    assert sent.status == "sent"
    assert figures(shop) == {"in_transit_idr": MERCHANT_SHARE, "paid_out_idr": 0, "payable": 0}

    headers, body = replica.finish(sent.key)
    for _ in range(3):  # the partner sends its callback more than once
        done = svc.notified(headers, body)
        assert done is not None and done.status == "completed"
    assert figures(shop) == {"in_transit_idr": 0, "paid_out_idr": MERCHANT_SHARE, "payable": 0}
    b = shop.balances()
    assert b[in_transit(f"merchant_payable:{shop.m}")] == 0
    assert b[f"partner_clearing:{svc.partner.name}"] == -MERCHANT_SHARE  # the money left once
    assert len(replica.by_key) == 1


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_failed_payout_comes_back_to_payable_and_the_statement_says_why(
    shop: Shop, kind: str
) -> None:
    replica, svc = ready(shop, kind, account=FAILING_ACCOUNT)
    svc.run_batch()
    [sent] = svc.send_due()
    failed = svc.notified(*replica.finish(sent.key))
    assert failed is not None and failed.status == "failed" and failed.failure
    assert figures(shop) == {"in_transit_idr": 0, "paid_out_idr": 0, "payable": MERCHANT_SHARE}
    movements = statement(shop).json()["movements"]
    [back] = [m for m in movements if m["kind"] == "payout_failed"]
    assert back["in_idr"] == MERCHANT_SHARE and failed.failure in back["memo"]


@pytest.mark.parametrize("kind", PARTNERS)
def test_dropped_reordered_and_forged_callbacks_pay_each_payee_once(shop: Shop, kind: str) -> None:
    replica, svc = ready(shop, kind)
    svc.run_batch()
    [sent] = svc.send_due()
    early = replica.callback(sent.key)  # a pending callback, delivered late (reordered)
    headers, body = replica.finish(sent.key)  # dropped: never delivered
    with pytest.raises(NotificationRejected):
        svc.notified({k: "forged" for k in headers}, body)
    assert figures(shop)["in_transit_idr"] == MERCHANT_SHARE  # nothing believed yet
    [closed] = svc.reconcile()  # the look-up closes the dropped callback
    assert closed.status == "completed"
    assert svc.notified(*early) is not None  # the stale one changes nothing
    assert svc.reconcile() == [] and svc.send_due() == []
    assert figures(shop) == {"in_transit_idr": 0, "paid_out_idr": MERCHANT_SHARE, "payable": 0}
    assert svc.run_batch().payouts == ()  # nothing left to pay


class Crash(Exception):
    """The process dies after the partner took the send, before commerce recorded it."""


class DiesAfterSending:
    def __init__(self, partner: DisbursementPartner) -> None:
        self.partner = partner
        self.name = partner.name

    def send(self, transfer: Transfer) -> DisbursementEvent:
        self.partner.send(transfer)
        raise Crash

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.partner, attr)


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_send_interrupted_before_it_was_recorded_is_sent_again_and_paid_once(
    shop: Shop, kind: str
) -> None:
    replica, _ = ready(shop, kind)
    dying = disbursing(shop, DiesAfterSending(replica.adapter()))  # type: ignore[arg-type]
    dying.run_batch()
    with pytest.raises(Crash):
        dying.send_due()
    restarted = disbursing(shop, replica.adapter())
    [sent] = restarted.send_due()  # still due: sent again under the same key
    assert sent.status == "sent" and len(replica.by_key) == 1 and replica.sends == 2
    restarted.notified(*replica.finish(sent.key))
    assert restarted.send_due() == [] and restarted.reconcile() == []
    assert figures(shop) == {"in_transit_idr": 0, "paid_out_idr": MERCHANT_SHARE, "payable": 0}


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_look_up_with_another_amount_is_not_believed_and_changes_nothing(
    shop: Shop, kind: str
) -> None:
    replica, svc = ready(shop, kind)
    svc.run_batch()
    [sent] = svc.send_due()
    replica.finish(sent.key)
    d = replica.by_key[sent.key]
    d["amount"] = 999_999 if kind == "xendit" else "999999.00"  # the partner's books disagree
    assert svc.reconcile() == []  # logged, left for the next round
    assert figures(shop) == {"in_transit_idr": MERCHANT_SHARE, "paid_out_idr": 0, "payable": 0}
