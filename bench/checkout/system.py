"""Commerce and the payment simulator, started on fresh PostgreSQL databases and free ports,
wired as `keranjang up` wires them."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.kit.postgres import database_name, postgres_databases, session_counter
from bench.kit.processes import clean_env, free_port, local_url, services

# The run's databases: commerce's, the simulator's, pgbench's, and an empty commerce database
# for the statement count.
PURPOSES = ("commerce", "payments", "pgbench", "sqlcount")


@dataclass
class System:
    """commerce and the payment simulator, running; what the load generator watches."""

    commerce_url: str
    payments_url: str
    operator_token: str
    payments_server_key: str
    db_urls: dict[str, str]
    server_pids: dict[str, int] = field(default_factory=dict)
    database: str = "postgresql"
    # Sessions ever opened on commerce's and the simulator's databases (connection churn).
    db_sessions: Callable[[], int | None] | None = None

    @property
    def pg_databases(self) -> list[str]:
        """Every database of this run: PostgreSQL's CPU is what works for them."""
        return [database_name(url) for url in self.db_urls.values()]


@dataclass(frozen=True)
class Wiring:
    """Where each service listens and the secrets they share."""

    commerce_port: int
    payments_port: int
    token: str
    server_key: str

    @property
    def commerce(self) -> str:
        return local_url(self.commerce_port)

    @property
    def payments(self) -> str:
        return local_url(self.payments_port)


def service_env(data_dir: Path, wiring: Wiring, db_urls: dict[str, str]) -> dict[str, str]:
    """The two services' settings, and nothing from this environment's KERANJANG_* ones."""
    commerce, payments = wiring.commerce, wiring.payments
    return {
        **clean_env(),
        "KERANJANG_DATA_DIR": str(data_dir),
        "KERANJANG_COMMERCE_HOST": "127.0.0.1",
        "KERANJANG_COMMERCE_PORT": str(wiring.commerce_port),
        "KERANJANG_COMMERCE_PUBLIC_URL": commerce,
        # No social service in this run: hand-offs are not measured here.
        "KERANJANG_COMMERCE_SOCIAL_URL": local_url(free_port()),
        "KERANJANG_COMMERCE_ADMIN_TOKEN": wiring.token,
        "KERANJANG_COMMERCE_DATABASE_URL": db_urls["commerce"],
        "KERANJANG_COMMERCE_PAYMENTS_URL": payments,
        "KERANJANG_COMMERCE_PAYMENTS_SERVER_KEY": wiring.server_key,
        "KERANJANG_PAYMENTS_HOST": "127.0.0.1",
        "KERANJANG_PAYMENTS_PORT": str(wiring.payments_port),
        "KERANJANG_PAYMENTS_PUBLIC_URL": payments,
        "KERANJANG_PAYMENTS_ADMIN_TOKEN": wiring.token,
        "KERANJANG_PAYMENTS_SERVER_KEY": wiring.server_key,
        "KERANJANG_PAYMENTS_DATABASE_URL": db_urls["payments"],
        # The simulator notifies commerce of every payment (pending, then paid or expired),
        # as it does under `keranjang up`: that load is part of a checkout.
        "KERANJANG_PAYMENTS_NOTIFICATION_URL": f"{commerce}/payments/notifications",
    }


@contextlib.contextmanager
def postgres_system(workdir: Path, admin_url: str, commerce_workers: int = 1) -> Iterator[System]:
    """`keranjang serve payments|commerce` on fresh databases, wired like `keranjang up`; a
    pgbench database and an empty commerce database (for the statement count) beside them.
    Everything is stopped and dropped at the end."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True)
    wiring = Wiring(
        free_port(),
        free_port(),
        secrets.token_urlsafe(32),
        "SB-Mid-server-" + secrets.token_urlsafe(24),
    )
    urls = {"payments": wiring.payments, "commerce": wiring.commerce}
    options = {"commerce": ("--workers", str(commerce_workers))}
    with postgres_databases(admin_url, PURPOSES) as db_urls:
        env = service_env(data_dir, wiring, db_urls)
        with services(urls, env, workdir, options) as procs:
            service_dbs = {k: db_urls[k] for k in ("commerce", "payments")}
            yield System(
                wiring.commerce,
                wiring.payments,
                wiring.token,
                wiring.server_key,
                db_urls,
                {name: proc.pid for name, proc in procs.items()},
                db_sessions=session_counter(admin_url, service_dbs),
            )
