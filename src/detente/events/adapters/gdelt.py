"""GDELT adapters: 1.0 events (57/58 fields), 2.0 exports (61), plain or zipped, and Parquet by column name.

Tab-separated files are read in byte blocks and split with numpy: every tab and newline is found in one
pass, the separators are squeezed out, and all fields of a block become one Arrow string array whose
offsets come from the separator positions. Each line keeps its exact 1-based number; a line with a wrong
field count or invalid UTF-8 is rejected on its own; no Python runs per row (except to locate the bytes of
an invalid line).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as _pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from detente.errors import FormatError, InputError
from detente.events.adapters.base import Adapter, Probe, ReadOptions
from detente.events.adapters.gdelt_columns import (
    GDELT1_COLUMNS,
    GDELT2_COLUMNS,
    MENTIONS_FIELD_COUNT,
    REQUIRED_COLUMNS,
    USED_COLUMNS,
    ColumnGetter,
    to_raw,
)

# pyarrow-stubs' overloads reject valid mixes of scalars, arrays and numpy input; compute is untyped here.
pc: Any = _pc

__all__ = ["ADAPTERS", "GdeltParquetAdapter", "GdeltTsvAdapter", "MentionsAdapter"]

_BLOCK_BYTES_MIN = 1 << 20
_BLOCK_BYTES_MAX = 32 << 20
_Bytes = npt.NDArray[np.uint8]
_Ints = npt.NDArray[np.int64]


def _buffer(arr: npt.NDArray[Any]) -> pa.Buffer:
    """Wrap a numpy array's memory as an Arrow buffer (no copy)."""
    return pa.py_buffer(cast("Any", arr))


@dataclass(frozen=True)
class _Split:
    """The fields of a block of complete lines."""

    fields: pa.Array[Any]  # every field of every line, in order
    first: _Ints  # index in ``fields`` of each line's first field
    counts: _Ints  # number of fields of each line
    lines: pa.Array[Any]  # each line's text (without its line ending)


def _split(data: _Bytes) -> _Split:
    """Split a block of complete ``\\n``-terminated lines (valid UTF-8) into fields, vectorised."""
    is_nl = data == 10
    sep = np.flatnonzero(is_nl | (data == 9))
    ends_line = is_nl[sep]
    nl = sep[ends_line]
    nlines = len(nl)
    # a CR right before a newline is part of the line ending, not of the last field
    cr = np.zeros(nlines, dtype=bool)
    if nlines:
        before = nl - 1
        cr = (before >= 0) & (data[np.maximum(before, 0)] == 13)
    keep = ~(is_nl | (data == 9))
    if cr.any():
        keep[nl[cr] - 1] = False
    squeezed = data[keep]
    nfields = len(sep)
    starts = np.empty(nfields, dtype=np.int64)
    starts[0:1] = 0
    starts[1:] = sep[:-1] + 1
    line_of_field = np.cumsum(ends_line) - ends_line
    cr_before = (np.cumsum(cr) - cr)[line_of_field] if nlines else np.zeros(0, dtype=np.int64)
    offsets = np.empty(nfields + 1, dtype=np.int32)
    offsets[:-1] = starts - np.arange(nfields, dtype=np.int64) - cr_before
    offsets[-1] = len(squeezed)
    fields = pa.Array.from_buffers(pa.string(), nfields, [None, _buffer(offsets), _buffer(squeezed)])
    first = np.empty(nlines, dtype=np.int64)
    first[0:1] = 0
    first[1:] = np.flatnonzero(ends_line)[:-1] + 1
    counts = np.flatnonzero(ends_line) + 1 - first
    line_starts = np.empty(nlines + 1, dtype=np.int64)
    line_starts[0:1] = 0
    line_starts[1:] = nl + 1
    line_offsets = line_starts.astype(np.int32)
    raw_lines = pa.Array.from_buffers(pa.string(), nlines, [None, _buffer(line_offsets), _buffer(data)])
    return _Split(fields, first, counts, pc.utf8_rtrim(raw_lines, characters="\r\n"))


