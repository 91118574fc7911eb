"""Sending one notification to the shop's notification URL over HTTP: explicit timeouts, and an
injectable httpx client so tests deliver in-process.

Without an injected client, notifications go out through the standard library's `http.client`
on one kept-alive connection: a notification costs about a third of the CPU it costs through
httpx, and the dispatcher sends one (or more) for every payment."""

import http.client
import select
import socket
import ssl
import threading
from typing import Protocol
from urllib.parse import urlsplit

import httpx

CONNECT_TIMEOUT, READ_TIMEOUT = 2.0, 5.0  # seconds
HEADERS = {"content-type": "application/json", "user-agent": "Keranjang-Payment-Simulator/1"}
# Errors that mean a kept-alive connection was closed by the shop while it sat idle.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Undelivered(Exception):
    """The notification did not reach the shop, or the shop did not accept it (non-2xx)."""


class Notifier(Protocol):
    @property
    def configured(self) -> bool: ...

    def deliver(self, body: str) -> None: ...


class HttpNotifier:
    def __init__(self, url: str | None, client: httpx.Client | None = None) -> None:
        self.url = url
        self.client = client
        self._target: _Target | None = None

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def deliver(self, body: str) -> None:
        if not self.url:
            raise Undelivered("no notification URL is configured")
        if self.client is None:
            if self._target is None:
                self._target = _Target(self.url)
            status = self._target.post(body.encode())
        else:
            try:
                response = self.client.post(self.url, content=body.encode(), headers=HEADERS)
            except httpx.HTTPError as exc:
                raise Undelivered(f"{type(exc).__name__}: {exc}") from exc
            status = response.status_code
        if not 200 <= status < 300:
            raise Undelivered(f"the notification URL answered {status}")


class _Target:
    """One URL and a kept-alive connection to it (one request at a time)."""

    def __init__(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Undelivered(f"the notification URL {url!r} is not a URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Undelivered(f"the notification URL {url!r} is not an http(s) URL")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = port
        self._tls = ssl.create_default_context() if self.https else None
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._connection: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def post(self, content: bytes) -> int:
        """The status the URL answered; Undelivered when it could not be reached."""
        with self._lock:
            reused = self._idle_connection()
            try:
                return self._send(reused or self._connect(), content)
            except (OSError, http.client.HTTPException) as exc:
                if reused is None or not isinstance(exc, STALE):
                    raise Undelivered(f"{type(exc).__name__}: {exc}") from exc
            # The shop closed the kept-alive connection just as it was reused: once more, anew.
            try:
                return self._send(self._connect(), content)
            except (OSError, http.client.HTTPException) as exc:
                raise Undelivered(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, connection: http.client.HTTPConnection, content: bytes) -> int:
        try:
            connection.request("POST", self.path, body=content, headers=HEADERS)
            response = connection.getresponse()
            response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._connection = connection
        return response.status

    def _idle_connection(self) -> http.client.HTTPConnection | None:
        """The kept-alive connection, unless the shop has closed it meanwhile (then readable)."""
        connection, self._connection = self._connection, None
        if connection is None or connection.sock is None:
            return None
        if _readable(connection.sock):
            connection.close()
            return None
        return connection

    def _connect(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self._tls is not None:
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=CONNECT_TIMEOUT, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=CONNECT_TIMEOUT)
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(READ_TIMEOUT)
        return connection


def _readable(sock: socket.socket) -> bool:
    """Whether an idle connection has something to read: the shop closed it (or broke it)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
