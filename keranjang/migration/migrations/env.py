"""Alembic environment of the migration journal's own schema history."""

from keranjang.infra.schema import run_env
from keranjang.migration.journal import Base

run_env(Base.metadata)
