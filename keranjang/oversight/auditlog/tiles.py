"""The log served as C2SP tlog-tiles: tiles of 256 consecutive Merkle Tree Hashes per level
(level 0: leaf hashes; level l: heads of full tiles below), entry bundles of big-endian uint16
length-prefixed entries, and their paths (`tile/<L>/x001/x234/067[.p/<W>]`). Any verifier that
speaks the format can check the log from these and a signed checkpoint. Written by hand: paths
and concatenations, no library needed."""

import struct
from collections.abc import Sequence

from keranjang.oversight.auditlog.merkle import root

WIDTH = 256
MAX_ENTRY = 0xFFFF


class TileError(ValueError):
    """A tile or bundle that does not exist for this tree size."""


def index_path(n: int) -> str:
    """1234067 → `x001/x234/067`."""
    digits = f"{n:d}"
    digits = digits.zfill((len(digits) + 2) // 3 * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int, n: int, width: int = WIDTH) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/{level}/{index_path(n)}{suffix}"


def bundle_path(n: int, width: int = WIDTH) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/entries/{index_path(n)}{suffix}"


def level_hashes(leaves: Sequence[bytes], level: int) -> list[bytes]:
    """Level `level`'s hashes for a tree: each the head of a full subtree of 256**level leaves."""
    span = WIDTH**level
    return [root(leaves[i : i + span]) for i in range(0, len(leaves) - span + 1, span)]


def tile(leaves: Sequence[bytes], level: int, n: int) -> bytes:
    """The n-th tile at `level` of the tree of `leaves` (partial if the tree ends inside it)."""
    hashes = level_hashes(leaves, level)[n * WIDTH : (n + 1) * WIDTH]
    if not hashes:
        raise TileError(f"the tree of {len(leaves)} has no tile {n} at level {level}")
    return b"".join(hashes)


def bundle(entries: Sequence[bytes], n: int) -> bytes:
    chunk = entries[n * WIDTH : (n + 1) * WIDTH]
    if not chunk:
        raise TileError(f"the log of {len(entries)} has no entry bundle {n}")
    return b"".join(struct.pack(">H", len(e)) + e for e in chunk)


def read_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("an entry bundle ends inside a length prefix")
        (size,) = struct.unpack(">H", data[at : at + 2])
        if at + 2 + size > len(data):
            raise TileError("an entry bundle ends inside an entry")
        entries.append(data[at + 2 : at + 2 + size])
        at += 2 + size
    return entries


def paths_for(size: int) -> list[tuple[int, int, int]]:
    """Every (level, index, width) tile a tree of `size` has, partial ones included."""
    found = []
    level = 0
    while size >= WIDTH**level and size:
        count = size // WIDTH**level  # hashes at this level
        found += [(level, n, WIDTH) for n in range(count // WIDTH)]
        if count % WIDTH:
            found.append((level, count // WIDTH, count % WIDTH))
        level += 1
    return found
