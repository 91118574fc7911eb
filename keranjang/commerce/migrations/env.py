"""Alembic environment of the commerce service's own schema history."""

from keranjang.commerce.tables import Base
from keranjang.infra.schema import run_env

run_env(Base.metadata)
