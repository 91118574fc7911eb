"""How a service uses its process: worker threads for blocking work, sized to the database pool."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

# Sync endpoints run on this many threads; the database pool holds as many connections, so no
# thread ever waits for one (and fewer threads contend less for the interpreter lock).
WORKER_THREADS = 16


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    yield
