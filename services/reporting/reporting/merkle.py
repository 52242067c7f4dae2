"""Merkle tree over the audit log as RFC 9162 (Certificate Transparency v2) defines it; pure Python.

Leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right). The tree of n leaves splits at k,
the largest power of two below n. Every complete, aligned subtree (2^level leaves starting at a multiple of 2^level)
is stored once when its last leaf is appended, so any root or proof is a handful of lookups.

The verifier functions (`verify_inclusion`, `verify_consistency`) are the RFC's client algorithms (section
2.1.3.2 and 2.1.4.2); an auditor can run them with nothing but this file.
"""
from __future__ import annotations

import hashlib
from typing import Callable


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def new_nodes(index: int, leaf: bytes, lookup: Callable[[int, int], bytes]) -> list[tuple[int, int, bytes]]:
    """The complete subtrees that appending leaf number `index` (0-based) completes: [(level, idx, hash), ...]."""
    nodes, level, idx, current = [(0, index, leaf)], 0, index, leaf
    while idx % 2 == 1:
        current = node_hash(lookup(level, idx - 1), current)
        level, idx = level + 1, idx // 2
        nodes.append((level, idx, current))
    return nodes


class Tree:
    """Read side over stored complete subtrees; `lookup(level, idx)` returns a stored node hash."""

    def __init__(self, lookup: Callable[[int, int], bytes]):
        self.lookup = lookup

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]); start is aligned to the subtree sizes the RFC's recursion produces."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
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
    fn, sn = old_size - 1, new_size - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class MemoryTree(Tree):
    """A whole tree in memory (replay, verify, tests): append leaves, keep every complete subtree."""

    def __init__(self):
        self.levels: list[list[bytes]] = []
        super().__init__(lambda level, idx: self.levels[level][idx])

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
