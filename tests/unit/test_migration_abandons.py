"""The rules that make `migrate run` end: a merchant whose own cutover is abandoned over the
pause budget `max_abandons` times in a row is left for the operator, one left for the next round
by a batch cut at the fence is not; the journal says so without repeating itself; and the
operator is told what to run."""

from datetime import UTC, datetime, timedelta

from keranjang.infra.clock import FixedClock
from keranjang.migration import claims, journal
from keranjang.migration.claims import Outcome, Rules, gives_up
from keranjang.migration.cutting import LEFT_BEHIND_EVENT_EVERY, says_abandon, says_left_behind
from keranjang.migration.errors import MigrationError, NotConfirmed, OverBudget
from keranjang.migration.phases import Phase
from keranjang.migration.reports import left_of, retry_command
from keranjang.migration.service import LeftMove
from keranjang.migration.workers import Worker

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)


class Journal:
    """What a worker's refusal reads of its journal: the rules and the clock."""

    def __init__(self, rules: Rules) -> None:
        self.rules, self.clock = rules, FixedClock(T0)


def refused(exc: Exception, rules: Rules | None = None) -> Outcome:
    worker = Worker("w", Journal(rules or Rules()), mover=None)  # type: ignore[arg-type]
    return worker._refused(Phase.CATCHING_UP, exc)


def test_an_abandoned_cutover_of_the_merchant_itself_counts_and_one_left_behind_does_not() -> None:
    own = refused(OverBudget("predicted 318 ms > budget 50 ms"))
    left = refused(OverBudget("left for the next round: predicted 400 ms", left=True))
    assert own.abandoned and not left.abandoned
    assert not own.failed and not left.failed  # neither is a failure: attempts stay
    assert own.not_before == left.not_before == T0 + Rules().after_abandoned_cutover
    assert not refused(NotConfirmed("not confirmed")).abandoned
    assert not refused(MigrationError("slug taken")).abandoned


def test_the_fifth_abandon_in_a_row_gives_up_by_default_and_the_limit_is_the_runs() -> None:
    own = Outcome(Phase.CATCHING_UP, T0, "over budget", abandoned=True)
    assert [gives_up(own, n, Rules()) for n in range(1, 7)] == [False] * 4 + [True] * 2
    assert gives_up(own, 2, Rules(max_abandons=2))
    left = Outcome(Phase.CATCHING_UP, T0, "left for the next round")
    assert not gives_up(left, 99, Rules())  # never for being left behind


def test_the_journal_says_an_abandon_the_first_time_in_a_row_and_each_one_inside_the_pause() -> (
    None
):
    assert [says_abandon(n, None) for n in (1, 2, 3, 5)] == [True, False, False, False]
    assert says_abandon(4, 61.5)  # fenced for 61.5 ms: the pause learner needs it


def test_a_seller_left_behind_is_said_the_first_time_then_every_nth() -> None:
    said = [n for n in range(1, 3 * LEFT_BEHIND_EVENT_EVERY + 1) if says_left_behind(n)]
    assert said == [1, LEFT_BEHIND_EVENT_EVERY, 2 * LEFT_BEHIND_EVENT_EVERY,
                    3 * LEFT_BEHIND_EVENT_EVERY]  # fmt: skip


def test_the_operator_is_told_the_command_with_a_budget_the_pause_fits() -> None:
    left = LeftMove(7, Phase.CATCHING_UP, 5, 318, 50, T0 + timedelta(minutes=3))
    assert left.suggested_budget_ms == 320
    assert retry_command(left) == "keranjang migrate run --only 7 --pause-budget-ms 320"
    exact = LeftMove(8, Phase.CATCHING_UP, 5, 320, 50, T0)
    assert exact.suggested_budget_ms == 320
    unknown = LeftMove(9, Phase.CATCHING_UP, 5, None, 50, T0)  # a pause found over, not predicted
    assert unknown.suggested_budget_ms == 60  # above the budget it missed
    listed = left_of([left]).moves[0]
    assert (listed.seller_id, listed.predicted_pause_ms, listed.abandons) == (7, 318, 5)
    assert listed.command.endswith("--pause-budget-ms 320")


def test_the_claims_index_covers_exactly_the_phases_a_run_claims() -> None:
    """The partial index the claim walks names the claimable phases as text: a phase added to
    one and not the other would be claimed without it, or never claimed."""
    assert tuple(p.value for p in claims.CLAIMABLE) == journal.READY_PHASES
    assert journal.READY_SQL == (
        "phase IN ('planned', 'bound', 'copying', 'catching_up', 'cut_over')"
    )
