"""The simulator's read-only evidence for the regulator: `GET /evidence/payments` (the
regulator's token; none 401, another 403). Payments created and notifications sent in a window,
by the host they were notified at: commerce's, or social's while its in-app shop still takes
payments (Pasal 21(3)). Counts and sums in grouped queries, never a payment's row."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.evidence import serving
from keranjang.evidence.payments import NotificationTarget, PaymentsEvidence
from keranjang.evidence.shared import StatusFigure, SystemIdentity
from keranjang.evidence.web import Window, regulator
from keranjang.infra import secret_files
from keranjang.infra.database import session_factory
from keranjang.payments.simulator.config import PaymentsSettings
from keranjang.payments.simulator.db import NotificationRow, TransactionRow, split_urls
from keranjang.payments.simulator.notifications import DeliveryState
from keranjang.payments.simulator.service import SimulatorService

NO_HOST = "(none)"
router = APIRouter(prefix="/evidence", tags=["evidence"])


@dataclass
class HostFigures:
    created: int = 0
    sent: int = 0
    by_status: dict[str, list[int]] = field(default_factory=dict)  # status: [count, sum]
    last_created: datetime | None = None
    last_sent: datetime | None = None

    def saw(self, created: datetime | None = None, sent: datetime | None = None) -> None:
        self.last_created = _latest(self.last_created, created)
        self.last_sent = _latest(self.last_sent, sent)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a and b else (a or b)


@router.get(
    "/payments",
    response_model=PaymentsEvidence,
    dependencies=[Depends(regulator)],
    summary="Payments created and notified in a window, by the host notified",
)
def payments_evidence(
    request: Request, window_seconds: Window = serving.DEFAULT_WINDOW_SECONDS
) -> PaymentsEvidence:
    service: SimulatorService = request.app.state.service
    settings: PaymentsSettings = request.app.state.settings
    now = service.clock.now()
    start = now - timedelta(seconds=window_seconds)
    with session_factory(request.app.state.engine)() as s:
        hosts = by_host(s, start, settings.notification_url)
    targets = [
        NotificationTarget(
            host=host,
            payments_created=f.created,
            notifications_sent=f.sent,
            last_payment_created_at=f.last_created,
            last_notification_sent_at=f.last_sent,
            payments_by_status=[
                StatusFigure(status=st, count=n, sum_idr=total)
                for st, (n, total) in sorted(f.by_status.items())
            ],
        )
        for host, f in sorted(hosts.items())
    ]
    return PaymentsEvidence(
        observed_at=now,
        window_seconds=window_seconds,
        system=_identity(settings),
        by_notification_host=targets[:100],
    )


def _identity(settings: PaymentsSettings) -> SystemIdentity:
    """The simulator holds one key: the server key its clients share with it."""
    key = settings.server_key or secret_files.load_or_create(settings.resolved_server_key_file)
    return SystemIdentity(
        service="payments",
        database_id=serving.database_fingerprint(settings.resolved_database_url),
        key_ids=[serving.key_fingerprint(key, "server-key")],
    )


def _hosts(joined: str | None, default: str | None) -> tuple[str, ...]:
    """The hosts a payment's notifications go to: its own URLs, else the configured one."""
    urls = split_urls(joined) or ((default,) if default else ())
    return tuple(sorted({serving.host_of(url) for url in urls})) or (NO_HOST,)


def by_host(s: Session, start: datetime, default: str | None) -> dict[str, HostFigures]:
    t, n = TransactionRow, NotificationRow
    found: dict[str, HostFigures] = {}
    created = (
        select(
            t.notification_urls,
            t.status,
            func.count(),
            func.sum(t.gross_amount),
            func.max(t.created_at),
        )
        .where(t.created_at >= start)
        .group_by(t.notification_urls, t.status)
    )
    for joined, status, count, total, last in s.execute(created):
        for host in _hosts(joined, default):
            figures = found.setdefault(host, HostFigures())
            figures.created += int(count)
            figures.saw(created=last)
            held = figures.by_status.setdefault(str(status), [0, 0])
            held[0] += int(count)
            held[1] += int(total or 0)
    sent = (
        select(t.notification_urls, func.count(n.id), func.max(n.sent_at))
        .join(t, t.id == n.transaction_pk)
        .where(n.state == DeliveryState.SENT.value, n.sent_at >= start)
        .group_by(t.notification_urls)
    )
    for joined, count, last_sent in s.execute(sent):
        for host in _hosts(joined, default):
            target = found.setdefault(host, HostFigures())
            target.sent += int(count)
            target.saw(sent=last_sent)
    return found
