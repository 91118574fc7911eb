"""Every error the migration raises, in one tree (the service maps them to HTTP in one table).
Each carries a stable `code` (snake_case) that the service's JSON answers name beside the
message, so a client branches on it rather than on the English.

Errors::

    MigrationError
    ├── IllegalPhase      a move cannot go to that phase from its own
    ├── NotFound          no such merchant in the plan or the legacy shop
    ├── NotConfirmed      the seller has not confirmed the move (an operator may force it, with a reason)
    ├── OverBudget        the cutover's pause, predicted or under way, would exceed the budget:
    │                     abandoned (the fence lifted), tried later
    ├── Mismatch          verification found the two sides disagree (the difference names the rows)
    ├── WindowClosed      the rollback window has closed (or not yet, for a purge)
    ├── Unsettled         a rollback waits: a payout or refund of the merchant is still in flight
    └── Claimed           another worker holds this merchant's lease
"""


class MigrationError(Exception):
    """Anything the migration refuses or stops on, with a message an operator can act on."""

    code = "migration_refused"


class IllegalPhase(MigrationError):
    code = "illegal_phase"


class NotFound(MigrationError):
    code = "not_found"


class NotConfirmed(MigrationError):
    code = "not_confirmed"


class OverBudget(MigrationError):
    code = "over_budget"

    def __init__(
        self,
        message: str,
        predicted: object = None,
        paused_ms: float | None = None,
        *,
        left: bool = False,
    ) -> None:
        super().__init__(message)
        self.predicted = predicted  # the cutover's `Prediction`, when one was made
        self.paused_ms = paused_ms  # how long the sellers were fenced, if they were
        # Left for the next round by a batch cut at the fence: not this merchant's own try.
        self.left = left


class Mismatch(MigrationError):
    code = "mismatch"


class WindowClosed(MigrationError):
    code = "window_closed"


class Unsettled(MigrationError):
    code = "unsettled"


class Claimed(MigrationError):
    code = "claimed"
