"""The disbursement contract, run against every adapter on its partner's replica: a send under a
key is one disbursement however often it is repeated; its result is learnt by a verified callback
and by a look-up; a forged callback is refused; a failed one says why."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments.disbursements import BankDetails, DisbursementStatus, Transfer
from keranjang.payments.errors import NotificationRejected, PartnerRefused
from tests.integration.partner_disbursements import FAILING_ACCOUNT, Replica, simulator_payouts

PARTNERS = ["xendit", "iris", "simulator"]


@pytest.fixture
def replica_of(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> Iterator[Callable[[str], Any]]:
    """The partner's replica by name; the simulator's, in-process on its own database."""
    made: list[Iterator[Any]] = []

    def make(kind: str) -> Any:
        if kind != "simulator":
            return Replica(kind)
        running = simulator_payouts(database_url, clock, tmp_path / "payments")
        made.append(running)
        return next(running)

    yield make
    for running in made:
        for _ in running:
            pass


def transfer(key: str = "payout-1", account: str = "1234567890") -> Transfer:
    return Transfer(key, 610_000, BankDetails("bca", account, "Siti Rahayu"), "payout 1")


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_send_repeated_under_its_key_is_one_disbursement(
    kind: str, replica_of: Callable[[str], Any]
) -> None:
    replica = replica_of(kind)
    partner = replica.adapter()
    first = partner.send(transfer())
    again = partner.send(transfer())
    assert first.status is again.status is DisbursementStatus.PENDING
    assert first.partner_id == again.partner_id and first.amount == 610_000
    assert len(replica.by_key) == 1


@pytest.mark.parametrize("kind", PARTNERS)
def test_the_bank_s_answer_arrives_by_verified_callback_and_by_look_up(
    kind: str, replica_of: Callable[[str], Any]
) -> None:
    replica = replica_of(kind)
    partner = replica.adapter()
    sent = partner.send(transfer())
    headers, body = replica.finish("payout-1")
    said = partner.parse_callback(headers, body)
    assert (said.status, said.amount, said.partner_id) == (
        DisbursementStatus.COMPLETED,
        610_000,
        sent.partner_id,
    )
    assert partner.lookup(sent.partner_id).status is DisbursementStatus.COMPLETED


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_failed_disbursement_says_why(kind: str, replica_of: Callable[[str], Any]) -> None:
    replica = replica_of(kind)
    partner = replica.adapter()
    sent = partner.send(transfer(account=FAILING_ACCOUNT))
    said = partner.parse_callback(*replica.finish("payout-1"))
    assert said.status is DisbursementStatus.FAILED and said.failure
    assert partner.lookup(sent.partner_id).failure == said.failure


@pytest.mark.parametrize("kind", PARTNERS)
def test_a_forged_or_tampered_callback_is_refused(
    kind: str, replica_of: Callable[[str], Any]
) -> None:
    replica = replica_of(kind)
    partner = replica.adapter()
    partner.send(transfer())
    headers, body = replica.finish("payout-1")
    with pytest.raises(NotificationRejected):
        partner.parse_callback({k: "forged" for k in headers}, body)
    with pytest.raises(NotificationRejected):
        partner.parse_callback({}, body)
    if (
        kind != "xendit"
    ):  # Iris (and the simulator, speaking Iris) signs the body: a changed amount breaks the signature
        with pytest.raises(NotificationRejected):
            partner.parse_callback(headers, body.replace(b"610000", b"910000"))


@pytest.mark.parametrize("kind", ["iris", "simulator"])
def test_an_account_s_holder_is_checked_and_a_missing_account_refused(
    kind: str, replica_of: Callable[[str], Any]
) -> None:
    partner = replica_of(kind).adapter()
    found = partner.check_account("bca", "1234567890")
    assert found is not None and found.holder_name == "SITI RAHAYU"
    with pytest.raises(PartnerRefused):
        partner.check_account("bca", FAILING_ACCOUNT)


def test_xendit_answering_a_repeated_send_as_a_duplicate_finds_the_first() -> None:
    replica = Replica("xendit", refuse_repeats=True)
    partner = replica.adapter()
    first = partner.send(transfer())
    again = partner.send(transfer())
    assert again.partner_id == first.partner_id and len(replica.by_key) == 1
