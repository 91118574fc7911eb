"""The payment simulator's evidence for the regulator, on SQLite and PostgreSQL: payments
created and notifications sent in the window, by the host notified (social's in-app shop names
social's own URL; commerce's payments go to the configured URL), counts and sums by status;
never a buyer's details; the regulator's token only."""

from keranjang.payments import NewPayment, PaymentMethod
from tests.integration.evidence_checks import (
    assert_names_no_buyer,
    assert_regulator_only,
    monitor_reading,
    read,
    regulator_env,  # noqa: F401
)
from tests.integration.legacy_fixtures import ADDRESS, Legacy, legacy_fixture  # noqa: F401
from tests.integration.payment_partners import OPERATOR

PATH = "/evidence/payments"
BUYERS = ("siti@example.com", "Siti", *ADDRESS.values())


def social_and_commerce_payments(legacy: Legacy) -> None:
    """One payment social's in-app shop asked for and the buyer paid; one commerce asked for
    (notified at the configured URL) and paid too."""
    seller = legacy.seller()
    legacy.pay(legacy.buy(legacy.viewer("siti@example.com"), legacy.product(seller)))
    created = legacy.sim.partner.create_payment(
        NewPayment("KRJ-0000000042-1", 365_000, PaymentMethod.VIRTUAL_ACCOUNT, "Pesanan 42")
    )
    paid = legacy.sim.pay(created)
    assert paid.status_code in (200, 303), paid.text
    legacy.deliver()


def test_payments_by_the_host_notified(legacy: Legacy) -> None:
    social_and_commerce_payments(legacy)
    body = read(legacy.sim.client, PATH)
    hosts = {t["host"]: t for t in body["by_notification_host"]}
    assert set(hosts) == {"social.test", "commerce.test"}
    social, commerce = hosts["social.test"], hosts["commerce.test"]
    assert social["payments_created"] == commerce["payments_created"] == 1
    assert social["notifications_sent"] == len(legacy.inbox.delivered) >= 1
    assert commerce["notifications_sent"] >= 1
    assert social["payments_by_status"] == [
        {"status": "settlement", "count": 1, "sum_idr": 45_000 + 15_000}
    ]
    assert commerce["payments_by_status"] == [
        {"status": "settlement", "count": 1, "sum_idr": 365_000}
    ]
    assert body["system"]["service"] == "payments"
    assert_names_no_buyer(body, *BUYERS)

    legacy.system.clock.advance(days=2)
    assert read(legacy.sim.client, PATH)["by_notification_host"] == []
    wide = read(legacy.sim.client, PATH, window_seconds=3 * 24 * 3600)
    assert len(wide["by_notification_host"]) == 2


def test_the_monitor_reads_the_simulator_s_evidence_as_it_is(legacy: Legacy) -> None:
    social_and_commerce_payments(legacy)
    parsed = monitor_reading(legacy.sim.client, "payments").payments()
    assert {t.host for t in parsed.by_notification_host} == {"social.test", "commerce.test"}


def test_only_the_regulator_reads_the_simulator_s_evidence(legacy: Legacy) -> None:
    assert_regulator_only(legacy.sim.client, PATH, OPERATOR)
