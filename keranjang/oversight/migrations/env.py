"""Alembic environment of oversight's own schema history."""

from keranjang.infra.schema import run_env
from keranjang.oversight.db import Base

run_env(Base.metadata)
