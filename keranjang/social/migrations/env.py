"""Alembic environment of the social service's own schema history: promotion's tables, the
viewers' and the legacy in-app shop's, all in one metadata."""

import keranjang.social.legacy_shop.db
import keranjang.social.viewers.db  # noqa: F401  (their tables join the metadata)
from keranjang.infra.schema import run_env
from keranjang.social.db import Base

run_env(Base.metadata)
