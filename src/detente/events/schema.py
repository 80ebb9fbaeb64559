"""The canonical event schema: one row per event, whatever the source.

Every adapter produces Arrow tables with :data:`RAW_SCHEMA` (what the source says, mapped to canonical names);
:func:`detente.events.canonical.finalize` derives the computed columns (Détente id, PRIO-GRID cell, content hash,
partition year) and validates the rows, giving tables with :data:`EVENT_SCHEMA`. ``docs/event-schema.md`` documents
every field; a test checks that document against :data:`FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

__all__ = [
    "COMPUTED_FIELDS",
    "DATE_PRECISIONS",
    "EVENT_SCHEMA",
    "FIELDS",
    "PROVENANCE_FIELDS",
    "RAW_SCHEMA",
    "SOURCES",
    "Field",
]


@dataclass(frozen=True)
class Field:
    """One column of the canonical schema."""

    name: str
    type: pa.DataType
    doc: str
    required: bool = False
    #: computed by ``finalize`` (not given by adapters)
    computed: bool = False


#: Date precision vocabulary (ordered from finest to coarsest).
DATE_PRECISIONS: tuple[str, ...] = ("day", "days", "week", "month", "year", "unknown")

#: Known sources. Mapped CSV and HXL imports name their own source (any lower-case slug).
SOURCES: dict[str, str] = {
    "acled": "Armed Conflict Location & Event Data Project export",
    "ucdp_ged": "UCDP Georeferenced Event Dataset",
    "gdelt1": "GDELT 1.0 event database",
    "gdelt2": "GDELT 2.0 event export",
}

FIELDS: tuple[Field, ...] = (
    Field(
        "event_id",
        pa.string(),
        "Stable Détente id: `ev_` + 24 hex digits of SHA-256(source, source_event_id).",
        required=True,
        computed=True,
    ),
    Field(
        "source",
        pa.string(),
        "Source slug: acled, ucdp_ged, gdelt1, gdelt2, or the slug a mapping/HXL file names.",
        required=True,
    ),
    Field(
        "source_event_id",
        pa.string(),
        "The source's own event id; the content hash when the source has no stable id.",
        required=True,
    ),
    Field("date_start", pa.date32(), "First day of the event (UTC calendar date).", required=True),
    Field(
        "date_end",
        pa.date32(),
        "Last day of the event; equal to date_start for one-day events.",
        required=True,
    ),
    Field("date_precision", pa.string(), "day, days, week, month, year or unknown (see docs).", required=True),
    Field("year", pa.int16(), "Year of date_start (the partition key).", required=True, computed=True),
    Field("country_iso3", pa.string(), "ISO 3166-1 alpha-3 code of the country where the event happened."),
    Field("country_gw", pa.int16(), "Gleditsch–Ward state code of that country (null where GW has none)."),
    Field("country_name", pa.string(), "Country name as the source gives it."),
    Field(
        "admin1",
        pa.string(),
        "First-level administrative unit name (or code where the source has only a code).",
    ),
    Field("admin2", pa.string(), "Second-level administrative unit name."),
    Field("place", pa.string(), "Place name (location, village, feature)."),
    Field("latitude", pa.float64(), "WGS84 latitude in degrees, -90..90."),
    Field("longitude", pa.float64(), "WGS84 longitude in degrees, -180..180."),
    Field(
        "geo_precision",
        pa.int8(),
        "1 exact place, 2 near/admin2, 3 admin1 or region, 4 country only, null unknown (see docs).",
    ),
    Field(
        "priogrid_gid",
        pa.int32(),
        "PRIO-GRID v2 cell id computed from the coordinates (0.5° cells).",
        computed=True,
    ),
    Field("category", pa.string(), "Canonical category (detente.events.taxonomy.CATEGORIES).", required=True),
    Field("subcategory", pa.string(), "Canonical subcategory (detente.events.taxonomy.SUBCATEGORIES)."),
    Field(
        "source_event_type",
        pa.string(),
        "The source's own type, verbatim: ACLED `event_type/sub_event_type`, UCDP `type_of_violence`, CAMEO code.",
    ),
    Field(
        "quad_class",
        pa.int8(),
        "CAMEO QuadClass 1–4 (verbal/material cooperation, verbal/material conflict).",
    ),
    Field("actor1_name", pa.string(), "First actor (ACLED actor1, UCDP side_a, CAMEO Actor1Name)."),
    Field("actor1_id", pa.string(), "First actor's id in the source (UCDP side id, CAMEO actor code)."),
    Field(
        "actor1_type",
        pa.string(),
        "First actor's type as the source codes it (ACLED inter1, CAMEO type code).",
    ),
    Field("actor2_name", pa.string(), "Second actor."),
    Field("actor2_id", pa.string(), "Second actor's id in the source."),
    Field("actor2_type", pa.string(), "Second actor's type as the source codes it."),
    Field("fatalities_best", pa.int32(), "Best estimate of deaths (ACLED fatalities, UCDP best)."),
    Field("fatalities_low", pa.int32(), "Low estimate of deaths (UCDP low)."),
    Field("fatalities_high", pa.int32(), "High estimate of deaths (UCDP high)."),
    Field("civilian_deaths", pa.int32(), "Civilian deaths where the source counts them (UCDP deaths_civilians)."),
    Field("intensity", pa.float64(), "Goldstein scale −10..+10 for CAMEO sources."),
    Field("tone", pa.float64(), "Average tone of coverage (GDELT AvgTone)."),
    Field("num_sources", pa.int32(), "Number of sources reporting the event."),
    Field("num_mentions", pa.int32(), "Number of mentions (GDELT)."),
    Field("num_articles", pa.int32(), "Number of articles (GDELT)."),
    Field("notes", pa.string(), "Narrative or description (ACLED notes, UCDP where_description/headline)."),
    Field("source_url", pa.string(), "Link to the source document where present (GDELT SOURCEURL)."),
    Field("source_file", pa.string(), "Provenance: name of the imported file.", required=True),
    Field(
        "source_line",
        pa.int64(),
        "Provenance: 1-based line (text files) or row number (Parquet/JSON) in that file.",
        required=True,
    ),
    Field(
        "import_batch",
        pa.string(),
        "Provenance: id of the import that added the row.",
        required=True,
        computed=True,
    ),
    Field(
        "content_hash",
        pa.string(),
        "Provenance: SHA-256 (32 hex digits) of the event's canonical content, excluding provenance.",
        required=True,
        computed=True,
    ),
)

#: Provenance columns: excluded from the content hash and from round-trip comparisons.
PROVENANCE_FIELDS: frozenset[str] = frozenset({"source_file", "source_line", "import_batch", "content_hash"})
COMPUTED_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS if f.computed)

EVENT_SCHEMA: pa.Schema = pa.schema([pa.field(f.name, f.type, nullable=not f.required) for f in FIELDS])
RAW_SCHEMA: pa.Schema = pa.schema([pa.field(f.name, f.type, nullable=True) for f in FIELDS if not f.computed])
