"""The allow-list of hand-off claims.

Only these fields may ever be signed or accepted. Buyer identifiers, names, phones, emails,
addresses and viewing history have no field here, and unknown fields are refused.
"""

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from keranjang.handoff.errors import ClaimsRejected

ISSUER = "keranjang-social"
AUDIENCE = "keranjang-commerce"
MAX_TTL_SECONDS = 300
DEFAULT_TTL_SECONDS = 120

_ID = Field(ge=1, le=2**63 - 1)


class HandoffClaims(BaseModel):
    """Registered JWT claims plus what commerce needs to show a product and attribute it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    iss: str = Field(min_length=1, max_length=64)
    aud: str = Field(min_length=1, max_length=64)
    jti: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    iat: int = Field(ge=0)
    exp: int = Field(ge=0)
    pin: int = _ID
    content: int = _ID
    product: int = _ID
    merchant: int = _ID
    creator: int = _ID
    campaign: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")

    @model_validator(mode="after")
    def _short_lived(self) -> "HandoffClaims":
        if self.exp <= self.iat:
            raise ValueError("exp must be after iat")
        if self.exp - self.iat > MAX_TTL_SECONDS:
            raise ValueError(f"a hand-off token may live at most {MAX_TTL_SECONDS} seconds")
        return self

    def names(self) -> tuple[str, ...]:
        """The claim names these claims carry as signed (sorted; an unset campaign is left
        out, as `sign` leaves it out): what the regulator's evidence samples, never a value."""
        return tuple(sorted(self.model_dump(exclude_none=True)))

    @classmethod
    def parse(cls, data: object) -> "HandoffClaims":
        """Validate raw claims; anything outside the allow-list raises `ClaimsRejected`."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'claims'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ClaimsRejected(problems) from exc


@dataclass(frozen=True)
class HandoffTarget:
    """What a yellow-cart click points at: the business part of the claims."""

    pin: int
    content: int
    product: int
    merchant: int
    creator: int
    campaign: str | None = None


def new_claims(
    target: HandoffTarget, *, now: datetime, ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> HandoffClaims:
    issued = int(now.timestamp())
    return HandoffClaims.parse(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": uuid.uuid4().hex,
            "iat": issued,
            "exp": issued + ttl_seconds,
            **asdict(target),
        }
    )
