"""A log exported for the regulator, and its offline check: the entries and the log's newest
signed checkpoint in one JSON file; `verify_export` recomputes the tree from the entries and
checks it against that checkpoint and against a checkpoint the regulator saved earlier. Any
edited, deleted or reordered entry changes a tree head; a log rolled back to an older tree is
smaller than the saved checkpoint, or not its extension."""

import base64
import json
from dataclasses import dataclass

from keranjang.oversight.auditlog.checkpoint import Checkpoint, CheckpointError, Verifier, open_note
from keranjang.oversight.auditlog.merkle import (
    consistency_proof,
    leaf_hash,
    root,
    verify_consistency,
)


class LogTampered(ValueError):
    """The exported log is not the log the signed checkpoints describe; the message says how."""


@dataclass(frozen=True)
class Export:
    origin: str
    entries: list[bytes]
    checkpoint: str  # the log's newest signed checkpoint, as a signed note

    def to_json(self) -> str:
        return json.dumps(
            {
                "origin": self.origin,
                "checkpoint": self.checkpoint,
                "entries": [base64.b64encode(e).decode() for e in self.entries],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> "Export":
        try:
            data = json.loads(text)
            entries = [base64.b64decode(e, validate=True) for e in data["entries"]]
            return cls(str(data["origin"]), entries, str(data["checkpoint"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise LogTampered(f"the export cannot be read: {exc}") from exc


@dataclass(frozen=True)
class Verified:
    size: int
    saved_size: int
    root: bytes


def verify_export(export: Export, saved_note: str, verifier: Verifier) -> Verified:
    """Raises LogTampered unless the export is the log its checkpoint signs, and that log
    extends the checkpoint the regulator saved earlier (same origin, same first entries)."""
    newest, saved = _opened(export.checkpoint, verifier), _opened(saved_note, verifier)
    for head in (newest, saved):
        if head.origin != export.origin:
            raise LogTampered(f"a checkpoint is of log {head.origin!r}, not {export.origin!r}")
    leaves = [leaf_hash(e) for e in export.entries]
    if len(leaves) != newest.size or root(leaves) != newest.root:
        raise LogTampered(
            f"the entries do not make the signed tree of {newest.size}: an entry was edited, "
            "deleted, added or moved"
        )
    if saved.size > newest.size:
        raise LogTampered(
            f"the log was rolled back: it has {newest.size} entries, the saved checkpoint {saved.size}"
        )
    try:  # the proof a remote verifier would be sent, checked as it would check it
        proof = consistency_proof(saved.size, leaves)
        verify_consistency(saved.size, newest.size, proof, saved.root, newest.root)
    except ValueError as exc:
        raise LogTampered(
            f"the log does not extend the saved checkpoint of {saved.size}: its history was "
            "rewritten"
        ) from exc
    return Verified(newest.size, saved.size, newest.root)


def _opened(note: str, verifier: Verifier) -> Checkpoint:
    try:
        return open_note(note, verifier)
    except CheckpointError as exc:
        raise LogTampered(f"a checkpoint does not verify: {exc}") from exc
