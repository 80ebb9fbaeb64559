"""One error tree: every exception Détente defines lives in ``detente.errors``; each class states the HTTP status and
the CLI exit code it is answered with, and both shells answer exactly that, whatever the order of the checks."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import detente
from detente import errors
from detente.cli.common import handle_errors
from detente.web.errors import install_error_handlers


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(detente.__path__, "detente.") if ".migrations" not in m.name]
    return sorted(names)


def test_every_exception_class_is_defined_in_errors() -> None:
    elsewhere = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            ours = inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name
            if ours and not attr.startswith("_") and name != "detente.errors":
                elsewhere.append(f"{name}.{attr}")
    assert not elsewhere, elsewhere


def _tree() -> list[type[errors.DetenteError]]:
    return [c for c in vars(errors).values() if inspect.isclass(c) and issubclass(c, errors.DetenteError)]


def _make(cls: type[errors.DetenteError]) -> errors.DetenteError:
    if issubclass(cls, errors.StaleSizeError):
        return cls("stale", latest_size=3)
    if issubclass(cls, errors.RateLimited):
        return cls("slow down", retry_after=7)
    return cls("what went wrong")


def test_each_class_states_its_answer() -> None:
    tree = _tree()
    assert len(tree) > 30
    for cls in tree:
        assert 400 <= cls.status <= 599 and cls.exit_code in (1, 2), cls
        assert cls.code and cls.code.replace("_", "").isalpha(), cls
    # the answers the issue pinned: a conflict is 409 whatever it derives from, a user's mistake exits with 2
    assert errors.ConflictError.status == errors.DecisionConflictError.status == errors.StaleState.status == 409
    assert not issubclass(errors.ConflictError, errors.StoreError)
    assert errors.AccessDenied.status == 403 and errors.NotFoundError.status == 404 and errors.Busy.status == 503
    assert errors.InputError.exit_code == errors.NotFoundError.exit_code == errors.AccessDenied.exit_code == 2
    assert errors.StoreError.exit_code == errors.ConfigError.exit_code == 1


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{name}")
    def raise_it(name: str) -> None:
        raise _make(getattr(errors, name))

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("cls", _tree(), ids=lambda c: c.__name__)
def test_the_web_answers_with_the_stated_status_and_code(client: TestClient, cls: type[errors.DetenteError]) -> None:
    response = client.get(f"/raise/{cls.__name__}")
    assert response.status_code == cls.status
    body = response.json()["error"]
    assert body["code"] == cls.code
    if cls.status < 500:
        assert "what went wrong" in body["message"] or cls in (errors.StaleSizeError, errors.RateLimited)
    else:
        assert body["message"] == "the server could not complete the request"  # no internals leak
    if issubclass(cls, errors.RateLimited):
        assert response.headers["Retry-After"] == "7"


@pytest.mark.parametrize("cls", _tree(), ids=lambda c: c.__name__)
def test_the_cli_prints_one_line_and_exits_with_the_stated_code(cls: type[errors.DetenteError]) -> None:
    app = typer.Typer()

    @app.command()
    @handle_errors
    def fail() -> None:
        raise _make(cls)

    result = CliRunner().invoke(app, [])
    assert result.exit_code == cls.exit_code
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].endswith(f"[{cls.code}]"), lines
    assert "Traceback" not in result.output
