"""Oversight's composition root: the monitor built from settings, without any web framework
(the service and `keranjang oversight evaluate` both use it)."""

from datetime import datetime, timedelta

from sqlalchemy import Engine

from keranjang.evidence.tokens import regulator_token
from keranjang.handoff import SigningKey
from keranjang.infra import schema
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.oversight import db, regime
from keranjang.oversight.config import OversightSettings, host_of
from keranjang.oversight.evidence import Endpoints, EvidenceSource, HttpEvidence
from keranjang.oversight.log_store import LogKey
from keranjang.oversight.regime import Hosts
from keranjang.oversight.service import Monitor, Setup

SERVICES = ("social", "commerce", "payments", "migration")


def deadline_of(
    settings: OversightSettings, regime_deadline: datetime, started: datetime
) -> datetime:
    """The settings' deadline, else (the demo) start-up plus the configured span, else the
    regime's."""
    if settings.deadline is not None:
        return settings.deadline
    if settings.deadline_after_start_seconds is not None:
        return started + timedelta(seconds=settings.deadline_after_start_seconds)
    return regime_deadline


def http_source(settings: OversightSettings) -> HttpEvidence:
    endpoints = Endpoints(
        settings.social_url, settings.commerce_url, settings.payments_url, settings.migration_url
    )
    tokens = {s: regulator_token(s, settings.data_dir) for s in SERVICES}
    return HttpEvidence(endpoints, tokens, window_seconds=settings.evidence_window_seconds)


def build(
    settings: OversightSettings,
    *,
    source: EvidenceSource | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
) -> Monitor:
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # the SQLite file and the log's key
    engine = engine or make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    clock = clock or SystemClock()
    rules = regime.load(settings.regime_file)
    key = SigningKey.load_or_create(settings.resolved_log_key_file).private_key
    setup = Setup(
        regime=rules,
        deadline=deadline_of(settings, rules.deadline, clock.now()),
        hosts=Hosts(commerce=host_of(settings.commerce_url), social=host_of(settings.social_url)),
        log=LogKey(settings.log_origin, key),
        clock=clock,
        event_pages=settings.evidence_event_pages,
    )
    monitor = Monitor(session_factory(engine), source or http_source(settings), setup)
    monitor.ensure_checkpoint()
    return monitor
