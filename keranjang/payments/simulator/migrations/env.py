"""Alembic environment of the payment simulator's own schema history."""

from keranjang.infra.schema import run_env
from keranjang.payments.simulator.db import Base

run_env(Base.metadata)
