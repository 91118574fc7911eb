"""Midtrans for the payment-partner contract suite: the Midtrans adapter over the fake Midtrans
(`fake_midtrans`), and the shop's notification endpoint."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from keranjang.infra.clock import FixedClock
from keranjang.payments import CreatedPayment, PaymentPartner
from keranjang.payments.midtrans import MidtransPartner
from tests.integration.fake_midtrans import NOTIFY_URL, REFUNDABLE, SERVER_KEY, FakeMidtrans
from tests.integration.payment_partners import (
    Delivered,
    Shop,
    failing_client,
    midtrans_format_forgeries,
    refusing_client,
)


class MidtransHarness:
    """The Midtrans adapter against the fake, and the shop's notification endpoint."""

    def __init__(self, clock: FixedClock, *, refundable: set[str] = REFUNDABLE) -> None:
        self.clock = clock
        self.shop = Shop()
        self.notifier = httpx.Client(transport=httpx.MockTransport(self.shop.receive))
        self.fake = FakeMidtrans(clock, self.deliver, refundable=refundable)
        self.client = httpx.Client(transport=httpx.MockTransport(self.fake.handle))
        self.partner: PaymentPartner = self.adapter(self.client)

    def adapter(self, client: httpx.Client, key: str = SERVER_KEY) -> MidtransPartner:
        return MidtransPartner(key, client=client, sleep=lambda _: None, clock=self.clock)

    def deliver(self, body: bytes) -> None:
        headers = {"content-type": "application/json", "user-agent": "Veritrans"}
        self.notifier.post(NOTIFY_URL, content=body, headers=headers)

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
        return self.shop.take()

    def forgeries(self, delivered: list[Delivered]) -> dict[str, bytes]:
        return midtrans_format_forgeries(delivered)

    def unreachable(self) -> PaymentPartner:
        return self.adapter(refusing_client())

    def failing(self, status: int) -> PaymentPartner:
        return self.adapter(failing_client(status))

    def with_wrong_credentials(self) -> PaymentPartner:
        return self.adapter(self.client, key="not-the-server-key")

    def close(self) -> None:
        self.client.close()
        self.notifier.close()


def midtrans_harness(
    database_url: Callable[[str], str], clock: FixedClock, folder: Path
) -> Iterator[MidtransHarness]:
    """Midtrans keeps no database of ours: `database_url` and `folder` are not used."""
    harness = MidtransHarness(clock)
    try:
        yield harness
    finally:
        harness.close()
