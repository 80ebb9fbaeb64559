"""Which stored hashes a root or a proof needs, computed before anything is read. Pure: no I/O.

Every hash in an RFC 9162 root or proof is the hash of a range of leaves that is either a complete, aligned subtree
or a right edge: a run of complete subtrees of decreasing size, folded right to left. A :data:`Span` names those
subtrees by position ``(level, index)`` (level 0 is a leaf). A store that can fetch many positions at once (one SQL
statement) reads :func:`positions` of a plan, then :func:`resolve` folds the fetched hashes into the proof —
bit-identical to :class:`~detente.verification.ledger.tree.MerkleTree`, whose recursion these plans mirror.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .hashing import node_hash, split_point

__all__ = [
    "Position",
    "Span",
    "consistency_plan",
    "inclusion_plan",
    "positions",
    "range_span",
    "resolve",
    "resolve_span",
    "root_span",
]

#: ``(level, index)``: the complete subtree over leaves ``[index << level, (index + 1) << level)``
Position = tuple[int, int]
#: complete subtrees covering a range of leaves, left to right, each smaller than the one before
Span = tuple[Position, ...]


def range_span(start: int, end: int) -> Span:
    """The subtrees whose right-to-left fold is MTH of leaves ``[start, end)`` (``start < end``).

    *start* must be aligned to the largest power of two below ``end - start`` (true of every range a root or a proof
    needs); :class:`ValueError` otherwise.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    out: list[Position] = []
    while True:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            out.append((n.bit_length() - 1, start // n))
            return tuple(out)
        k = split_point(n)
        if start % k:
            raise ValueError(f"range [{start}, {end}) does not start on a subtree boundary")
        out.append((k.bit_length() - 1, start // k))
        start += k


def root_span(size: int) -> Span:
    """The subtrees of the root of a tree of *size* leaves (``size >= 1``): its right edge."""
    return range_span(0, size)


def inclusion_plan(index: int, size: int) -> list[Span]:
    """The spans of the audit path of leaf *index* in a tree of *size* leaves, in proof order (``index < size``)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    plan: list[Span] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            plan.append(range_span(start + k, end))
            end = start + k
        else:
            plan.append(range_span(start, start + k))
            start += k
    plan.reverse()
    return plan


def consistency_plan(size1: int, size2: int) -> list[Span]:
    """The spans of the consistency proof from *size1* to *size2* leaves, in proof order (empty when equal or 0)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"size1 {size1} is outside 0..{size2}")
    if size1 == 0 or size1 == size2:
        return []
    plan: list[Span] = []
    start, end, m, whole = 0, size2, size1, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            plan.append(range_span(start + k, end))
            end = start + k
        else:
            plan.append(range_span(start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        plan.append(range_span(start, end))
    plan.reverse()
    return plan


def positions(spans: Iterable[Span]) -> list[Position]:
    """Every position the spans need, once each, in a stable order."""
    return list(dict.fromkeys(p for span in spans for p in span))


def resolve_span(span: Span, hashes: Mapping[Position, bytes]) -> bytes:
    """The hash of one span from the fetched hashes (``KeyError`` names a position that was not fetched)."""
    value = hashes[span[-1]]
    for position in reversed(span[:-1]):
        value = node_hash(hashes[position], value)
    return value


def resolve(spans: Iterable[Span], hashes: Mapping[Position, bytes]) -> list[bytes]:
    """The proof (or root) hashes of the spans, in order."""
    return [resolve_span(span, hashes) for span in spans]
