"""Progress of the whole migration, per category and overall, as plain rules (no web, no
database): what the regulator watched climb from 70% to done.

- **payment**: the share of the legacy shop's sales (rupiah) whose merchants now transact in
  commerce (cut over);
- **data**: the share of legacy rows copied, verified and finally purged (a third each);
- **merchant operations**: the share of merchants bound (seller tools in commerce), with their
  payout account, and their pins on commerce (three items a merchant).

Every share is in basis points (10 000 = 100 %), rounded down, so no category and no overall
figure ever passes 100 % before the work is done. Throughput and the ETA come from a moving
window over the snapshots: progress is not linear (the first merchants are the largest), so the
recent rate says more about the rest than the average since the start.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from keranjang.migration.phases import SELLS_IN_COMMERCE, Phase

FULL = 10_000  # basis points in 100 %
BOUND_PHASES = frozenset(
    {Phase.BOUND, Phase.COPYING, Phase.CATCHING_UP, Phase.CUT_OVER, Phase.VERIFIED, Phase.PURGED}
)


@dataclass(frozen=True)
class Weights:
    payment: int = 60
    data: int = 20
    operations: int = 20

    def __post_init__(self) -> None:
        if min(self.payment, self.data, self.operations) < 0:
            raise ValueError("category weights cannot be negative")
        if self.payment + self.data + self.operations <= 0:
            raise ValueError("at least one category needs a positive weight")

    @property
    def total(self) -> int:
        return self.payment + self.data + self.operations


@dataclass(frozen=True)
class MerchantFigures:
    """One merchant's figures, or the sums of `merchants` merchants in the same situation (the
    journal adds them up per phase). `bound`, `payout_account` and `pins_moved` count merchants."""

    merchants: int
    sales_idr: int
    moved_sales_idr: int
    rows_total: int
    rows_copied: int
    rows_verified: int
    rows_purged: int
    bound: int
    payout_account: int
    pins_moved: int


# How many of the three data steps (copied, verified, purged) a phase has completed.
ROWS_DONE_BY = {Phase.CUT_OVER: 1, Phase.VERIFIED: 2, Phase.PURGED: 3}


def figures_of_phase(
    phase: Phase, merchants: int, sales_idr: int, rows: Sequence[int]
) -> MerchantFigures:
    """The figures of `merchants` merchants in `phase`, from their sales and their rows (total,
    copied, verified, purged). Binding creates the merchant, its seller tools and its payout
    account in commerce; the cutover moves its sales and its pins."""
    bound = merchants if phase in BOUND_PHASES else 0
    moved = phase in SELLS_IN_COMMERCE
    total, copied, verified, purged = rows
    # A phase reached means its rows are done, whatever live traffic added or removed while the
    # merchant moved (the counts were taken at bind; verification counts what is there now).
    reached = ROWS_DONE_BY.get(phase, 0)
    copied = total if reached >= 1 else copied
    verified = total if reached >= 2 else verified
    purged = total if reached >= 3 else purged
    return MerchantFigures(
        merchants=merchants,
        sales_idr=sales_idr,
        moved_sales_idr=sales_idr if moved else 0,
        rows_total=total,
        rows_copied=copied,
        rows_verified=verified,
        rows_purged=purged,
        bound=bound,
        payout_account=bound,
        pins_moved=merchants if moved else 0,
    )


@dataclass(frozen=True)
class Progress:
    payment_bp: int
    data_bp: int
    operations_bp: int
    overall_bp: int
    merchants_total: int
    merchants_moved: int
    rows_total: int
    rows_done: int  # copied + verified + purged (each row counts up to three times)


def share(part: int, whole: int) -> int:
    """`part` of `whole` in basis points, rounded down, within 0..10 000."""
    if whole <= 0:
        return 0
    return max(0, min(FULL, part * FULL // whole))


def capped(figures: MerchantFigures) -> MerchantFigures:
    """A group's figures within their bounds: rows never past the total, moved sales never past
    the sales, merchant counts never past the group's size."""
    n, total = figures.merchants, figures.rows_total
    return replace(
        figures,
        moved_sales_idr=min(figures.moved_sales_idr, figures.sales_idr),
        rows_copied=min(figures.rows_copied, total),
        rows_verified=min(figures.rows_verified, total),
        rows_purged=min(figures.rows_purged, total),
        bound=min(figures.bound, n),
        payout_account=min(figures.payout_account, n),
        pins_moved=min(figures.pins_moved, n),
    )


