"""A generated legacy marketplace planned in a fresh migration journal: where the engine's tests
start (`test_migration_engine`, `_engine_pause`, `_batches`, `_pause_budget`, `_never_fits`)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra import schema
from keranjang.infra.database import make_engine, session_factory, transaction
from keranjang.migration import plan as planning
from keranjang.migration.journal import MIGRATIONS, MoveRow
from keranjang.social.legacy_shop.generator import seeding
from tests.integration.legacy_fixtures import Legacy


@dataclass
class Planned:
    engine: Engine  # the journal's: the caller disposes of it
    journal: sessionmaker[Session]
    sellers: list[int]  # in the plan's order, largest sales first


def planned_marketplace(
    legacy: Legacy, journal_url: str, now: datetime, *seeds: seeding.SeedRequest
) -> Planned:
    """Seed the app's legacy shop (each request in turn), then plan every seller."""
    for request in seeds:
        seeding.seed(legacy.engine, request, lambda _n: None)
    engine = make_engine(journal_url)
    schema.upgrade(MIGRATIONS, engine)
    journal = session_factory(engine)
    with legacy.engine.connect() as c:
        sizes = planning.legacy_sizes(c)
    with transaction(journal) as s:
        planning.plan(s, sizes, now, dry_run=False)
        sellers = list(s.scalars(select(MoveRow.seller_id).order_by(MoveRow.rank)))
    return Planned(engine, journal, sellers)


def confirmed(legacy: Legacy, sellers: list[int]) -> list[int]:
    """Every one of the sellers confirms its move (in the app's seller tools); by id."""
    for seller_id in sellers:
        legacy.shop.moving.confirm(seller_id)
    return sorted(sellers)
