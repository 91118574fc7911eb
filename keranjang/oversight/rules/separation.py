"""Pasal 13: no interconnection between the system used for trade and systems used for other
purposes, and no misuse of users' data by the platform or its affiliates."""

from keranjang.evidence.commerce import CommerceEvidence
from keranjang.evidence.shared import HandoffSample
from keranjang.evidence.social import SocialEvidence
from keranjang.handoff import HandoffClaims
from keranjang.oversight.rules.base import Gathered, Outcome, Params, Rule, Severity, verdict

REGIME = "id-permendag-31-2023"
# The hand-off contract's allow-list: the only claim names a token may carry.
ALLOWED_CLAIMS = frozenset(HandoffClaims.model_fields)


def claims_outside_allow_list(side: str, sample: HandoffSample) -> list[str]:
    found = []
    for claims in sample.claim_sets:
        extra = sorted(set(claims) - ALLOWED_CLAIMS)
        if extra:
            found.append(
                f"{side}.handoff: a token carried {', '.join(extra)} (outside the allow-list)"
            )
    return found


def interconnection_findings(social: SocialEvidence, commerce: CommerceEvidence) -> list[str]:
    findings = []
    if social.system.database_id == commerce.system.database_id:
        findings.append(f"social and commerce report one database ({social.system.database_id})")
    shared = sorted(set(social.system.key_ids) & set(commerce.system.key_ids))
    if shared:
        findings.append(f"social and commerce hold the same keys: {', '.join(shared)}")
    findings += claims_outside_allow_list("social", social.handoff)
    findings += claims_outside_allow_list("commerce", commerce.handoff)
    return findings


def misuse_findings(social: SocialEvidence, commerce: CommerceEvidence) -> list[str]:
    findings = []
    data = social.buyer_data
    if data.rows_outside_legacy_shop:
        findings.append(
            f"social.buyer_data.rows_outside_legacy_shop = {data.rows_outside_legacy_shop}"
        )
    for m in data.purged_merchants_with_buyer_data:
        if m.emails or m.phones or m.addresses:
            findings.append(
                f"social holds buyer data of moved merchant {m.merchant_id} after its purge: "
                f"{m.emails} emails, {m.phones} phones, {m.addresses} addresses"
            )
    ids = commerce.social_identifiers
    if ids.columns or ids.rows:
        findings.append(
            f"commerce stores social identifiers: columns {', '.join(ids.columns) or '-'}, "
            f"{ids.rows} rows"
        )
    opt = social.personalisation
    if opt is not None and opt.personalised_after_opt_out:
        findings.append(
            f"social.personalisation.personalised_after_opt_out = {opt.personalised_after_opt_out}"
        )
    return findings


def no_interconnection(evidence: Gathered, params: Params) -> Outcome:
    social, commerce = evidence.social, evidence.commerce
    assert isinstance(social, SocialEvidence) and isinstance(commerce, CommerceEvidence)
    return verdict(
        "social+commerce",
        interconnection_findings(social, commerce),
        "separate databases and keys; every sampled hand-off token within the allow-list",
        "social and commerce are interconnected",
    )


def personalisation_read(social: SocialEvidence) -> str:
    """What the evidence says of the opt-out when nothing is wrong with it."""
    opt = social.personalisation
    if opt is None:
        return "social does not report its personalisation setting"
    return (
        f"the personalisation opt-out is honoured ({opt.opted_out_viewers} viewers opted out; "
        f"feeds personalised {opt.feeds_personalised}, newest first {opt.feeds_chronological})"
    )


def no_data_misuse(evidence: Gathered, params: Params) -> Outcome:
    social, commerce = evidence.social, evidence.commerce
    assert isinstance(social, SocialEvidence) and isinstance(commerce, CommerceEvidence)
    return verdict(
        "social+commerce",
        misuse_findings(social, commerce),
        "no buyer data in social outside the legacy shop, commerce holds no social identifier, "
        + personalisation_read(social),
        "users' data is misused across the systems",
    )


RULES = (
    Rule(
        id="pasal-13.no-interconnection",
        version=1,
        article="Permendag 31/2023 Pasal 13",
        regime=REGIME,
        text_id="Tidak ada interkoneksi antara Sistem Elektronik yang digunakan sebagai sarana "
        "PMSE dengan Sistem Elektronik yang digunakan untuk tujuan lain.",
        text_en="No interconnection between the electronic system used for trade and the "
        "systems used for other purposes.",
        reads=("social", "commerce"),
        severity=Severity.CRITICAL,
        check=no_interconnection,
        subject="social+commerce",
    ),
    Rule(
        id="pasal-13.no-data-misuse",
        version=1,
        article="Permendag 31/2023 Pasal 13",
        regime=REGIME,
        text_id="Tidak ada penyalahgunaan data pengguna oleh PPMSE atau afiliasinya.",
        text_en="No misuse of users' data by the platform or its affiliates.",
        reads=("social", "commerce"),
        severity=Severity.CRITICAL,
        check=no_data_misuse,
        subject="social+commerce",
    ),
)
