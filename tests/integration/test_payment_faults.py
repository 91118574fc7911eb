"""A thousand orders paid through the payment simulator while it duplicates, delays, reorders,
drops and forges notifications: every order ends up paid exactly once, no forgery changes
anything, reconciliation pays the orders whose notifications were lost, and the ledger balances.
Each checkout spans every shop, so it is paid at one partner payment for its 25 orders.

The buyers' carts are filled through the buying service (the cart API is tested elsewhere);
checkout, the partner's pay flow and every notification go through the real HTTP endpoints."""

import json
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from tests.integration.conftest import System
from tests.integration.payment_partners import HTML, SimulatorHarness
from tests.integration.test_checkout import buyer, checkout

MERCHANTS = 25  # a checkout places one order per merchant in the cart
CHECKOUTS = 40  # 25 x 40 = 1000 orders
BUYERS = 8
PRICE = 120_000
# The fault switches each checkout's notifications (its pending ones, then its settlements) are
# queued under, in turn: every fault alone, then all of them together.
PROFILES: list[dict[str, Any]] = [
    {"duplicate": 2},
    {"delay_seconds": 120, "forge": True},
    {"reorder": True, "duplicate": 2},
    {"drop_probability": 0.3},
    {
        "duplicate": 2,
        "delay_seconds": 30,
        "reorder": True,
        "forge": True,
        "drop_probability": 0.15,
    },
]


class Notifications:
    """Delivers what the simulator sends to commerce's endpoint and keeps score."""

    def __init__(self, system: System, partner: SimulatorHarness) -> None:
        self.system, self.partner = system, partner
        self.answers: Counter[int] = Counter()
        self.delivered: list[bytes] = []

    def deliver_due(self) -> None:
        while notes := self.partner.delivered():
            for note in notes:
                r = self.system.commerce.post(
                    "/payments/notifications",
                    content=note.body,
                    headers={"content-type": "application/json"},
                )
                self.answers[r.status_code] += 1
                self.delivered.append(note.body)

    def deliver_everything(self) -> None:
        self.system.clock.advance(seconds=max(p.get("delay_seconds", 0) for p in PROFILES))
        self.partner.client.post("/admin/notifications/release", headers=self.partner.operator())
        self.deliver_due()


def place_orders(system: System, partner: SimulatorHarness, notes: Notifications) -> list[int]:
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    products = [
        system.product(system.merchant(f"toko-{m}", f"Toko {m}"), price_idr=PRICE, stock=1_000)
        for m in range(MERCHANTS)
    ]
    buyers = [buyer(system, f"pembeli{b}@example.com") for b in range(BUYERS)]
    order_ids = []
    for n in range(CHECKOUTS):
        partner.set_faults(**PROFILES[n % len(PROFILES)])
        auth = buyers[n % BUYERS]
        buyer_id = buying.buyer_id(auth["Authorization"].removeprefix("Bearer "))
        for product in products:
            buying.set_quantity(buyer_id, product["id"], 1 + n % 3)
        r = checkout(system, auth, payment_method="virtual_account")
        assert r.status_code == 201, r.text
        orders = r.json()["orders"]
        [transaction] = {order["payment"]["partner_transaction_id"] for order in orders}
        paid = partner.client.post(
            f"/pay/{transaction}",
            data={"method": "bank_transfer"},
            headers=HTML,
            follow_redirects=False,
        )
        assert paid.status_code == 303, paid.text
        order_ids.extend(order["id"] for order in orders)
        system.clock.advance(seconds=5)
        notes.deliver_due()  # some arrive between checkouts, the delayed and held ones later
    partner.set_faults()
    return order_ids


