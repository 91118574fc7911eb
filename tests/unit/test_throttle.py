"""The log-in throttle: failed attempts per account and per address in moving windows, on a
clock the test moves (no sleeping)."""

from datetime import UTC, datetime

import pytest

from keranjang.infra.clock import FixedClock
from keranjang.infra.throttle import LoginThrottle, TooManyAttempts


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))


def fail(throttle: LoginThrottle, account: str, address: str) -> None:
    throttle.check(account, address)
    throttle.failed(account, address)


def test_the_eleventh_wrong_password_in_a_minute_is_refused(clock: FixedClock) -> None:
    throttle = LoginThrottle("10/minute", "100/minute", clock)
    for i in range(10):
        fail(throttle, "siti@example.com", f"10.0.0.{i}")  # from ten addresses
        clock.advance(seconds=3)
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("Siti@Example.com ", "10.0.0.99")
    assert refused.value.by == "for this account"
    assert refused.value.retry_after == 30  # the first failure, 30 s ago, leaves in 30 s
    throttle.check("budi@example.com", "10.0.0.99")  # another account is not held


def test_one_address_trying_many_accounts_is_refused(clock: FixedClock) -> None:
    throttle = LoginThrottle("10/minute", "30/minute", clock)
    for i in range(30):
        fail(throttle, f"buyer{i}@example.com", "203.0.113.7")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("someone-new@example.com", "203.0.113.7")
    assert refused.value.by == "from this address" and refused.value.retry_after == 60
    throttle.check("someone-new@example.com", "203.0.113.8")


def test_the_window_frees_a_place_as_the_oldest_failure_leaves_it(clock: FixedClock) -> None:
    throttle = LoginThrottle("3/minute", "30/minute", clock)
    for _ in range(3):
        fail(throttle, "siti@example.com", "10.0.0.1")
        clock.advance(seconds=20)
    with pytest.raises(TooManyAttempts) as refused:  # 0 s, 20 s, 40 s; now 60 s… minus a tick
        clock.advance(seconds=-1)
        throttle.check("siti@example.com", "10.0.0.1")
    assert refused.value.retry_after == 1
    clock.advance(seconds=1)
    throttle.check("siti@example.com", "10.0.0.1")  # the failure at 0 s has left
    fail(throttle, "siti@example.com", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        throttle.check("siti@example.com", "10.0.0.1")


def test_checking_counts_nothing_only_failures_do(clock: FixedClock) -> None:
    throttle = LoginThrottle("2/minute", "2/minute", clock)
    for _ in range(50):  # successes: checked, never failed
        throttle.check("siti@example.com", "10.0.0.1")
    fail(throttle, "siti@example.com", "10.0.0.1")
    fail(throttle, "siti@example.com", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        throttle.check("siti@example.com", "10.0.0.1")


def test_a_bad_limit_is_refused_at_start() -> None:
    with pytest.raises(ValueError):
        LoginThrottle("ten a minute", "30/minute")


def test_keys_no_one_uses_are_swept(clock: FixedClock) -> None:
    throttle = LoginThrottle("5/minute", "30/minute", clock)
    for i in range(100):
        fail(throttle, f"guess-{i}", f"10.0.{i}.1")
        clock.advance(seconds=0.1)
    clock.advance(minutes=5)
    fail(throttle, "siti@example.com", "10.0.0.2")
    assert len(throttle.storage._events) == 2  # only the last failure's account and address
