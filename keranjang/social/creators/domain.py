"""Creators' sign-in and figures in plain Python. Errors are social's own
(`keranjang.social.domain`)."""

from dataclasses import dataclass, field
from datetime import datetime

from keranjang.social.domain import Content, Creator, FiguresUnavailable, Invalid

MIN_PASSWORD = 10
MAX_PASSWORD = 200
SESSION_DAYS = 30


@dataclass(frozen=True)
class Commission:
    """A creator's commission in whole rupiah, as commerce's ledger has it."""

    pending_idr: int = 0
    payable_idr: int = 0
    paid_out_idr: int = 0


@dataclass(frozen=True)
class CreatorFigures:
    """What commerce says of one creator: sums and counts only, never a buyer's row."""

    creator_id: int
    handoffs: int
    orders: int
    commission: Commission
    handoffs_by_content: dict[int, int] = field(default_factory=dict)
    last_handoff_at: datetime | None = None


@dataclass(frozen=True)
class Dashboard:
    """A creator's own page: who they are, their content with its pins, and their figures (None
    with `figures_problem`, the error that says why, when commerce could not be read)."""

    creator: Creator
    content: list[Content]
    figures: CreatorFigures | None
    figures_problem: FiguresUnavailable | None = None


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"Kata sandi harus {MIN_PASSWORD} sampai {MAX_PASSWORD} karakter.",
            "password_length",
            low=MIN_PASSWORD,
            high=MAX_PASSWORD,
        )
    return password
