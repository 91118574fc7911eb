"""Each rule of the monitor as a pure function: pass on a compliant world, fail on the one
violation it exists for (naming the evidence), insufficient data when its evidence is missing;
the sanctions ladder; the latency quantile; the positive list; the regimes."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keranjang.evidence.commerce import CrossBorderListing, ForeignMerchant, StandardsGap
from keranjang.evidence.payments import NotificationTarget
from keranjang.evidence.positive_list import default as positive_list
from keranjang.evidence.social import Latency, MerchantBuyerData
from keranjang.oversight import regime, sample_evidence
from keranjang.oversight.errors import EvidenceUnavailable, RegimeInvalid
from keranjang.oversight.evidence import gather
from keranjang.oversight.regime import Hosts
from keranjang.oversight.rules import BY_ID
from keranjang.oversight.rules.base import Outcome, Status
from keranjang.oversight.rules.migration import assess
from keranjang.oversight.rules.sanctions import Sanction, step
from keranjang.oversight.rules.service_levels import buckets, quantile

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
HOSTS = Hosts(commerce="127.0.0.1:8002", social="127.0.0.1:8001")
ID = regime.load()


def outcome(rule_id: str, **pieces: object) -> Outcome:
    fake = sample_evidence.compliant(NOW)
    fake.pieces.update({k.replace("__", ":"): v for k, v in pieces.items()})
    return BY_ID[rule_id].evaluate(gather(fake, NOW), ID.params(NOW, ID.deadline, HOSTS))


def test_every_rule_passes_or_does_not_apply_in_a_compliant_world() -> None:
    statuses = {r.id: outcome(r.id).status for r in ID.rules}
    assert set(statuses.values()) <= {Status.PASS, Status.NOT_APPLICABLE}


@pytest.mark.parametrize("rule", sorted(BY_ID))
def test_a_rule_whose_evidence_cannot_be_read_has_insufficient_data_never_a_pass(rule: str) -> None:
    down = {
        name.replace(":", "__"): EvidenceUnavailable("connection refused")
        for name in BY_ID[rule].reads
    }
    result = outcome(rule, **down)
    assert result.status is Status.INSUFFICIENT_DATA
    assert "connection refused" in result.summary


def test_a_payment_processed_in_the_social_app_fails_21_3() -> None:
    social = sample_evidence.social(NOW)
    shop = social.legacy_shop.model_copy(update={"payments_created_in_window": 1})
    result = outcome(
        "pasal-21-3.no-payments-in-social", social=social.model_copy(update={"legacy_shop": shop})
    )
    assert result.status is Status.FAIL
    assert "social.legacy_shop.payments_created_in_window = 1" in result.findings


def test_merchants_still_on_the_in_app_shop_fail_21_3_with_the_numbers() -> None:
    social = sample_evidence.social(NOW)
    shop = social.legacy_shop.model_copy(
        update={"merchants_on_shop": 4, "sales_idr_in_window": 90_000}
    )
    result = outcome(
        "pasal-21-3.no-payments-in-social", social=social.model_copy(update={"legacy_shop": shop})
    )
    assert result.status is Status.FAIL
    assert "social.legacy_shop.merchants_on_shop = 4" in result.findings


def test_the_simulator_notifying_social_fails_21_3() -> None:
    payments = sample_evidence.payments(NOW)
    target = NotificationTarget(host="127.0.0.1:8001", payments_created=2, notifications_sent=1)
    result = outcome(
        "pasal-21-3.no-payments-in-social",
        payments=payments.model_copy(update={"by_notification_host": [target]}),
    )
    assert result.status is Status.FAIL
    assert any("127.0.0.1:8001" in f for f in result.findings)


def test_social_notified_before_the_shop_closed_passes_21_3_and_after_it_fails() -> None:
    """The window still holds the move's tail (payments notified to social before the last
    seller's purge): once the shop has closed, only those after that moment are violations."""
    closed = NOW - timedelta(minutes=10)
    social = sample_evidence.social(NOW)
    shop = social.legacy_shop.model_copy(update={"closed_at": closed})
    before = NotificationTarget(
        host="127.0.0.1:8001",
        payments_created=3,
        notifications_sent=2,
        last_payment_created_at=closed - timedelta(minutes=20),
        last_notification_sent_at=closed - timedelta(seconds=1),
    )
    late = before.model_copy(update={"last_notification_sent_at": closed + timedelta(seconds=1)})
    results = [
        outcome(
            "pasal-21-3.no-payments-in-social",
            social=social.model_copy(update={"legacy_shop": shop}),
            payments=sample_evidence.payments(NOW).model_copy(
                update={"by_notification_host": [target]}
            ),
        )
        for target in (before, late)
    ]
    assert [r.status for r in results] == [Status.PASS, Status.FAIL]
    assert any("after the shop closed" in f for f in results[1].findings)


