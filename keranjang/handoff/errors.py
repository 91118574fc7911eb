"""The hand-off error tree (drawn in the package docstring)."""


class HandoffError(Exception):
    """Base of every hand-off error. `reason` is a short machine-readable code."""

    reason = "handoff_error"


class ClaimsRejected(HandoffError):
    reason = "claims_rejected"


class TokenRefused(HandoffError):
    reason = "token_refused"


class TokenMalformed(TokenRefused):
    reason = "malformed"


class UnknownKey(TokenRefused):
    reason = "unknown_key"


class BadSignature(TokenRefused):
    reason = "bad_signature"


class WrongAudience(TokenRefused):
    reason = "wrong_audience"


class TokenExpired(TokenRefused):
    reason = "expired"
