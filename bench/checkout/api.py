"""The buyers' HTTP client: aiohttp, one session, connections kept alive."""

from __future__ import annotations

import json
from typing import Any

from bench.kit.errors import BenchError


class Api:
    """JSON calls to one service."""

    def __init__(self, base_url: str, connections: int) -> None:
        import aiohttp

        self.base_url = base_url
        self.name = f"aiohttp {aiohttp.__version__}"
        connector = aiohttp.TCPConnector(limit=2 * connections, limit_per_host=2 * connections)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
            headers={"Accept": "application/json"},
        )

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body, or the text when it is not JSON)."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        async with self._session.request(
            method, self.base_url + path, json=body, headers=sent
        ) as r:
            raw = await r.read()
            status = r.status
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    async def close(self) -> None:
        await self._session.close()


async def open_api(base_url: str, connections: int) -> Api:
    """An `Api` made on the running loop (aiohttp binds its session to it)."""
    return Api(base_url, connections)


def brief(answer: Any) -> str:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return text[:160]


async def expect(api: Api, status: int, method: str, path: str, **kw: Any) -> Any:
    """The answer of a seeding call, which must have `status`."""
    got, answer = await api.call(method, path, **kw)
    if got != status:
        raise BenchError(f"seeding: {method} {path} answered {got}: {brief(answer)}")
    return answer
