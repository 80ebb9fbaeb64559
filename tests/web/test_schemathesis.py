"""Property-based checks of the JSON API from its own OpenAPI document (schemathesis): no input makes it fail
with a server error. Bounded: a few examples per operation, on SQLite, signed in as an instance administrator
who is also a member of the process."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture
def api_schema(tmp_path: Path) -> schemathesis.schemas.BaseSchema:
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=tmp_path / "ws"), options=WebOptions(policy=policy))
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

        check()
    assert len(statuses) > 3 * len(operations)
    assert any(code < 300 for code in statuses) and any(code >= 400 for code in statuses)
