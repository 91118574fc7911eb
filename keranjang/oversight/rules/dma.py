"""A second regime: the EU Digital Markets Act, Article 5(2) — a gatekeeper may not combine
personal data from one core platform service with data from its other services without the
user's consent. It reads the same evidence as Pasal 13, under its own legal text."""

from keranjang.evidence.commerce import CommerceEvidence
from keranjang.evidence.social import SocialEvidence
from keranjang.oversight.rules.base import Gathered, Outcome, Params, Rule, Severity, verdict
from keranjang.oversight.rules.separation import interconnection_findings, misuse_findings


def no_combined_personal_data(evidence: Gathered, params: Params) -> Outcome:
    social, commerce = evidence.social, evidence.commerce
    assert isinstance(social, SocialEvidence) and isinstance(commerce, CommerceEvidence)
    return verdict(
        "social+commerce",
        interconnection_findings(social, commerce) + misuse_findings(social, commerce),
        "no personal data combined across the social and shop services",
        "personal data is combined across services",
    )


RULES = (
    Rule(
        id="dma-5-2.no-combining-personal-data",
        version=1,
        article="Regulation (EU) 2022/1925 (DMA) Article 5(2)",
        regime="eu-dma",
        text_id="Gatekeeper tidak boleh menggabungkan data pribadi dari satu layanan platform "
        "inti dengan data pribadi dari layanan lain tanpa persetujuan pengguna.",
        text_en="The gatekeeper shall not combine personal data from the relevant core platform "
        "service with personal data from any further services without the end user's consent.",
        reads=("social", "commerce"),
        severity=Severity.CRITICAL,
        check=no_combined_personal_data,
        subject="social+commerce",
    ),
)
