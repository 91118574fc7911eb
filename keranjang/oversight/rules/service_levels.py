"""Service the ministry measured: the hand-off's latency (p95, from each service's Prometheus
histogram) and the Shop tab's time to open against their SLA, and invoices issued by the shop
back-end with links on commerce, never on the social app."""

import math
from collections.abc import Callable, Iterable

from prometheus_client.parser import text_string_to_metric_families

from keranjang.evidence.commerce import CommerceEvidence
from keranjang.evidence.social import SocialEvidence
from keranjang.oversight.rules.base import (
    Gathered,
    Outcome,
    Params,
    Rule,
    Severity,
    Status,
    verdict,
)

REGIME = "id-permendag-31-2023"
HISTOGRAM = "keranjang_http_request_duration_seconds"
BUCKET = HISTOGRAM + "_bucket"


def buckets(metrics: str, route: str) -> list[tuple[float, float]]:
    """(upper bound in seconds, cumulative count) of the route's latency histogram, summed over
    every other label, in ascending order."""
    counts: dict[float, float] = {}
    for family in text_string_to_metric_families(metrics):  # typed or not, by sample name
        for sample in family.samples:
            if sample.name == BUCKET and sample.labels.get("route") == route:
                bound = float(sample.labels["le"])
                counts[bound] = counts.get(bound, 0.0) + sample.value
    return sorted(counts.items())


def quantile(q: float, cumulative: Iterable[tuple[float, float]]) -> float | None:
    """Prometheus' histogram_quantile: linear within the bucket the rank falls in; the highest
    finite bound when it falls in +Inf; None with no observations."""
    points = list(cumulative)
    if not points or points[-1][1] <= 0:
        return None
    rank, lower, below = q * points[-1][1], 0.0, 0.0
    for bound, count in points:
        if count >= rank:
            if math.isinf(bound):
                return lower
            share = (rank - below) / (count - below) if count > below else 1.0
            return lower + (bound - lower) * share
        lower, below = bound, count
    return lower


def handoff_latency(evidence: Gathered, params: Params) -> Outcome:
    findings, measured = [], []
    for service, route in sorted(params.handoff_routes.items()):
        text = evidence.metrics.get(service)
        assert isinstance(text, str)
        try:
            p95 = quantile(0.95, buckets(text, route))
        except ValueError as exc:  # a /metrics page that is not Prometheus text
            return Outcome(Status.INSUFFICIENT_DATA, "handoff", f"{service} /metrics: {exc}")
        if p95 is None:
            continue
        measured.append(f"{service} {route}: p95 {p95 * 1000:.1f} ms")
        if p95 * 1000 > params.handoff_sla_ms:
            findings.append(
                f"{service} {route}: p95 {p95 * 1000:.1f} ms over the {params.handoff_sla_ms:g} ms SLA"
            )
    if not measured:
        return Outcome(Status.NOT_APPLICABLE, "handoff", "no hand-off measured yet")
    outcome = verdict("handoff", findings, "hand-off p95 within the SLA", "hand-off too slow")
    return (
        outcome
        if findings
        else Outcome(outcome.status, "handoff", outcome.summary, tuple(measured))
    )


def shop_tab_latency(evidence: Gathered, params: Params) -> Outcome:
    social = evidence.social
    assert isinstance(social, SocialEvidence)
    tab = social.shop_tab_open
    if tab is None:
        return Outcome(Status.NOT_APPLICABLE, "social", "social does not report the Shop tab")
    if tab.p95_ms is None or not tab.samples:
        return Outcome(Status.NOT_APPLICABLE, "social", "no way into the shop opened in the window")
    measured = f"Shop tab p95 {tab.p95_ms:.0f} ms over {tab.samples} openings"
    if tab.p95_ms > params.shop_tab_sla_ms:
        found = [f"{measured}, over the {params.shop_tab_sla_ms:g} ms SLA"]
        return verdict("social", found, measured, "the Shop tab is slow")
    return Outcome(
        Status.PASS, "social", f"{measured}, within the {params.shop_tab_sla_ms:g} ms SLA"
    )


def invoices_on_commerce(evidence: Gathered, params: Params) -> Outcome:
    social, commerce = evidence.social, evidence.commerce
    assert isinstance(social, SocialEvidence) and isinstance(commerce, CommerceEvidence)
    found = []
    if social.invoice_links.issued_in_window or social.invoice_links.link_hosts:
        found.append(
            f"the social app shows {social.invoice_links.issued_in_window} invoice links "
            f"(hosts {', '.join(social.invoice_links.link_hosts) or '-'})"
        )
    found += [
        f"commerce issued invoice links on {host}, not on commerce ({params.commerce_host})"
        for host in commerce.invoices.link_hosts
        if host != params.commerce_host
    ]
    return verdict(
        "commerce",
        found,
        "invoices are issued by commerce with links on commerce",
        "invoice links outside commerce",
    )


Check = Callable[[Gathered, Params], Outcome]


def _rule(key: str, texts: tuple[str, str], reads: tuple[str, ...], check: Check) -> Rule:
    return Rule(
        id=key,
        version=1,
        article="Permendag 31/2023 Pasal 21 ayat (3); service level",
        regime=REGIME,
        text_id=texts[0],
        text_en=texts[1],
        reads=reads,
        severity=Severity.MINOR,
        check=check,
        subject=key.rsplit(".", 1)[-1],
    )


RULES = (
    _rule(
        "service-level.handoff-latency",
        (
            "Waktu hand-off dari keranjang kuning ke toko (p95) memenuhi tingkat layanan.",
            "The yellow cart's hand-off to the shop (p95) meets its service level.",
        ),
        ("metrics:social", "metrics:commerce"),
        handoff_latency,
    ),
    _rule(
        "service-level.shop-tab-open",
        (
            "Tab Shop terbuka dalam batas tingkat layanan (p95).",
            "The Shop tab opens within its service level (p95).",
        ),
        ("social",),
        shop_tab_latency,
    ),
    _rule(
        "pasal-21-3.invoices-on-commerce",
        (
            "Faktur diterbitkan oleh sistem toko dengan tautan pada sistem toko, tidak pada "
            "aplikasi media sosial.",
            "Invoices are issued by the shop back-end with links on it, never on the social app.",
        ),
        ("social", "commerce"),
        invoices_on_commerce,
    ),
)
