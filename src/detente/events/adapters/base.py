"""The contract every source adapter fulfils.

An adapter recognises its format from a :class:`Probe` (``sniff``) and streams a file as Arrow tables in
:data:`detente.events.schema.RAW_SCHEMA` (``read``), each row carrying ``source_file`` and ``source_line``; it may
add ``_reject`` (a reason, for a row it could not parse) and ``_raw`` (the original record). Problems that make the
whole file unusable (empty file, missing columns, truncated archive, another format) raise
:class:`detente.errors.InputError` / :class:`detente.errors.FormatError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import pyarrow as pa

__all__ = ["Adapter", "Probe", "ProbeKind", "ReadOptions"]

ProbeKind = Literal["text", "zip", "parquet", "json", "empty"]


@dataclass(frozen=True)
class Probe:
    """What format detection can see of a file without reading it all."""

    path: Path
    kind: ProbeKind
    #: first lines of the text (of the first member for a zip), decoded as UTF-8 with replacement; no line endings
    head_lines: tuple[str, ...] = ()
    #: Parquet column names, or the keys of the first JSON record
    columns: tuple[str, ...] = ()
    #: for JSON: the top-level keys of the document (e.g. a UCDP API page: TotalCount, Result, …)
    json_keys: tuple[str, ...] = ()
    #: for a zip: the name of the member that holds the data
    member: str | None = None

    def tab_field_counts(self) -> tuple[int, ...]:
        return tuple(len(line.split("\t")) for line in self.head_lines if line)


@dataclass
class ReadOptions:
    """How an adapter should read."""

    strict: bool = False
    batch_rows: int = 50_000
    #: a column-mapping file, for the ``mapped`` adapter
    mapping: Path | None = None
    #: called with the number of bytes consumed since the last call (drives progress bars)
    on_progress: Callable[[int], None] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def progress(self, nbytes: int) -> None:
        if self.on_progress is not None and nbytes:
            self.on_progress(nbytes)


class Adapter(Protocol):
    """A source format."""

    #: the ``--format`` name
    name: str
    #: one line for humans
    label: str

    def sniff(self, probe: Probe) -> str | None:
        """Return why this file is in this format (shown to the user), or ``None`` if it is not."""
        ...

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        """Stream the file as RAW_SCHEMA tables of at most ``options.batch_rows`` rows."""
        ...