def settlements(s: Session, delivered: list[bytes], forged: set[bytes]) -> set[str]:
    """The orders a genuine settlement notification reached commerce for (each notification is
    of a checkout's one payment, for all its orders)."""
    genuine = [json.loads(body) for body in delivered if body not in forged]
    paid = {str(n["order_id"]) for n in genuine if n["transaction_status"] == "settlement"}
    c, link, o = money_db.CheckoutPaymentRow, money_db.CheckoutPaymentOrderRow, order_db.OrderRow
    orders = (
        select(o.number).join(link, link.order_id == o.id).join(c, c.id == link.checkout_payment_id)
    )
    return set(s.scalars(orders.where(c.number.in_(paid))))


def paid_orders(s: Session) -> set[str]:
    return set(
        s.scalars(select(order_db.OrderRow.number).where(order_db.OrderRow.status == "paid"))
    )


def test_a_thousand_orders_are_paid_exactly_once_through_faulty_notifications(
    system: System, partner: SimulatorHarness
) -> None:
    started = time.monotonic()
    state = system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.reconciliation.partner = partner.partner
    notes = Notifications(system, partner)
    with capture_logs() as logs:
        order_ids = place_orders(system, partner, notes)
        notes.deliver_everything()
    assert len(order_ids) == MERCHANTS * CHECKOUTS == 1000

    # Every forgery delivered, and only a forgery, was refused with 400 and logged.
    outbox = partner.service.outbox(limit=100_000)
    forged = {n.body.encode() for n in outbox if n.forged}
    forged_sent = sum(n.copies for n in outbox if n.forged and n.state == "sent")
    refused = [e for e in logs if e["event"] == "payment_notification_rejected"]
    assert forged_sent > CHECKOUTS // 2  # the forging profiles forge most checkouts' news
    assert notes.answers == {200: len(notes.delivered) - forged_sent, 400: forged_sent}
    assert len(refused) == forged_sent
    assert sum(body in forged for body in notes.delivered) == forged_sent

    # Before reconciliation: paid are exactly the orders whose genuine settlement arrived.
    with Session(system.commerce_engine) as s:
        settled_notified = settlements(s, notes.delivered, forged)
        assert paid_orders(s) == settled_notified
    lost = len(order_ids) - len(settled_notified)
    assert lost >= MERCHANTS and lost % MERCHANTS == 0  # the drops lost whole checkouts' news

    first = state.reconciliation.run()
    assert (first.checked, first.settled, first.unreachable) == (CHECKOUTS, lost // MERCHANTS, 0)
    assert first.disagreements == []
    second = state.reconciliation.run()
    assert (second.checked, second.settled, second.recorded) == (CHECKOUTS, 0, 0)
    assert second.disagreements == []

    with Session(system.commerce_engine) as s:
        totals = {
            order_id: total
            for order_id, total in s.execute(
                select(order_db.OrderRow.id, order_db.OrderRow.total_idr)
            )
        }
        assert set(totals) == set(order_ids)
        assert len(paid_orders(s)) == 1000
        paid_events = Counter(
            s.scalars(
                select(order_db.OrderEventRow.order_id).where(
                    order_db.OrderEventRow.to_status == "paid"
                )
            )
        )
        assert paid_events == Counter(order_ids)
        payment_refs = Counter(
            s.scalars(
                select(money_db.LedgerEntryRow.ref).where(money_db.LedgerEntryRow.kind == "payment")
            )
        )
        assert payment_refs == Counter(f"payment:{i}" for i in order_ids)
        invoices = Counter(s.scalars(select(order_db.InvoiceRow.order_id)))
        assert invoices == Counter(order_ids)

        debits, credits = money_db.totals(s)
        assert debits == credits
        escrow = money_db.owed(s, ledger.ESCROW)
        assert escrow == sum(totals.values())
        held = money_db.balances(s, [ledger.partner_clearing("simulator"), ledger.PARTNER_FEES])
        assert sum(held.values()) == escrow
        awaiting = s.scalar(
            select(func.count())
            .select_from(order_db.OrderRow)
            .where(order_db.OrderRow.status == OrderStatus.AWAITING_PAYMENT.value)
        )
        assert awaiting == 0
    print(f"\n1000 orders through faulty notifications in {time.monotonic() - started:.1f}s")
