"""Signed checkpoints against the reference vector of golang.org/x/mod/sumdb/note (the
PeterNeumann key and note, which every signed-note implementation reproduces), and tiles against
C2SP tlog-tiles' own examples: a checkpoint verifies with the public key alone, and any edit of
its text or signature fails."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keranjang.oversight.auditlog import tiles
from keranjang.oversight.auditlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    Verifier,
    open_note,
    sign,
    sign_text,
    verified_text,
    verifier_key,
)
from keranjang.oversight.auditlog.merkle import leaf_hash, root

VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NOTE = (
    TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=\n"
)


def peter() -> Ed25519PrivateKey:
    seed = base64.b64decode(SKEY.split("+", 4)[4])
    assert seed[0] == 1
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_the_reference_note_signs_and_verifies_byte_for_byte() -> None:
    key = peter()
    assert verifier_key("PeterNeumann", key.public_key()) == VKEY
    assert sign_text(TEXT, "PeterNeumann", key) == NOTE
    assert verified_text(NOTE, Verifier.parse(VKEY)) == TEXT


@pytest.mark.parametrize(
    "edit",
    [
        lambda n: n.replace("cryptography", "cryptographY"),
        lambda n: n.replace("x08go", "x08gp"),
        lambda n: n.replace("— PeterNeumann", "— PeterNeuman"),
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n.replace("— ", "-- "),
        lambda n: n + "trailing",
    ],
)
def test_any_edit_of_a_signed_note_fails(edit: object) -> None:
    with pytest.raises(CheckpointError):
        verified_text(edit(NOTE), Verifier.parse(VKEY))  # type: ignore[operator]


def test_a_checkpoint_opens_with_the_logs_key_only() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    head = Checkpoint(
        "keranjang.example/oversight", 5, root([leaf_hash(b"%d" % i) for i in range(5)])
    )
    note = sign(head, "keranjang.example/oversight", key)
    assert note.startswith(
        f"keranjang.example/oversight\n5\n{base64.b64encode(head.root).decode()}\n\n"
    )
    mine = Verifier.parse(verifier_key("keranjang.example/oversight", key.public_key()))
    assert open_note(note, mine) == head
    theirs = Verifier.parse(verifier_key("keranjang.example/oversight", other.public_key()))
    with pytest.raises(CheckpointError):
        open_note(note, theirs)
    with pytest.raises(CheckpointError):
        open_note(note.replace("\n5\n", "\n6\n"), mine)


def test_tile_paths_are_the_specs() -> None:
    assert tiles.index_path(1234067) == "x001/x234/067"
    assert tiles.index_path(0) == "000"
    assert tiles.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tiles.tile_path(1, 3, width=17) == "tile/1/003.p/17"
    assert tiles.bundle_path(5, width=112) == "tile/entries/005.p/112"


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    found = tiles.paths_for(70_000)
    level0 = [t for t in found if t[0] == 0]
    assert len([t for t in level0 if t[2] == 256]) == 273 and (0, 273, 112) in level0
    assert [t for t in found if t[0] > 0] == [(1, 0, 256), (1, 1, 17), (2, 0, 1)]
    assert tiles.paths_for(256) == [(0, 0, 256), (1, 0, 1)]


def test_tiles_hold_the_trees_hashes_and_bundles_its_entries() -> None:
    entries = [b"entry %d" % i for i in range(600)]
    leaves = [leaf_hash(e) for e in entries]
    first = tiles.tile(leaves, 0, 0)
    assert first == b"".join(leaves[:256])
    upper = tiles.tile(leaves, 1, 0)  # partial: two full level-0 tiles below
    assert upper == root(leaves[:256]) + root(leaves[256:512])
    assert tiles.read_bundle(tiles.bundle(entries, 2)) == entries[512:]
    with pytest.raises(tiles.TileError):
        tiles.tile(leaves, 0, 3)
