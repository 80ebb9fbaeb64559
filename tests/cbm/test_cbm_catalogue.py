"""The packaged catalogue loads and validates; every kind of bad catalogue is rejected with file, line, id, field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from detente.cbm import (
    SCHEMA_VERSION,
    Catalogue,
    CatalogueError,
    Domain,
    Measure,
    VerificationMethod,
    check_measures,
    load_catalogue,
)
from detente.errors import InputError, NotFoundError


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _measure(measure_id: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": measure_id,
        "name": f"Measure {measure_id}",
        "domain": "communication",
        "description": "A measure used only in tests.",
        "cost_to_initiator": 0.1,
        "risk_to_initiator": 0.1,
        "signal_strength": 0.2,
        "reversibility": 0.5,
        "verifiability": 0.5,
        "verification_methods": ["self_report"],
        "time_to_implement_days": 10,
        "prerequisites": [],
        "sovereignty_sensitivity": 0.2,
        "reciprocity_expected": True,
        "examples": [{"summary": "A made-up use for tests.", "year": 2000, "citation": "Test fixture"}],
    }
    base.update(changes)
    return base


def _doc(*measures: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {"version": "test-1", "schema_version": SCHEMA_VERSION, "measures": list(measures), **header}


def _write(tmp_path: Path, doc: dict[str, Any] | str, name: str = "cat.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


# --- the packaged catalogue ----------------------------------------------------------------------------------


def test_packaged_catalogue_is_versioned_and_large(catalogue: Catalogue) -> None:
    assert catalogue.schema_version == SCHEMA_VERSION
    assert catalogue.version
    assert len(catalogue) >= 50
    assert len(set(catalogue.ids)) == len(catalogue)


def test_every_domain_is_present(catalogue: Catalogue) -> None:
    assert catalogue.domains() == frozenset(Domain)
    for domain in Domain:
        assert len(catalogue.select(domains=[domain])) >= 3, domain


def test_every_builtin_measure_has_a_cited_example(catalogue: Catalogue) -> None:
    for measure in catalogue:
        assert measure.examples, measure.id
        for example in measure.examples:
            assert example.citation.strip() and 1800 <= example.year <= 2100


def test_topological_order_puts_prerequisites_first(catalogue: Catalogue) -> None:
    order = catalogue.topological_order()
    position = {measure_id: i for i, measure_id in enumerate(order)}
    assert sorted(order) == sorted(catalogue.ids)
    for measure in catalogue:
        for prerequisite in measure.prerequisites:
            assert position[prerequisite] < position[measure.id]


def test_lookup_and_filters(catalogue: Catalogue) -> None:
    hotline = catalogue.get("leaders_hotline")
    assert hotline.domain is Domain.COMMUNICATION
    assert "leaders_hotline" in catalogue and "no_such_measure" not in catalogue
    with pytest.raises(NotFoundError):
        catalogue.get("no_such_measure")
    cheap = catalogue.select(max_cost=0.1, min_verifiability=0.8, exclude=["leaders_hotline"])
    assert cheap and all(m.cost_to_initiator <= 0.1 and m.verifiability >= 0.8 for m in cheap)
    assert "leaders_hotline" not in {m.id for m in cheap}


def test_to_dict_round_trips_through_a_user_file(catalogue: Catalogue, tmp_path: Path) -> None:
    data = catalogue.to_dict()
    data.pop("sources")
    again = load_catalogue(_write(tmp_path, data))
    assert again.measures == catalogue.measures


def test_signal_is_costlier_for_irreversible_costly_steps(catalogue: Catalogue) -> None:
    # a coarse sanity check of the judgements: decommissioning signals more than a joint declaration
    assert catalogue.get("decommissioning").signal_strength > catalogue.get("declaration_of_principles").signal_strength


# --- user measures -----------------------------------------------------------------------------------------


def test_with_measures_adds_user_measures(catalogue: Catalogue) -> None:
    extra = _measure("local_market_day", domain="economic", prerequisites=["crossing_points"], examples=[])
    bigger = catalogue.with_measures([extra], source="process-17")
    assert len(bigger) == len(catalogue) + 1
    assert bigger.get("local_market_day").prerequisites == ("crossing_points",)
    assert bigger.sources[-1] == "process-17"
    assert len(catalogue) == len(bigger) - 1  # the original is untouched


def test_with_measures_rejects_an_id_clash(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError) as info:
        catalogue.with_measures([_measure("leaders_hotline")])
    assert info.value.measure_id == "leaders_hotline" and info.value.field == "id"


def test_with_measures_validates_fields(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError) as info:
        catalogue.with_measures([_measure("bad_scale", signal_strength=2)])
    assert info.value.field == "signal_strength" and info.value.measure_id == "bad_scale"


def test_merge_user_file(catalogue: Catalogue, tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(_measure("water_point_sharing", prerequisites=["hydrological_data_sharing"])))
    merged = load_catalogue(extra=[path])
    assert "water_point_sharing" in merged and len(merged) == len(catalogue) + 1
    assert merged.sources[-1].startswith(str(path))


def test_merge_user_file_rejects_clash_with_line(catalogue: Catalogue, tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(_measure("fine_one"), _measure("buffer_zone")))
    with pytest.raises(CatalogueError) as info:
        catalogue.merge_file(path)
    err = info.value
    assert err.path == str(path) and err.measure_id == "buffer_zone" and err.field == "id"
    assert err.line == _line_of(path, "id: buffer_zone")


# --- one test per kind of bad catalogue ---------------------------------------------------------------------


def test_duplicate_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(_measure("alpha"), _measure("beta"), _measure("alpha")))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    err = info.value
    assert (err.measure_id, err.field, err.path) == ("alpha", "id", str(path))
    assert err.line == _line_of(path, "id: alpha", occurrence=2)
    assert str(path) in str(err) and "alpha" in str(err)


def test_unknown_prerequisite(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(_measure("alpha"), _measure("beta", prerequisites=["alpha", "gamma"])))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    err = info.value
    assert (err.measure_id, err.field) == ("beta", "prerequisites.1")
    assert err.line == _line_of(path, "- gamma")


def test_prerequisite_cycle(tmp_path: Path) -> None:
    doc = _doc(
        _measure("alpha", prerequisites=["gamma"]),
        _measure("beta", prerequisites=["alpha"]),
        _measure("gamma", prerequisites=["beta"]),
    )
    with pytest.raises(CatalogueError, match="cycle: alpha -> gamma -> beta -> alpha") as info:
        load_catalogue(_write(tmp_path, doc))
    assert info.value.field == "prerequisites"


def test_self_prerequisite_is_a_cycle(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cycle"):
        load_catalogue(_write(tmp_path, _doc(_measure("alpha", prerequisites=["alpha"]))))


@pytest.mark.parametrize(
    "field",
    [
        "cost_to_initiator",
        "risk_to_initiator",
        "signal_strength",
        "reversibility",
        "verifiability",
        "sovereignty_sensitivity",
    ],
)
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_scale_out_of_range(tmp_path: Path, field: str, value: float) -> None:
    path = _write(tmp_path, _doc(_measure("alpha"), _measure("beta", **{field: value})))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    err = info.value
    assert (err.measure_id, err.field) == ("beta", field)
    assert err.line == _line_of(path, f"{field}: ", occurrence=2)


def test_negative_time_to_implement(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(_measure("alpha", time_to_implement_days=-3))))
    assert info.value.field == "time_to_implement_days"


def test_missing_field(tmp_path: Path) -> None:
    measure = _measure("alpha")
    del measure["signal_strength"]
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(measure)))
    assert (info.value.measure_id, info.value.field) == ("alpha", "signal_strength")


def test_unknown_field(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(_measure("alpha", colour="blue")))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert info.value.field == "colour" and info.value.line == _line_of(path, "colour:")


def test_bad_enum_values(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(_measure("alpha", domain="astrology"))))
    assert info.value.field == "domain"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(_measure("alpha", verification_methods=["telepathy"]))))
    assert info.value.field == "verification_methods.0"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(_measure("alpha", verification_methods=[]))))
    assert info.value.field == "verification_methods"


def test_bad_id(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(_measure("Not A Slug"))))
    assert (info.value.measure_id, info.value.field) == ("Not A Slug", "id")


def test_bad_example(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _doc(_measure("alpha", examples=[{"summary": "A made-up use.", "year": 1066, "citation": "Test fixture"}])),
    )
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert info.value.field == "examples.0.year" and info.value.line == _line_of(path, "year: 1066")


def test_builtin_measure_without_example() -> None:
    bare = Measure.model_validate(_measure("alpha", examples=[]))
    assert check_measures([bare]) == ("alpha",)  # fine for a user's measure
    with pytest.raises(CatalogueError) as info:
        check_measures([bare], require_examples=True)
    assert (info.value.measure_id, info.value.field) == ("alpha", "examples")


def test_wrong_schema_version(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(_measure("alpha"), schema_version=SCHEMA_VERSION + 1))
    with pytest.raises(CatalogueError, match="schema_version") as info:
        load_catalogue(path)
    assert info.value.line == _line_of(path, "schema_version:")


def test_missing_header(tmp_path: Path) -> None:
    doc = _doc(_measure("alpha"))
    del doc["version"]
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, doc))
    assert info.value.field == "version"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, _doc(_measure("alpha"), mesures=[])))
    assert info.value.field == "mesures"


def test_measures_not_a_list_and_measure_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, {"version": "1", "schema_version": SCHEMA_VERSION, "measures": "none"}))
    assert info.value.field == "measures"
    with pytest.raises(CatalogueError, match="not a mapping"):
        load_catalogue(_write(tmp_path, {"version": "1", "schema_version": SCHEMA_VERSION, "measures": ["x"]}))


def test_not_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: '1'\nschema_version: 1\nmeasures:\n  - id: [unclosed\n")
    with pytest.raises(CatalogueError, match="not valid YAML") as info:
        load_catalogue(path)
    assert info.value.line is not None and info.value.path == str(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(_write(tmp_path, "- just\n- a list\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read") as info:
        load_catalogue(tmp_path / "absent.yaml")
    assert isinstance(info.value, InputError)


def test_duplicate_list_entries(tmp_path: Path) -> None:
    doc = _doc(_measure("alpha"), _measure("beta", prerequisites=["alpha", "alpha"]))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_write(tmp_path, doc))
    assert info.value.field == "prerequisites"
    doc = _doc(_measure("alpha", verification_methods=["self_report", "self_report"]))
    with pytest.raises(CatalogueError):
        load_catalogue(_write(tmp_path, doc))


def test_direct_construction_is_checked() -> None:
    good = Measure.model_validate(_measure("alpha"))
    clash = copy.deepcopy(good)
    with pytest.raises(CatalogueError):
        Catalogue(version="x", schema_version=SCHEMA_VERSION, measures=(good, clash))
    assert VerificationMethod.SELF_REPORT in good.verification_methods
