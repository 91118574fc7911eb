"""The Merkle log's hashing and proofs against the published vectors of transparency-dev/merkle
(proof/verify_test.go: eight leaves, their tree heads, inclusion and consistency proofs), and
every corruption those tests try: a proof must fail for any other index, size, leaf or head,
and for any bit flipped, element added, dropped or moved."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang.oversight.auditlog.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex
LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
INCLUSION = [  # (leaf number from 1, tree size, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [  # (size1, size2, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
HASHES = [leaf_hash(x) for x in LEAVES]
SOME = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_tree_heads_are_the_published_ones() -> None:
    assert (
        root([])
        == EMPTY_ROOT
        == h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )
    assert [root(HASHES[:n]) for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_verify(
    leaf: int, size: int, proof: list[str]
) -> None:
    path = [h(x) for x in proof]
    assert inclusion_proof(leaf - 1, HASHES[:size]) == path
    verify_inclusion(leaf - 1, size, HASHES[leaf - 1], path, ROOTS[size - 1])


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_a_corrupted_inclusion_proof_fails(leaf: int, size: int, proof: list[str]) -> None:
    i, path, head, mine = leaf - 1, [h(x) for x in proof], ROOTS[size - 1], HASHES[leaf - 1]
    bad = [
        (i - 1, size, mine, path, head),
        (i + 1, size, mine, path, head),
        (i ^ 2, size, mine, path, head),
        (i, size * 2, mine, path, head),
        (i, size // 2, mine, path, head),
        (i, size, b"WrongLeaf", path, head),
        (i, size, mine, path, EMPTY_ROOT),
        (i, size, mine, path, SOME),
        (i, size, mine, [*path, b""], head),
        (i, size, mine, [*path, head], head),
        (i, size, mine, [b"", *path], head),
        (i, size, mine, [head, *path], head),
        (i, size, mine, path[:-1], head),
        (i, size, mine, [path[0], SOME, *path[1:]], head),
    ]
    for k in range(len(path)):
        flipped = bytes([path[k][0] ^ 8]) + path[k][1:]
        bad.append((i, size, mine, [*path[:k], flipped, *path[k + 1 :]], head))
    for args in bad:
        with pytest.raises(ProofError):
            verify_inclusion(*args)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_verify(
    size1: int, size2: int, proof: list[str]
) -> None:
    path = [h(x) for x in proof]
    assert consistency_proof(size1, HASHES[:size2]) == path
    verify_consistency(size1, size2, path, ROOTS[size1 - 1], ROOTS[size2 - 1])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_a_corrupted_consistency_proof_fails(size1: int, size2: int, proof: list[str]) -> None:
    path, r1, r2 = [h(x) for x in proof], ROOTS[size1 - 1], ROOTS[size2 - 1]
    bad = [
        (size1 - 1, size2, path, r1, r2),
        (size1 + 1, size2, path, r1, r2),
        (size1 ^ 2, size2, path, r1, r2),
        (size1, size2 * 2, path, r1, r2),
        (size1, size2 // 2, path, r1, r2),
        (size1, size2, path, b"WrongRoot", r2),
        (size1, size2, path, r1, b"WrongRoot"),
        (size1, size2, path, r2, r1),
        (size1, size2, [], r1, r2),
        (size1, size2, [*path, b""], r1, r2),
        (size1, size2, [*path, r1], r1, r2),
        (size1, size2, [*path, r2], r1, r2),
        (size1, size2, [b"", *path], r1, r2),
        (size1, size2, [r1, *path], r1, r2),
        (size1, size2, [r2, *path], r1, r2),
        (size1, size2, [path[0], *path], r1, r2),
        (size1, size2, path[:-1], r1, r2),
    ]
    for k in range(len(path)):
        flipped = bytes([path[k][0] ^ 16]) + path[k][1:]
        bad.append((size1, size2, [*path[:k], flipped, *path[k + 1 :]], r1, r2))
    for args in bad:
        with pytest.raises(ProofError):
            verify_consistency(*args)


def test_trivial_consistency_needs_no_proof_and_time_never_runs_back() -> None:
    verify_consistency(0, 0, [], SOME, SOME)
    verify_consistency(0, 5, [], EMPTY_ROOT, ROOTS[4])
    verify_consistency(3, 3, [], ROOTS[2], ROOTS[2])
    for args in [(3, 3, [], ROOTS[2], ROOTS[3]), (2, 1, [], SOME, SOME), (1, 2, [], SOME, SOME)]:
        with pytest.raises(ProofError):
            verify_consistency(*args)  # type: ignore[arg-type]


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_proof_of_any_tree_verifies(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [leaf_hash(e) for e in entries]
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1))
    verify_inclusion(i, n, leaves[i], inclusion_proof(i, leaves), root(leaves))
    m = data.draw(st.integers(0, n))
    verify_consistency(m, n, consistency_proof(m, leaves), root(leaves[:m]), root(leaves))
