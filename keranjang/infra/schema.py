"""Alembic, driven from code: each service keeps its own schema history in `<part>/migrations`."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData


def alembic_config(migrations_dir: Path, engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(migrations_dir: Path, engine: Engine) -> None:
    """Bring the database to the newest schema of this service's history."""
    command.upgrade(alembic_config(migrations_dir, engine), "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's `env.py`: migrate online with the engine the service handed over."""
    from alembic import context

    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
