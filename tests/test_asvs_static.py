"""Facts of the source that the ASVS checklist (docs/security.md) relies on and that no behavioural test shows: what
the code never does (run OS commands, evaluate code, unpickle, parse XML, build templates from strings, write HTML
from scripts), which primitives it uses, and what the pages and scripts ask of the browser."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from detente.db.models import User
from detente.errors import InputError
from detente.verification.evidence import EvidenceStore
from support import sealed_evidence_store

SRC = Path(__file__).resolve().parents[1] / "src" / "detente"
WEB = SRC / "web"


def _store(root: Path) -> EvidenceStore:
    return sealed_evidence_store(root)


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _attribute_uses(tree: ast.Module, owner: str) -> set[str]:
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == owner
    }


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


# --- V1: what the code never does ------------------------------------------------------------------------------------

#: modules that run OS commands, deserialise arbitrary objects, or parse XML (none of which Détente needs)
FORBIDDEN_MODULES = ("subprocess", "pickle", "cPickle", "marshal", "shelve", "dill", "xml", "lxml", "pty")
#: YAML (the CBM catalogue, import mappings) is read with the safe loader only
UNSAFE_YAML = {"load", "load_all", "full_load", "full_load_all", "unsafe_load", "unsafe_load_all", "Loader",
               "FullLoader", "UnsafeLoader", "CLoader"}  # fmt: skip
#: calls that run code or a shell
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_OS = {"system", "popen", "execv", "execve", "execvp", "execl", "spawnl", "spawnv", "startfile"}


def test_no_os_commands_dynamic_code_or_unsafe_deserialisers() -> None:
    found: list[str] = []
    for path, tree in _modules():
        for name in _imports(tree):
            if name.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{_rel(path)} imports {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                found.append(f"{_rel(path)}:{node.lineno} calls {node.func.id}()")
        found += [f"{_rel(path)} uses os.{attr}" for attr in _attribute_uses(tree, "os") & FORBIDDEN_OS]
        found += [f"{_rel(path)} uses yaml.{attr}" for attr in _attribute_uses(tree, "yaml") & UNSAFE_YAML]
    assert not found


def test_templates_are_files_and_nothing_in_them_skips_escaping() -> None:
    for path, tree in _modules():
        assert "from_string" not in _attribute_uses(tree, "env"), _rel(path)
        assert "jinja2.Template" not in _imports(tree), _rel(path)
        text = path.read_text(encoding="utf-8")
        assert ".from_string(" not in text and "Template(" not in text.replace("Jinja2Templates(", ""), _rel(path)
    for page in (WEB / "templates").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        # the one value marked safe is the track-record chart, an SVG drawn by detente.web.verification.svg with
        # every text in it escaped (as the other charts, which are Markup built the same way)
        assert re.findall(r"\{\{\s*([\w.]+)\s*\|\s*safe\b", text) in ([], ["chart"]), page.name
        assert "autoescape" not in text, page.name


def test_format_templates_are_the_codes_own() -> None:
    """Every ``str.format`` template is a literal of the code, or one of the few names below bound to one (a link
    pattern the page builds, an SQL snippet constant): no format string comes from input."""
    known = {"link", "SQL_ACTOR_ID", "canon"}
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("format", "format_map"):
                continue
            receiver = node.func.value
            if isinstance(receiver, ast.Constant) and isinstance(receiver.value, str):
                continue
            assert isinstance(receiver, ast.Name) and receiver.id in known, f"{_rel(path)}:{node.lineno}"


# --- outbound requests -----------------------------------------------------------------------------------------------

#: the only modules that open a network connection, and to what
OUTBOUND = {
    "services/witnesses.py": "the witnesses named in a log's policy at the command line",
    "web/witness_runner.py": "its own witness server on loopback (readiness probe)",
}


def test_outbound_requests_go_only_to_the_named_witnesses() -> None:
    clients = ("httpx", "requests", "urllib.request", "urllib3", "aiohttp", "http.client", "socket")
    for path, tree in _modules():
        used = {name for name in _imports(tree) if name.split(".")[0] in clients or name in clients}
        if _rel(path) in OUTBOUND:
            continue
        assert not used, f"{_rel(path)} imports {sorted(used)}"
    # the witnesses (and so the addresses the server calls) are named at the command line only: no web route does it
    for path in sorted(WEB.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "add_witness" not in text and "remove_witness" not in text, _rel(path)


# --- V3, V6, V14: the browser side ----------------------------------------------------------------------------------


def _scripts() -> Iterator[tuple[str, str]]:
    for path in sorted((WEB / "static").glob("*.js")):
        yield path.name, path.read_text(encoding="utf-8")


def test_scripts_insert_text_never_markup_and_run_no_strings() -> None:
    for name, text in _scripts():
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in text, f"{name} uses {sink}"
        assert not re.search(r"set(Timeout|Interval)\(\s*['\"]", text), name
        assert "postMessage" not in text and 'addEventListener("message"' not in text, name


def test_password_fields_are_masked_and_open_to_password_managers() -> None:
    fields = 0
    for page in (WEB / "templates").rglob("*.html"):
        for tag in re.findall(r"<input\b[^>]*>", page.read_text(encoding="utf-8")):
            if re.search(r'name="[^"]*password[^"]*"', tag):
                fields += 1
                assert 'type="password"' in tag, (page.name, tag)
                assert 'autocomplete="off"' not in tag and "onpaste" not in tag, (page.name, tag)
    assert fields >= 4  # sign-in, current and new password, an administrator's initial password
    for name, text in _scripts():
        assert "paste" not in text, name


def test_browser_storage_holds_only_the_seen_checkpoint_and_a_non_extractable_key() -> None:
    """What the scripts keep in the browser (the checklist's V14.3 rows say why it is there and what is open):
    localStorage, the last log checkpoint this browser saw of a process (origin, size, root hash, time); IndexedDB,
    a representative's Ed25519 signing key made by WebCrypto as non-extractable (ADR 0020). Nothing else."""
    seen: dict[str, set[str]] = {}
    for name, text in _scripts():
        for store in ("localStorage", "sessionStorage", "indexedDB", "document.cookie", "caches.open"):
            if store in text:
                seen.setdefault(store, set()).add(name)
    assert seen == {"localStorage": {"verification.js"}, "indexedDB": {"consent.js"}}
    scripts = dict(_scripts())
    assert re.findall(r"localStorage\.setItem\(([^,]+),\s*([^)]+\))", scripts["verification.js"]) == [
        ("key", "JSON.stringify(now)")
    ]
    assert "var now = { size: Number(note.dataset.size), root: note.dataset.root, at:" in scripts["verification.js"]
    keys = re.findall(r"generateKey\(([^)]*)\)", scripts["consent.js"])
    assert keys and all(re.fullmatch(r'\{ name: "Ed25519" \}, false, \["sign", "verify"\]', k) for k in keys)


# --- V6: accounts ----------------------------------------------------------------------------------------------------


def test_accounts_have_no_password_hint_or_secret_question() -> None:
    columns = {c.name for c in User.__table__.columns}
    assert {"username", "password_hash"} <= columns
    assert not [c for c in columns if re.search(r"hint|question|answer|memorable", c)]


# --- V11: primitives -------------------------------------------------------------------------------------------------


def test_hashes_and_ciphers_are_the_approved_ones_from_vetted_libraries() -> None:
    """hashlib only for SHA-256, HMAC only with it, encryption only AES-GCM from `cryptography`; no MD5 anywhere and
    SHA-1 only in a module that makes RFC 6238 TOTP codes (HMAC-SHA-1, allowed as legacy by ASVS appendix C)."""
    crypto_libs = ("Crypto", "Cryptodome", "nacl", "pyaes", "rsa", "tinyec", "ecdsa")
    for path, tree in _modules():
        rel = _rel(path)
        imports = _imports(tree)
        assert not [m for m in imports if m.split(".")[0] in crypto_libs], rel
        assert _attribute_uses(tree, "hashlib") <= {"sha256", "sha512"}, rel
        assert not _attribute_uses(tree, "hashes") & {"MD5", "SHA1"} or (
            "cryptography.hazmat.primitives.twofactor.totp" in imports and "MD5" not in _attribute_uses(tree, "hashes")
        ), rel
        ciphers = {m for m in imports if m.startswith("cryptography.hazmat.primitives.ciphers")}
        assert ciphers <= {
            "cryptography.hazmat.primitives.ciphers.aead",
            "cryptography.hazmat.primitives.ciphers.aead.AESGCM",
        }, rel
        assert not {m for m in imports if "padding" in m or m.endswith(".ECB")}, rel
        for node in ast.walk(tree):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "new" and ast.unparse(func.value) == "hmac":
                assert isinstance(node, ast.Call)
                digest = node.args[2] if len(node.args) > 2 else None
                assert isinstance(digest, ast.Attribute) and digest.attr == "sha256", f"{rel}:{node.lineno}"


# --- V1.3.4: uploaded SVG --------------------------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.mark.parametrize("name", ["drawing.svg", "page.html", "page.htm", "style.css", "app.js", "data.xml"])
def test_evidence_that_calls_itself_svg_or_markup_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="the name says"):
        _store(tmp_path).put(SVG, name)
    stored = _store(tmp_path).put(SVG, "drawing")  # no extension: kept, but only ever as plain text
    assert stored.media_type == "text/plain"
