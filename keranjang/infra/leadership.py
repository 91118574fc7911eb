"""Which process runs a service's periodic jobs when several processes serve it.

On PostgreSQL, the process holding a session-level advisory lock does: the workers of one
`keranjang serve --workers N`, or instances on several machines, share the database, and one of
them runs the jobs. The lock lives as long as the connection that took it: if the leader dies,
PostgreSQL drops the lock with its connection, and the next process to ask takes over. SQLite is
served by one process, which leads.
"""

import contextlib
import threading
import zlib

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

# The lock's connection must not outlive a dead peer silently: a leader cut off (a NAT's idle
# timeout, a failover) would hold the lock on the server for hours and stop every job. Both ends
# probe the idle connection (TCP keepalives) and give up on an unanswered one within about a
# minute; a statement on it never waits longer than a few seconds.
LOCK_CONNECTION = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,
    "options": "-c statement_timeout=5000 -c tcp_keepalives_idle=30 "
    "-c tcp_keepalives_interval=10 -c tcp_keepalives_count=3 -c tcp_user_timeout=60000",
}


class JobLeader:
    def __init__(self, engine: Engine, service: str) -> None:
        self._engine = engine
        # One lock per service; the key is stable across processes and versions.
        self.key = zlib.crc32(f"keranjang.jobs.{service}".encode())
        self._own: Engine | None = None  # the lock's connection stays out of the service's pool
        self._held: Connection | None = None
        self._mutex = threading.Lock()

    def leads(self) -> bool:
        """Whether this process should run a round of jobs now (blocking: a round trip or two on
        PostgreSQL). Asking again while leading only checks that the lock's connection lives."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._mutex:
            if self._held is not None:
                try:
                    self._held.execute(text("SELECT 1"))
                    return True
                except DBAPIError:  # the connection died, and the lock with it
                    self._drop()
            if self._own is None:
                self._own = create_engine(
                    self._engine.url, poolclass=NullPool, connect_args=LOCK_CONNECTION
                )
            conn = self._own.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                taken = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
                if taken.scalar():
                    self._held = conn
                    return True
            except BaseException:
                conn.close()
                raise
            conn.close()
            return False

    def close(self) -> None:
        """Give the lead up (at shutdown): another process takes it on its next round."""
        with self._mutex:
            self._drop()
            if self._own is not None:
                self._own.dispose()
                self._own = None

    def _drop(self) -> None:
        if self._held is not None:
            with contextlib.suppress(DBAPIError):
                self._held.close()
            self._held = None
