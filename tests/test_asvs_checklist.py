"""The ASVS 5.0 level-2 checklist at the end of docs/security.md says what it should: each row has a known status and
the right level, every level-1 and level-2 requirement of the chapters covered appears once, each Met row names a
test, every test named exists (the test files of rows marked ``<!-- pending: … -->`` may not exist yet: those are
skipped and counted), and the summary table adds up. The checker is a function of the text, so the self-tests run it
on broken copies."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "security.md"
SECTION = "## ASVS 5.0 level 2 checklist"
STATUSES = ("Met", "N/A", "Open")
PENDING_TAGS = ("totp", "at-rest")
_PENDING = re.compile(r"<!--\s*pending:\s*([^\s>]+)\s*-->")
_CITED = re.compile(r"`(tests/[^`\s:]+\.py)(?:::([A-Za-z_]\w*))?`")
_CHAPTER = re.compile(r"### (V\d+) ")

#: the level-1 and level-2 requirements of ASVS 5.0.0 in the chapters covered, per chapter (ids and levels from the
#: OWASP/ASVS repository, tag v5.0.0_release, 5.0/en/0x10-V1-… to 0x23-V14-…)
EXPECTED_IDS: dict[str, tuple[str, str]] = {
    "V1": (
        "1.2.1 1.2.2 1.2.3 1.2.4 1.2.5 1.3.1 1.3.2 1.5.1",
        "1.1.1 1.1.2 1.2.6 1.2.7 1.2.8 1.2.9 1.3.3 1.3.4 1.3.5 1.3.6 1.3.7 1.3.8 1.3.9 1.3.10 1.3.11 1.4.1 1.4.2 1.4.3 "
        "1.5.2",
    ),
    "V2": ("2.1.1 2.2.1 2.2.2 2.3.1", "2.1.2 2.1.3 2.2.3 2.3.2 2.3.3 2.3.4 2.4.1"),
    "V3": (
        "3.2.1 3.2.2 3.3.1 3.4.1 3.4.2 3.5.1 3.5.2 3.5.3",
        "3.3.2 3.3.3 3.3.4 3.4.3 3.4.4 3.4.5 3.4.6 3.5.4 3.5.5 3.7.1 3.7.2",
    ),
    "V6": (
        "6.1.1 6.2.1 6.2.2 6.2.3 6.2.4 6.2.5 6.2.6 6.2.7 6.2.8 6.3.1 6.3.2 6.4.1 6.4.2",
        "6.1.2 6.1.3 6.2.9 6.2.10 6.2.11 6.2.12 6.3.3 6.3.4 6.4.3 6.4.4 6.5.1 6.5.2 6.5.3 6.5.4 6.5.5 6.6.1 6.6.2 "
        "6.6.3 6.8.1 6.8.2 6.8.3 6.8.4",
    ),
    "V7": (
        "7.2.1 7.2.2 7.2.3 7.2.4 7.4.1 7.4.2",
        "7.1.1 7.1.2 7.1.3 7.3.1 7.3.2 7.4.3 7.4.4 7.4.5 7.5.1 7.5.2 7.6.1 7.6.2",
    ),
    "V8": ("8.1.1 8.2.1 8.2.2 8.3.1", "8.1.2 8.2.3 8.4.1"),
    "V11": (
        "11.3.1 11.3.2 11.4.1",
        "11.1.1 11.1.2 11.2.1 11.2.2 11.2.3 11.3.3 11.4.2 11.4.3 11.4.4 11.5.1 11.6.1",
    ),
    "V12": ("12.1.1 12.2.1 12.2.2", "12.1.2 12.1.3 12.3.1 12.3.2 12.3.3 12.3.4"),
    "V13": ("13.4.1", "13.1.1 13.2.1 13.2.2 13.2.3 13.2.4 13.2.5 13.3.1 13.3.2 13.4.2 13.4.3 13.4.4 13.4.5"),
    "V14": ("14.2.1 14.3.1", "14.1.1 14.1.2 14.2.2 14.2.3 14.2.4 14.3.2 14.3.3"),
}


def expected_levels() -> dict[str, tuple[str, int]]:
    """Requirement id → (chapter, level)."""
    out: dict[str, tuple[str, int]] = {}
    for chapter, (level_1, level_2) in EXPECTED_IDS.items():
        out.update({rid: (chapter, 1) for rid in level_1.split()})
        out.update({rid: (chapter, 2) for rid in level_2.split()})
    return out


@dataclass(frozen=True)
class Row:
    chapter: str
    rid: str
    level: str
    status: str
    #: (file, test name or None) for each test cited
    tests: tuple[tuple[str, str | None], ...]
    pending: str | None
    line: int


@dataclass
class Checklist:
    rows: list[Row] = field(default_factory=list)
    #: chapter (or "All") → {"Met": n, "N/A": n, "Open": n, "Total": n}
    summary: dict[str, dict[str, int]] = field(default_factory=dict)
    #: what the text itself gets wrong (table shape)
    problems: list[str] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip() for cell in inner.split("|")]


def parse_checklist(text: str) -> Checklist:
    """The rows and the summary of the checklist section of *text*."""
    found = Checklist()
    start = text.find("\n" + SECTION + "\n")
    if start < 0:
        found.problems.append(f"no section {SECTION!r}")
        return found
    offset = text.count("\n", 0, start) + 2
    body = text[start + 1 :]
    end = body.find("\n## ")
    lines = (body if end < 0 else body[:end]).splitlines()
    heading: str | None = None
    for number, line in enumerate(lines, start=offset):
        if line.startswith("### "):
            match = _CHAPTER.match(line)
            heading = match.group(1) if match else line[4:].strip()
            continue
        if not line.startswith("|") or re.fullmatch(r"\|[\s|:-]*", line.strip()):
            continue
        cells = _cells(line)
        if heading == "Summary":
            if cells[0] == "Chapter":
                continue
            if len(cells) != 5 or not all(c.isdigit() for c in cells[1:]):
                found.problems.append(f"line {number}: a summary row is chapter, Met, N/A, Open, Total")
                continue
            key = cells[0].split()[0]
            found.summary[key] = dict(zip(("Met", "N/A", "Open", "Total"), map(int, cells[1:]), strict=True))
            continue
        if heading is None or not heading.startswith("V"):
            continue
        if cells[0] == "Id":
            continue
        if len(cells) != 6:
            found.problems.append(f"line {number}: {len(cells)} cells instead of 6 (a '|' inside a cell?)")
            continue
        rid, level, _, status, _, tests = cells
        pending = _PENDING.search(line)
        cited = tuple((path, name or None) for path, name in _CITED.findall(tests))
        found.rows.append(Row(heading, rid, level, status, cited, pending.group(1) if pending else None, number))
    return found


@cache
def _defined_names(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


@dataclass
class Verdict:
    problems: list[str]
    #: citations of pending rows whose test file does not exist yet (skipped, counted)
    skipped: list[str]
    checklist: Checklist


def check_checklist(text: str, repo: Path = REPO) -> Verdict:
    """Everything wrong with the checklist in *text*, against the tests in *repo*."""
    checklist = parse_checklist(text)
    problems = list(checklist.problems)
    skipped: list[str] = []
    expected = expected_levels()
    seen: dict[str, int] = {}
    counts: dict[str, dict[str, int]] = {}
    for row in checklist.rows:
        where = f"line {row.line} ({row.rid})"
        if row.rid in seen:
            problems.append(f"{where}: {row.rid} appears again (first on line {seen[row.rid]})")
        seen.setdefault(row.rid, row.line)
        if row.rid not in expected:
            problems.append(f"{where}: not a level-1 or level-2 requirement of the chapters covered")
        else:
            chapter, level = expected[row.rid]
            if row.chapter != chapter:
                problems.append(f"{where}: belongs under {chapter}, not {row.chapter}")
            if row.level != str(level):
                problems.append(f"{where}: level {row.level!r}, but ASVS 5.0.0 says {level}")
        if row.status not in STATUSES:
            problems.append(f"{where}: status {row.status!r} is not one of {', '.join(STATUSES)}")
        else:
            tally = counts.setdefault(row.chapter, dict.fromkeys(STATUSES, 0))
            tally[row.status] += 1
        if row.pending is not None and row.pending not in PENDING_TAGS:
            problems.append(f"{where}: unknown pending marker {row.pending!r}")
        if row.status == "Met" and not row.tests:
            problems.append(f"{where}: a Met row names the test that shows it")
        for path, name in row.tests:
            file = repo / path
            cited = path + (f"::{name}" if name else "")
            if not file.is_file():
                if row.pending is not None:
                    skipped.append(f"{where}: {cited}")
                else:
                    problems.append(f"{where}: {path} does not exist")
                continue
            if name is not None and name not in _defined_names(file):
                problems.append(f"{where}: {path} defines no {name}")
    for rid, (chapter, _) in expected.items():
        if rid not in seen:
            problems.append(f"{chapter}: no row for {rid}")
    problems += _summary_problems(checklist.summary, counts)
    return Verdict(problems, skipped, checklist)


def _summary_problems(summary: dict[str, dict[str, int]], counts: dict[str, dict[str, int]]) -> list[str]:
    if not summary:
        return ["no summary table"]
    problems = []
    totals = dict.fromkeys(STATUSES, 0)
    for chapter in sorted(set(summary) | set(counts) - {"All"}):
        if chapter == "All":
            continue
        rows = counts.get(chapter, dict.fromkeys(STATUSES, 0))
        stated = summary.get(chapter)
        if stated is None:
            problems.append(f"summary: no line for {chapter}")
            continue
        for status in STATUSES:
            totals[status] += rows[status]
            if stated[status] != rows[status]:
                problems.append(f"summary: {chapter} {status} says {stated[status]}, the rows {rows[status]}")
        if stated["Total"] != sum(rows.values()):
            problems.append(f"summary: {chapter} Total says {stated['Total']}, the rows {sum(rows.values())}")
    stated_all = summary.get("All")
    if stated_all is None:
        problems.append("summary: no line for All")
    else:
        for status, value in (*totals.items(), ("Total", sum(totals.values()))):
            if stated_all[status] != value:
                problems.append(f"summary: All {status} says {stated_all[status]}, the rows {value}")
    return problems


# --- the checklist as it stands ---------------------------------------------------------------------------------------


def test_the_checklist_in_docs_security_md_is_consistent() -> None:
    verdict = check_checklist(DOC.read_text(encoding="utf-8"))
    assert verdict.problems == []
    rows = verdict.checklist.rows
    assert len(rows) == sum(len(a.split()) + len(b.split()) for a, b in EXPECTED_IDS.values())
    pending = [row for row in rows if row.pending is not None]
    # each skipped citation is a pending row's; they are counted here so the lead sees them until the work lands
    assert len(verdict.skipped) <= sum(len(row.tests) for row in pending)
    print(f"{len(pending)} pending rows; {len(verdict.skipped)} citations skipped: {verdict.skipped}")


# --- the checker catches a broken copy --------------------------------------------------------------------------------


def _row_of(text: str, rid: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {rid} | "))


def _replace_row(text: str, rid: str, change: Callable[[str], str]) -> str:
    line = _row_of(text, rid)
    return text.replace(line, change(line), 1)


def _bad_status(text: str) -> str:
    return _replace_row(text, "1.1.1", lambda line: line.replace("| Met |", "| Done |", 1))


def _missing_file(text: str) -> str:
    return _replace_row(text, "1.1.1", lambda line: line.replace("`tests/web/", "`tests/nowhere/", 1))


def _missing_test(text: str) -> str:
    return _replace_row(text, "1.1.1", lambda line: re.sub(r"::(\w+)`", r"::\1_renamed`", line, count=1))


def _summary_off_by_one(text: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("| V1 Encoding and Sanitization |"))
    cells = _cells(line)
    cells[1] = str(int(cells[1]) + 1)
    return text.replace(line, "| " + " | ".join(cells) + " |", 1)


def _row_dropped(text: str) -> str:
    return text.replace(_row_of(text, "7.3.1") + "\n", "", 1)


def _row_doubled(text: str) -> str:
    line = _row_of(text, "7.3.1")
    return text.replace(line, line + "\n" + line, 1)


def _wrong_level(text: str) -> str:
    return _replace_row(text, "7.3.1", lambda line: line.replace("| 7.3.1 | 2 |", "| 7.3.1 | 1 |", 1))


def _met_without_test(text: str) -> str:
    return _replace_row(text, "7.3.1", lambda line: line.rsplit("|", 2)[0] + "| — |")


def _pending_marker_removed(text: str) -> str:
    """A row citing a file that does not exist, without the pending marker that excuses it."""
    return _replace_row(
        text, "6.5.1", lambda line: _PENDING.sub("", line).replace("test_second_factor.py", "test_never_written.py")
    )


def _pipe_in_a_cell(text: str) -> str:
    return _replace_row(text, "7.3.1", lambda line: line.replace("30 minutes", "30 | minutes", 1))


BROKEN: dict[str, tuple[Callable[[str], str], str]] = {
    "status": (_bad_status, "status 'Done'"),
    "missing file": (_missing_file, "does not exist"),
    "missing test": (_missing_test, "defines no"),
    "summary": (_summary_off_by_one, "summary: V1 Met says"),
    "row dropped": (_row_dropped, "no row for 7.3.1"),
    "row doubled": (_row_doubled, "appears again"),
    "level": (_wrong_level, "ASVS 5.0.0 says 2"),
    "Met without a test": (_met_without_test, "a Met row names the test"),
    "pending marker removed": (_pending_marker_removed, "test_never_written.py does not exist"),
    "pipe in a cell": (_pipe_in_a_cell, "cells instead of 6"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_the_checker_finds_what_is_broken_in_a_copy(tmp_path: Path, kind: str) -> None:
    breaking, expected = BROKEN[kind]
    original = DOC.read_text(encoding="utf-8")
    copy = tmp_path / "security.md"
    copy.write_text(breaking(original), encoding="utf-8")
    assert copy.read_text(encoding="utf-8") != original
    problems = check_checklist(copy.read_text(encoding="utf-8")).problems
    assert any(expected in problem for problem in problems), problems


def test_pending_rows_may_cite_a_test_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    row = _row_of(text, "6.5.1")
    later = row.replace("test_second_factor.py", "test_second_factor_later.py").rstrip()
    pending = later.removesuffix("|").rstrip() + " <!-- pending: totp --> |"  # as a row waiting for its work reads
    renamed = text.replace(row, pending, 1)
    verdict = check_checklist(renamed)
    assert verdict.problems == []
    assert any("test_second_factor_later.py" in skipped for skipped in verdict.skipped)


def test_a_missing_section_is_reported() -> None:
    assert check_checklist("# Security\n\nNothing here.\n").problems[0] == f"no section {SECTION!r}"
