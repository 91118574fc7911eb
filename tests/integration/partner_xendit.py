"""Xendit for the payment-partner contract suite: the Xendit adapter over the fake Xendit
(`fake_xendit`), and what the suite cannot do through the contract."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from keranjang.infra.clock import FixedClock
from keranjang.payments import CreatedPayment, PaymentPartner
from keranjang.payments.xendit import XenditPartner
from tests.integration.fake_xendit import CALLBACK_TOKEN, SECRET_KEY, XENDIT_URL, FakeXendit
from tests.integration.payment_partners import Delivered, failing_client, refusing_client


class XenditHarness:
    """The Xendit adapter over the fake, and what the suite cannot do through the contract."""

    def __init__(self, fake: FakeXendit) -> None:
        self.fake = fake
        self.client = httpx.Client(transport=httpx.MockTransport(fake.handle))
        self.partner = self.adapter(self.client)

    def adapter(self, client: httpx.Client, key: str = SECRET_KEY) -> XenditPartner:
        return XenditPartner(
            key,
            CALLBACK_TOKEN,
            base_url=XENDIT_URL,
            client=client,
            sleep=lambda _: None,
            clock=self.fake.clock,
        )

    def pay(self, created: CreatedPayment) -> None:
        self.fake.pay(created.partner_transaction_id)

    def attempt_pay(self, created: CreatedPayment) -> bool:
        """As `pay`, answering whether the buyer could pay (not a closed payment)."""
        try:
            self.fake.pay(created.partner_transaction_id)
        except AssertionError:
            return False
        return True

    def delivered(self) -> list[Delivered]:
        return self.fake.take()

    def forgeries(self, delivered: list[Delivered]) -> dict[str, bytes]:
        """The suite hands each body to the adapter with no x-callback-token header, so these are
        the forgeries such a check catches: genuine or altered bodies sent without the account's
        token, and broken bodies. (A wrong token, another account's token and a token of equal
        length are in the unit tests, where headers can be set. A body altered by someone who
        holds the token cannot be told from Xendit's by the token: commerce's status check is
        what catches that.)"""
        paid = next(d.json() for d in delivered if d.json().get("event") == "payment.succeeded")
        data = dict(paid["data"])  # type: ignore[call-overload]
        return {
            "a genuine paid callback replayed without the token": encode(paid),
            "another order's reference_id, without the token": encode(
                paid | {"data": data | {"reference_id": "ORDER-OF-THE-FORGER"}}
            ),
            "a raised amount, without the token": encode(
                paid | {"data": data | {"amount": 3_500_000}}
            ),
            "a paid callback cut short": encode(paid)[:-20],
        }

    def unreachable(self) -> PaymentPartner:
        return self.adapter(refusing_client())

    def failing(self, status: int) -> PaymentPartner:
        return self.adapter(failing_client(status))

    def with_wrong_credentials(self) -> PaymentPartner:
        return self.adapter(self.client, key="xnd_development_not-the-key")


def encode(payload: dict[str, object]) -> bytes:
    return json.dumps(payload).encode()


def xendit_harness(
    database_url: Callable[[str], str], clock: FixedClock, folder: Path
) -> Iterator[XenditHarness]:
    """`database_url` and `folder` are unused: the fake keeps its state in memory."""
    harness = XenditHarness(FakeXendit(clock))
    yield harness
    harness.client.close()