def _repair_utf8(data: _Bytes) -> tuple[_Bytes, dict[int, str]]:
    """Replace each line that is not valid UTF-8 by its decoding with U+FFFD; return line index -> reason."""
    out: list[bytes] = []
    bad: dict[int, str] = {}
    for i, line in enumerate(data.tobytes().split(b"\n")[:-1]):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[i] = f"invalid UTF-8 at byte {exc.start + 1} of the line"
            line = line.decode("utf-8", errors="replace").encode("utf-8")
        out.append(line)
    out.append(b"")
    return np.frombuffer(b"\n".join(out), dtype=np.uint8), bad


def _blocks(stream: IO[bytes], block_bytes: int, path: Path) -> Iterator[tuple[_Bytes, int]]:
    """Yield blocks of complete lines (each ending with a newline) and the raw bytes they consumed."""
    carry = b""
    while True:
        try:
            chunk = stream.read(block_bytes)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise InputError(f"truncated or corrupt zip archive ({exc})", path=path) from exc
        if not chunk:
            break
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        carry = data[cut + 1 :]
        yield np.frombuffer(data, dtype=np.uint8, count=cut + 1), len(chunk)
    if carry:
        yield np.frombuffer(carry + b"\n", dtype=np.uint8), 0


def _text_batches(
    stream: IO[bytes],
    path: Path,
    options: ReadOptions,
    *,
    source: str,
    counts_ok: tuple[int, ...],
    scale: float,
) -> Iterator[pa.Table]:
    layout = GDELT2_COLUMNS if source == "gdelt2" else GDELT1_COLUMNS
    block_bytes = max(_BLOCK_BYTES_MIN, min(_BLOCK_BYTES_MAX, options.batch_rows * 512))
    pending: list[pa.Table] = []
    pending_rows = 0
    next_line = 1
    for data, consumed in _blocks(stream, block_bytes, path):
        fast = _fast_table(data, layout, counts_ok, source=source, file_name=path.name, first_line=next_line)
        if fast is not None:
            tables = [fast]
            next_line += fast.num_rows
        else:
            tables, nlines = _exact_tables(
                data, layout, counts_ok, options.batch_rows, source=source, file_name=path.name,
                first_line=next_line,
            )  # fmt: skip
            next_line += nlines
        for table in tables:
            pending.append(table)
            pending_rows += table.num_rows
            if pending_rows >= options.batch_rows:
                yield from _drain(pending, options.batch_rows)
                pending_rows = sum(t.num_rows for t in pending)
        options.progress(int(consumed * scale))
    if pending:
        yield pa.concat_tables(pending)


def _fast_table(
    data: _Bytes, layout: tuple[str, ...], counts_ok: tuple[int, ...], *, source: str, file_name: str, first_line: int
) -> pa.Table | None:
    """Parse a clean block with Arrow's (multi-threaded) CSV reader; ``None`` when the block needs the exact path.

    A block takes the exact path when any line has another field count than the first line (or an invalid one),
    is blank, is not valid UTF-8, or when the mapping rejects any row (so that rejects carry their line text).
    """
    head_end = int(np.argmax(data == 10))
    nfields = int(np.count_nonzero(data[:head_end] == 9)) + 1
    if nfields not in counts_ok:
        return None
    names = list(layout[:nfields])
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> Literal["skip"]:
        invalid.append(1)
        return "skip"

    wanted = [c for c in USED_COLUMNS if c in names]
    try:
        table = pacsv.read_csv(
            cast("Any", pa.BufferReader(_buffer(data))),
            read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter="\t",
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.string()),
                strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if invalid:
        return None
    n = table.num_rows
    columns = {name: table.column(name).combine_chunks() for name in wanted}
    nulls = pa.nulls(n, pa.string())
    out = to_raw(
        lambda name: columns.get(name, nulls),
        source=source,
        file_name=file_name,
        lines=pa.array(np.arange(first_line, first_line + n, dtype=np.int64)),
    )
    if out.column("_reject").null_count != n:
        return None
    return out


