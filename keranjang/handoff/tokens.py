"""Signing and verifying hand-off tokens (JWT, EdDSA), with every PyJWT error mapped at the edge."""

from datetime import datetime
from typing import Any

import jwt

from keranjang.handoff.claims import AUDIENCE, ISSUER, HandoffClaims
from keranjang.handoff.errors import (
    BadSignature,
    ClaimsRejected,
    TokenExpired,
    TokenMalformed,
    WrongAudience,
)
from keranjang.handoff.keys import KeyLookup, SigningKey

ALGORITHM = "EdDSA"
# Tolerated clock difference between social and commerce.
CLOCK_SKEW_SECONDS = 10
_REQUIRED = ["iss", "aud", "jti", "iat", "exp"]


def sign(claims: HandoffClaims | dict[str, Any], key: SigningKey) -> str:
    """Sign claims; a dict is validated against the allow-list first (`ClaimsRejected`)."""
    valid = claims if isinstance(claims, HandoffClaims) else HandoffClaims.parse(claims)
    payload = valid.model_dump(exclude_none=True)
    return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify(
    token: str,
    keys: KeyLookup,
    *,
    now: datetime,
    audience: str = AUDIENCE,
    issuer: str = ISSUER,
) -> HandoffClaims:
    """Check signature, issuer, audience, lifetime and the allow-list; return the claims.

    Single use is the redeemer's job: it must record `jti` atomically with what it does.
    """
    payload = _decode(token, keys, audience=audience, issuer=issuer)
    try:
        claims = HandoffClaims.parse(payload)
    except ClaimsRejected as exc:
        raise ClaimsRejected(f"token claims refused: {exc}") from exc
    moment = int(now.timestamp())
    if claims.iat > moment + CLOCK_SKEW_SECONDS:
        raise TokenExpired("token is issued in the future")
    if claims.exp <= moment - CLOCK_SKEW_SECONDS:
        raise TokenExpired(f"token expired {moment - claims.exp} seconds ago")
    return claims


def key_id(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenMalformed("not a hand-off token") from exc
    if header.get("alg") != ALGORITHM:
        raise TokenMalformed(f"algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenMalformed("token has no key id")
    return kid


def _decode(token: str, keys: KeyLookup, *, audience: str, issuer: str) -> dict[str, Any]:
    key = keys.get(key_id(token))
    try:
        decoded: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            # Lifetime is checked against the injected clock in `verify`.
            options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise BadSignature("token signature does not match") from exc
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
        raise WrongAudience(str(exc)) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise ClaimsRejected(str(exc)) from exc
    except jwt.PyJWTError as exc:
        raise TokenMalformed(f"token could not be read: {exc}") from exc
    return decoded