def test_a_handoff_claim_outside_the_allow_list_fails_13_interconnection() -> None:
    commerce = sample_evidence.commerce(NOW)
    sample = commerce.handoff.model_copy(
        update={"claim_sets": [[*sample_evidence.CLAIMS, "email"]]}
    )
    result = outcome(
        "pasal-13.no-interconnection", commerce=commerce.model_copy(update={"handoff": sample})
    )
    assert result.status is Status.FAIL
    assert any("email" in f and "allow-list" in f for f in result.findings)


def test_one_database_for_social_and_commerce_fails_13_interconnection() -> None:
    commerce = sample_evidence.commerce(NOW)
    same = commerce.system.model_copy(update={"database_id": "social-db-0001"})
    result = outcome(
        "pasal-13.no-interconnection", commerce=commerce.model_copy(update={"system": same})
    )
    assert result.status is Status.FAIL


def test_a_buyers_email_kept_in_social_for_a_moved_merchant_fails_13_misuse() -> None:
    social = sample_evidence.social(NOW)
    kept = MerchantBuyerData(merchant_id=9, emails=1, phones=0, addresses=0)
    data = social.buyer_data.model_copy(update={"purged_merchants_with_buyer_data": [kept]})
    result = outcome(
        "pasal-13.no-data-misuse", social=social.model_copy(update={"buyer_data": data})
    )
    assert result.status is Status.FAIL
    assert any("moved merchant 9" in f and "1 emails" in f for f in result.findings)


def test_the_opt_out_ignored_fails_13_misuse_and_the_dma() -> None:
    social = sample_evidence.social(NOW)
    opt = social.personalisation.model_copy(update={"personalised_after_opt_out": 3})  # type: ignore[union-attr]
    broken = social.model_copy(update={"personalisation": opt})
    assert outcome("pasal-13.no-data-misuse", social=broken).status is Status.FAIL
    assert outcome("dma-5-2.no-combining-personal-data", social=broken).status is Status.FAIL


def listing(hs: str, fob: int, currency: str = "USD") -> CrossBorderListing:
    return CrossBorderListing(
        listing_id=5, merchant_id=8, hs_code=hs, fob_minor=fob, currency=currency
    )


def with_listings(*listings: CrossBorderListing) -> object:
    commerce = sample_evidence.commerce(NOW)
    cross = commerce.cross_border.model_copy(
        update={"listings": list(listings), "total": len(listings)}
    )
    return commerce.model_copy(update={"cross_border": cross})


def test_a_cross_border_listing_at_99_99_off_the_positive_list_fails_19() -> None:
    result = outcome(
        "pasal-19.cross-border-floor", commerce=with_listings(listing("6205.20.00", 99_99))
    )
    assert result.status is Status.FAIL
    assert "listing 5 (merchant 8, HS 6205.20.00): FOB US$99.99" in result.findings[0]


def test_the_floor_itself_and_positive_list_goods_pass_19() -> None:
    floor = listing("6205.20.00", 100_00)
    book = listing("4901.99.10", 5_00)
    assert (
        outcome("pasal-19.cross-border-floor", commerce=with_listings(floor, book)).status
        is Status.PASS
    )


def test_other_currencies_convert_at_the_official_rate() -> None:
    # 1 563 600 rupiah at 15 637 a dollar is US$99.99…; 1 563 700 is US$100.
    below = listing("6205.20.00", 1_563_600, "IDR")
    at = listing("6205.20.00", 1_563_700, "IDR")
    assert (
        outcome("pasal-19.cross-border-floor", commerce=with_listings(below)).status is Status.FAIL
    )
    assert outcome("pasal-19.cross-border-floor", commerce=with_listings(at)).status is Status.PASS
    unknown = outcome(
        "pasal-19.cross-border-floor", commerce=with_listings(listing("6205.20.00", 10**9, "XAU"))
    )
    assert "no official rate for XAU" in unknown.findings[0]