def _exact_tables(
    data: _Bytes,
    layout: tuple[str, ...],
    counts_ok: tuple[int, ...],
    batch_rows: int,
    *,
    source: str,
    file_name: str,
    first_line: int,
) -> tuple[list[pa.Table], int]:
    """Split a block line by line (vectorised), rejecting bad lines on their own; returns tables and line count."""
    positions = {name: layout.index(name) for name in USED_COLUMNS}
    expected = " or ".join(str(c) for c in counts_ok)
    bad_utf8: dict[int, str] = {}
    try:
        block = _split(data)
        block.fields.validate(full=True)
    except pa.ArrowInvalid:
        data, bad_utf8 = _repair_utf8(data)
        block = _split(data)
    nlines = len(block.counts)
    line_numbers = np.arange(first_line, first_line + nlines, dtype=np.int64)
    # blank lines are not records
    blank = (block.counts == 1) & (pc.utf8_length(pc.take(block.fields, block.first)).to_numpy() == 0)
    keep = np.flatnonzero(~blank)
    counts = block.counts[keep]
    first = block.first[keep]
    good = np.isin(counts, counts_ok)
    count_reason = pc.if_else(
        pa.array(good),
        pa.scalar(None, pa.string()),
        pc.binary_join_element_wise(
            f"expected {expected} tab-separated fields, found ", pc.cast(pa.array(counts), pa.string()), ""
        ),
    )
    if bad_utf8:
        kept_index = {int(k): i for i, k in enumerate(keep)}
        utf8: list[str | None] = [None] * len(keep)
        for line_index, why in bad_utf8.items():
            if line_index in kept_index:
                utf8[kept_index[line_index]] = why
        count_reason = pc.coalesce(pa.array(utf8, pa.string()), count_reason)
    tables = []
    for start in range(0, len(keep), batch_rows):
        part = slice(start, min(start + batch_rows, len(keep)))
        tables.append(
            to_raw(
                _getter(block.fields, positions, first[part], counts[part], good[part]),
                source=source,
                file_name=file_name,
                lines=pa.array(line_numbers[keep[part]]),
                reject=count_reason[part],
                raw=pc.take(block.lines, pa.array(keep[part])),
            )
        )
    return tables, nlines


def _getter(
    fields: pa.Array[Any], positions: dict[str, int], first: _Ints, counts: _Ints, good: npt.NDArray[np.bool_]
) -> ColumnGetter:
    def get(name: str) -> pa.Array[Any]:
        pos = positions[name]
        present = good & (counts > pos)
        index = pa.array(np.where(present, first + pos, 0), mask=~present)
        column: pa.Array[Any] = pc.take(fields, index)
        return column

    return get


def _drain(pending: list[pa.Table], batch_rows: int) -> Iterator[pa.Table]:
    """Yield full batches of ``batch_rows`` rows from ``pending``, leaving the remainder in it."""
    whole = pa.concat_tables(pending)
    pending.clear()
    start = 0
    while whole.num_rows - start >= batch_rows:
        yield whole.slice(start, batch_rows)
        start += batch_rows
    if start < whole.num_rows:
        pending.append(whole.slice(start))


