"""`keranjang audit verify`'s check, offline: an exported log against a checkpoint the
regulator saved earlier. Editing, deleting or reordering any entry, or rolling the log back to
an older tree, is detected; an honest log that grew since passes."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keranjang.oversight.auditlog.checkpoint import Checkpoint, Verifier, sign, verifier_key
from keranjang.oversight.auditlog.export import Export, LogTampered, verify_export
from keranjang.oversight.auditlog.merkle import leaf_hash, root

ORIGIN = "keranjang.example/oversight"
KEY = Ed25519PrivateKey.generate()
VERIFIER = Verifier.parse(verifier_key(ORIGIN, KEY.public_key()))


def signed(entries: list[bytes]) -> str:
    head = Checkpoint(ORIGIN, len(entries), root([leaf_hash(e) for e in entries]))
    return sign(head, ORIGIN, KEY)


def entries(n: int) -> list[bytes]:
    return [json.dumps({"rule": "21(3)", "status": "fail", "i": i}).encode() for i in range(n)]


SAVED = signed(entries(5))


def test_an_honest_log_that_grew_since_the_saved_checkpoint_verifies() -> None:
    log = entries(9)
    checked = verify_export(
        Export.from_json(Export(ORIGIN, log, signed(log)).to_json()), SAVED, VERIFIER
    )
    assert (checked.size, checked.saved_size) == (9, 5)


TAMPERS = {
    "edited": lambda log: [*log[:2], b'{"rule": "21(3)", "status": "pass"}', *log[3:]],
    "deleted": lambda log: log[:3] + log[4:],
    "reordered": lambda log: [log[1], log[0], *log[2:]],
}


@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_history_rewritten_under_a_new_signature_is_caught_by_the_saved_checkpoint(
    what: str,
) -> None:
    log = TAMPERS[what](entries(9))
    resigned = Export(ORIGIN, log, signed(log))  # the operator signs its rewritten log anew
    with pytest.raises(LogTampered, match=r"does not extend the saved checkpoint"):
        verify_export(resigned, SAVED, VERIFIER)


@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_entries_that_are_not_the_signed_tree_are_caught(what: str) -> None:
    honest = entries(9)
    with pytest.raises(LogTampered, match=r"edited, deleted, added or moved"):
        verify_export(Export(ORIGIN, TAMPERS[what](honest), signed(honest)), SAVED, VERIFIER)


def test_an_entry_edited_after_the_saved_checkpoint_is_caught_by_the_logs_own() -> None:
    honest = entries(9)
    edited = [*honest[:7], b"{}", honest[8]]
    with pytest.raises(LogTampered, match=r"edited, deleted, added or moved"):
        verify_export(Export(ORIGIN, edited, signed(honest)), SAVED, VERIFIER)


def test_a_log_rolled_back_to_an_older_tree_is_detected() -> None:
    older = entries(3)
    with pytest.raises(LogTampered, match="rolled back"):
        verify_export(Export(ORIGIN, older, signed(older)), SAVED, VERIFIER)


def test_a_checkpoint_not_signed_by_the_logs_key_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    log = entries(6)
    head = Checkpoint(ORIGIN, 6, root([leaf_hash(e) for e in log]))
    with pytest.raises(LogTampered, match="does not verify"):
        verify_export(Export(ORIGIN, log, sign(head, ORIGIN, other)), SAVED, VERIFIER)
