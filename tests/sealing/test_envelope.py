"""The envelope formats: what is sealed opens only with its key and purpose; nothing else opens."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.errors import ConfigError, StoreError
from detente.sealing.envelope import (
    MasterKey,
    is_sealed,
    key_id_of,
    new_data_key,
    open_bytes,
    open_text,
    seal_bytes,
    seal_text,
)
from detente.sealing.master import MasterKeys, parse_key_text

KEY = new_data_key("process:1")
OTHER = new_data_key("process:2")


def _find(key_id: bytes):  # type: ignore[no-untyped-def]
    for key in (KEY, OTHER):
        if key.id == key_id:
            return key
    raise StoreError("unknown key")


@given(st.text(), st.sampled_from(["notes.body", "reports.body"]))
def test_text_round_trips_and_names_its_key(plain: str, purpose: str) -> None:
    sealed = seal_text(KEY, purpose, plain)
    assert is_sealed(sealed) and key_id_of(sealed) == KEY.id
    assert open_text(_find, purpose, sealed) == plain


@given(st.binary())
def test_bytes_round_trip_and_never_open_under_another_purpose(plain: bytes) -> None:
    sealed = seal_bytes(KEY, "ledger_entries.data", plain)
    assert open_bytes(_find, "ledger_entries.data", sealed) == plain
    with pytest.raises(StoreError, match="does not open"):
        open_bytes(_find, "evidence:abc", sealed)


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0))
def test_any_changed_byte_is_refused(plain: bytes, where: int) -> None:
    sealed = bytearray(seal_bytes(KEY, "p", plain))
    at = 2 + where % (len(sealed) - 2)  # past the format prefix: the key id, nonce, ciphertext or tag
    sealed[at] ^= 0x01
    with pytest.raises(StoreError):
        open_bytes(_find, "p", bytes(sealed))


def test_a_wrapped_key_opens_only_with_its_master_and_domain() -> None:
    master, other = MasterKey(os.urandom(32)), MasterKey(os.urandom(32))
    wrapped = master.wrap(KEY)
    assert master.unwrap(KEY.id, KEY.domain, wrapped) == KEY
    with pytest.raises(StoreError, match="does not open with this master key"):
        other.unwrap(KEY.id, KEY.domain, wrapped)
    with pytest.raises(StoreError, match="does not open"):
        master.unwrap(KEY.id, "process:2", wrapped)  # a key row relabelled to another process
    assert master.fingerprint != other.fingerprint and len(master.fingerprint) == 16
    assert "secret" not in repr(KEY) and KEY.secret.hex() not in repr(KEY)


@pytest.mark.parametrize(
    ("text", "message"),
    [("not base64!", "not base64"), (base64.b64encode(b"short").decode(), "at least 32 bytes")],
)
def test_a_bad_master_key_setting_is_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"DETENTE_MASTER_KEY: .*{message}"):
        parse_key_text(text, "DETENTE_MASTER_KEY")


def test_master_key_sources(tmp_path: Path) -> None:
    secret = os.urandom(32)
    from_env = MasterKeys.load(tmp_path, environ={"DETENTE_MASTER_KEY": base64.urlsafe_b64encode(secret).decode()})
    assert from_env.keys[0].secret == secret and from_env.file is None
    text_file = tmp_path / "master.b64"
    text_file.write_text(base64.b64encode(secret).decode() + "\n")  # e.g. `openssl rand -base64 32`
    assert MasterKeys.load(None, environ={"DETENTE_MASTER_KEY_FILE": str(text_file)}).keys[0].secret == secret
    with pytest.raises(ConfigError, match="no key file"):
        MasterKeys.load(None, environ={"DETENTE_MASTER_KEY_FILE": str(tmp_path / "missing")})
    made = MasterKeys.load(tmp_path / "ws", environ={})  # the workspace's, created 0600 the first time
    assert made.file is not None and made.file.stat().st_mode & 0o777 == 0o600
    assert MasterKeys.load(tmp_path / "ws", environ={}).keys == made.keys
    with pytest.raises(ConfigError, match="no master key"):
        MasterKeys.load(None, environ={})
