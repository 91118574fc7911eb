"""TODO docstring."""

from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import DeclarativeBase, Session

from keranjang.commerce.errors import NotFound

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


class Base(DeclarativeBase):
    pass


def get_or_404(session: Session, model: type[T], key: int, what: str) -> T:
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {what} with id {key}", params={"id": key})
    return row
