"""The CPU PostgreSQL spends serving the floor's connections: each connection's backend
process, read (psutil) just before the connection closes. The floor opens and closes its
connections inside each measured window, so a snapshot of the server's processes at the
window's edges would miss them (a backend that ended is counted only in the postmaster's
reaped children, with every other database's); reading each backend by its pid counts this
bench's work alone on a server other work shares. The server's own processes (WAL writer,
checkpointer) are left out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from bench.kit.postgres import conninfo


def _cpu_seconds(pid: int) -> float:
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:  # gone, or not ours to read: counted as nothing, not guessed
        return 0.0
    return float(times.user + times.system)


class Backends:
    """Connections whose backends' CPU seconds add up, per database (`by_database`)."""

    def __init__(self) -> None:
        self.by_database: dict[str, float] = {}

    @property
    def seconds(self) -> float:
        return sum(self.by_database.values())

    @contextlib.contextmanager
    def connect(self, url: str, **options: Any) -> Iterator[Any]:
        import psycopg

        with psycopg.connect(conninfo(url), **options) as conn:
            pid, name = conn.info.backend_pid, conn.info.dbname
            try:
                yield conn
            finally:
                self.by_database[name] = self.by_database.get(name, 0.0) + _cpu_seconds(pid)


backends = Backends()  # the floor's connections, all of them
