"""Alembic environment of the commerce service's own schema history."""

from keranjang.commerce import order_tables  # noqa: F401  (registers the ordering tables)
from keranjang.commerce.db import Base
from keranjang.infra.schema import run_env

run_env(Base.metadata)
