"""Source keys: how an event's actor columns become one identity inside its id system (SQL and Python agree)."""

from __future__ import annotations

__all__ = ["CAMEO_SOURCES", "SQL_ACTOR_ID", "key_sql", "source_key"]

CAMEO_SOURCES = ("gdelt1", "gdelt2")


def source_key(source: str, actor_id: str | None, actor_name: str | None) -> str | None:
    """The registry key of one actor of one event (None when the event names no actor there)."""
    aid = actor_id.strip() if actor_id else None
    name = actor_name.strip() if actor_name else None
    if source in CAMEO_SOURCES:
        return f"cameo:{aid}" if aid else None
    if source == "ucdp_ged":
        return f"ucdp:{aid}" if aid else (f"ucdp_name:{name}" if name else None)
    if source == "acled":
        return f"acled:{name}" if name else None
    value = aid or name
    return f"{source}:{value}" if value else None


def key_sql(n: int) -> str:
    """DuckDB expression for the key of actor ``n`` (1 or 2) of an event row; mirrors :func:`source_key`."""
    aid = f"NULLIF(trim(actor{n}_id), '')"
    name = f"NULLIF(trim(actor{n}_name), '')"
    cameo = ", ".join(f"'{s}'" for s in CAMEO_SOURCES)
    return (
        f"CASE WHEN source IN ({cameo}) THEN 'cameo:' || {aid} "
        f"WHEN source = 'ucdp_ged' THEN coalesce('ucdp:' || {aid}, 'ucdp_name:' || {name}) "
        f"WHEN source = 'acled' THEN 'acled:' || {name} "
        f"ELSE source || ':' || coalesce({aid}, {name}) END"
    )


#: DuckDB expression for the default canonical id of a key column ``k`` (same as ``model.actor_id_for``)
SQL_ACTOR_ID = "'act_' || left(sha256({k}), 12)"
