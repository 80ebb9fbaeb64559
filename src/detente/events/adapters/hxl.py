"""HXL-tagged CSV (Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/).

An HXL file is a CSV with a *hashtag row*: every non-empty cell is a hashtag (``#date``) with optional
attributes (``+start``), case-insensitive and in any order. Following the standard, the hashtag row is the
first row in which every non-empty cell is a valid hashtag spec; rows above it (titles, a text header) are
skipped. Untagged columns are ignored. :data:`HXL_TAGS` is the hashtag Détente writes for each canonical
field; reading also accepts the aliases in :data:`HXL_ALIASES`. ``docs/sources/hxl.md`` lists the whole
mapping.

A column matches a hashtag spec when it has the same hashtag and at least the spec's attributes; the most
specific spec wins (``#affected+killed+min`` is the low estimate, not the best one), and when several columns
give one field the one with the fewest extra attributes is used.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from detente.errors import InputError
from detente.events.adapters.base import Adapter, Probe, ReadOptions
from detente.events.adapters.mapped import (
    RowBatch,
    TextRecord,
    country_facts,
    iter_text_records,
    parse_cell,
    parse_date,
    resolve_category,
)
from detente.events.schema import FIELDS
from detente.events.taxonomy import quad_class_of_root
from detente.spreadsheet import restored_cell

__all__ = ["ADAPTERS", "HXL_ALIASES", "HXL_TAGS", "HxlAdapter", "HxlTag", "find_hashtag_row", "parse_tag"]

#: The hashtag written for each canonical field (and read back first).
HXL_TAGS: dict[str, str] = {
    "event_id": "#event+id+detente",
    "source": "#meta+source",
    "source_event_id": "#event+id",
    "date_start": "#date+start",
    "date_end": "#date+end",
    "date_precision": "#date+precision",
    "year": "#date+year",
    "country_iso3": "#country+code",
    "country_gw": "#country+code+gw",
    "country_name": "#country+name",
    "admin1": "#adm1+name",
    "admin2": "#adm2+name",
    "place": "#loc+name",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "geo_precision": "#geo+precision",
    "priogrid_gid": "#geo+code+priogrid",
    "category": "#event+category",
    "subcategory": "#event+category+sub",
    "source_event_type": "#event+type",
    "quad_class": "#event+type+quad",
    "actor1_name": "#group+name+first",
    "actor1_id": "#group+code+first",
    "actor1_type": "#group+type+first",
    "actor2_name": "#group+name+second",
    "actor2_id": "#group+code+second",
    "actor2_type": "#group+type+second",
    "fatalities_best": "#affected+killed",
    "fatalities_low": "#affected+killed+min",
    "fatalities_high": "#affected+killed+max",
    "civilian_deaths": "#affected+killed+civilians",
    "intensity": "#indicator+goldstein",
    "tone": "#indicator+tone",
    "num_sources": "#meta+sources+num",
    "num_mentions": "#meta+mentions+num",
    "num_articles": "#meta+articles+num",
    "notes": "#description",
    "source_url": "#meta+url",
    "source_file": "#meta+file",
    "source_line": "#meta+line",
    "import_batch": "#meta+batch",
    "content_hash": "#meta+hash",
}

#: Other hashtags read (after the written ones). ``_subtype`` is an ACLED-style sub-event type.
HXL_ALIASES: tuple[tuple[str, str], ...] = (
    ("source_event_id", "#event+code"),
    ("date_start", "#date+occurred"),
    ("date_start", "#date"),
    ("admin1", "#adm1"),
    ("admin2", "#adm2"),
    ("place", "#loc"),
    ("actor1_name", "#group+name+actor1"),
    ("actor1_name", "#org+name+actor1"),
    ("actor1_name", "#org+name+first"),
    ("actor2_name", "#group+name+actor2"),
    ("actor2_name", "#org+name+actor2"),
    ("actor2_name", "#org+name+second"),
    ("notes", "#event+description"),
    ("source_url", "#meta+source+url"),
    ("_subtype", "#event+subtype"),
    ("_subtype", "#event+type+sub"),
)

_TAG = re.compile(r"\s*#([a-z][a-z0-9_]*)((?:\s*\+\s*[a-z][a-z0-9_]*)*)\s*", re.IGNORECASE)
_MAX_PREAMBLE = 25
_TYPES: dict[str, pa.DataType] = {f.name: f.type for f in FIELDS}
#: fields taken verbatim (computed or provenance fields are derived again)
_IGNORED = frozenset({"event_id", "year", "priogrid_gid", "import_batch", "content_hash", "source_file", "source_line"})
_DELIMITERS = (",", "\t", ";")


@dataclass(frozen=True)
class HxlTag:
    """A parsed hashtag spec: lower-case hashtag and attribute set."""

    hashtag: str
    attrs: frozenset[str]


def parse_tag(cell: str) -> HxlTag | None:
    """Parse ``#tag +attr +attr`` (spaces allowed, any case); ``None`` if the cell is not a hashtag spec."""
    m = _TAG.fullmatch(cell)
    if m is None:
        return None
    attrs = frozenset(a.strip().lower() for a in m.group(2).split("+") if a.strip())
    return HxlTag("#" + m.group(1).lower(), attrs)


