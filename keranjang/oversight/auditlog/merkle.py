"""Merkle tree hashing, inclusion and consistency proofs, exactly as RFC 9162 section 2.1 draws
them (the same hashing as RFC 6962): a leaf is SHA-256(0x00 || entry), an interior node
SHA-256(0x01 || left || right), and a tree of n leaves splits at the largest power of two below
n. Written by hand: the Python libraries we found either hash differently (no domain
separation, duplicated odd leaves) or lack consistency proofs; the functions are tested against
the published vectors of transparency-dev/merkle (tests/unit/test_audit_merkle.py).

Hashes are 32-byte `bytes`; a tree is given by its leaf hashes, oldest first."""

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not prove what it claims (or cannot, for these sizes)."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]): the tree head of these leaf hashes (SHA-256 of nothing for an empty tree)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    # Bottom-up: pair the complete subtrees left to right; an odd node rises unchanged, which
    # gives the same head as the recursive split at the largest power of two.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`."""
    if not 0 <= index < len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of {len(leaves)}")
    return _path(index, list(leaves))


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _split(len(d))
    if m < k:
        return [*_path(m, d[:k]), root(d[k:])]
    return [*_path(m - k, d[k:]), root(d[:k])]


def consistency_proof(size1: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): that the tree of the first `size1` leaves is a prefix of this one."""
    if not 0 <= size1 <= len(leaves):
        raise ProofError(f"a tree of {size1} cannot precede a tree of {len(leaves)}")
    if size1 in (0, len(leaves)):
        return []
    return _subproof(size1, list(leaves), True)


def _subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if whole else [root(d)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, d[:k], whole), root(d[k:])]
    return [*_subproof(m - k, d[k:], False), root(d[:k])]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], head: bytes
) -> None:
    """RFC 9162 2.1.3.2; raises ProofError unless `leaf` is leaf `index` of the tree `head`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != head:
        raise ProofError("the inclusion proof does not lead to the tree head")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], head1: bytes, head2: bytes
) -> None:
    """RFC 9162 2.1.4.2; raises ProofError unless tree `head1` of `size1` leaves is a prefix of
    tree `head2` of `size2` leaves."""
    if size1 > size2:
        raise ProofError(f"a tree of {size1} cannot precede a tree of {size2}")
    if size1 == size2:
        if proof or head1 != head2:
            raise ProofError("two trees of one size are consistent only if they are the same")
        return
    if size1 == 0:
        if proof:
            raise ProofError("the empty tree needs no proof")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    _walk_consistency(size1, size2, list(proof), head1, head2)


def _walk_consistency(
    size1: int, size2: int, path: list[bytes], head1: bytes, head2: bytes
) -> None:
    if size1 & (size1 - 1) == 0:  # an exact power of two: its head starts the path
        path = [head1, *path]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != head1 or sr != head2:
        raise ProofError("the consistency proof does not lead to both tree heads")
