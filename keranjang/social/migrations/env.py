"""Alembic environment of the social service's own schema history."""

from keranjang.infra.schema import run_env
from keranjang.social.db import Base

run_env(Base.metadata)
