"""The sanctions ladder of Permendag 31/2023 (administrative sanctions, in order): a rule still
failing past the deadline climbs it with the days it has failed since the deadline."""

import enum
from collections.abc import Mapping
from datetime import datetime

from keranjang.oversight.rules.base import Status


class Sanction(enum.StrEnum):
    WARNING = "warning"  # peringatan tertulis
    PRIORITY_SUPERVISION = "priority_supervision"  # daftar prioritas pengawasan
    BLACKLIST = "blacklist"  # daftar hitam
    TEMPORARY_BLOCKING = "temporary_blocking"  # pemblokiran sementara
    LICENCE_REVOCATION = "licence_revocation"  # pencabutan izin usaha


NAMES_ID = {
    Sanction.WARNING: "peringatan tertulis",
    Sanction.PRIORITY_SUPERVISION: "dimasukkan dalam daftar prioritas pengawasan",
    Sanction.BLACKLIST: "dimasukkan dalam daftar hitam",
    Sanction.TEMPORARY_BLOCKING: "pemblokiran sementara layanan",
    Sanction.LICENCE_REVOCATION: "pencabutan izin usaha",
}
# Days a rule has failed past the deadline before each step is reached.
DEFAULT_THRESHOLDS: Mapping[Sanction, float] = {
    Sanction.WARNING: 0,
    Sanction.PRIORITY_SUPERVISION: 7,
    Sanction.BLACKLIST: 14,
    Sanction.TEMPORARY_BLOCKING: 30,
    Sanction.LICENCE_REVOCATION: 60,
}


def step(
    status: Status,
    failing_since: datetime,
    now: datetime,
    deadline: datetime,
    thresholds: Mapping[Sanction, float] = DEFAULT_THRESHOLDS,
) -> Sanction | None:
    """The highest step reached: counted from the later of the deadline and when the rule
    started failing; none for a rule that is not failing or not yet past the deadline."""
    if status is not Status.FAIL or now <= deadline:
        return None
    days = (now - max(deadline, failing_since)).total_seconds() / 86_400
    reached = [s for s in Sanction if s in thresholds and days >= thresholds[s]]
    return reached[-1] if reached else None
