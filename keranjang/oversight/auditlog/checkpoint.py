"""Signed checkpoints: a tree head as C2SP tlog-checkpoint text (origin, size, base64 root
hash), signed as a C2SP signed-note with Ed25519, and verified with the log's public key alone.

    <origin>\\n<tree size>\\n<base64 root hash>\\n\\n— <key name> <base64(key id || signature)>\\n

The key id is SHA-256(key name || 0x0A || 0x01 || public key)[:4]; a verifier key is written
`<name>+<hex key id>+<base64(0x01 || public key)>`. Written by hand: both formats are a few
lines of text, and no Python library for them is maintained; the signature itself is
`cryptography`'s Ed25519."""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014"
MAX_SIGNATURES = 16


class CheckpointError(ValueError):
    """A checkpoint that is malformed or not signed by the expected key."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw(public)).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    """The public key as verifiers configure it: `<name>+<hex key id>+<base64 key>`."""
    encoded = base64.b64encode(ED25519 + _raw(public)).decode()
    return f"{name}+{key_id(name, public).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> "Verifier":
        try:
            name, hex_id, encoded = text.strip().split("+", 2)  # base64 may hold a +
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise CheckpointError("a verifier key is <name>+<hex key id>+<base64 key>") from exc
        if raw[:1] != ED25519 or len(raw) != 33:
            raise CheckpointError("only Ed25519 verifier keys (type 0x01) are accepted")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if key_id(name, verifier.public).hex() != hex_id:
            raise CheckpointError("the verifier key's id does not match its name and key")
        return verifier


def sign(checkpoint: Checkpoint, name: str, key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note."""
    return sign_text(checkpoint.text(), name, key)


def sign_text(body: str, name: str, key: Ed25519PrivateKey) -> str:
    """A signed note of `body` (which ends in a newline)."""
    signature = key_id(name, key.public_key()) + key.sign(body.encode())
    return f"{body}\n{DASH} {name} {base64.b64encode(signature).decode()}\n"


def open_note(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint of a signed note, once its signature by `verifier` checks out."""
    return parse(verified_text(note, verifier))


def verified_text(note: str, verifier: Verifier) -> str:
    """The text of a signed note, once its signature by `verifier` checks out."""
    body, signatures = _split(note)
    wanted = key_id(verifier.name, verifier.public)
    ours = [s for name, s in signatures if name == verifier.name and s[:4] == wanted]
    if not ours:
        raise CheckpointError(f"the checkpoint carries no signature by {verifier.name}")
    for signature in ours:
        try:
            verifier.public.verify(signature[4:], body.encode())
        except InvalidSignature:
            raise CheckpointError(f"the signature by {verifier.name} does not verify") from None
    return body


def _split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointError("a signed note holds no control characters but newlines")
    body, sep, tail = note.rpartition("\n\n")
    if not sep or not tail.endswith("\n"):
        raise CheckpointError("a signed note is text, a blank line, and signature lines")
    lines = tail[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != DASH or not name:
            raise CheckpointError(f"not a signature line: {line[:60]!r}")
        try:
            signatures.append((name, base64.b64decode(encoded, validate=True)))
        except ValueError as exc:
            raise CheckpointError("a signature is not base64") from exc
    return body + "\n", signatures


def parse(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint is origin, size and root hash, one per line")
    origin, size, encoded = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise CheckpointError("the checkpoint's origin or size is malformed")
    try:
        root = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise CheckpointError("the checkpoint's root hash is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, int(size), root)
