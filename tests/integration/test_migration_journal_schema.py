"""The journal's own schema history: a fresh journal matches the engine's tables, and a journal
written before the id map lost its surrogate id (revision 0005) keeps every mapping, still
read by (kind, legacy id) and still refusing a legacy row mapped twice."""

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from keranjang.infra import schema
from keranjang.infra.database import make_engine, session_factory
from keranjang.migration import journal


def _journal(database_url: Callable[[str], str]) -> Engine:
    return make_engine(database_url("journal"))


def test_a_fresh_journal_matches_the_engines_tables(database_url: Callable[[str], str]) -> None:
    engine = _journal(database_url)
    schema.upgrade(journal.MIGRATIONS, engine)
    with engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), journal.Base.metadata) == []
    engine.dispose()


def test_the_id_map_keeps_its_rows_across_revision_0005(
    database_url: Callable[[str], str],
) -> None:
    engine = _journal(database_url)
    config = schema.alembic_config(journal.MIGRATIONS, engine)
    command.upgrade(config, "0004")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO id_map (seller_id, kind, legacy_id, commerce_id) "
                "VALUES (7, 'order', 101, 9001), (7, 'product', 101, 9002), (8, 'order', 102, 9003)"
            )
        )
    command.upgrade(config, "head")
    with session_factory(engine)() as s:
        assert journal.mapped(s, "order", [101, 102, 103]) == {101: 9001, 102: 9003}
        assert journal.mapped(s, "product", [101]) == {101: 9002}
    m = journal.IdMapRow.__table__
    with pytest.raises(IntegrityError), engine.begin() as c:
        c.execute(insert(m).values(seller_id=9, kind="order", legacy_id=101, commerce_id=1))
    with engine.connect() as c:
        assert c.execute(select(m.c.seller_id).where(m.c.legacy_id == 101)).all() == [(7,), (7,)]
    command.downgrade(config, "0004")  # the way back keeps the rows too
    with engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM id_map")) == 3
    engine.dispose()
