"""Pasal 21(3): a social-media platform may not facilitate payment transactions in its own
electronic system."""

from datetime import datetime

from keranjang.evidence.payments import NotificationTarget, PaymentsEvidence
from keranjang.evidence.social import SocialEvidence
from keranjang.oversight.rules.base import Gathered, Outcome, Params, Rule, Severity, verdict


def no_payments_in_social(evidence: Gathered, params: Params) -> Outcome:
    social, payments = evidence.social, evidence.payments
    assert isinstance(social, SocialEvidence) and isinstance(payments, PaymentsEvidence)
    shop, findings = social.legacy_shop, []
    if shop.payments_created_in_window:
        findings.append(
            f"social.legacy_shop.payments_created_in_window = {shop.payments_created_in_window}"
        )
    if shop.payment_notifications_in_window:
        findings.append(
            "social.legacy_shop.payment_notifications_in_window = "
            f"{shop.payment_notifications_in_window}"
        )
    if shop.merchants_on_shop:
        findings.append(f"social.legacy_shop.merchants_on_shop = {shop.merchants_on_shop}")
    if shop.sales_idr_in_window:
        findings.append(f"social.legacy_shop.sales_idr_in_window = {shop.sales_idr_in_window}")
    for target in payments.by_notification_host:
        if target.host == params.social_host and _active_since(target, shop.closed_at):
            findings.append(
                f"payments.by_notification_host[{target.host}]: {target.payments_created} created, "
                f"{target.notifications_sent} notified"
                + (
                    f", the latest after the shop closed at {shop.closed_at}"
                    if shop.closed_at
                    else ""
                )
            )
    return verdict(
        "social",
        findings,
        "no payment is created or notified in the social app, and no merchant sells there",
        "the social app still facilitates payments",
    )


def _active_since(target: NotificationTarget, closed_at: datetime | None) -> bool:
    """Payments the partner created or notified for the social app: any in the window while the
    in-app shop is open; once it closed (the last seller's purge), only those after that moment
    (the ones before were the move's tail). A partner that does not say when counts them all."""
    if not (target.payments_created or target.notifications_sent):
        return False
    latest = [t for t in (target.last_payment_created_at, target.last_notification_sent_at) if t]
    if closed_at is None or not latest:
        return True
    return max(latest) > closed_at


RULES = (
    Rule(
        id="pasal-21-3.no-payments-in-social",
        version=1,
        article="Permendag 31/2023 Pasal 21 ayat (3)",
        regime="id-permendag-31-2023",
        text_id="PPMSE dengan model bisnis Social-Commerce dilarang memfasilitasi transaksi "
        "pembayaran pada Sistem Elektroniknya.",
        text_en="A social-commerce platform may not facilitate payment transactions in its own "
        "electronic system.",
        reads=("social", "payments"),
        severity=Severity.CRITICAL,
        check=no_payments_in_social,
        subject="social",
    ),
)
