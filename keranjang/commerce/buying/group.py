"""What a group of checkouts is made of: each checkout asked (`Ask`), the rules it is placed
under, the answer stored for it (`Answer`), and a checkout accepted for placing."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from keranjang.commerce.buying.domain import (
    OrderDraft,
)
from keranjang.commerce.errors import CommerceError, EmptyCart, Invalid, OutOfStock

ADDRESS_FIELDS = ("recipient", "phone", "street", "city", "postal_code")
# What a refused checkout's stored answer says, by refusal. The answer is stored for idempotent
# retries, so its status is fixed here; `tests/integration/test_no_library_errors.py` checks it agrees
# with the web layer's table.
REFUSAL_STATUS: dict[type[CommerceError], int] = {OutOfStock: 409, EmptyCart: 422, Invalid: 422}
REFUSALS = tuple(REFUSAL_STATUS)


@dataclass(frozen=True)
class Answer:
    """A stored HTTP answer: what an idempotent retry gets back, byte for byte."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    buyer_id: int | None = None  # whose checkout it answers (not part of the answer sent)


def refused(exc: CommerceError) -> Answer:
    status = next(REFUSAL_STATUS[k] for k in type(exc).__mro__ if k in REFUSAL_STATUS)
    body = {"error": type(exc).__name__, "detail": str(exc), "code": exc.code}
    params = {k: v if isinstance(v, int | str) else str(v) for k, v in exc.params.items()}
    return Answer(status, body | {"params": params})


@dataclass(frozen=True)
class Ask:
    """One checkout: the buyer is known (`buyer_id`, from a page's session) or is found in the
    group from the digest of the bearer token (`token_hash`)."""

    key: str
    body: dict[str, Any]
    fingerprint: str
    buyer_id: int | None = None
    token_hash: str | None = None


@dataclass(frozen=True)
class Rules:
    shipping_idr: int
    hold_minutes: int
    attribution_window: timedelta
    platform_fee_bp: int


Outcome = Answer | CommerceError


@dataclass
class Accepted:
    index: int
    buyer_id: int
    drafts: list[OrderDraft]
    address: str
