"""Alembic environment of the commerce service's own schema history."""

from keranjang.infra.schema import run_env
from keranjang.commerce.db import Base

run_env(Base.metadata)
