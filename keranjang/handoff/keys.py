"""Ed25519 signing keys and the public key ring, with key ids (RFC 7638 thumbprints) for rotation.

Social signs with its current `SigningKey` and publishes the public halves as a JWKS; commerce
verifies against a `KeyRing` built from that JWKS. Rotation: publish the new key next to the old
one, sign with the new one, drop the old one once tokens signed with it have expired.
"""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from keranjang.handoff.errors import UnknownKey


def _public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    jwk: dict[str, str] = json.loads(OKPAlgorithm.to_jwk(public_key))
    return {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}


def _thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint: base64url(SHA-256(canonical JSON of crv, kty, x))."""
    canonical = json.dumps(_public_jwk(public_key), separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class SigningKey:
    """A private Ed25519 key with its key id."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.kid = _thumbprint(self.public_key)

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: Path) -> "SigningKey":
        """Read a PEM key from `path`, creating it (mode 0600) on first use."""
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path.name} does not hold an Ed25519 private key")
            return cls(loaded)
        key = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
        return key

    def public_jwk(self) -> dict[str, str]:
        return {**_public_jwk(self.public_key), "kid": self.kid, "alg": "EdDSA", "use": "sig"}


class KeyLookup(Protocol):
    """Where a verifier finds the public key for a key id; raises `UnknownKey` if none."""

    def get(self, kid: str) -> Ed25519PublicKey: ...


class KeyRing:
    """Public verification keys by key id."""

    def __init__(self, keys: dict[str, Ed25519PublicKey] | None = None) -> None:
        self._keys = dict(keys or {})

    @classmethod
    def of(cls, *signing_keys: SigningKey) -> "KeyRing":
        return cls({k.kid: k.public_key for k in signing_keys})

    @classmethod
    def from_jwks(cls, jwks: dict[str, Any]) -> "KeyRing":
        """Build from a JWKS document; keys that are not Ed25519 signing keys are ignored."""
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not jwk.get("kid"):
                continue
            key = jwt.PyJWK.from_dict(jwk, algorithm="EdDSA").key
            if isinstance(key, Ed25519PublicKey):
                keys[jwk["kid"]] = key
        return cls(keys)

    def get(self, kid: str) -> Ed25519PublicKey:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownKey(f"no verification key with id {kid!r}") from None

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)
