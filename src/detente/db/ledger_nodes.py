"""Stored hashes of a log's tree read by position, many in one statement.

A root, a proof or an append's right edge needs a few dozen hashes, all known in advance
(:mod:`detente.verification.ledger.plan`). :class:`SqlNodeReader` fetches them with one statement: leaves by
``idx IN (…)`` on ``ledger_entries``, subtrees by joining the ``(level, idx)`` pairs to ``ledger_subtrees`` — each a
primary-key lookup, so the cost does not grow with the log. On SQLite the pairs are a ``VALUES`` list (one text per
count of positions, kept in the driver's statement cache); on PostgreSQL two integer arrays through ``unnest``, so
the text never changes and the driver prepares it once per connection. The statement goes to the driver as written
(no ORM, no SQL compilation); only integers are bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from detente.verification.ledger.plan import Position

__all__ = ["SqlNodeReader", "node_statement"]


def node_statement(log_id: int, wanted: Sequence[Position], mark: str) -> tuple[str, tuple[int, ...]]:
    """The statement and parameters that read *wanted* of log *log_id*; *mark* is the driver's placeholder."""
    leaves = [index for level, index in wanted if level == 0]
    inner = [(level, index) for level, index in wanted if level > 0]
    parts: list[str] = []
    params: list[int] = []
    if leaves:
        marks = ", ".join([mark] * len(leaves))
        parts.append(f"SELECT 0, idx, leaf_hash FROM ledger_entries WHERE log_id = {mark} AND idx IN ({marks})")
        params += [log_id, *leaves]
    if inner:
        pair = f"(CAST({mark} AS INTEGER), CAST({mark} AS INTEGER))"
        rows = ", ".join([pair] * len(inner))
        parts.append(
            f"SELECT s.level, s.idx, s.hash FROM (VALUES {rows}) AS p JOIN ledger_subtrees AS s"
            f" ON s.log_id = {mark} AND s.level = p.column1 AND s.idx = p.column2"
        )
        params += [value for position in inner for value in position]
        params.append(log_id)
    return " UNION ALL ".join(parts), tuple(params)


#: PostgreSQL: one text whatever the positions (bound as arrays), so the driver prepares it once per connection
_PG_NODES = (
    "SELECT 0, idx, leaf_hash FROM ledger_entries WHERE log_id = %s AND idx = ANY(CAST(%s AS integer[]))"
    " UNION ALL SELECT s.level, s.idx, s.hash"
    " FROM unnest(CAST(%s AS integer[]), CAST(%s AS integer[])) AS p(level, idx)"
    " JOIN ledger_subtrees AS s ON s.log_id = %s AND s.level = p.level AND s.idx = p.idx"
)


def _pg_params(log_id: int, wanted: Sequence[Position]) -> tuple[object, ...]:
    leaves = [index for level, index in wanted if level == 0]
    inner = [(level, index) for level, index in wanted if level > 0]
    return (log_id, leaves, [lv for lv, _ in inner], [ix for _, ix in inner], log_id)


class SqlNodeReader:
    """A :class:`~detente.verification.ledger.planned.NodeReader` over one log's stored leaves and subtrees."""

    def __init__(self, session: Session, log_id: int) -> None:
        self._session, self._log_id = session, log_id

    def read(self, wanted: Sequence[Position]) -> dict[Position, bytes]:
        if not wanted:
            return {}
        connection = self._session.connection()
        if connection.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(_PG_NODES, _pg_params(self._log_id, wanted))
        else:
            sql, params = node_statement(self._log_id, wanted, "?")
            rows = connection.exec_driver_sql(sql, params)
        return {(int(level), int(index)): bytes(value) for level, index, value in rows}
