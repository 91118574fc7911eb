"""Engines and sessions for one service's own database (SQLite file or PostgreSQL)."""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.runtime import WORKER_THREADS

# SQLite lets one writer in at a time and makes the others sleep and retry in growing steps
# (1 ms up to 100 ms), which turns a queue of writers into long tail latencies. Writers of one
# process therefore queue on a lock instead; other processes still meet the busy timeout.
_sqlite_writers: "WeakKeyDictionary[Engine, threading.Lock]" = WeakKeyDictionary()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the service: WAL and a busy timeout on SQLite, psycopg 3 on PostgreSQL."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=WORKER_THREADS,
            max_overflow=4,
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _sqlite_writers[engine] = threading.Lock()
        return engine
    # No pre-ping: it would cost a round trip per request; stale connections are recycled.
    return create_engine(url, pool_size=WORKER_THREADS, max_overflow=4, pool_recycle=1800, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _writer_lock(factory: sessionmaker[Session]) -> AbstractContextManager[object]:
    lock = _sqlite_writers.get(factory.kw.get("bind"))  # type: ignore[arg-type]
    return lock if lock is not None else nullcontext()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits if the block finishes, rolls back if it raises."""
    with _writer_lock(factory), factory() as session, session.begin():
        yield session


@contextmanager
def write_connection(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """A Core-only unit of work on the factory's engine, for hot paths that need no ORM session:
    commits if the block finishes, rolls back if it raises."""
    engine = factory.kw["bind"]
    with _writer_lock(factory), engine.begin() as connection:
        yield connection


@contextmanager
def read_connection(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """A Core-only read on the factory's engine, for hot paths that need no ORM session."""
    with factory.kw["bind"].connect() as connection:
        yield connection
