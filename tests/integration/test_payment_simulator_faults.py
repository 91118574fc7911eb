"""The simulator's fault switches: notifications duplicated, delayed, reordered, dropped and
joined by forgeries, as a shop's notification handler must survive them."""

import uuid

import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments import (
    CreatedPayment,
    NewPayment,
    NotificationRejected,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
)
from tests.integration.payment_partners import SimulatorHarness, events


def create(sim: SimulatorHarness) -> CreatedPayment:
    order = f"ORD-{uuid.uuid4().hex[:10]}"
    new = NewPayment(order, 350_000, PaymentMethod.VIRTUAL_ACCOUNT, "Kemeja Batik Tulis")
    return sim.partner.create_payment(new)


def statuses(sim: SimulatorHarness) -> list[str]:
    return [str(d.json()["transaction_status"]) for d in sim.delivered()]


def test_duplicate_sends_each_notification_n_times_identically(sim: SimulatorHarness) -> None:
    sim.set_faults(duplicate=3)
    sim.pay(create(sim))
    delivered = sim.delivered()
    assert [d.json()["transaction_status"] for d in delivered] == ["pending"] * 3 + [
        "settlement"
    ] * 3
    assert len({d.body for d in delivered[3:]}) == 1
    paid = events(sim.partner, delivered[3:])
    assert len({e.dedupe_key for e in paid}) == 1
    assert all(e.is_paid for e in paid)


def test_delay_holds_notifications_back_for_that_long(
    sim: SimulatorHarness, clock: FixedClock
) -> None:
    sim.set_faults(delay_seconds=90)
    sim.pay(create(sim))
    assert sim.delivered() == []
    clock.advance(seconds=89)
    assert sim.delivered() == []
    clock.advance(seconds=1)
    assert statuses(sim) == ["pending", "settlement"]


def test_reorder_sends_held_notifications_newest_first(sim: SimulatorHarness) -> None:
    sim.set_faults(reorder=True)
    created = create(sim)
    sim.pay(created)
    sim.partner.refund(RefundRequest(created.order_id, "r-1", 50_000))
    assert sim.delivered() == []
    released = sim.client.post("/admin/notifications/release", headers=sim.operator())
    assert released.json() == {"count": 3}
    notified = events(sim.partner, sim.delivered())
    assert [e.status for e in notified] == [
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.PAID,
        PaymentStatus.PENDING,
    ]
    assert notified[0].occurred_at >= notified[1].occurred_at >= notified[2].occurred_at


def test_drop_next_loses_exactly_that_many(sim: SimulatorHarness) -> None:
    sim.set_faults(drop_next=1)
    created = create(sim)
    sim.pay(created)
    assert statuses(sim) == ["settlement"]
    states = {n.transaction_status: n.state for n in sim.service.outbox(created.order_id)}
    assert states == {"pending": "dropped", "settlement": "sent"}
    assert sim.client.get("/admin/faults", headers=sim.operator()).json()["drop_next"] == 0


def test_drop_probability_one_loses_everything_and_zero_nothing(sim: SimulatorHarness) -> None:
    sim.set_faults(drop_probability=1.0)
    sim.pay(create(sim))
    assert sim.delivered() == []
    sim.set_faults(drop_probability=0.0)
    sim.pay(create(sim))
    assert statuses(sim) == ["pending", "settlement"]


def test_drop_probability_drops_about_that_share(sim: SimulatorHarness) -> None:
    sim.set_faults(drop_probability=0.5)
    for _ in range(40):
        create(sim)
    delivered = len(sim.delivered())
    assert 8 <= delivered <= 32  # seeded: the same every run


def test_lost_notifications_are_recovered_by_a_status_lookup(sim: SimulatorHarness) -> None:
    sim.set_faults(drop_probability=1.0)
    created = create(sim)
    sim.pay(created)
    assert sim.delivered() == []
    assert sim.partner.status(created.order_id).is_paid


def test_forge_adds_a_forgery_that_the_adapter_rejects(sim: SimulatorHarness) -> None:
    sim.set_faults(forge=True)
    created = create(sim)
    delivered = sim.delivered()
    assert len(delivered) == 2
    real, forged = delivered
    assert forged.json()["transaction_status"] == "settlement"
    assert sim.partner.parse_notification(real.headers, real.body).status is PaymentStatus.PENDING
    with pytest.raises(NotificationRejected) as rejected:
        sim.partner.parse_notification(forged.headers, forged.body)
    assert rejected.value.reason == "bad_signature"
    assert [n.forged for n in sim.service.outbox(created.order_id)] == [True, False]


def test_switches_combine_and_reset(sim: SimulatorHarness, clock: FixedClock) -> None:
    sim.set_faults(duplicate=2, delay_seconds=10, forge=True)
    create(sim)
    clock.advance(seconds=10)
    assert len(sim.delivered()) == 4  # the real one twice, the forgery twice
    sim.set_faults()
    create(sim)
    assert len(sim.delivered()) == 1


@pytest.mark.parametrize(
    "switches",
    [
        {"duplicate": 0},
        {"duplicate": 11},
        {"delay_seconds": -1},
        {"drop_probability": 1.5},
        {"drop_next": -1},
        {"surprise": True},
    ],
)
def test_switches_out_of_range_are_refused(
    sim: SimulatorHarness, switches: dict[str, object]
) -> None:
    answer = sim.client.put("/admin/faults", json=switches, headers=sim.operator())
    assert answer.status_code == 422
    assert sim.client.get("/admin/faults", headers=sim.operator()).json()["duplicate"] == 1


def test_the_outbox_shows_each_notification_and_its_fate(sim: SimulatorHarness) -> None:
    created = create(sim)
    sim.delivered()
    answer = sim.client.get(
        "/admin/notifications", params={"order_id": created.order_id}, headers=sim.operator()
    )
    (entry,) = answer.json()
    assert entry["transaction_status"] == "pending"
    assert (entry["state"], entry["attempts"], entry["forged"]) == ("sent", 1, False)


def test_an_operator_can_dispatch_now(sim: SimulatorHarness) -> None:
    create(sim)
    answer = sim.client.post("/admin/notifications/dispatch", headers=sim.operator())
    assert answer.json() == {"sent": 1, "failed": 0}
    assert len(sim.shop.take()) == 1
