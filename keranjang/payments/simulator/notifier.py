"""Sending one notification to the shop's notification URL over HTTP (httpx, explicit timeouts,
an injectable client so tests deliver in-process)."""

from typing import Protocol

import httpx

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
HEADERS = {"content-type": "application/json", "user-agent": "Keranjang-Payment-Simulator/1"}


class Undelivered(Exception):
    """The notification did not reach the shop, or the shop did not accept it (non-2xx)."""


class Notifier(Protocol):
    @property
    def configured(self) -> bool: ...

    def deliver(self, body: str, url: str | None = None) -> None: ...


class HttpNotifier:
    def __init__(self, url: str | None, client: httpx.Client | None = None) -> None:
        self.url = url
        self.client = client or httpx.Client(timeout=TIMEOUT)

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def deliver(self, body: str, url: str | None = None) -> None:
        """To `url` (a payment's X-Override-Notification), else to the configured URL."""
        target = url or self.url
        if not target:
            raise Undelivered("no notification URL is configured")
        try:
            response = self.client.post(target, content=body.encode(), headers=HEADERS)
        except httpx.HTTPError as exc:
            raise Undelivered(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise Undelivered(f"the notification URL answered {response.status_code}")
