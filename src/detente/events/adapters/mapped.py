"""Any other CSV, imported through a declarative column-mapping file (YAML).

The mapping names the source slug, the CSV dialect (delimiter, encoding, header line), the date formats, and
for each canonical field where its value comes from: a column, a constant or a template, optionally through a
value map with a default. ``docs/sources/mapped-csv.md`` documents the format; ``examples/mappings/`` holds
examples.

This module also holds the text-reading pieces the HXL and native adapters share (:func:`iter_text_records`,
:class:`RowBatch`, :func:`parse_cell`, :func:`resolve_category`).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from detente.errors import InputError
from detente.events import countries
from detente.events.adapters.base import Adapter, Probe, ReadOptions
from detente.events.canonical import conform
from detente.events.schema import FIELDS, RAW_SCHEMA
from detente.events.taxonomy import CATEGORIES, from_acled, from_cameo

__all__ = [
    "ADAPTERS",
    "FieldSpec",
    "MappedCsvAdapter",
    "MappingFile",
    "RowBatch",
    "TextRecord",
    "iter_text_records",
    "load_mapping",
    "parse_cell",
    "resolve_category",
]

# ------------------------------------------------------------------------------------------------------------
# Shared text reading
# ------------------------------------------------------------------------------------------------------------

_FIELD_LIMIT = 64 * 1024 * 1024
_TYPES: dict[str, pa.DataType] = {f.name: f.type for f in FIELDS}
_INT_RANGES: dict[pa.DataType, tuple[int, int]] = {
    pa.int8(): (-(2**7), 2**7 - 1),
    pa.int16(): (-(2**15), 2**15 - 1),
    pa.int32(): (-(2**31), 2**31 - 1),
    pa.int64(): (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class TextRecord:
    """One CSV record with the physical line it starts on."""

    line: int
    cells: list[str]
    #: the record's text as read (invalid bytes replaced), without the final line break
    raw: str
    #: why the record is unusable (invalid bytes, CSV syntax), or ``None``
    error: str | None
    #: bytes of the file this record consumed
    nbytes: int


class _LineFeed:
    """Feeds decoded physical lines to ``csv.reader`` and remembers what the current record consumed."""

    def __init__(self, fh: BinaryIO, encoding: str) -> None:
        self._fh = fh
        self._encoding = encoding
        self.lineno = 0
        self.nbytes = 0
        self.parts: list[str] = []
        self.bad: str | None = None

    def reset(self) -> None:
        self.parts = []
        self.bad = None
        self.nbytes = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        data = self._fh.readline()
        if not data:
            raise StopIteration
        self.lineno += 1
        self.nbytes += len(data)
        if self.lineno == 1 and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode(self._encoding)
        except UnicodeDecodeError as exc:
            text = data.decode(self._encoding, errors="replace")
            if self.bad is None:
                byte = data[exc.start : exc.start + 1].hex()
                self.bad = f"invalid {self._encoding} (byte 0x{byte} at line {self.lineno}, column {exc.start + 1})"
        self.parts.append(text)
        return text


def iter_text_records(path: Path, *, delimiter: str = ",", encoding: str = "utf-8") -> Iterator[TextRecord]:
    """Yield the CSV records of ``path`` (blank lines skipped), each with its starting physical line.

    A record with bytes that are invalid in ``encoding`` is yielded with ``error`` set, so the caller can
    quarantine it and carry on. ``encoding`` must be ASCII-compatible (UTF-8, Latin-1, Windows-1252, …).
    """
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open file ({exc.strerror})", path=path) from exc
    with fh:
        feed = _LineFeed(fh, encoding)
        reader = csv.reader(feed, delimiter=delimiter, strict=False)
        while True:
            feed.reset()
            start = feed.lineno + 1
            error: str | None = None
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                cells, error = [], f"unreadable CSV record ({exc})"
            raw = "".join(feed.parts).rstrip("\r\n")
            if not cells and error is None and not raw.strip():
                continue
            yield TextRecord(start, cells, raw, feed.bad or error, feed.nbytes)


def parse_date(text: str, formats: Sequence[str] = ()) -> date:
    """An ISO 8601 date (a datetime's date part is taken) or one of ``formats`` (``strptime`` codes)."""
    value = text.strip()
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    except ValueError:
        pass
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    expected = " or ".join(["YYYY-MM-DD", *formats])
    raise ValueError(f"bad date {text!r} (expected {expected})")


def parse_cell(text: str, type_: pa.DataType, date_formats: Sequence[str] = ()) -> object:
    """Convert one cell to the Python value of a canonical column type; ``ValueError`` names the problem."""
    if pa.types.is_string(type_):
        return text
    if pa.types.is_date32(type_):
        return parse_date(text, date_formats)
    if pa.types.is_floating(type_):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"not a number: {text!r}") from None
    if pa.types.is_integer(type_):
        value = text.strip()
        try:
            number = int(value)
        except ValueError:
            try:
                as_float = float(value)
            except ValueError:
                raise ValueError(f"not a whole number: {text!r}") from None
            if not as_float.is_integer():
                raise ValueError(f"not a whole number: {text!r}") from None
            number = int(as_float)
        low, high = _INT_RANGES[type_]
        if not low <= number <= high:
            raise ValueError(f"{number} is out of range {low}..{high}")
        return number
    raise TypeError(f"no text conversion for {type_}")  # pragma: no cover - schema has no other types


