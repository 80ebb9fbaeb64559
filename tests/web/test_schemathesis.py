"""Property-based checks of the JSON API from its own OpenAPI document (schemathesis): no input makes it fail
with a server error. Bounded: a few examples per operation, on SQLite and PostgreSQL, signed in as an instance
administrator who is also a member of the process. Each example is sent a second time with a NUL character in every
string of its query and body (ADR 0022: refused with 422, never a 5xx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import response_schema_conformance

from detente.access import Label, Role
from detente.config import Settings
from detente.db import notes as notes_db
from detente.db.processes import add_party, create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.web.app import WebOptions, create_app


def _poisoned(value: Any, bad: str) -> Any:
    """*value* with *bad* put into the middle of every string in it."""
    if isinstance(value, str):
        return value[: len(value) // 2] + bad + value[len(value) // 2 :]
    if isinstance(value, dict):
        return {k: _poisoned(v, bad) for k, v in value.items()}
    if isinstance(value, list):
        return [_poisoned(v, bad) for v in value]
    return value


@pytest.fixture
def api_schema(tmp_path: Path, database_url: str) -> schemathesis.schemas.BaseSchema:
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    settings = Settings(workspace=tmp_path / "ws", database_url=database_url)
    app = create_app(settings, options=WebOptions(policy=policy))
    with app.state.ctx.db.transaction() as s:
        user = create_user(s, "fuzzer", "a long password", is_admin=True, policy=policy, clock=app.state.ctx.clock)
        process = create_process(s, "Fuzzed talks", clock=app.state.ctx.clock)
        party = add_party(s, process.id, "Party One", clock=app.state.ctx.clock)
        set_membership(s, process.id, user.id, Role.MEDIATOR, clock=app.state.ctx.clock)
        notes_db.create_note(
            s, process.id, "n", "b", Label.party(party.id), author_id=user.id, clock=app.state.ctx.clock
        )
        app.state.fuzz_token = create_token(
            s, user.id, "fuzz", ["read", "write", "admin"], clock=app.state.ctx.clock
        ).secret
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.app = app
    return schema


def test_no_server_errors(api_schema: schemathesis.schemas.BaseSchema) -> None:
    token = api_schema.app.state.fuzz_token
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 15
    statuses: list[int] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text)
            # every answer matches the typed response model /openapi.json documents for it
            case.validate_response(response, checks=[response_schema_conformance])
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and {"code", "message", "field"} == set(body["error"])
            # the same request with a NUL character in every string of its query and body (lone surrogates, which
            # only a JSON escape can carry, are sent by tests/web/test_text_input.py)
            case.query, case.body = _poisoned(case.query, "\x00"), _poisoned(case.body, "\x00")
            answer = case.call(headers=headers)
            statuses.append(answer.status_code)
            assert answer.status_code < 500, (case.method, case.path, "NUL", answer.text)

        check()
    assert len(statuses) > 3 * len(operations)
    assert any(code < 300 for code in statuses) and any(code >= 400 for code in statuses)
