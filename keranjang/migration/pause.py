"""What the cutover's pause has actually cost lately, learned from the journal: the factor by
which the pauses measured exceeded their predictions.

The prediction (`cutover.predict`) is made of costs measured just before the fence (a round
trip to social, the opening entries staged, `staging`), but the pause itself runs a moment
later, under whatever load the machine has then: on a busy machine it came out about twice
the prediction (bench/README.md, "Batches of small merchants"). So the engine keeps the ratio
of measured to predicted pause of its recent cutovers (the `cut_over` events, and the attempts
abandoned inside the pause, which record how long they were fenced) and scales its predictions
by a high quantile of that ratio before it compares them with the budget and before it sizes
the part of a batch that goes under one fence. A machine that gets busier raises the factor
within a few cutovers; one that gets quieter lowers it as the slow ones age out of the window.

It also learns what the flip costs per merchant under one fence (`flip_ms_per_seller`: each
merchant's route and its shop opened in commerce, from the `steps_ms` of recent cutovers of
several merchants, less the two commits' round trips each measured before its fence and the
opening entries posted in the pause, which are predicted apart), the one part of the pause
that grows with the merchants and that nothing rehearses before the fence (a rehearsal would
lock the merchants' routes, holding up their buyers outside the budget's account). Without it,
a batch divided into groups by its prediction packed fences of 50-70 small merchants
predicted at 15 ms that took 30-45 ms, and the factor, learned from them, then shrank every
other group.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.migration import journal

WINDOW = 16  # the distinct recent pauses learned from
QUANTILE = 0.9  # of their measured / predicted ratios
DEFAULT_FACTOR = 1.5  # before anything is measured: about what a busy machine showed
MIN_FACTOR, MAX_FACTOR = 1.0, 8.0
SIGNIFICANT = 0.2  # of the budget: pauses predicted at less teach no factor
LEARNED_FROM = ("cut_over", "cutover_abandoned")
DEFAULT_FLIP_MS_PER_SELLER = 0.5  # before anything is measured: about what this machine showed
FLIP_LEARNED_FROM_SELLERS = 3  # fences this large at least
FLIP_FIXED_TRIPS = 2  # the flip's step ends with the two commits (`cutover.COMMITS`)
MIN_FLIP_MS_PER_SELLER = 0.05


@dataclass(frozen=True)
class Learned:
    """What recent pauses teach the prediction: the factor it is scaled by, and the flip's
    cost per merchant under the fence."""

    factor: float = DEFAULT_FACTOR
    flip_ms_per_seller: float = DEFAULT_FLIP_MS_PER_SELLER


def ratios(details: Iterable[str]) -> list[float]:
    """The measured / predicted ratio of each distinct pause among events' details (a batch
    writes the same detail once per merchant: counted once), of those predicted at
    `SIGNIFICANT` of their budget or more: a pause predicted at a few ms is mostly a commit's
    jitter, and its ratio (3 or 4 under load) made every later group a quarter of the size
    it could be, whose pauses were then jitter too."""
    seen: set[tuple[float, float]] = set()
    found: list[float] = []
    for raw in dict.fromkeys(details):
        detail = json.loads(raw)
        measured, predicted = detail.get("pause_ms"), detail.get("predicted_ms")
        if measured is None or not predicted:
            continue
        if float(predicted) < SIGNIFICANT * float(detail.get("budget_ms") or 0):
            continue
        key = (float(measured), float(predicted))
        if key not in seen:
            seen.add(key)
            found.append(key[0] / key[1])
    return found[:WINDOW]


def factor_of(found: list[float]) -> float:
    """The safety factor from recent ratios (newest first): their `QUANTILE`, within bounds."""
    if not found:
        return DEFAULT_FACTOR
    ordered = sorted(found)
    high = ordered[min(len(ordered) - 1, round(QUANTILE * (len(ordered) - 1)))]
    return min(MAX_FACTOR, max(MIN_FACTOR, high))


def flip_per_seller(details: Iterable[str]) -> float:
    """The flip's ms per merchant under the fence, from recent cutovers' details (newest
    first): the median, over those of `FLIP_LEARNED_FROM_SELLERS` merchants or more, of
    `_per_seller` (the factor covers the slow ones: a high quantile here too counted one stall
    of a small fence twice, at 7 ms a merchant). (Dividing the whole flip shrank the fences
    under load: the fixed part, spread over a small fence, said each merchant cost more, and
    the next fences were made smaller still.)"""
    found: list[float] = []
    for raw in dict.fromkeys(details):
        per = _per_seller(json.loads(raw))
        if per is not None:
            found.append(per)
    if not found:
        return DEFAULT_FLIP_MS_PER_SELLER
    ordered = sorted(found[:WINDOW])
    return ordered[len(ordered) // 2]


def _per_seller(detail: dict[str, Any]) -> float | None:
    """What one cutover's pause cost per merchant besides its drain and its opening entries:
    the flip (with both commits) less the commits' round trips, and the rest of the money step
    (each shop opened: with the entries staged before the fence, nothing else in the
    prediction grows with the merchants, and fences of 270 merchants, sized by the flip alone,
    paused for 52 ms at p99 against a 50 ms budget)."""
    sellers, steps = len(detail.get("batch", [0])), detail.get("steps_ms", {})
    if steps.get("flip") is None or sellers < FLIP_LEARNED_FROM_SELLERS:
        return None
    fixed = FLIP_FIXED_TRIPS * float(detail.get("trip_ms", 0.0))
    posted = detail.get("entries", {}).get("in_pause", 0) * detail.get("ms_per_entry", 0.0)
    shops = max(float(steps.get("money", 0.0)) - float(posted), 0.0)
    return max(MIN_FLIP_MS_PER_SELLER, (float(steps["flip"]) + shops - fixed) / sellers)


def learned(s: Session) -> Learned:
    """What the journal's recent pauses teach."""
    event = journal.EventRow
    query = (
        select(event.what, event.detail)
        .where(event.what.in_(LEARNED_FROM))
        .order_by(event.id.desc())
        .limit(WINDOW * 25)  # a batch's event is repeated for each of its merchants
    )
    rows = s.execute(query).all()
    cutovers = [str(d) for what, d in rows if what == "cut_over"]
    return Learned(factor_of(ratios(str(d) for _, d in rows)), flip_per_seller(cutovers))


def learned_factor(s: Session) -> float:
    """The safety factor the journal's recent pauses call for."""
    return learned(s).factor
