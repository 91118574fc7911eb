"""The payment partner as social itself asks it: the simulator by default, through the same
`PaymentPartner` contract commerce uses, with every charge naming social's own notification URL
(Midtrans' per-request `X-Override-Notification` header, which the simulator honours), so the
partner's news of social's payments comes to social and not to commerce."""

import httpx

from keranjang.payments import PaymentPartner
from keranjang.payments.simulator_partner import SimulatorPartner

OVERRIDE_HEADER = "X-Override-Notification"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def notifying_client(notification_url: str, client: httpx.Client | None = None) -> httpx.Client:
    """An httpx client whose every request names `notification_url` (the partner reads it on
    charges and ignores it elsewhere)."""
    client = client or httpx.Client(timeout=TIMEOUT)
    client.headers[OVERRIDE_HEADER] = notification_url
    return client


def simulator(
    base_url: str, server_key: str, notification_url: str, client: httpx.Client | None = None
) -> PaymentPartner:
    return SimulatorPartner(base_url, server_key, notifying_client(notification_url, client))
