"""A merchant's move, phase by phase, as plain rules (no web, no database).

planned → bound → copying → catching_up → cut_over → verified → purged
                                 ↑             │
                                 └─ (cutover abandoned: pause over budget)
cut_over | verified ──rollback──► rolled_back  (the merchant sells in the app again)
any phase ──error──► the same phase, `error` recorded, tried again (every phase is idempotent)
"""

import enum

from keranjang.migration.errors import IllegalPhase


class Phase(enum.StrEnum):
    PLANNED = "planned"  # in the plan, nothing done yet
    BOUND = "bound"  # the seller confirmed (or an operator forced it); the merchant is in commerce
    COPYING = "copying"  # the snapshot is being copied in key order
    CATCHING_UP = "catching_up"  # the change log is being applied until the lag is small
    CUT_OVER = "cut_over"  # fenced, drained, routed to commerce, fence lifted
    VERIFIED = "verified"  # both sides agree in business terms; the way back stays open
    PURGED = "purged"  # the rollback window has closed; social holds nothing of the merchant
    ROLLED_BACK = "rolled_back"  # moved back to the app within the window


P = Phase
NEXT: dict[Phase, frozenset[Phase]] = {
    P.PLANNED: frozenset({P.BOUND}),
    P.BOUND: frozenset({P.COPYING}),
    P.COPYING: frozenset({P.CATCHING_UP}),
    P.CATCHING_UP: frozenset({P.CUT_OVER}),
    P.CUT_OVER: frozenset({P.VERIFIED, P.ROLLED_BACK}),
    P.VERIFIED: frozenset({P.PURGED, P.ROLLED_BACK}),
    P.PURGED: frozenset(),
    P.ROLLED_BACK: frozenset({P.BOUND}),  # it may be moved again later
}
# Where the merchant's buyers are served in each phase.
SELLS_IN_COMMERCE = frozenset({P.CUT_OVER, P.VERIFIED, P.PURGED})
DONE = frozenset({P.PURGED})


def check_next(current: Phase, target: Phase) -> Phase:
    if target not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "none: the move is over"
        raise IllegalPhase(f"a move in {current} cannot go to {target} (allowed: {allowed})")
    return target
