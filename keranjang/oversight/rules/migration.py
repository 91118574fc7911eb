"""The move out of the in-app shop, per category (payment, data, merchant operations) and
overall, against the deadline: done, on track, at risk (the ETA is past the deadline, or there
is no progress to extrapolate from) or late (the deadline has passed)."""

from datetime import datetime

from keranjang.evidence.migration import MigrationProgress
from keranjang.oversight.rules.base import Gathered, Outcome, Params, Rule, Severity, Status

NAMES = {
    "payment": ("Pembayaran", "Payment"),
    "data": ("Data", "Data"),
    "merchant_operations": ("Operasional pedagang", "Merchant operations"),
    "overall": ("Keseluruhan", "Overall"),
}


def percent_of(progress: MigrationProgress, category: str) -> float:
    if category == "overall":
        return progress.overall_percent
    return float(getattr(progress.categories, category).percent)


def assess(percent: float, eta: datetime | None, now: datetime, deadline: datetime) -> str:
    if percent >= 100:
        return "done"
    if now > deadline:
        return "late"
    if eta is None or eta > deadline:
        return "at_risk"
    return "on_track"


class CategoryCheck:
    """The check of one category (a class, so each rule's check knows its category)."""

    def __init__(self, category: str) -> None:
        self.category = category

    def __call__(self, evidence: Gathered, params: Params) -> Outcome:
        progress = evidence.migration
        assert isinstance(progress, MigrationProgress)
        if progress.merchants_total == 0:
            return Outcome(Status.NOT_APPLICABLE, self.category, "no merchant to move")
        percent = percent_of(progress, self.category)
        state = assess(percent, progress.eta, params.now, params.deadline)
        eta = progress.eta.isoformat() if progress.eta else "none (no recent progress)"
        facts = (
            f"migration.{self.category} = {percent:.2f} %",
            f"migration.eta = {eta}",
            f"deadline = {params.deadline.isoformat()}",
        )
        status = Status.PASS if state in ("done", "on_track") else Status.FAIL
        summary = f"{self.category.replace('_', ' ')} {percent:.2f} %: {state.replace('_', ' ')}"
        return Outcome(status, self.category, summary, facts, assessment=state)


def _rule(category: str) -> Rule:
    name_id, name_en = NAMES[category]
    return Rule(
        id=f"migration.{category}",
        version=1,
        article="Permendag 31/2023 Pasal 21 ayat (3) jo. Pasal 13; masa penyesuaian",
        regime="id-permendag-31-2023",
        text_id=f"Pemisahan sistem kategori {name_id} selesai sebelum batas waktu.",
        text_en=f"The separation's {name_en.lower()} category is complete by the deadline.",
        reads=("migration",),
        severity=Severity.CRITICAL if category == "overall" else Severity.MAJOR,
        check=CategoryCheck(category),
        subject=category,
    )


RULES = tuple(_rule(c) for c in NAMES)
