"""Counters a part declares for its own events (a payment anomaly…), in one registry every
service's /metrics adds to its own: a part counts without knowing the web app it runs in. No web
framework here: a command that uses a part (`keranjang reconcile`) loads none."""

import threading
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter

PART_METRICS = CollectorRegistry()
_part_counters: dict[str, Counter] = {}
_declaring = threading.Lock()


def counter(name: str, documentation: str, labels: Sequence[str]) -> Counter:
    """The part counter `name` (exposed as `name_total`), declared on first use; the same
    counter every later time, so two modules may count into one."""
    with _declaring:
        if name not in _part_counters:
            _part_counters[name] = Counter(name, documentation, list(labels), registry=PART_METRICS)
        return _part_counters[name]
