"""A record's label names only its own process's parties: ``party:<id>`` of another process's party is refused
with 422 naming ``label``, for every kind of record, on SQLite and PostgreSQL (ADR 0022)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.db.processes import add_party
from detente.errors import InputError
from detente.services.authz import process_label
from web.conftest import World, bearer
from web.test_verification_pages import _create


@pytest.fixture
def foreign(app: FastAPI, world: World) -> str:
    """A label naming a party of the other process."""
    ctx = app.state.ctx
    with ctx.db.transaction() as s:
        party = add_party(s, world.other_process_id, "Someone else's party", clock=ctx.clock)
    return f"party:{party.id}"


def _refused(response: Any, where: str, field: str = "label") -> None:
    assert response.status_code == 422, (where, response.status_code, response.text)
    assert response.json()["error"]["field"] == field, (where, response.text)


def _commitment(label: str) -> dict[str, Any]:
    return {
        "title": "Withdraw heavy weapons",
        "text": "Both sides withdraw heavy weapons 20 km from the line.",
        "parties": ["Party A", "Party B"],
        "category": "withdrawal",
        "methods": ["third_party_observer"],
        "verifier": "the mission",
        "schedule": {"deadline": "2020-01-10"},
        "label": label,
    }


def test_every_record_kind_refuses_another_process_party_label(client: TestClient, world: World, foreign: str) -> None:
    pid = world.process_id
    mediator = bearer(world.tokens["mediator"])
    base = f"/api/v1/processes/{pid}"
    cid = _create(client, world)["id"]  # proposed, then accepted by both parties: in force
    cases = {
        "note": client.post(f"{base}/notes", json={"title": "t", "body": "b", "label": foreign}, headers=mediator),
        "note relabelled": client.patch(
            f"{base}/notes/{world.notes['public']}", json={"label": foreign}, headers=mediator
        ),
        "commitment": client.post(f"{base}/verification/commitments", json=_commitment(foreign), headers=mediator),
        "report": client.post(
            f"{base}/verification/reports",
            data={"narrative": "seen", "label": foreign, "place": "", "time": ""},
            headers=bearer(world.tokens["observer"]),
        ),
        "assessment": client.post(
            f"{base}/verification/commitments/{cid}/assessments",
            json={"period": "2026-03", "status": "complied", "rationale": "r", "label": foreign},
            headers=mediator,
        ),
        "violation": client.post(
            f"{base}/verification/commitments/{cid}/violations",
            json={"summary": "s", "label": foreign},
            headers=mediator,
        ),
        "CBM labels": client.put(f"{base}/cbm/labels", json={"trust_label": foreign}, headers=mediator),
    }
    for where, response in cases.items():
        _refused(response, where, "trust_label" if where == "CBM labels" else "label")


def test_the_one_check(world: World) -> None:
    parties = [world.party_a, world.party_b]
    assert str(process_label(f"party:{world.party_a}", parties)) == f"party:{world.party_a}"
    assert str(process_label("mediators_only", parties)) == "mediators_only"
    with pytest.raises(InputError) as caught:
        process_label("party:999999", parties)
    assert caught.value.field == "label"
    with pytest.raises(InputError) as caught:
        process_label("party:999999", parties, field="trust_label")
    assert caught.value.field == "trust_label"