def resolve_category(event_type: str, sub_type: str | None = None) -> tuple[str, str | None] | None:
    """Canonical (category, subcategory) of a type value: a canonical name, an ACLED type or a CAMEO code."""
    value = event_type.strip()
    if not value:
        return None
    slug = re.sub(r"[\s-]+", "_", value.lower())
    if slug in CATEGORIES:
        return slug, None
    acled = from_acled(value, sub_type)
    if acled is not None:
        return acled
    if value.isdigit() and 2 <= len(value) <= 4:
        return from_cameo(value)
    return None


def country_facts(iso3: str | None, name: str | None) -> tuple[str | None, int | None]:
    """ISO3 and Gleditsch–Ward code from an ISO3 code or, failing that, a country name."""
    found = countries.by_iso3(iso3) if iso3 else None
    if found is None and name:
        found = countries.by_name(name)
    if found is None:
        return (iso3.strip().upper() if iso3 else None), None
    return found.iso3, found.gw_code


class RowBatch:
    """Collects rows as Python values and turns them into a conformed RAW_SCHEMA table."""

    def __init__(self, source_file: str) -> None:
        self.source_file = source_file
        self.nbytes = 0
        self._reset()

    def _reset(self) -> None:
        self._cols: dict[str, list[object]] = {f.name: [] for f in RAW_SCHEMA}
        self._reject: list[str | None] = []
        self._raw: list[str | None] = []

    def __len__(self) -> int:
        return len(self._reject)

    def add(self, line: int, values: Mapping[str, object], reject: str | None = None, raw: str | None = None) -> None:
        for name, column in self._cols.items():
            column.append(None if reject is not None else values.get(name))
        self._cols["source_file"][-1] = self.source_file
        self._cols["source_line"][-1] = line
        self._reject.append(reject)
        self._raw.append(raw if reject is not None else None)

    def flush(self) -> pa.Table:
        arrays = [pa.array(self._cols[f.name], type=f.type) for f in RAW_SCHEMA]
        arrays.append(pa.array(self._reject, type=pa.string()))
        arrays.append(pa.array(self._raw, type=pa.string()))
        table = pa.Table.from_arrays(arrays, names=[*RAW_SCHEMA.names, "_reject", "_raw"])
        self._reset()
        return conform(table)


# ------------------------------------------------------------------------------------------------------------
# The mapping file
# ------------------------------------------------------------------------------------------------------------

#: Canonical fields a mapping may fill (source comes from ``source``, the id from ``id_column``).
MAPPABLE: tuple[str, ...] = tuple(
    f.name
    for f in FIELDS
    if not f.computed and f.name not in {"source", "source_event_id", "source_file", "source_line"}
)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
Scalar = str | int | float | bool


