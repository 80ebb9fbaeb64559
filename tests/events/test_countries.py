"""The country reference table, cross-checked against the countrycode package's code list (real data)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from detente.events import countries
from detente.events.countries import (
    all_countries,
    by_fips,
    by_gw,
    by_iso3,
    by_name,
    by_numeric,
    normalize_name,
)

# Gleditsch & Ward list microstates separately, with codes; countrycode's ``gwn`` leaves them empty.
GW_MICROSTATES = {
    "AND": 232,
    "ATG": 58,
    "DMA": 54,
    "FSM": 987,
    "GRD": 55,
    "KIR": 970,
    "KNA": 60,
    "LCA": 56,
    "LIE": 223,
    "MCO": 221,
    "MHL": 983,
    "NRU": 971,
    "PLW": 986,
    "SMR": 331,
    "STP": 403,
    "SYC": 591,
    "TON": 972,
    "TUV": 973,
    "VCT": 57,
    "VUT": 935,
    "WSM": 990,
}
# Deliberate differences from countrycode's ``gwn`` (see the module docstring of detente.events.countries):
GW_DELIBERATE = {
    "VNM": (
        816,
        "815",
    ),  # G&W 815 is pre-1893 Annam; modern Vietnam continues the DRV, 816 (as UCDP codes it)
    "YEM": (
        678,
        "",
    ),  # G&W continue the Yemen Arab Republic (678) as unified Yemen; countrycode leaves it empty
    "VAT": (None, "327"),  # 327 is the Papal States (1816-1870), not the Vatican City State
}
# FIPS codes from the US GEC list (successor of FIPS 10-4, used by GDELT) that countrycode does not carry.
FIPS_NEWER = {"CUW": "UC", "MAF": "RN", "SSD": "OD", "SXM": "NN", "UMI": "FQ"}
NON_ISO = {"XKX": 347, "YUG": 345, "YMD": 680, "CSK": 315, "DDR": 265}


def _codelist(shared_data: Path) -> list[dict[str, str]]:
    path = shared_data / "country_codes" / "countrycode_codelist.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))  # strings only: Namibia's iso2c "NA" stays "NA"


def test_table_shape_and_unique_keys() -> None:
    rows = all_countries()
    assert 250 <= len(rows) <= 260
    for key in ("iso3", "iso2", "iso_numeric", "gw_code"):
        values = [getattr(c, key) for c in rows if getattr(c, key) is not None]
        dupes = [v for v, n in Counter(values).items() if n > 1]
        assert not dupes, f"duplicate {key}: {dupes}"
    fips = [f for c in rows for f in (c.fips, *c.fips_other) if f]
    assert not [f for f, n in Counter(fips).items() if n > 1]
    assert by_iso3("NAM") is not None and by_iso3("NAM").iso2 == "NA"  # type: ignore[union-attr]


def test_no_alias_points_at_two_countries() -> None:
    owner: dict[str, str] = {}
    for c in all_countries():
        for n in {normalize_name(x) for x in (c.name, *c.aliases)}:
            assert owner.setdefault(n, c.iso3) == c.iso3, f"name {n!r} used by {owner[n]} and {c.iso3}"


def test_lookups_used_by_the_adapters() -> None:
    assert by_fips("SF").iso3 == "ZAF"  # type: ignore[union-attr]
    assert by_fips("GG").iso3 == "GEO"  # type: ignore[union-attr]
    assert by_fips("SY").iso3 == "SYR"  # type: ignore[union-attr]
    assert by_fips("AR").iso3 == "ARG"  # type: ignore[union-attr]
    assert by_fips("GZ").iso3 == by_fips("WE").iso3 == "PSE"  # type: ignore[union-attr]
    assert by_numeric(32).iso3 == "ARG"  # type: ignore[union-attr]
    assert by_gw(345).iso3 == "YUG"  # type: ignore[union-attr]
    assert by_gw(679) is None  # the COW code of unified Yemen is not a G&W code
    for name, iso3 in {
        "Democratic Republic of Congo": "COD",
        "DR Congo (Zaire)": "COD",
        "Russia (Soviet Union)": "RUS",
        "Yemen (North Yemen)": "YEM",
        "Cambodia (Kampuchea)": "KHM",
        "Myanmar (Burma)": "MMR",
        "Ivory Coast": "CIV",
        "Bosnia-Herzegovina": "BIH",
        "Serbia (Yugoslavia)": "SRB",
        "Madagascar (Malagasy)": "MDG",
        "Zimbabwe (Rhodesia)": "ZWE",
        "Kingdom of eSwatini (Swaziland)": "SWZ",
        "Macedonia, FYR": "MKD",
        "Republic of Congo": "COG",
        "Congo": "COG",
        "Kosovo": "XKX",
        "Turkey": "TUR",
    }.items():
        assert by_name(name) is not None and by_name(name).iso3 == iso3, name  # type: ignore[union-attr]


def test_every_acled_country_name_resolves(shared_data: Path) -> None:
    with (shared_data / "acled" / "acled_countries.csv").open(encoding="utf-8", newline="") as fh:
        names = [r["country"] for r in csv.DictReader(fh)]
    assert len(names) == 243
    assert [n for n in names if by_name(n) is None] == []


def test_agrees_with_countrycode_codelist(shared_data: Path) -> None:
    ref = {r["iso3c"]: r for r in _codelist(shared_data) if r["iso3c"]}
    ours = {c.iso3: c for c in all_countries()}
    assert set(ref) == set(ours) - set(NON_ISO)
    problems = []
    for iso3, c in ours.items():
        if iso3 in NON_ISO:
            continue
        r = ref[iso3]
        if (c.iso2 or "") != r["iso2c"] or c.iso_numeric != int(r["iso3n"]):
            problems.append((iso3, "iso", c.iso2, c.iso_numeric, r["iso2c"], r["iso3n"]))
        fips_ok = (c.fips or "") == r["fips"] or (r["fips"] == "" and FIPS_NEWER.get(iso3) == c.fips)
        if not fips_ok:
            problems.append((iso3, "fips", c.fips, r["fips"]))
        if iso3 in GW_DELIBERATE:
            assert (c.gw_code, r["gwn"]) == GW_DELIBERATE[iso3]
        elif iso3 in GW_MICROSTATES:
            assert r["gwn"] == "" and c.gw_code == GW_MICROSTATES[iso3], iso3
        elif str(c.gw_code or "") != r["gwn"]:
            problems.append((iso3, "gw", c.gw_code, r["gwn"]))
    assert problems == []


def test_non_iso_rows_agree_with_countrycode_by_gw_code(shared_data: Path) -> None:
    by_gwn = {r["gwn"]: r for r in _codelist(shared_data) if r["gwn"] and not r["iso3c"]}
    for iso3, gw in NON_ISO.items():
        c = by_iso3(iso3)
        assert c is not None and c.gw_code == gw
        assert str(gw) in by_gwn, iso3
        assert (c.fips or "") == by_gwn[str(gw)]["fips"]


@pytest.mark.parametrize("code", ["ZZZ", ""])
def test_unknown_codes_give_none(code: str) -> None:
    assert by_iso3(code) is None
    assert by_fips(code) is None
    assert countries.by_name(code or "Atlantis") is None
