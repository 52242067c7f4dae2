"""The RFC 9162 tree: roots from stored subtrees equal the RFC's recursive definition; proofs verify and fail."""
import hashlib

import pytest

from reporting import merkle


def mth(leaves):
    """RFC 9162 section 2.1.1, written out directly."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def build(n):
    entries = [f"entry {i}".encode() for i in range(n)]
    tree = merkle.MemoryTree()
    for e in entries:
        tree.append(merkle.leaf_hash(e))
    return entries, tree


def test_rfc_9162_known_answer_for_the_empty_tree_and_one_leaf():
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 13, 32, 33])
def test_roots_from_stored_subtrees_match_the_definition(n):
    entries, tree = build(n)
    for size in range(1, n + 1):
        assert tree.root(size) == mth(entries[:size])


def test_every_inclusion_proof_verifies_and_a_wrong_leaf_or_root_fails():
    entries, tree = build(21)
    for size in range(1, 22):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            leaf = merkle.leaf_hash(entries[index])
            assert merkle.verify_inclusion(index, size, leaf, proof, root)
            assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), proof, root)
            if size > 1:
                assert not merkle.verify_inclusion((index + 1) % size, size, leaf, proof, root)


def test_every_consistency_proof_verifies_and_a_rewritten_history_fails():
    entries, tree = build(19)
    forged_entries = list(entries)
    forged_entries[2] = b"rewritten"
    forged = merkle.MemoryTree()
    for e in forged_entries:
        forged.append(merkle.leaf_hash(e))
    for old in range(1, 20):
        for new in range(old, 20):
            proof = tree.consistency_proof(old, new)
            assert merkle.verify_consistency(old, new, tree.root(old), tree.root(new), proof)
            if old > 2:
                # the forged log changed entry 2: its proof cannot link the honest old root to its new root
                assert not merkle.verify_consistency(old, new, tree.root(old), forged.root(new),
                                                     forged.consistency_proof(old, new))


def test_proofs_reject_impossible_sizes():
    _, tree = build(4)
    with pytest.raises(ValueError):
        tree.inclusion_proof(4, 4)
    with pytest.raises(ValueError):
        tree.consistency_proof(0, 4)
    assert not merkle.verify_consistency(3, 2, b"", b"", [])
    assert not merkle.verify_inclusion(4, 4, b"", [], b"")