def test_a_foreign_merchant_missing_a_document_fails_5() -> None:
    commerce = sample_evidence.commerce(NOW)
    lacking = ForeignMerchant(
        merchant_id=7, documents=[d for d in sample_evidence.DOCUMENTS if d != "halal_proof"]
    )
    merchants = commerce.foreign_merchants.model_copy(update={"merchants": [lacking]})
    result = outcome(
        "pasal-5.foreign-merchant-registration",
        commerce=commerce.model_copy(update={"foreign_merchants": merchants}),
    )
    assert result.status is Status.FAIL
    assert result.findings == ("foreign merchant 7 lacks halal_proof",)


def test_a_listing_without_its_sni_number_fails_11() -> None:
    commerce = sample_evidence.commerce(NOW)
    gap = StandardsGap(listing_id=3, merchant_id=2, required=["SNI"], shown=[])
    standards = commerce.standards.model_copy(update={"missing": [gap]})
    result = outcome(
        "pasal-11.standards-proof-shown",
        commerce=commerce.model_copy(update={"standards": standards}),
    )
    assert result.status is Status.FAIL and "does not show SNI" in result.findings[0]


def test_listings_by_a_merchant_the_platform_operates_fail_21_2() -> None:
    commerce = sample_evidence.commerce(NOW)
    producer = commerce.producer.model_copy(
        update={"platform_operated_merchants": [1], "listings_by_platform": 2}
    )
    result = outcome(
        "pasal-21-2.platform-not-producer",
        commerce=commerce.model_copy(update={"producer": producer}),
    )
    assert result.status is Status.FAIL


def test_an_invoice_link_on_the_social_app_fails() -> None:
    social = sample_evidence.social(NOW)
    links = social.invoice_links.model_copy(
        update={"issued_in_window": 1, "link_hosts": ["127.0.0.1:8001"]}
    )
    result = outcome(
        "pasal-21-3.invoices-on-commerce", social=social.model_copy(update={"invoice_links": links})
    )
    assert result.status is Status.FAIL


def test_a_slow_handoff_fails_its_sla_and_no_traffic_does_not_apply() -> None:
    slow = (
        'keranjang_http_request_duration_seconds_bucket{route="/handoff",le="0.5"} 10.0\n'
        'keranjang_http_request_duration_seconds_bucket{route="/handoff",le="2.5"} 100.0\n'
        'keranjang_http_request_duration_seconds_bucket{route="/handoff",le="+Inf"} 100.0\n'
    )
    failing = outcome("service-level.handoff-latency", metrics__commerce=slow)
    assert failing.status is Status.FAIL and "commerce /handoff" in failing.findings[0]
    quiet = outcome("service-level.handoff-latency", metrics__commerce="", metrics__social="")
    assert quiet.status is Status.NOT_APPLICABLE


def test_the_shop_tab_is_judged_against_its_sla_where_social_times_it() -> None:
    social = sample_evidence.social(NOW)
    assert outcome("service-level.shop-tab-open").status is Status.PASS

    def tab(latency: Latency | None) -> Outcome:
        return outcome(
            "service-level.shop-tab-open",
            social=social.model_copy(update={"shop_tab_open": latency}),
        )

    slow = tab(Latency(samples=50, p95_ms=1_500.0))
    assert slow.status is Status.FAIL and "over the 1000 ms SLA" in slow.findings[0]
    assert tab(Latency(samples=0, p95_ms=None)).status is Status.NOT_APPLICABLE
    assert tab(None).status is Status.NOT_APPLICABLE


def test_the_quantile_interpolates_within_buckets_like_prometheus() -> None:
    text = sample_evidence.HISTOGRAM.format(route="/handoff", service="commerce")
    assert buckets(text, "/handoff") == [(0.01, 90.0), (0.05, 99.0), (float("inf"), 100.0)]
    assert quantile(0.5, buckets(text, "/handoff")) == pytest.approx(0.01 * 50 / 90)
    assert quantile(0.995, buckets(text, "/handoff")) == 0.05  # past the last finite bound
    assert quantile(0.95, []) is None


