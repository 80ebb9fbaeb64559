"""Verification pages and API (issue 5 item 9) over HTTP, on SQLite and PostgreSQL: the commitment → report (with
evidence) → assessment → violation workflow through the API and through the pages, each step in the log and
provable, within the access rules (roles × actions; hidden records answer like missing ones)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from consenting import decide_for
from web.conftest import World, bearer, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _base(w: World) -> str:
    return f"/api/v1/processes/{w.process_id}/verification"


def _commitment(label: str = "all_parties", **extra: Any) -> dict[str, Any]:
    return {
        "title": "Open crossing 3",
        "text": "Crossing 3 opens daily for civilians.",
        "parties": ["Party A", "Party B"],
        "category": "humanitarian_access",
        "schedule": {"deadline": "2020-01-10"},
        "methods": ["third_party_observer"],
        "verifier": "Joint monitoring team",
        "label": label,
        **extra,
    }


def _create(
    client: TestClient, w: World, who: str = "mediator", label: str = "all_parties", **extra: Any
) -> dict[str, Any]:
    """A commitment proposed through the API, then accepted by each party it binds (with its own key)."""
    r = client.post(f"{_base(w)}/commitments", json=_commitment(label, **extra), headers=bearer(w.tokens[who]))
    assert r.status_code == 201 and r.json()["state"] == "proposed", r.text
    return decide_for(client.app.state.ctx, w.process_id, r.json()["id"]).model_dump(mode="json")  # type: ignore[attr-defined]


def _report(client: TestClient, w: World, cid: int, who: str = "observer", label: str = "all_parties") -> Any:
    return client.post(
        f"{_base(w)}/reports",
        data={"narrative": "Open at 08:05; 212 people crossed.", "label": label, "commitment_id": str(cid)},
        files=[("files", ("photo.png", PNG, "image/png")), ("files", ("log.txt", b"08:05 open\n", "text/plain"))],
        headers=bearer(w.tokens[who]),
    )


def _proof(client: TestClient, w: World, kind: str, rid: int, who: str = "observer", **params: Any) -> Any:
    return client.get(f"{_base(w)}/records/{kind}/{rid}/proof", params=params, headers=bearer(w.tokens[who]))


def test_workflow_through_the_api_is_logged_and_provable(client: TestClient, world: World) -> None:
    w = world
    c = _create(client, w)
    first = _proof(client, w, "commitment", c["id"]).json()
    assert first["inclusion"]["verified"] and first["entry"]["body"]["kind"] == "commitment"
    seen_size, seen_root = first["checkpoint"]["size"], first["checkpoint"]["root"]

    r = _report(client, w, c["id"])
    assert r.status_code == 201, r.text
    report = r.json()
    assert [e["media_type"] for e in report["evidence"]] == ["image/png", "text/plain"]
    detail = client.get(f"{_base(w)}/reports/{report['id']}", headers=bearer(w.tokens["analyst"])).json()
    assert detail["signature_valid"] is True

    a = client.post(
        f"{_base(w)}/commitments/{c['id']}/assessments",
        json={"period": "deadline", "status": "partially_compliant", "score": 1, "rationale": "Opened late.",
              "label": "all_parties", "report_ids": [report["id"]]},
        headers=bearer(w.tokens["observer"]),
    )  # fmt: skip
    assert a.status_code == 201, a.text
    assert a.json()["score"] == 1

    v = client.post(
        f"{_base(w)}/commitments/{c['id']}/violations",
        json={"summary": "Crossing closed on day 2.", "label": "all_parties"},
        headers=bearer(w.tokens["observer"]),
    )
    assert v.status_code == 201, v.text
    vid = v.json()["id"]
    moves = f"{_base(w)}/violations/{vid}/transitions"
    bad = client.post(moves, json={"to": "confirmed", "reason": "skip"}, headers=bearer(w.tokens["mediator"]))
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "illegal_transition"
    assert "allowed: under_review" in bad.json()["error"]["message"]
    ok = client.post(moves, json={"to": "under_review", "reason": "team sent"}, headers=bearer(w.tokens["mediator"]))
    assert ok.status_code == 201 and ok.json()["state"] == "under_review"

    history = client.get(f"{_base(w)}/violations/{vid}", headers=bearer(w.tokens["analyst"])).json()["history"]
    kinds = [_proof(client, w, "report", report["id"]).json(), _proof(client, w, "assessment", a.json()["id"]).json()]
    kinds += [_proof(client, w, "transition", t["id"]).json() for t in history]
    assert [k["entry"]["body"]["kind"] for k in kinds] == [
        "report", "assessment", "violation.transition", "violation.transition"
    ]  # fmt: skip
    assert all(k["inclusion"]["verified"] for k in kinds)
    later = _proof(client, w, "commitment", c["id"], seen_size=seen_size, seen_root=seen_root).json()
    assert later["consistency"]["verified"] is True
    forged = _proof(client, w, "commitment", c["id"], seen_size=seen_size, seen_root="00" * 32).json()
    assert forged["consistency"]["verified"] is False and "NOT CONSISTENT" in forged["consistency"]["error"]

    board = client.get(f"{_base(w)}/commitments", headers=bearer(w.tokens["viewer"]))
    assert board.status_code == 200 and board.json()["commitments"] == []  # viewers read public records only
    board = client.get(f"{_base(w)}/commitments", headers=bearer(w.tokens["representative_A"])).json()
    row = board["commitments"][0]
    assert (row["status"], row["score"], row["overdue"]) == ("partially_compliant", 1, False)
    record = client.get(f"{_base(w)}/track-record", headers=bearer(w.tokens["analyst"])).json()
    assert set(record["parties"]) == {"Party A", "Party B"} and record["chart_svg"].startswith("<svg")


def test_hidden_records_answer_like_missing_ones(client: TestClient, world: World) -> None:
    w = world
    secret = _create(client, w, label=f"party:{w.party_b}", parties=["Party B"])
    shared = _create(client, w)
    rep_a = bearer(w.tokens["representative_A"])
    missing = client.get(f"{_base(w)}/commitments/999999", headers=rep_a)
    hidden = client.get(f"{_base(w)}/commitments/{secret['id']}", headers=rep_a)
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert _proof(client, w, "commitment", secret["id"], who="representative_A").status_code == 404
    ids = [c["id"] for c in client.get(f"{_base(w)}/commitments", headers=rep_a).json()["commitments"]]
    assert ids == [shared["id"]]
    assert client.get(f"{_base(w)}/commitments/{secret['id']}", headers=bearer(w.tokens["instance_admin_as_rep_B"]))
    r = _report(client, w, secret["id"], who="representative_A")
    assert r.status_code == 404 and r.json() == missing.json()
    r = client.post(f"{_base(w)}/commitments/{secret['id']}/violations", json={"summary": "x", "label": "all_parties"},
                    headers=rep_a)  # fmt: skip
    assert r.status_code == 404
    other = client.get(f"/api/v1/processes/{w.other_process_id}/verification/commitments", headers=rep_a)
    assert other.status_code == 404


def test_who_may_write(client: TestClient, world: World) -> None:
    w = world
    expected = {
        "administrator": 201, "mediator": 201, "representative_A": 201,  # who may propose what binds parties
        "analyst": 403, "observer": 403,  # they read it but never propose
        "viewer": 404, "non_member": 404, "instance_admin": 404,  # may not read all_parties: concealed
    }  # fmt: skip
    for who, status in expected.items():
        r = client.post(f"{_base(w)}/commitments", json=_commitment(), headers=bearer(w.tokens[who]))
        assert r.status_code == status, (who, r.text)
    mediators_only = client.post(
        f"{_base(w)}/commitments", json=_commitment("mediators_only"), headers=bearer(w.tokens["observer"])
    )
    assert mediators_only.status_code in (403, 404)
    c = _create(client, w)
    v = client.post(f"{_base(w)}/commitments/{c['id']}/violations", json={"summary": "s", "label": "all_parties"},
                    headers=bearer(w.tokens["observer"])).json()  # fmt: skip
    move = {"to": "under_review", "reason": "r"}
    url = f"{_base(w)}/violations/{v['id']}/transitions"
    assert client.post(url, json=move, headers=bearer(w.tokens["analyst"])).status_code == 403  # not an assessor
    assert client.post(url, json=move, headers=bearer(w.tokens["viewer"])).status_code == 404  # cannot read it


def test_parties_allege_but_only_monitors_and_mediators_judge(client: TestClient, world: World) -> None:
    """A party may report and allege; it never assesses compliance or moves a violation procedure."""
    w = world
    c = _create(client, w)
    rep = bearer(w.tokens["representative_A"])
    report = _report(client, w, c["id"]).json()
    assessment = {
        "period": "deadline", "status": "non_compliant", "score": 0, "rationale": "r", "label": "all_parties",
        "report_ids": [report["id"]],
    }  # fmt: skip
    url = f"{_base(w)}/commitments/{c['id']}/assessments"
    assert client.post(url, json=assessment, headers=rep).status_code == 403
    assert client.post(url, json=assessment, headers=bearer(w.tokens["analyst"])).status_code == 403
    made = client.post(url, json=assessment, headers=bearer(w.tokens["observer"]))
    assert made.status_code == 201, made.text
    v = client.post(f"{_base(w)}/commitments/{c['id']}/violations", json={"summary": "s", "label": "all_parties"},
                    headers=rep)  # fmt: skip
    assert v.status_code == 201, v.text  # a party may allege
    moves = f"{_base(w)}/violations/{v.json()['id']}/transitions"
    detail = client.get(f"{_base(w)}/violations/{v.json()['id']}", headers=rep).json()
    assert detail["may_move"] is False
    assert client.post(moves, json={"to": "under_review", "reason": "mine"}, headers=rep).status_code == 403
    assert (
        client.post(moves, json={"to": "under_review", "reason": "r"}, headers=bearer(w.tokens["observer"])).status_code
        == 201
    )


def test_evidence_is_checked_and_served_only_to_readers(client: TestClient, world: World) -> None:
    w = world
    c = _create(client, w)
    bad = client.post(
        f"{_base(w)}/reports",
        data={"narrative": "n", "label": "all_parties"},
        files=[("files", ("tool.png", b"MZ\x90\x00binary\x00", "image/png"))],
        headers=bearer(w.tokens["observer"]),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    report = _report(client, w, c["id"]).json()
    sha = report["evidence"][0]["sha256"]
    csrf = sign_in(client, "analyst")
    assert csrf
    page = f"/processes/{w.process_id}/verification/reports/{report['id']}"
    got = client.get(f"{page}/evidence/{sha}")
    assert got.status_code == 200 and got.content == PNG and "attachment" in got.headers["content-disposition"]
    assert client.get(page).status_code == 200
    client.cookies.clear()
    sign_in(client, "viewer")
    assert client.get(f"{page}/evidence/{sha}").status_code == 404


def test_workflow_through_the_pages(client: TestClient, world: World) -> None:
    w = world
    base = f"/processes/{w.process_id}/verification"
    csrf = sign_in(client, "mediator")
    html = {"accept": "text/html"}
    assert "Commitments board" in client.get(base, headers=html).text
    assert client.get(f"{base}/commitments/new", headers=html).status_code == 200
    form = {
        "title": "Release 40 detainees", "text": "All 40 on the list.", "category": "detainee_release",
        "verifier": "Agency", "label": "all_parties", "parties": ["Party B"], "methods": ["third_party_observer"],
        "deadline": "2020-01-01", "indicators": "detainees released: 40",
    }  # fmt: skip
    assert client.post(f"{base}/commitments", data=form, follow_redirects=False).status_code == 403  # no CSRF
    r = client.post(f"{base}/commitments", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    detail_url = r.headers["location"].split("?")[0]
    cid = int(detail_url.rsplit("/", 1)[1])
    assert "awaiting" in client.get(base, headers=html).text.lower()  # a proposal, not yet a commitment
    decide_for(client.app.state.ctx, w.process_id, cid)  # type: ignore[attr-defined]
    board = client.get(base, headers=html).text
    assert "Overdue: the deadline passed on 2020-01-01 00:00 with no assessment" in board
    r = client.post(
        f"{base}/reports",
        data={"narrative": "31 released.", "label": "all_parties", "commitment_id": str(cid), "csrf_token": csrf},
        files=[("files", ("list.txt", b"31 names\n", "text/plain"))],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    rid = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    r = client.post(
        f"{base}/commitments/{cid}/assessments",
        data={"period": "deadline", "status": "non_compliant", "rationale": "9 missing", "label": "all_parties",
              "report_ids": [str(rid)], "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    r = client.post(
        f"{base}/commitments/{cid}/violations",
        data={"summary": "9 detainees withheld", "label": "all_parties", "csrf_token": csrf},
        follow_redirects=False,
    )
    vurl = r.headers["location"].split("?")[0]
    refused = client.post(f"{vurl}/move", data={"to": "resolved", "reason": "x", "csrf_token": csrf}, headers=html)
    assert refused.status_code == 422 and "cannot go from" in refused.text and "under review" in refused.text
    moved = client.post(f"{vurl}/move", data={"to": "under_review", "reason": "check", "csrf_token": csrf})
    assert moved.status_code == 200 and "Violation #" in moved.text
    detail = client.get(detail_url, headers=html).text
    assert "non compliant" in detail and "0/3" in detail
    verify = client.get(f"{base}/verify/commitment/{cid}", headers=html).text
    assert "✔ Included" in verify and "detente ledger verify bundle/" in verify
    # the export shown is for the signed-in reader only; the key's fingerprint and the witness policy are shown
    assert " --for " in verify and "Log key fingerprint: <code>SHA256:" in verify
    assert "Witness policy: 2 of 3 witnesses must cosign." in verify and "no witness yet" in verify
    assert "<svg" in client.get(f"{base}/record", headers=html).text
