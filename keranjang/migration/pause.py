"""What the cutover's pause has actually cost lately, learned from the journal: the factor by
which the pauses measured exceeded their predictions.

The prediction (`cutover.predict`) is made of costs measured just before the fence (a round
trip to social, the money step rehearsed), but the pause itself runs a moment later, under
whatever load the machine has then: on a busy machine it came out about twice the prediction
(bench/README.md, "Batches of small merchants"). So the engine keeps the ratio of measured to
predicted pause of its recent cutovers (the `cut_over` events, and the attempts abandoned inside
the pause, which record how long they were fenced) and scales its predictions by a high
quantile of that ratio before it compares them with the budget and before it sizes the part of
a batch that goes under one fence. A machine that gets busier raises the factor within a few
cutovers; one that gets quieter lowers it as the slow ones age out of the window.
"""

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.migration import journal

WINDOW = 16  # the distinct recent pauses learned from
QUANTILE = 0.9  # of their measured / predicted ratios
DEFAULT_FACTOR = 1.5  # before anything is measured: about what a busy machine showed
MIN_FACTOR, MAX_FACTOR = 1.0, 8.0
LEARNED_FROM = ("cut_over", "cutover_abandoned")


def ratios(details: Iterable[str]) -> list[float]:
    """The measured / predicted ratio of each distinct pause among events' details (a batch
    writes the same detail once per merchant: counted once)."""
    seen: set[tuple[float, float]] = set()
    found: list[float] = []
    for raw in dict.fromkeys(details):
        detail = json.loads(raw)
        measured, predicted = detail.get("pause_ms"), detail.get("predicted_ms")
        if measured is None or not predicted:
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


def learned_factor(s: Session) -> float:
    """The safety factor the journal's recent pauses call for."""
    event = journal.EventRow
    query = (
        select(event.detail)
        .where(event.what.in_(LEARNED_FROM))
        .order_by(event.id.desc())
        .limit(WINDOW * 25)  # a batch's event is repeated for each of its merchants
    )
    return factor_of(ratios(s.scalars(query)))