def _is_tag_row(cells: Sequence[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(parse_tag(c) is not None for c in filled)


def find_hashtag_row(rows: Sequence[Sequence[str]]) -> int | None:
    """Index of the hashtag row among ``rows`` (the first where every non-empty cell is a hashtag)."""
    for i, cells in enumerate(rows[:_MAX_PREAMBLE]):
        if _is_tag_row(cells):
            return i
    return None


_SPECS: tuple[tuple[str, HxlTag], ...] = tuple(
    (name, tag) for name, text in (*HXL_TAGS.items(), *HXL_ALIASES) if (tag := parse_tag(text)) is not None
)


def _match(tag: HxlTag) -> tuple[str, int] | None:
    """The field a column tag gives, with its spec's rank (lower is preferred)."""
    best: tuple[int, int, str] | None = None
    for rank, (name, spec) in enumerate(_SPECS):
        if spec.hashtag == tag.hashtag and spec.attrs <= tag.attrs:
            key = (-len(spec.attrs), rank, name)
            if best is None or key < best:
                best = key
    return None if best is None else (best[2], best[1])


def column_fields(tags: Sequence[str]) -> dict[str, int]:
    """Map field name -> column index for a hashtag row."""
    chosen: dict[str, tuple[int, int, int]] = {}
    for col, text in enumerate(tags):
        tag = parse_tag(text) if text.strip() else None
        hit = _match(tag) if tag is not None else None
        if tag is None or hit is None:
            continue
        name, rank = hit
        key = (rank, len(tag.attrs), col)
        if name not in chosen or key < chosen[name]:
            chosen[name] = key
    return {name: key[2] for name, key in chosen.items()}


def _sniff_rows(path: Path, delimiter: str) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for rec in iter_text_records(path, delimiter=delimiter):
            rows.append(rec.cells)
            if len(rows) >= _MAX_PREAMBLE:
                break
    except (OSError, InputError):
        return []
    return rows


def _layout(path: Path) -> tuple[str, int] | None:
    """(delimiter, index of the hashtag row among the records) of an HXL file, or ``None``."""
    for delimiter in _DELIMITERS:
        rows = _sniff_rows(path, delimiter)
        at = find_hashtag_row(rows)
        if at is not None and sum(1 for c in rows[at] if c.strip()) >= 2:
            return delimiter, at
    return None


class HxlAdapter:
    """HXL-tagged CSV."""

    name = "hxl"
    label = "HXL-tagged CSV (Humanitarian Exchange Language hashtag row)"

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind != "text" or not any(line.lstrip().startswith("#") or ",#" in line for line in probe.head_lines):
            return None
        layout = _layout(probe.path)
        if layout is None:
            return None
        return f"HXL hashtag row found in record {layout[1] + 1}"

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        layout = _layout(path)
        if layout is None:
            raise InputError(f"no HXL hashtag row in the first {_MAX_PREAMBLE} rows", path=path, line=1)
        delimiter, at = layout
        records = iter_text_records(path, delimiter=delimiter)
        header: list[str] | None = None
        tags: list[str] = []
        fields: dict[str, int] = {}
        batch = RowBatch(path.name)
        for n, rec in enumerate(records):
            batch.nbytes += rec.nbytes
            if n < at:
                header = rec.cells
                continue
            if n == at:
                tags = rec.cells
                fields = column_fields(tags)
                _require(fields, path, rec.line)
                continue
            values, reject = self._row(rec, tags, header, fields)
            batch.add(rec.line, values, reject, rec.raw)
            if len(batch) >= options.batch_rows:
                options.progress(batch.nbytes)
                batch.nbytes = 0
                yield batch.flush()
        options.progress(batch.nbytes)
        if len(batch):
            yield batch.flush()

    @staticmethod
    def _row(
        rec: TextRecord, tags: list[str], header: list[str] | None, fields: dict[str, int]
    ) -> tuple[dict[str, object], str | None]:
        if rec.error is not None:
            return {}, rec.error
        cells = rec.cells
        if cells == tags or (header is not None and cells == header):
            return {}, "repeated header row"
        if len(cells) > len(tags) and any(c.strip() for c in cells[len(tags) :]):
            return {}, f"expected {len(tags)} fields, found {len(cells)}"
        cells = cells + [""] * (len(tags) - len(cells))
        text: dict[str, str] = {name: cells[col] for name, col in fields.items() if cells[col] != ""}
        values: dict[str, object] = {}
        for name, value in text.items():
            if name in _IGNORED or name.startswith("_") or name in ("date_start", "date_end"):
                continue
            if pa.types.is_string(_TYPES[name]):
                value = restored_cell(value)  # the export's mark on formula-leading text
            try:
                values[name] = parse_cell(value, _TYPES[name])
            except ValueError as exc:
                return {}, f"{_tag_of(tags, fields, name)}: {exc}"
        try:
            _dates(text, fields, values)
        except _BadCell as exc:
            return {}, f"{_tag_of(tags, fields, exc.name)}: {exc}"
        values["source"] = values.get("source") or "hxl"
        _category(text, fields, values)
        if "country_gw" not in fields:
            iso3 = text.get("country_iso3")
            values["country_iso3"], values["country_gw"] = country_facts(iso3, text.get("country_name"))
        return values, None


def _tag_of(tags: list[str], fields: dict[str, int], name: str) -> str:
    col = fields.get(name)
    return tags[col].strip() if col is not None else HXL_TAGS.get(name, name)


def _require(fields: dict[str, int], path: Path, line: int) -> None:
    if "date_start" not in fields:
        raise InputError(
            "missing hashtag #date+start (or #date): every event needs a date",
            path=path,
            line=line,
            field="#date+start",
        )
    if "category" not in fields and "source_event_type" not in fields:
        raise InputError(
            "missing hashtag #event+type (or #event+category): every event needs a type",
            path=path,
            line=line,
            field="#event+type",
        )


def _period(text: str) -> tuple[date, date, str]:
    """Start, end and precision of an HXL date cell: a day, ``YYYY-MM`` (a month) or ``YYYY`` (a year)."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = int(value[:4]), int(value[5:])
        if not 1 <= month <= 12:
            raise ValueError(f"bad date {text!r}")
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month"
    if re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1), date(int(value), 12, 31), "year"
    day = parse_date(value, ("%d %B %Y", "%d %b %Y"))
    return day, day, "day"


class _BadCell(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _dates(text: dict[str, str], fields: dict[str, int], values: dict[str, object]) -> None:
    start: date | None = None
    end: date | None = None
    precision = "unknown"
    if "date_start" in text:
        try:
            start, end, precision = _period(text["date_start"])
        except ValueError as exc:
            raise _BadCell("date_start", str(exc)) from None
    if "date_end" in text:
        try:
            end = _period(text["date_end"])[1]
        except ValueError as exc:
            raise _BadCell("date_end", str(exc)) from None
    elif "date_end" in fields:
        end = None
    values["date_start"], values["date_end"] = start, end
    if "date_precision" not in fields:
        values["date_precision"] = "days" if precision == "day" and end not in (None, start) else precision


def _category(text: dict[str, str], fields: dict[str, int], values: dict[str, object]) -> None:
    if "category" in fields:
        return
    event_type = text.get("source_event_type", "")
    sub_type = text.get("_subtype")
    found = resolve_category(event_type, sub_type)
    if sub_type:
        values["source_event_type"] = f"{event_type}/{sub_type}"
    if found is not None:
        values["category"] = found[0]
        if "subcategory" not in fields and found[1] is not None:
            values["subcategory"] = found[1]
    code = event_type.strip()
    if "quad_class" not in fields and code.isdigit() and 2 <= len(code) <= 4:
        values["quad_class"] = quad_class_of_root(code[:2])


ADAPTERS: tuple[Adapter, ...] = (HxlAdapter(),)
