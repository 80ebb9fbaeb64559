"""Render the schema and taxonomy reference tables (``docs/event-schema.md``, ``docs/taxonomy.md``).

``python -m detente.events.docs`` rewrites the generated parts of those files; a test fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from detente.events.schema import FIELDS
from detente.events.taxonomy import (
    ACLED_MAP,
    CAMEO_BASE_OVERRIDES,
    CAMEO_ROOT_MAP,
    CATEGORIES,
    SUBCATEGORIES,
    UCDP_MAP,
)

__all__ = ["BEGIN", "END", "render_schema_table", "render_taxonomy_tables", "splice"]

BEGIN = "<!-- BEGIN GENERATED: do not edit by hand; `python -m detente.events.docs` -->"
END = "<!-- END GENERATED -->"


def render_schema_table() -> str:
    lines = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for f in FIELDS:
        flag = "yes" if f.required else ""
        if f.computed:
            flag = (flag + ", computed").lstrip(", ")
        lines.append(f"| `{f.name}` | {f.type} | {flag} | {f.doc} |")
    return "\n".join(lines)


def render_taxonomy_tables() -> str:
    out = ["### Categories", "", "| category | meaning |", "|---|---|"]
    out += [f"| `{k}` | {v} |" for k, v in CATEGORIES.items()]
    out += ["", "### Subcategories", "", "| subcategory | meaning |", "|---|---|"]
    out += [f"| `{k}` | {v} |" for k, v in SUBCATEGORIES.items()]
    out += [
        "",
        "### ACLED event_type / sub_event_type",
        "",
        "| event_type | sub_event_type | category | subcategory |",
        "|---|---|---|---|",
    ]
    out += [f"| {et} | {st} | `{c}` | `{s}` |" for (et, st), (c, s) in ACLED_MAP.items()]
    out += [
        "",
        "### UCDP GED type_of_violence",
        "",
        "| type_of_violence | category | subcategory |",
        "|---|---|---|",
    ]
    out += [f"| {k} | `{c}` | `{s}` |" for k, (c, s) in UCDP_MAP.items()]
    out += ["", "### CAMEO root codes", "", "| root | category | subcategory |", "|---|---|---|"]
    out += [f"| {k} | `{c}` | `{s}` |" for k, (c, s) in CAMEO_ROOT_MAP.items()]
    out += [
        "",
        "### CAMEO base/event codes that differ from their root (longest prefix wins)",
        "",
        "| code prefix | category | subcategory |",
        "|---|---|---|",
    ]
    out += [f"| {k} | `{c}` | `{s}` |" for k, (c, s) in CAMEO_BASE_OVERRIDES.items()]
    return "\n".join(out)


def splice(text: str, generated: str) -> str:
    """Replace what stands between the BEGIN/END markers of ``text`` with ``generated``."""
    head, sep, rest = text.partition(BEGIN)
    if not sep:
        raise ValueError("generated-section marker missing")
    _, sep2, tail = rest.partition(END)
    if not sep2:
        raise ValueError("end marker missing")
    return f"{head}{BEGIN}\n{generated}\n{END}{tail}"


def main(docs_dir: Path) -> None:
    for name, render in (("event-schema.md", render_schema_table), ("taxonomy.md", render_taxonomy_tables)):
        path = docs_dir / name
        path.write_text(splice(path.read_text(encoding="utf-8"), render()), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
