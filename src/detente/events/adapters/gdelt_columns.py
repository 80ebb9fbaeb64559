"""GDELT event columns and their vectorised mapping onto the canonical raw schema.

Column layouts follow the GDELT 1.0 and 2.0 Event Codebooks: 2.0 exports have 61 tab-separated fields;
1.0 files have 58 (the same without the three ``*_ADM2Code`` fields), 57 in the 1979–2013 historical
backfile (no ``SOURCEURL``).

:func:`to_raw` turns the columns of one batch (strings from a TSV, or typed Parquet columns) into a
``RAW_SCHEMA`` table with pyarrow compute only; CAMEO and FIPS look-ups run once per distinct code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as _pc

from detente.events.canonical import conform
from detente.events.countries import by_fips
from detente.events.geo_precision import GDELT_GEO_TYPE
from detente.events.taxonomy import from_cameo, quad_class_of_root

# pyarrow-stubs' overloads reject valid mixes of scalars, arrays and numpy input; compute is untyped here.
pc: Any = _pc

__all__ = [
    "GDELT1_COLUMNS",
    "GDELT2_COLUMNS",
    "MENTIONS_FIELD_COUNT",
    "REQUIRED_COLUMNS",
    "USED_COLUMNS",
    "ColumnGetter",
    "to_raw",
]

_ACTOR = (
    "Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode",
    "Religion1Code", "Religion2Code", "Type1Code", "Type2Code", "Type3Code",
)  # fmt: skip
_EVENT = (
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
)  # fmt: skip
_GEO1 = ("Type", "FullName", "CountryCode", "ADM1Code", "Lat", "Long", "FeatureID")
_GEO2 = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")


def _layout(geo: tuple[str, ...]) -> tuple[str, ...]:
    head = ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
    actors = tuple(f"Actor{i}{s}" for i in (1, 2) for s in _ACTOR)
    geos = tuple(f"{p}Geo_{s}" for p in ("Actor1", "Actor2", "Action") for s in geo)
    return (*head, *actors, *_EVENT, *geos, "DATEADDED", "SOURCEURL")


#: GDELT 1.0 event fields (58; the historical backfile stops before SOURCEURL, at 57).
GDELT1_COLUMNS: tuple[str, ...] = _layout(_GEO1)
#: GDELT 2.0 export fields (61).
GDELT2_COLUMNS: tuple[str, ...] = _layout(_GEO2)
#: Fields of a GDELT 2.0 mentions file (not event records).
MENTIONS_FIELD_COUNT = 16

#: The fields the mapping reads.
USED_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "SQLDATE",
    "Actor1Code", "Actor1Name", "Actor1Type1Code", "Actor2Code", "Actor2Name", "Actor2Type1Code",
    "EventCode", "QuadClass", "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
    "ActionGeo_Lat", "ActionGeo_Long", "SOURCEURL",
)  # fmt: skip
#: Columns a Parquet file must carry to be read as GDELT events.
REQUIRED_COLUMNS: tuple[str, ...] = ("GLOBALEVENTID", "SQLDATE", "EventCode", "ActionGeo_CountryCode")

#: Returns a column of the batch by GDELT name (strings for TSV, typed for Parquet; all-null when absent).
ColumnGetter: TypeAlias = Callable[[str], "pa.Array[Any]"]

_NUMBER_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_NULL_STR = pa.scalar(None, pa.string())
# ActionGeo_Type -> geo_precision, indexed by the type (0 = no place): the table is in detente.events.geo_precision
_GEO_PRECISION = pa.array([None, *(GDELT_GEO_TYPE[t] for t in range(1, 6))], pa.int8())


def _is_stringy(arr: pa.Array[Any]) -> bool:
    return bool(pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type))


def _text(arr: pa.Array[Any]) -> pa.Array[Any]:
    """As ``string``; empty strings become null."""
    out = arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())
    result: pa.Array[Any] = pc.if_else(pc.not_equal(out, ""), out, _NULL_STR)
    return result


def _code(arr: pa.Array[Any]) -> pa.Array[Any]:
    """A code: surrounding blanks removed, empty means null."""
    return _text(pc.utf8_trim_whitespace(_text(arr)))


def _number(arr: pa.Array[Any], typ: pa.DataType, name: str) -> tuple[pa.Array[Any], pa.Array[Any] | None]:
    """Parse a numeric column; returns the values and, where some text is not a number, a reason column."""
    if not _is_stringy(arr):
        return pc.cast(arr, typ, safe=False), None
    text = _text(arr)
    try:
        return pc.cast(text, typ), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        ok = pc.match_substring_regex(text, _NUMBER_RE)
        try:
            values = pc.cast(pc.if_else(ok, text, _NULL_STR), typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. "2.5" for an integer field, or overflow
            ok = pc.match_substring_regex(text, r"^\s*[-+]?\d{1,9}\s*$")
            values = pc.cast(pc.if_else(ok, text, _NULL_STR), typ)
        reason = pc.if_else(
            pc.invert(ok), pc.binary_join_element_wise(f"{name} '", text, "' is not a number", ""), _NULL_STR
        )
        return values, reason


def _date(arr: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
    """SQLDATE (YYYYMMDD) as date32, with a reason where it is missing or unparseable."""
    if pa.types.is_date32(arr.type) or pa.types.is_timestamp(arr.type):
        days = pc.cast(arr, pa.date32())
        return days, pc.if_else(pc.is_null(days), pa.scalar("missing SQLDATE"), _NULL_STR)
    text = _text(arr)
    shaped = pc.match_substring_regex(text, r"^\d{8}$")
    stamp = pc.strptime(pc.if_else(shaped, text, _NULL_STR), format="%Y%m%d", unit="s", error_is_null=True)
    days = pc.cast(stamp, pa.date32())
    reason = pc.if_else(
        pc.is_null(text),
        pa.scalar("missing SQLDATE"),
        pc.if_else(
            pc.is_null(days),
            pc.binary_join_element_wise("unparseable SQLDATE '", text, "' (expected YYYYMMDD)", ""),
            _NULL_STR,
        ),
    )
    return days, reason


@cache
def _cameo(code: str) -> tuple[str | None, str | None, int | None]:
    hit = from_cameo(code)
    quad = quad_class_of_root(code.strip()[:2])
    return (hit[0], hit[1], quad) if hit else (None, None, quad)


@cache
def _fips(code: str) -> tuple[str | None, int | None]:
    country = by_fips(code)
    return (country.iso3, country.gw_code) if country else (None, None)


def _lookup(
    keys: pa.Array[Any], fn: Callable[[str], tuple[object, ...]], types: tuple[pa.DataType, ...]
) -> list[pa.Array[Any]]:
    """Map each distinct key through ``fn`` once, then spread the results over the rows (vectorised)."""
    distinct = pc.drop_null(pc.unique(keys))
    results = [fn(str(k)) for k in distinct.to_pylist()]
    index = pc.index_in(keys, value_set=distinct)
    return [pc.take(pa.array([r[i] for r in results], typ), index) for i, typ in enumerate(types)]


def to_raw(
    get: ColumnGetter,
    *,
    source: str,
    file_name: str,
    lines: pa.Array[Any],
    reject: pa.Array[Any] | None = None,
    raw: pa.Array[Any] | None = None,
) -> pa.Table:
    """Map one batch of GDELT columns to a ``RAW_SCHEMA`` table with ``_reject`` (and ``_raw`` of rejects)."""
    n = len(lines)
    reasons: list[pa.Array[Any]] = [] if reject is None else [reject]
    date, why = _date(get("SQLDATE"))
    reasons.append(why)

    numbers: dict[str, pa.Array[Any]] = {}
    for column, target, typ in (
        ("GoldsteinScale", "intensity", pa.float64()),
        ("AvgTone", "tone", pa.float64()),
        ("NumMentions", "num_mentions", pa.int32()),
        ("NumSources", "num_sources", pa.int32()),
        ("NumArticles", "num_articles", pa.int32()),
        ("QuadClass", "quad_class", pa.int8()),
        ("ActionGeo_Type", "_geo_type", pa.int8()),
        ("ActionGeo_Lat", "latitude", pa.float64()),
        ("ActionGeo_Long", "longitude", pa.float64()),
    ):
        values, why_not = _number(get(column), typ, column)
        numbers[target] = values
        if why_not is not None:
            reasons.append(why_not)

    code = _code(get("EventCode"))
    category, subcategory, quad_derived = _lookup(code, _cameo, (pa.string(), pa.string(), pa.int8()))
    iso3, gw = _lookup(_code(get("ActionGeo_CountryCode")), _fips, (pa.string(), pa.int16()))

    geo_type = numbers.pop("_geo_type")
    in_range = pc.and_kleene(pc.greater_equal(geo_type, 1), pc.less_equal(geo_type, 5))
    has_geo = pc.fill_null(in_range, False)
    precision = pc.take(_GEO_PRECISION, pc.if_else(has_geo, geo_type, pa.scalar(0, pa.int8())))
    null_f64 = pa.scalar(None, pa.float64())

    reason = reasons[0] if len(reasons) == 1 else pc.coalesce(*reasons)
    rejected = pc.is_valid(reason)
    columns: dict[str, pa.Array[Any]] = {
        "source": pa.repeat(pa.scalar(source, pa.string()), n),
        "source_event_id": _code(get("GLOBALEVENTID")),
        "date_start": date,
        "date_end": date,
        "date_precision": pa.repeat(pa.scalar("day", pa.string()), n),
        "country_iso3": iso3,
        "country_gw": gw,
        "admin1": _code(get("ActionGeo_ADM1Code")),
        "place": _text(get("ActionGeo_FullName")),
        "latitude": pc.if_else(has_geo, numbers.pop("latitude"), null_f64),
        "longitude": pc.if_else(has_geo, numbers.pop("longitude"), null_f64),
        "geo_precision": precision,
        "category": category,
        "subcategory": subcategory,
        "source_event_type": code,
        "quad_class": pc.coalesce(numbers.pop("quad_class"), quad_derived),
        "actor1_name": _text(get("Actor1Name")),
        "actor1_id": _code(get("Actor1Code")),
        "actor1_type": _code(get("Actor1Type1Code")),
        "actor2_name": _text(get("Actor2Name")),
        "actor2_id": _code(get("Actor2Code")),
        "actor2_type": _code(get("Actor2Type1Code")),
        **numbers,
        "source_url": _text(get("SOURCEURL")),
        "source_file": pa.repeat(pa.scalar(file_name, pa.string()), n),
        "source_line": lines,
        "_reject": reason,
    }
    columns["_raw"] = pa.nulls(n, pa.string()) if raw is None else pc.if_else(rejected, raw, _NULL_STR)
    return conform(pa.table(columns))
