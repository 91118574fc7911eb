"""Secrets as every service stores and checks them, with no web framework: bearer-token digests,
the operator-token check and the password hasher (social's viewers and commerce's buyers use the
same one)."""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def is_operator(token: str | None, expected: str | None) -> bool:
    """Constant-time check of an operator token; no configured token means nobody is one."""
    return bool(token and expected and secrets.compare_digest(token, expected))


def token_digest(token: str) -> str:
    """What is stored of a bearer token: its SHA-256. The tokens are 256-bit random values, so a
    fast digest is enough (a password hasher is for low-entropy secrets)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """Argon2id, with argon2-cffi's recommended parameters."""
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one behind `stored_hash`; a missing account still pays for one
    hash, so a wrong email and a wrong password take the same time."""
    if stored_hash is None:
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
