"""The journal: one JSON object per line, one line per request the driver made, with the answer
it got. Each line goes to the file in one `os.write` on a descriptor opened with O_APPEND, so a
driver killed with SIGKILL leaves only whole lines (the kernel has every line written before the
kill; `fsync` would only add safety against the machine itself going down)."""

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Entry:
    """One request and its answer.

    `write`: the request changes something. `status`: the HTTP status (0: no answer: a timeout
    or a refused connection). `outcome`: ok (2xx/3xx), refused (4xx), retryable (a 503 with
    Retry-After, tried again), moved (409: the seller moved to commerce), error (5xx or no answer),
    or stopped (no request: the driver stopped an actor, and `detail` says why). `keys`: the
    business keys written or answered (order ids, numbers, totals and lines; a product's new price
    and stock; content and pin ids)."""

    actor: str
    action: str
    method: str = ""
    service: str = ""
    path: str = ""
    write: bool = False
    merchant: int | None = None
    request_id: str = ""
    idempotency_key: str | None = None
    body_sha256: str | None = None
    attempt: int = 1
    status: int = 0
    outcome: str = ""
    latency_ms: float = 0.0
    retry_after_s: float | None = None
    keys: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    op: int = 0  # the plan's step this request belongs to (0: setting up)
    t: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.write and 200 <= self.status < 300


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, entry: Entry) -> None:
        entry.t = entry.t or datetime.now(UTC).isoformat(timespec="milliseconds")
        line = (json.dumps(asdict(entry), separators=(",", ":"), default=str) + "\n").encode()
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def read(path: Path) -> Iterator[Entry]:
    """Every whole line of a journal; a last line cut short (a disk full, a copy taken while
    the driver wrote) is left out, never half read."""
    known = set(Entry.__dataclass_fields__)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                return
            raw = json.loads(line)
            yield Entry(**{k: v for k, v in raw.items() if k in known})
