"""The credentials of a generated marketplace, derived from a secret key so that the same seed
and key give the same rows, and whoever holds the key (a traffic driver, a demo) can act as any
generated seller, creator or viewer, while a seed alone gives nobody a way in.

A seller's or creator's token is an HMAC of its id under the key; the database keeps its digest,
as for every token. Viewers share one password (an HMAC too): hashing a password per viewer with
Argon2 costs tens of milliseconds on purpose, which a million viewers cannot afford."""

import base64
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.low_level import hash_secret

from keranjang.infra.credentials import token_digest

_params = PasswordHasher()


def _mac(key: bytes, purpose: str) -> str:
    digest = hmac.new(key, purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def seller_token(key: bytes, seller_id: int) -> str:
    return _mac(key, f"legacy-seller:{seller_id}")


def creator_token(key: bytes, creator_id: int) -> str:
    return _mac(key, f"creator:{creator_id}")


def seller_digest(key: bytes, seller_id: int) -> str:
    return token_digest(seller_token(key, seller_id))


def creator_digest(key: bytes, creator_id: int) -> str:
    return token_digest(creator_token(key, creator_id))


def viewer_password(key: bytes) -> str:
    return _mac(key, "viewer-password")


def viewer_password_hash(key: bytes) -> str:
    """Argon2id with argon2-cffi's recommended parameters (those viewers' sign-up uses), over a
    salt derived from the key: `PasswordHasher.hash` draws a random salt, which would make two
    runs of one seed differ."""
    salt = hmac.new(key, b"viewer-salt", hashlib.sha256).digest()[: _params.salt_len]
    encoded = hash_secret(
        viewer_password(key).encode(),
        salt,
        time_cost=_params.time_cost,
        memory_cost=_params.memory_cost,
        parallelism=_params.parallelism,
        hash_len=_params.hash_len,
        type=_params.type,
    )
    return encoded.decode()
