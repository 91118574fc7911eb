"""The pause's own costs and its abandon (`cutover`), on SQLite and PostgreSQL.

An attempt abandoned inside its pause unfences the sellers first, before commerce is tidied
(the staged entries rolled back, the shop off sale again): the seller waits for the pause, not
for the tidying. Afterwards nothing of the attempt is left. And the drain's read of the change
log is predicted as the same read took just before the fence, not as a round trip."""

import json
import time

import pytest

from keranjang.migration import capture, cutover
from keranjang.migration.errors import OverBudget
from keranjang.migration.phases import Phase
from keranjang.migration.sync import Ctx
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, one  # noqa: F401

BUDGET_MS = 400.0  # fits the predicted pause of the test's small merchant on a busy machine
SLOW_READ_S = 0.06  # the change log's read, made slow


def fences(moving: Moving) -> int:
    query = "SELECT count(*) FROM legacy_fences WHERE seller_id = :s"
    return int(one(moving.social, query, s=moving.seller_id))


def test_an_attempt_abandoned_in_its_pause_unfences_the_seller_before_tidying_commerce(
    moving: Moving, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = moving.seller_id
    moving.run(Phase.CATCHING_UP)
    moving.parts.pause_budget_ms = BUDGET_MS

    def stall(where: str) -> None:  # the fence held past the budget: abandoned in the pause
        if where == "cutover:fenced":
            assert fences(moving) == 1
            time.sleep(BUDGET_MS / 1000 + 0.05)

    fenced_while_tidying: list[int] = []
    off_sale = cutover.not_selling

    def tidying(ctx: Ctx) -> None:
        fenced_while_tidying.append(fences(moving))
        off_sale(ctx)

    moving.parts.checkpoint = stall
    monkeypatch.setattr(cutover, "not_selling", tidying)
    with pytest.raises(OverBudget, match="abandoned in the pause"):
        moving.mover.advance(sid)
    assert fenced_while_tidying == [0]  # lifted before commerce was tidied
    assert moving.move().phase == Phase.CATCHING_UP
    assert fences(moving) == 0
    route = "SELECT route FROM merchant_routes WHERE legacy_seller_id = :s"
    assert one(moving.social, route, s=sid) == "legacy"
    merchant = moving.move().commerce_merchant_id
    assert one(moving.commerce, "SELECT selling FROM merchants WHERE id = :m", m=merchant) in (
        False,
        0,
    )
    assert one(moving.commerce, "SELECT count(*) FROM ledger_entries") == 0  # nothing posted
    detail = json.loads(str(moving.event("cutover_abandoned").detail))
    assert BUDGET_MS < detail["pause_ms"] < BUDGET_MS + 1_000  # fenced that long, and no more


def test_the_drains_read_of_the_log_is_predicted_as_measured_before_the_fence(
    moving: Moving, monkeypatch: pytest.MonkeyPatch
) -> None:
    moving.run(Phase.CATCHING_UP)
    moving.parts.pause_budget_ms = 2_000.0
    quick = capture.read

    def slow(ctx: Ctx, where: capture.Cursors) -> object:
        time.sleep(SLOW_READ_S)
        return quick(ctx, where)

    monkeypatch.setattr(capture, "read", slow)
    assert moving.run(Phase.CUT_OVER) is Phase.CUT_OVER
    detail = json.loads(str(moving.event("cut_over").detail))
    slow_ms = SLOW_READ_S * 1000
    assert detail["read_ms"] >= slow_ms
    assert detail["predicted_ms"] >= detail["read_ms"] + 2 * detail["trip_ms"]
    assert detail["steps_ms"]["drain"] >= slow_ms  # what the pause's drain took, as predicted
