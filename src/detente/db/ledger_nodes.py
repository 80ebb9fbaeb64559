"""Stored hashes of a log's tree read by position, many in one statement.

A root, a proof or an append's right edge needs a few dozen hashes, all known in advance
(:mod:`detente.verification.ledger.plan`). :class:`SqlNodeReader` fetches them with one statement: leaves by
``idx IN (…)`` on ``ledger_entries``, subtrees by joining a ``VALUES`` list of ``(level, idx)`` pairs to
``ledger_subtrees`` — each a primary-key lookup, so the cost does not grow with the log. The statement goes to the
driver as written (no ORM, no SQL compilation); only integers are bound.
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


class SqlNodeReader:
    """A :class:`~detente.verification.ledger.planned.NodeReader` over one log's stored leaves and subtrees."""

    def __init__(self, session: Session, log_id: int) -> None:
        self._session, self._log_id = session, log_id

    def read(self, wanted: Sequence[Position]) -> dict[Position, bytes]:
        if not wanted:
            return {}
        connection = self._session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        sql, params = node_statement(self._log_id, wanted, mark)
        rows = connection.exec_driver_sql(sql, params)
        return {(int(level), int(index)): bytes(value) for level, index, value in rows}
