"""The access decision table (tests/access/test_decision_table.py), exercised through the HTTP API: get, list,
search, export, create, delete and guessed ids, for every subject × label. A hidden record answers exactly like
a record that does not exist."""

from __future__ import annotations

from fastapi.testclient import TestClient

from access.test_decision_table import RECORD_TABLE
from web.conftest import SUBJECT_SETUP, World, bearer

LABEL_KEYS = ("public", "all_parties", "party_a", "party_b", "mediators_only")


def _ids(response_json: dict[str, object]) -> set[int]:
    notes = response_json["notes"]
    assert isinstance(notes, list)
    return {int(n["id"]) for n in notes}


def test_every_subject_label_and_action_through_http(client: TestClient, world: World) -> None:
    pid = world.process_id
    missing = client.get(f"/api/v1/processes/{pid}/notes/999999", headers=bearer(world.tokens["mediator"]))
    assert missing.status_code == 404
    for name in SUBJECT_SETUP:
        headers = bearer(world.tokens[name])
        table = RECORD_TABLE[name]
        listed = client.get(f"/api/v1/processes/{pid}/notes", headers=headers)
        assert listed.status_code == 200, (name, listed.text)
        found = client.get(f"/api/v1/processes/{pid}/notes", params={"q": "secret words"}, headers=headers)
        assert found.status_code == 200
        export = client.get(f"/api/v1/processes/{pid}/notes/export", headers=headers)
        for i, key in enumerate(LABEL_KEYS):
            nid = world.notes[key]
            where = f"{name} / {key}"
            # read (and guessing the id): a hidden note answers exactly as a missing one
            got = client.get(f"/api/v1/processes/{pid}/notes/{nid}", headers=headers)
            if table["read"][i] == "Y":
                assert got.status_code == 200 and got.json()["id"] == nid, where
            else:
                assert table["read"][i] == "H", where
                assert (got.status_code, got.content) == (missing.status_code, missing.content), where
            # list, search and the count never show a hidden note
            assert (nid in _ids(listed.json())) == (table["list"][i] == "Y"), where
            assert (nid in _ids(found.json())) == (table["search"][i] == "Y"), where
            assert listed.json()["total"] == table["list"].count("Y"), where
            # export: the readable notes, or the whole request refused when nothing may be exported
            if "Y" in table["export"]:
                assert export.status_code == 200, where
                assert (nid in _ids(export.json())) == (table["export"][i] == "Y"), where
            else:
                # a non-member's denial is the answer for a missing process (ADR 0022): it may not learn it exists
                plain = "n" in table["export"] and name != "non_member"
                assert export.status_code == (403 if plain else 404), where
        assert "secret words of party_b" not in (listed.text + found.text + export.text) or name in (
            "administrator",
            "mediator",
            "instance_admin_as_rep_B",
        )


def test_create_follows_the_table(client: TestClient, world: World) -> None:
    labels = {
        "public": "public",
        "all_parties": "all_parties",
        "party_a": f"party:{world.party_a}",
        "party_b": f"party:{world.party_b}",
        "mediators_only": "mediators_only",
    }
    for name in SUBJECT_SETUP:
        for i, key in enumerate(LABEL_KEYS):
            expected = RECORD_TABLE[name]["create"][i]
            response = client.post(
                f"/api/v1/processes/{world.process_id}/notes",
                json={"title": "t", "body": "b", "label": labels[key]},
                headers=bearer(world.tokens[name]),
            )
            want = {"Y": 201, "n": 403, "H": 404}[expected]
            assert response.status_code == want, (name, key, response.text)


def test_delete_follows_the_table(client: TestClient, world: World) -> None:
    # the deleters are the administrator and the mediator; try everyone else first
    order = [n for n in SUBJECT_SETUP if n not in ("administrator", "mediator")] + ["administrator"]
    for name in order:
        for i, key in enumerate(LABEL_KEYS):
            expected = RECORD_TABLE[name]["delete"][i]
            url = f"/api/v1/processes/{world.process_id}/notes/{world.notes[key]}"
            response = client.delete(url, headers=bearer(world.tokens[name]))
            want = {"Y": 204, "n": 403, "H": 404}[expected]
            assert response.status_code == want, (name, key, response.text)


def test_representative_never_learns_of_the_other_partys_note(client: TestClient, world: World) -> None:
    pid = world.process_id
    headers = bearer(world.tokens["representative_A"])
    hidden = client.get(f"/api/v1/processes/{pid}/notes/{world.notes['party_b']}", headers=headers)
    random_id = client.get(f"/api/v1/processes/{pid}/notes/424242", headers=headers)
    assert hidden.status_code == random_id.status_code == 404
    assert hidden.content == random_id.content
    assert hidden.headers.get("content-length") == random_id.headers.get("content-length")
    # the note of another process, asked through this process, is no more visible
    other = client.get(f"/api/v1/processes/{world.other_process_id}/notes/{world.notes['public']}", headers=headers)
    assert other.content == random_id.content
    # editing or deleting it answers the same
    patched = client.patch(
        f"/api/v1/processes/{pid}/notes/{world.notes['party_b']}", json={"title": "x"}, headers=headers
    )
    assert patched.content == random_id.content
    # the process page of a process one is not a member of is hidden like a missing one
    outsider = bearer(world.tokens["non_member"])
    assert (
        client.get(f"/api/v1/processes/{pid}", headers=outsider).content
        == client.get("/api/v1/processes/99999", headers=outsider).content
    )


def test_process_list_shows_only_memberships(client: TestClient, world: World) -> None:
    names = {
        name: {p["id"] for p in client.get("/api/v1/processes", headers=bearer(world.tokens[name])).json()["processes"]}
        for name in SUBJECT_SETUP
    }
    assert names["representative_A"] == {world.process_id}
    assert names["non_member"] == {world.other_process_id}
    assert names["instance_admin"] == {world.process_id, world.other_process_id}


def test_anonymous_is_refused_everywhere(client: TestClient, world: World) -> None:
    pid = world.process_id
    for url in (
        "/api/v1/processes",
        f"/api/v1/processes/{pid}",
        f"/api/v1/processes/{pid}/notes",
        f"/api/v1/processes/{pid}/notes/{world.notes['public']}",
        f"/api/v1/processes/{pid}/notes/export",
    ):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