class FieldSpec(BaseModel):
    """Where one canonical field's value comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None = None
    const: Scalar | None = None
    template: str | None = None
    #: source value -> canonical value
    map: dict[str, Scalar | None] | None = None
    #: value when the source value is not in ``map`` (or empty)
    default: Scalar | None = None
    #: date formats for this field only (``strptime`` codes)
    formats: list[str] | None = None

    @field_validator("map", mode="before")
    @classmethod
    def _keys_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        given = [k for k in ("column", "const", "template") if getattr(self, k) is not None]
        if len(given) != 1 and not (not given and self.default is not None):
            raise ValueError("give exactly one of column, const or template")
        if self.template is not None and not _PLACEHOLDER.search(self.template):
            raise ValueError("template names no column (write columns as {Column name})")
        return self

    def columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            return _PLACEHOLDER.findall(self.template)
        return []


class MappingFile(BaseModel):
    """A column-mapping file (see docs/sources/mapped-csv.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    delimiter: str = ","
    encoding: str = "utf-8"
    header_line: int = 1
    date_formats: list[str] = ["%Y-%m-%d"]
    id_column: str | None = None
    fields: dict[str, FieldSpec]

    @field_validator("source")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", value):
            raise ValueError("must be a lower-case slug: a letter, then letters, digits or _ (at most 40)")
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1 or value in '\r\n"':
            raise ValueError('must be one character (not a quote or line break); write a tab as "\\t"')
        return value

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        if "a,\n".encode(value, errors="replace") != b"a,\n":
            raise ValueError(f"encoding {value!r} is not ASCII-compatible (UTF-16/32 are not supported)")
        return value

    @field_validator("header_line")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be 1 or more")
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        unknown = [str(k) for k in value if k not in MAPPABLE]
        if unknown:
            raise ValueError(f"unknown canonical field(s) {', '.join(unknown)}; known: {', '.join(MAPPABLE)}")
        return {k: ({"column": v} if isinstance(v, str) else v) for k, v in value.items()}

    @model_validator(mode="after")
    def _required(self) -> MappingFile:
        for name in ("date_start", "category"):
            if name not in self.fields:
                raise ValueError(f"fields.{name} is required")
        return self


def _yaml_line(text: str, loc: Sequence[object]) -> int | None:
    """1-based line of the node at ``loc`` in the YAML text (nearest existing ancestor)."""
    try:
        node: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # pragma: no cover - the text was already loaded once
        return None
    line = None if node is None else int(node.start_mark.line) + 1
    for key in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if str(k.value) == str(key):
                node, line = v, int(k.start_mark.line) + 1
                break
        else:
            break
    return line


def load_mapping(path: Path) -> MappingFile:
    """Read and validate a mapping file; errors name the file, the line and the key path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read mapping file ({exc.strerror})", path=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"mapping file is not UTF-8 (byte {exc.start})", path=path) from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = int(mark.line) + 1 if mark is not None else None
        raise InputError(
            f"mapping file is not valid YAML ({getattr(exc, 'problem', exc)})", path=path, line=line
        ) from exc
    if not isinstance(doc, dict):
        raise InputError("mapping file must be a YAML mapping (key: value lines)", path=path, line=1)
    try:
        return MappingFile.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if p != "[key]"]
        key = ".".join(str(p) for p in loc) or "(top level)"
        msg = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise InputError(f"{msg}{more}", path=path, line=_yaml_line(text, loc), field=key) from exc


# ------------------------------------------------------------------------------------------------------------
# The adapter
# ------------------------------------------------------------------------------------------------------------


class MappedCsvAdapter:
    """Reads a CSV through a :class:`MappingFile`."""

    name = "mapped"
    label = "any CSV, through a column-mapping file (--mapping FILE)"

    def sniff(self, probe: Probe) -> str | None:
        return None  # never detected: the user chooses it by giving a mapping

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        if options.mapping is None:
            raise InputError("format 'mapped' needs a mapping file (--mapping FILE)", path=path)
        mapping = load_mapping(options.mapping)
        records = iter_text_records(path, delimiter=mapping.delimiter, encoding=mapping.encoding)
        header: list[str] | None = None
        index: dict[str, int] = {}
        batch = RowBatch(path.name)
        for rec in records:
            batch.nbytes += rec.nbytes
            if header is None:
                if rec.line < mapping.header_line:
                    continue
                if rec.error is not None:
                    raise InputError(f"header row: {rec.error}", path=path, line=rec.line)
                header = [c.strip() for c in rec.cells]
                index = self._check_columns(mapping, options.mapping, header, path, rec.line)
                continue
            batch.add(rec.line, *self._row(mapping, header, index, rec))
            if len(batch) >= options.batch_rows:
                options.progress(batch.nbytes)
                batch.nbytes = 0
                yield batch.flush()
        if header is None:
            raise InputError(
                f"no header row at or after line {mapping.header_line}", path=path, line=mapping.header_line
            )
        options.progress(batch.nbytes)
        if len(batch):
            yield batch.flush()

    @staticmethod
    def _check_columns(
        mapping: MappingFile, mapping_path: Path, header: list[str], path: Path, line: int
    ) -> dict[str, int]:
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name, i)
        wanted: list[tuple[str, str]] = []
        if mapping.id_column is not None:
            wanted.append(("id_column", mapping.id_column))
        for field_name, spec in mapping.fields.items():
            origin = "column" if spec.column is not None else "template"
            wanted.extend((f"fields.{field_name}.{origin}", col) for col in spec.columns())
        for key, col in wanted:
            if col not in index:
                shown = ", ".join(repr(h) for h in header[:30])
                raise InputError(
                    f"mapping {mapping_path.name} key {key} names column {col!r}, which {path.name} lacks "
                    f"(its columns: {shown})",
                    path=path,
                    line=line,
                    field=key,
                )
        return index

    @staticmethod
    def _row(
        mapping: MappingFile, header: list[str], index: dict[str, int], rec: TextRecord
    ) -> tuple[dict[str, object], str | None, str]:
        if rec.error is not None:
            return {}, rec.error, rec.raw
        cells = rec.cells
        if [c.strip() for c in cells] == header:
            return {}, "repeated header row", rec.raw
        if len(cells) != len(header):
            return {}, f"expected {len(header)} fields, found {len(cells)}", rec.raw
        values: dict[str, object] = {"source": mapping.source}
        if mapping.id_column is not None:
            values["source_event_id"] = cells[index[mapping.id_column]].strip() or None
        for name, spec in mapping.fields.items():
            try:
                values[name] = _field_value(name, spec, cells, index, mapping.date_formats)
            except ValueError as exc:
                return {}, f"field {name}: {exc}", rec.raw
        if "date_precision" not in mapping.fields:
            end = values.get("date_end")
            values["date_precision"] = "day" if end is None or end == values.get("date_start") else "days"
        if "country_gw" not in mapping.fields:
            iso3, gw = country_facts(_text(values.get("country_iso3")), _text(values.get("country_name")))
            values["country_iso3"], values["country_gw"] = iso3, gw
        return values, None, rec.raw


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _field_value(
    name: str, spec: FieldSpec, cells: list[str], index: dict[str, int], date_formats: list[str]
) -> object:
    raw: str | None
    if spec.column is not None:
        raw = cells[index[spec.column]].strip()
    elif spec.template is not None:
        parts = {col: cells[index[col]].strip() for col in spec.columns()}
        raw = _PLACEHOLDER.sub(lambda m: parts[m.group(1)], spec.template).strip() if any(parts.values()) else ""
    else:
        raw = None if spec.const is None else str(spec.const)
    if spec.map is not None and raw in spec.map:
        mapped = spec.map[raw]
        raw = None if mapped is None else str(mapped)
    elif spec.default is not None and (spec.map is not None or not raw):
        raw = str(spec.default)
    if raw is None or raw == "":
        return None
    if name == "category" and raw not in CATEGORIES:
        found = resolve_category(raw)
        return found[0] if found else raw
    return parse_cell(raw, _TYPES[name], spec.formats or date_formats)


ADAPTERS: tuple[Adapter, ...] = (MappedCsvAdapter(),)