@pytest.mark.parametrize(
    ("percent", "eta", "now", "expected"),
    [
        (100.0, None, NOW, "done"),
        (87.0, NOW + timedelta(days=5), NOW, "on_track"),
        (87.0, NOW + timedelta(days=90), NOW, "at_risk"),
        (87.0, None, NOW, "at_risk"),
        (87.0, None, NOW + timedelta(days=60), "late"),
    ],
)
def test_migration_is_on_track_at_risk_or_late(
    percent: float, eta: datetime | None, now: datetime, expected: str
) -> None:
    assert assess(percent, eta, now, ID.deadline) == expected


def test_a_migration_category_short_of_done_past_the_deadline_fails_as_late() -> None:
    late = NOW + timedelta(days=60)
    fake = sample_evidence.compliant(late)
    fake.pieces["migration"] = sample_evidence.progress(late, percent=87.0)
    result = BY_ID["migration.payment"].evaluate(
        gather(fake, late), ID.params(late, ID.deadline, HOSTS)
    )
    assert (result.status, result.assessment) == (Status.FAIL, "late")


def test_the_sanctions_ladder_climbs_with_the_days_failed_past_the_deadline() -> None:
    deadline = ID.deadline
    climb = [
        step(Status.FAIL, deadline - timedelta(days=9), deadline + timedelta(days=d), deadline)
        for d in (0, 1, 8, 15, 31, 61)
    ]
    assert climb == [
        None,
        Sanction.WARNING,
        Sanction.PRIORITY_SUPERVISION,
        Sanction.BLACKLIST,
        Sanction.TEMPORARY_BLOCKING,
        Sanction.LICENCE_REVOCATION,
    ]
    # Counted from when the rule started failing, if that was after the deadline.
    assert (
        step(Status.FAIL, deadline + timedelta(days=30), deadline + timedelta(days=31), deadline)
        is Sanction.WARNING
    )
    assert step(Status.PASS, deadline, deadline + timedelta(days=99), deadline) is None
    assert (
        step(
            Status.FAIL,
            deadline,
            deadline + timedelta(days=8),
            deadline,
            {Sanction.WARNING: 0, Sanction.BLACKLIST: 5},
        )
        is Sanction.BLACKLIST
    )


def test_the_positive_list_holds_23_eight_digit_codes_in_four_groups_and_says_it_is_reconstructed() -> (
    None
):
    listed = positive_list()
    assert {g: len(c) for g, c in listed.groups.items()} == {
        "books": 9,
        "films": 5,
        "software": 5,
        "music": 4,
    }
    assert len(listed.codes) == 23
    assert "RECONSTRUCTED" in listed.source
    assert listed.covers("4901.99.10") and listed.covers("4901991000")
    assert not listed.covers("4901.99") and not listed.covers("6205.20.00")


def test_the_dma_regime_reads_the_same_evidence_under_its_own_text(tmp_path: Path) -> None:
    dma = regime.load(regime.SHIPPED / "eu-dma.toml")
    assert [r.id for r in dma.rules] == ["dma-5-2.no-combining-personal-data"]
    assert "Article 5(2)" in dma.rules[0].article
    custom = tmp_path / "ministry.json"
    custom.write_text(
        '{"regime": {"id": "x", "name": "X", "deadline": "2024-04-12T00:00:00+07:00", "rules": ["pasal-19.cross-border-floor"]}, "params": {"floor_usd_cents": 5000}}'
    )
    assert regime.load(custom).params(NOW, NOW, HOSTS).floor_usd_cents == 5000
    custom.write_text(
        '{"regime": {"id": "x", "name": "X", "deadline": "2024-04-12", "rules": ["no-such-rule"]}}'
    )
    with pytest.raises(RegimeInvalid, match="no-such-rule"):
        regime.load(custom)


def test_a_migration_with_no_merchant_to_move_does_not_apply() -> None:
    empty = sample_evidence.progress(NOW, percent=0.0).model_copy(update={"merchants_total": 0})
    assert outcome("migration.overall", migration=empty).status is Status.NOT_APPLICABLE


def test_a_check_that_chokes_on_odd_evidence_says_insufficient_data_not_pass() -> None:
    from dataclasses import replace

    def broken(evidence: object, params: object) -> Outcome:
        raise ZeroDivisionError("a rate of zero")

    rule = replace(BY_ID["pasal-19.cross-border-floor"], check=broken)
    fake = sample_evidence.compliant(NOW)
    result = rule.evaluate(gather(fake, NOW), ID.params(NOW, ID.deadline, HOSTS))
    assert result.status is Status.INSUFFICIENT_DATA and "a rate of zero" in result.summary
