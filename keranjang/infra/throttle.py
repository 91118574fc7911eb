"""Log-in throttling for every service: failed attempts are counted per account and per client
address in moving windows (the `limits` package's moving-window strategy), and an attempt while
either window is full is refused with `TooManyAttempts` (429 with `Retry-After`, installed by
`webapp.service_app`). A failed attempt counts; a success clears nothing, so one good password
does not buy an address more guesses at other accounts.

A route wraps its check of the secret:

    with login_attempt(request, email, Unauthenticated):
        token = accounts.log_in(email, password)

or, when a failure is an answer rather than an exception, calls `attempt.failed()` itself.

Counts live in the process's memory: with several workers each counts its own attempts."""

import hashlib
import math
import threading
from types import TracebackType

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MovingWindowSupport, Storage
from limits.strategies import MovingWindowRateLimiter

from keranjang.infra.clock import Clock, SystemClock


class TooManyAttempts(Exception):
    """Too many failed log-ins for this account or from this address; `retry_after` is the number
    of seconds until the fuller window frees a place."""

    def __init__(self, retry_after: int, by: str) -> None:
        super().__init__(f"too many failed log-ins {by}; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.by = by


class ClockedMemoryStorage(Storage, MovingWindowSupport):
    """The moving window's entries in memory, timed by an injectable clock.

    Written here because `limits`' own MemoryStorage reads the wall clock (and sweeps on a timer
    thread), so a test of a window's end would have to sleep. Only the moving window is kept;
    keys whose entries have all expired are dropped at the next sweep."""

    STORAGE_SCHEME = None
    SWEEP_SECONDS = 60.0

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, list[float]] = {}  # each key's entry times, newest first
        self._longest = 0
        self._swept = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def now(self) -> float:
        return self._clock.now().timestamp()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = self.now()
        with self._lock:
            self._sweep(now, expiry)
            events = self._live(key, now, expiry)
            if len(events) + amount > limit:
                return False
            self._events[key] = [now] * amount + events
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self.now()
        with self._lock:
            events = self._live(key, now, expiry)
        return (events[-1], len(events)) if events else (now, 0)

    def _live(self, key: str, now: float, expiry: int) -> list[float]:
        return [at for at in self._events.get(key, ()) if at > now - expiry]

    def _sweep(self, now: float, expiry: int) -> None:
        self._longest = max(self._longest, expiry)
        if now - self._swept < self.SWEEP_SECONDS:
            return
        self._swept = now
        cutoff = now - self._longest
        for key in [k for k, events in self._events.items() if events[0] <= cutoff]:
            del self._events[key]

    # The fixed-window operations of `Storage`: unused by the moving window.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("only the moving window is kept")

    def get(self, key: str) -> int:
        raise NotImplementedError("only the moving window is kept")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("only the moving window is kept")

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._events)
            self._events.clear()
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class LoginThrottle:
    """Failed log-ins per account and per address, each in its own moving window."""

    def __init__(self, per_account: str, per_address: str, clock: Clock | None = None) -> None:
        self.per_account: RateLimitItem = parse(per_account)
        self.per_address: RateLimitItem = parse(per_address)
        self.storage = ClockedMemoryStorage(clock or SystemClock())
        self.limiter = MovingWindowRateLimiter(self.storage)

    def _windows(self, account: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        # An account is kept as a digest: some log-ins take a token, which memory should not hold.
        digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
        return [
            (self.per_account, "account:" + digest, "for this account"),
            (self.per_address, "address:" + address, "from this address"),
        ]

    def check(self, account: str, address: str) -> None:
        """Raises `TooManyAttempts` when either window is full."""
        waits = [
            (self._wait(item, key), by)
            for item, key, by in self._windows(account, address)
            if not self.limiter.test(item, key)
        ]
        if waits:
            raise TooManyAttempts(*max(waits))

    def failed(self, account: str, address: str) -> None:
        for item, key, _ in self._windows(account, address):
            self.limiter.hit(item, key)

    def _wait(self, item: RateLimitItem, key: str) -> int:
        reset_at = self.limiter.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset_at - self.storage.now()))


class Attempt:
    """One log-in attempt, checked when made: a failure is counted by `failed()`, or by leaving
    the `with` block with one of the `failures` exceptions."""

    def __init__(
        self, throttle: LoginThrottle, account: str, address: str, failures: tuple[type, ...]
    ) -> None:
        self.throttle, self.account, self.address = throttle, account, address
        self.failures = failures
        throttle.check(account, address)

    def failed(self) -> None:
        self.throttle.failed(self.account, self.address)

    def __enter__(self) -> "Attempt":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None and issubclass(kind, self.failures):
            self.failed()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_attempt(request: Request, account: str, *failures: type[Exception]) -> Attempt:
    """An attempt to log in to `account` from the request's address, against the app's throttle
    (`app.state.throttle`); raises `TooManyAttempts` when it may not be made now."""
    throttle: LoginThrottle = request.app.state.throttle
    return Attempt(throttle, account, client_address(request), failures)
