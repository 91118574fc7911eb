"""The real engine, built as `keranjang migrate` builds it, which stops its own process dead
(SIGKILL: no `finally`, no rollback handler, no flush) at the n-th pass through a named point
between two writes. `keranjang migrate run|purge` load it through `KERANJANG_MIGRATION_ENGINE`
(`tests.integration.migration_kills:killing_engine`) with the point in `KJ_KILL_AT`
(`point:n`; empty: never). The engine itself reads no kill switch: the points are its
`checkpoint` hook, which only a test sets."""

import os
import signal

from keranjang.migration.config import MigrationSettings
from keranjang.migration.copy import Pace
from keranjang.migration.engine import Mover, build_mover

FACTORY = f"{__name__}:killing_engine"
# Every point the engine passes in one move, in the order it passes them (bind; the copy, step
# by step: ids intended, rows written, the batch's position; the catch-up; the cutover's steps).
POINTS = (
    "bind:merchant",
    "sync:product:intent", "sync:product:written", "copy:products:applied",
    "sync:order:intent", "sync:order:writing", "sync:order:written", "copy:orders:applied",
    "sync:line:intent", "sync:line:writing", "sync:line:written", "copy:lines:applied",
    "sync:hold:written", "sync:event:writing", "copy:events:applied",
    "sync:payment:intent", "sync:payment:written", "copy:payments:applied",
    "copy:refunds:applied",
    "catch_up:applied",
    "cutover:staged", "cutover:fenced", "cutover:drained", "cutover:money", "cutover:flipped",
)  # fmt: skip
PURGE_POINT = "purge:social"


class Killer:
    def __init__(self, spec: str) -> None:
        point, _, times = spec.rpartition(":")
        self.point, self.left = point, int(times or 0)

    def __call__(self, where: str) -> None:
        if where == self.point:
            self.left -= 1
            if self.left == 0:
                os.kill(os.getpid(), signal.SIGKILL)


def killing_engine(settings: MigrationSettings) -> Mover:
    mover = build_mover(settings)
    # Small batches, so the copy passes its points several times per merchant.
    mover.parts.pace = Pace(batch_rows=25, slice_seconds=0.2)
    spec = os.environ.get("KJ_KILL_AT", "")
    if spec:
        mover.parts.checkpoint = Killer(spec)
    return mover
