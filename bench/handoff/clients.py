"""The load generator's HTTP clients: aiohttp (the default: one session, connections kept alive)
or httpx (one AsyncClient per worker), behind the same small interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Client:
    """The few calls the benchmark makes, over aiohttp or httpx (same interface for both)."""

    name = "?"

    async def get(self, url: str, *, body: bool) -> Response:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def for_worker(self) -> Client:
        """The client one worker uses: this one, unless each worker needs its own."""
        return self


class AiohttpClient(Client):
    def __init__(self, connections: int) -> None:
        import aiohttp
        import yarl

        self._yarl = yarl
        self.name = f"aiohttp {aiohttp.__version__}"
        # One request at a time per worker: at most `connections` per host, kept alive.
        connector = aiohttp.TCPConnector(limit=2 * connections, limit_per_host=connections)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
            headers={"Accept": "text/html,application/json"},
        )

    async def get(self, url: str, *, body: bool) -> Response:
        # encoded=True: send the hand-off token exactly as social wrote it.
        async with self._session.get(self._yarl.URL(url, encoded=True), allow_redirects=False) as r:
            if body:
                text = await r.text()
            else:
                await r.read()
                text = ""
            return Response(r.status, {"location": r.headers.get("Location", "")}, text)

    async def close(self) -> None:
        await self._session.close()


class HttpxClient(Client):
    """httpx: one AsyncClient per worker (measured: a shared pool of 64 is far slower)."""

    def __init__(self, connections: int) -> None:
        import httpx

        self._httpx = httpx
        self.name = f"httpx {httpx.__version__}"
        self._workers: list[HttpxWorker] = []

    def for_worker(self) -> Client:
        client = self._httpx.AsyncClient(
            timeout=30,
            follow_redirects=False,
            limits=self._httpx.Limits(max_connections=2, max_keepalive_connections=2),
            headers={"Accept": "text/html,application/json"},
        )
        worker = HttpxWorker(client, self.name)
        self._workers.append(worker)
        return worker

    async def get(self, url: str, *, body: bool) -> Response:
        raise NotImplementedError("use for_worker()")

    async def close(self) -> None:
        for worker in self._workers:
            await worker.close()


class HttpxWorker(Client):
    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name

    async def get(self, url: str, *, body: bool) -> Response:
        r = await self._client.get(url)
        text = r.text if body else ""
        return Response(r.status_code, {"location": r.headers.get("location", "")}, text)

    async def close(self) -> None:
        await self._client.aclose()


def make_client(kind: str, connections: int) -> Client:
    if kind == "aiohttp":
        return AiohttpClient(connections)
    return HttpxClient(connections)
