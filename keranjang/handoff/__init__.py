"""The hand-off contract: the only thing that crosses from social to commerce.

A hand-off token is a signed (EdDSA / Ed25519), short-lived, single-use JWT whose claims are an
allow-list (`HandoffClaims`). Social signs; commerce verifies and redeems it once.

Errors, all raised by this package::

    HandoffError
    ├── ClaimsRejected      claims outside the allow-list, or invalid values
    └── TokenRefused        a token commerce must not accept
        ├── TokenMalformed  not a JWT, or an unexpected algorithm
        ├── UnknownKey      signed with a key id the verifier does not know
        ├── BadSignature    signature does not match (tampered or forged)
        ├── WrongAudience   issued for another audience or by another issuer
        └── TokenExpired    past its expiry, issued in the future, or living too long
"""

from keranjang.handoff.claims import (
    AUDIENCE,
    ISSUER,
    MAX_TTL_SECONDS,
    HandoffClaims,
    HandoffTarget,
    new_claims,
)
from keranjang.handoff.errors import (
    BadSignature,
    ClaimsRejected,
    HandoffError,
    TokenExpired,
    TokenMalformed,
    TokenRefused,
    UnknownKey,
    WrongAudience,
)
from keranjang.handoff.keys import KeyLookup, KeyRing, SigningKey
from keranjang.handoff.tokens import key_id, sign, verify

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "MAX_TTL_SECONDS",
    "BadSignature",
    "ClaimsRejected",
    "HandoffClaims",
    "HandoffError",
    "HandoffTarget",
    "KeyLookup",
    "KeyRing",
    "SigningKey",
    "TokenExpired",
    "TokenMalformed",
    "TokenRefused",
    "UnknownKey",
    "WrongAudience",
    "key_id",
    "new_claims",
    "sign",
    "verify",
]
