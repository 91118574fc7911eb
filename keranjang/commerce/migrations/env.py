"""Alembic environment of the commerce service's own schema history."""

from keranjang.commerce import money_tables, order_tables  # noqa: F401  (registers their tables)
from keranjang.commerce.db import Base
from keranjang.infra.schema import run_env

run_env(Base.metadata)