def progress(groups: Iterable[MerchantFigures], weights: Weights = Weights()) -> Progress:
    gs = [capped(g) for g in groups]
    merchants = sum(g.merchants for g in gs)
    sales = sum(g.sales_idr for g in gs)
    rows = sum(g.rows_total for g in gs)
    done = sum(g.rows_copied + g.rows_verified + g.rows_purged for g in gs)
    moved = sum(g.pins_moved for g in gs)
    if sales > 0:
        payment = share(sum(g.moved_sales_idr for g in gs), sales)
    else:  # a shop that never sold: the share of its merchants transacting in commerce
        payment = share(moved, merchants)
    data = share(done, 3 * rows)
    operations = share(sum(g.bound + g.payout_account + g.pins_moved for g in gs), 3 * merchants)
    overall = overall_bp(payment, data, operations, weights)
    return Progress(payment, data, operations, overall, merchants, moved, rows, done)


def overall_bp(payment: int, data: int, operations: int, weights: Weights) -> int:
    weighted = weights.payment * payment + weights.data * data + weights.operations * operations
    return min(FULL, weighted // weights.total)


@dataclass(frozen=True)
class Point:
    """A progress snapshot, as throughput needs it: `rows_per_second` was measured over the
    interval that ended at `at`."""

    at: datetime
    overall_bp: int
    merchants_moved: int
    rows_per_second: float


@dataclass(frozen=True)
class Throughput:
    rows_per_second: float
    merchants_per_hour: float
    eta: datetime | None  # None: no progress in the window to extrapolate from


def throughput(points: Sequence[Point], window: timedelta = timedelta(hours=1)) -> Throughput:
    """Rates over the snapshots of the last `window` (at least the last two), and the ETA their
    overall rate gives for the rest."""
    ordered = sorted(points, key=lambda p: p.at)
    if not ordered:
        return Throughput(0.0, 0.0, None)
    last = ordered[-1]
    recent = [p for p in ordered if p.at >= last.at - window]
    if len(recent) < 2:
        recent = ordered[-2:]
    first = recent[0]
    seconds = (last.at - first.at).total_seconds()
    if last.overall_bp >= FULL:
        return Throughput(_mean_rows(recent), _per_hour(recent, seconds), last.at)
    if seconds <= 0:
        return Throughput(last.rows_per_second, 0.0, None)
    rate = (last.overall_bp - first.overall_bp) / seconds  # basis points per second
    eta = last.at + timedelta(seconds=(FULL - last.overall_bp) / rate) if rate > 0 else None
    return Throughput(_mean_rows(recent), _per_hour(recent, seconds), eta)


def _per_hour(recent: Sequence[Point], seconds: float) -> float:
    if seconds <= 0:
        return 0.0
    return max(0.0, (recent[-1].merchants_moved - recent[0].merchants_moved) * 3600 / seconds)


def _mean_rows(recent: Sequence[Point]) -> float:
    """Rows per second over the window: each snapshot's rate weighed by the interval it covers."""
    if len(recent) < 2:
        return recent[-1].rows_per_second if recent else 0.0
    spans = [(b.at - a.at).total_seconds() for a, b in pairwise(recent)]
    total = sum(spans)
    if total <= 0:
        return recent[-1].rows_per_second
    return sum(p.rows_per_second * s for p, s in zip(recent[1:], spans, strict=True)) / total
