"""Fault injection: the switches that make notifications arrive the ways real partners' do.

Each notification's fate (copies, delay, held for reordering, dropped, joined by a forgery) is
decided when it is queued, from the switches at that moment. Plain Python.
"""

from dataclasses import dataclass, replace
from datetime import timedelta

from keranjang.payments.simulator.domain import Invalid
from keranjang.payments.simulator.notifications import Delivery

MAX_DUPLICATES = 10
MAX_DELAY_SECONDS = 3600.0
MAX_DROP_NEXT = 1000


@dataclass(frozen=True)
class Faults:
    duplicate: int = 1
    """Send each notification this many times."""
    delay_seconds: float = 0.0
    """Send each notification this long after the change it reports."""
    reorder: bool = False
    """Hold notifications until an operator releases them; they then go newest first."""
    drop_probability: float = 0.0
    """Drop each notification with this probability."""
    drop_next: int = 0
    """Drop the next this many notifications."""
    forge: bool = False
    """Also send, with each notification, a copy that claims settlement under a wrong signature."""


def check_faults(f: Faults) -> Faults:
    if not 1 <= f.duplicate <= MAX_DUPLICATES:
        raise Invalid(f"duplicate must be from 1 (no duplicates) to {MAX_DUPLICATES}")
    if not 0 <= f.delay_seconds <= MAX_DELAY_SECONDS:
        raise Invalid(f"delay_seconds must be from 0 to {MAX_DELAY_SECONDS:.0f}")
    if not 0 <= f.drop_probability <= 1:
        raise Invalid("drop_probability must be from 0 to 1")
    if not 0 <= f.drop_next <= MAX_DROP_NEXT:
        raise Invalid(f"drop_next must be from 0 to {MAX_DROP_NEXT}")
    return f


def plan(f: Faults, draw: float) -> tuple[Delivery, Faults]:
    """The fate of the next notification (`draw` is uniform in [0, 1)), and the switches after it."""
    dropped = f.drop_next > 0 or draw < f.drop_probability
    delivery = Delivery(
        copies=f.duplicate,
        delay=timedelta(seconds=f.delay_seconds),
        held=f.reorder,
        dropped=dropped,
        forge=f.forge,
    )
    return delivery, replace(f, drop_next=max(0, f.drop_next - 1))