def _open_text(path: Path) -> tuple[IO[bytes], float, zipfile.ZipFile | None]:
    """Open ``path`` (plain, or a zip's first member) as bytes, with the ratio of file bytes to read bytes."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        return path.open("rb"), 1.0, None
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if not members:
            archive.close()
            raise InputError("zip archive holds no file", path=path)
        member = members[0]
        scale = member.compress_size / member.file_size if member.file_size else 1.0
        return archive.open(member), scale, archive
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise InputError(f"truncated or corrupt zip archive ({exc})", path=path) from exc


def _is_int(text: str) -> bool:
    return text.strip().isdigit()


def _is_sqldate(text: str) -> bool:
    return len(text) == 8 and text.isdigit()


@dataclass
class GdeltTsvAdapter:
    """GDELT events as GDELT publishes them: tab-separated, no header, plain or zipped."""

    name: str
    label: str
    source: str
    counts_ok: tuple[int, ...]

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind not in ("text", "zip") or not probe.head_lines:
            return None
        counts = probe.tab_field_counts()
        rows = [line.split("\t") for line in probe.head_lines if line]
        shaped = [r for r in rows if len(r) in self.counts_ok and _is_int(r[0]) and _is_sqldate(r[1])]
        if not rows or len(shaped) * 5 < len(rows) * 4 or len(rows[0]) not in self.counts_ok:
            return None
        found = "/".join(str(c) for c in sorted(set(counts) & set(self.counts_ok)))
        where = f" (zip member {probe.member})" if probe.kind == "zip" else ""
        return f"{self.label}{where}: {found} tab-separated fields, GLOBALEVENTID and SQLDATE first"

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        stream, scale, archive = _open_text(path)
        try:
            yield from _text_batches(stream, path, options, source=self.source, counts_ok=self.counts_ok, scale=scale)
        finally:
            stream.close()
            if archive is not None:
                archive.close()


@dataclass
class MentionsAdapter:
    """GDELT 2.0 mentions: recognised so that the user is told why they are not imported."""

    name: str = "gdelt2-mentions"
    label: str = "GDELT 2.0 mentions (article mentions of events, not event records)"

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind not in ("text", "zip") or not probe.head_lines:
            return None
        first = probe.head_lines[0].split("\t")
        if len(first) == MENTIONS_FIELD_COUNT and _is_int(first[0]) and len(first[1]) == 14 and first[1].isdigit():
            return f"{self.label}: {MENTIONS_FIELD_COUNT} tab-separated fields"
        return None

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        raise FormatError(
            "this is a GDELT 2.0 mentions file (16 fields): it lists articles mentioning events, not events; "
            "import the matching *.export.CSV file instead",
            path=path,
            line=1,
        )


@dataclass
class GdeltParquetAdapter:
    """Parquet files carrying GDELT event columns by name (e.g. the Georgia extract written from R)."""

    name: str
    label: str
    source: str

    def _matches(self, columns: tuple[str, ...]) -> bool:
        if not all(c in columns for c in REQUIRED_COLUMNS):
            return False
        is_v2 = "ActionGeo_ADM2Code" in columns
        return is_v2 == (self.source == "gdelt2")

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind != "parquet" or not self._matches(probe.columns):
            return None
        adm2 = "with" if self.source == "gdelt2" else "without"
        cols = len(probe.columns)
        return f"{self.label}: {cols} columns incl. GLOBALEVENTID, SQLDATE, EventCode ({adm2} ADM2 codes)"

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", path=path) from exc
        names = tuple(pf.schema_arrow.names)
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise InputError(f"missing GDELT column(s): {', '.join(missing)}", path=path, line=1)
        wanted = [c for c in USED_COLUMNS if c in names]
        row = 1
        try:
            for batch in pf.iter_batches(batch_size=options.batch_rows, columns=wanted):
                n = batch.num_rows

                def get(name: str, batch: pa.RecordBatch = batch) -> pa.Array[Any]:
                    if name in batch.schema.names:
                        col = batch.column(name)
                        return pc.cast(col, pa.string()) if pa.types.is_large_string(col.type) else col
                    return pa.nulls(batch.num_rows, pa.string())

                yield to_raw(
                    get,
                    source=self.source,
                    file_name=path.name,
                    lines=pa.array(np.arange(row, row + n, dtype=np.int64)),
                )
                row += n
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"cannot read Parquet data near row {row} ({exc})", path=path, line=row) from exc


ADAPTERS: tuple[Adapter, ...] = (
    GdeltTsvAdapter("gdelt2", "GDELT 2.0 event export", "gdelt2", (61,)),
    GdeltTsvAdapter("gdelt1", "GDELT 1.0 events", "gdelt1", (57, 58)),
    MentionsAdapter(),
    GdeltParquetAdapter("gdelt2-parquet", "GDELT 2.0 events in Parquet", "gdelt2"),
    GdeltParquetAdapter("gdelt1-parquet", "GDELT 1.0 events in Parquet", "gdelt1"),
)
