"""Merkle tree over the audit log as RFC 9162 (Certificate Transparency v2) defines it; pure Python.

Leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right). The tree of n leaves splits at k,
the largest power of two below n. A complete, aligned subtree (2^level leaves starting at a multiple of 2^level)
is stored once when its last leaf is appended, but only from level `STORED_MIN_LEVEL` (16 leaves) up: a smaller
subtree is recomputed from the entries it covers (at most 16, read by position). The store holds 1/8 of a node per
entry instead of 2, and a root or a proof reads about 2·log2(n) stored nodes and at most two runs of 16 entries.

The verifier functions (`verify_inclusion`, `verify_consistency`) are the RFC's client algorithms (section
2.1.3.2 and 2.1.4.2); an auditor can run them with nothing but this file.
"""
from __future__ import annotations

import hashlib
from typing import Callable

# Complete subtrees of 2^4 = 16 leaves and more are stored; below that they are recomputed from the entries.
STORED_MIN_LEVEL = 4
BLOCK = 1 << STORED_MIN_LEVEL


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 section 2.1.1), for the small subtrees that are not stored."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def new_nodes(index: int, leaf: bytes, lookup: Callable[[int, int], bytes],
              block_leaves: Callable[[int, int], list[bytes]]) -> list[tuple[int, int, bytes]]:
    """The stored subtrees that appending leaf number `index` (0-based) completes: [(level, idx, hash), ...].
    `block_leaves(start, end)` gives the leaf hashes of earlier entries [start, end); `lookup` stored nodes."""
    if (index + 1) % BLOCK:
        return []
    current = mth(block_leaves(index + 1 - BLOCK, index) + [leaf])
    level, idx = STORED_MIN_LEVEL, index >> STORED_MIN_LEVEL
    nodes = [(level, idx, current)]
    while idx % 2 == 1:
        current = node_hash(lookup(level, idx - 1), current)
        level, idx = level + 1, idx // 2
        nodes.append((level, idx, current))
    return nodes


class Tree:
    """Read side: `lookup(level, idx)` returns a stored node hash (level ≥ `min_level`), `leaves(start, end)` the
    leaf hashes of entries [start, end) for the smaller subtrees."""

    def __init__(self, lookup: Callable[[int, int], bytes], leaves: Callable[[int, int], list[bytes]] | None = None,
                 min_level: int = STORED_MIN_LEVEL):
        self.lookup, self.leaves, self.min_level = lookup, leaves, min_level

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]); start is aligned to the subtree sizes the RFC's recursion produces, so a subtree
        smaller than a stored one lies inside one aligned run of 2^min_level entries."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n < (1 << self.min_level):
            return mth(self.leaves(start, end))
        if n & (n - 1) == 0 and start % n == 0:
            return self.lookup(n.bit_length() - 1, start // n)
        k = _split(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int) -> bytes:
        return self.subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(m, D[0:n]) of RFC 9162 section 2.1.3.1."""
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return self._path(m, start, start + k) + [self.subtree(start + k, end)]
        return self._path(m - k, start + k, end) + [self.subtree(start, start + k)]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(m, D[0:n]) of RFC 9162 section 2.1.4.1."""
        if not 0 < old_size <= new_size:
            raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
        if old_size == new_size:
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self.subtree(start, end)]
        k = _split(n)
        if m <= k:
            return self._subproof(m, start, start + k, complete) + [self.subtree(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self.subtree(start, start + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `proof` place `leaf` at `index` in the tree of `size` with `root`?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2: does `proof` show the tree of `new_size` extends the tree of `old_size`?"""
    if old_size > new_size or old_size == 0:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node of the path
        proof = [old_root] + list(proof)
    roots = _consistency_roots(old_size - 1, new_size - 1, proof)
    return roots == (old_root, new_root)


def _consistency_roots(fn: int, sn: int, proof: list[bytes]) -> tuple[bytes, bytes] | None:
    """The old and new roots the consistency path computes (steps 3 to 6 of RFC 9162 2.1.4.2), or None when the
    path is longer than the tree."""
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (fr, sr) if sn == 0 else None


class MemoryTree(Tree):
    """A whole tree in memory (replay, tests): append leaves, keep every complete subtree."""

    def __init__(self):
        self.levels: list[list[bytes]] = []
        super().__init__(lambda level, idx: self.levels[level][idx], lambda start, end: self.levels[0][start:end],
                         min_level=0)

    def __reduce__(self):  # pickled as its levels (replay computes it in a forked process)
        return _memory_tree, (self.levels,)

    def stored_nodes(self):
        """(level, idx, hash) of every subtree the database keeps (level ≥ STORED_MIN_LEVEL), level by level."""
        for level in range(STORED_MIN_LEVEL, len(self.levels)):
            for idx, value in enumerate(self.levels[level]):
                yield level, idx, value

    @property
    def size(self) -> int:
        return len(self.levels[0]) if self.levels else 0

    def append(self, leaf: bytes) -> None:
        """Add a leaf and every complete subtree it completes (new_nodes, inlined: replay calls this a lot)."""
        levels, level, current = self.levels, 0, leaf
        sha = hashlib.sha256
        while True:
            if level == len(levels):
                levels.append([])
            row = levels[level]
            row.append(current)
            if len(row) % 2:
                return
            current = sha(b"\x01" + row[-2] + current).digest()
            level += 1


def _memory_tree(levels: list[list[bytes]]) -> MemoryTree:
    tree = MemoryTree()
    tree.levels = levels
    return tree
