"""Sealed columns: sensitive fields encrypted as they are written and opened as they are read (ADR 0024).

A model lists its sealed attributes in ``__sealed__`` (attribute → purpose, the purpose being its table and column)
and names its key domain with ``sealing_domain()`` (``process:<id>``, or ``instance``). Before SQLAlchemy inserts or
updates such a row, :func:`_seal_row` wraps each changed value with the domain's current data key; the column types
(:class:`SealedText`, :class:`SealedJSON`, :class:`SealedBytes`) encrypt the wrapped value on its way to the driver
and open what they read with the :class:`Keyring` attached to the engine (:func:`attach_keyring`). A plain value
reaching a sealed column any other way is refused, so nothing sensitive is written in the clear by mistake.

The keyring itself (data keys in SQL, wrapped by the master key) is :mod:`detente.db.keyring`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, Connection, Dialect, Engine, LargeBinary, Text, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapper, attributes
from sqlalchemy.types import TypeDecorator

from detente.errors import ConfigError, InputError, StoreError
from detente.sealing.envelope import DataKey, is_sealed, open_bytes, open_text, seal_bytes, seal_text
from detente.text import first_bad_text

__all__ = [
    "INSTANCE",
    "KeyHolder",
    "Sealed",
    "SealedBytes",
    "SealedJSON",
    "SealedText",
    "Sealing",
    "keyring_of",
    "process_domain",
    "register_keyring",
    "sealing",
]

INSTANCE = "instance"


def process_domain(process_id: int | None) -> str:
    return INSTANCE if process_id is None else f"process:{process_id}"


@dataclass(frozen=True)
class Sealing:
    """A value on its way into a sealed column, with the data key to seal it with."""

    key: DataKey
    value: Any


class KeyHolder(Protocol):
    """What the sealed columns need of a keyring (:class:`detente.db.keyring.Keyring`)."""

    def current(self, connection: Connection, domain: str) -> DataKey: ...

    def find(self, key_id: bytes) -> DataKey: ...

    #: the key domain of each log (by log id) the keyring has sealed entries of
    log_domains: dict[int, str]


_KEYRINGS: WeakKeyDictionary[Dialect, KeyHolder] = WeakKeyDictionary()


def register_keyring(engine: Engine, keyring: KeyHolder) -> None:
    _KEYRINGS[engine.dialect] = keyring


def keyring_of(bind: Dialect | Connection | Engine) -> KeyHolder:
    dialect = bind if isinstance(bind, Dialect) else bind.dialect
    keyring = _KEYRINGS.get(dialect)
    if keyring is None:
        raise ConfigError(
            "this database seals sensitive fields, but no master key was given: open it with its workspace, or set "
            "DETENTE_MASTER_KEY or DETENTE_MASTER_KEY_FILE"
        )
    return keyring


# --- column types ----------------------------------------------------------------------------------------------------


class _SealedType(TypeDecorator[Any]):
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def _plain(self, value: Any) -> bytes:
        raise NotImplementedError

    def _value(self, plain: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealing):
            return self._seal(value.key, self._plain(value.value))
        if is_sealed(value):  # a sealed value copied as it is (key rotation, the migration)
            return value
        raise StoreError(f"{self.purpose}: a value reached a sealed column without its data key")

    def _seal(self, key: DataKey, plain: bytes) -> Any:
        return seal_text(key, self.purpose, plain.decode("utf-8"))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self._value(open_text(keyring_of(dialect).find, self.purpose, value).encode("utf-8"))


class SealedText(_SealedType):
    """Text, stored as ``ds1:`` sealed text."""

    cache_ok = True

    impl = Text

    def _plain(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise StoreError(f"{self.purpose}: text expected")
        found = first_bad_text(value)
        if found is not None:
            raise InputError(found[1], field=self.purpose.rsplit(".", 1)[-1])
        return value.encode("utf-8")

    def _value(self, plain: bytes) -> Any:
        return plain.decode("utf-8")


class SealedJSON(_SealedType):
    """A JSON document, stored as one JSON string: its sealed canonical text."""

    cache_ok = True

    impl = JSON().with_variant(JSONB(), "postgresql")

    def _plain(self, value: Any) -> bytes:
        found = first_bad_text(value)
        if found is not None:
            raise InputError(found[1], field=self.purpose.rsplit(".", 1)[-1])
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def _value(self, plain: bytes) -> Any:
        return json.loads(plain)


class SealedBytes(_SealedType):
    """Bytes, stored sealed as bytes."""

    cache_ok = True

    impl = LargeBinary

    def _plain(self, value: Any) -> bytes:
        return bytes(value)

    def _seal(self, key: DataKey, plain: bytes) -> Any:
        return seal_bytes(key, self.purpose, plain)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return open_bytes(keyring_of(dialect).find, self.purpose, bytes(value))


# --- sealing rows as the ORM writes them -----------------------------------------------------------------------------


class Sealed:
    """Mixin of a model with sealed attributes."""

    __sealed__: ClassVar[dict[str, str]] = {}

    def sealing_domain(self, connection: Connection) -> str:
        """The key domain of the row: its process's, or the instance's."""
        return process_domain(getattr(self, "process_id", None))


def sealing(connection: Connection, domain: str, value: Any) -> Sealing | None:
    """*value* ready for a sealed column in a Core statement (``update(...).values(body=sealing(...))``)."""
    if value is None:
        return None
    return Sealing(keyring_of(connection).current(connection, domain), value)


def _changed(target: Any, names: Iterable[str], *, new: bool) -> list[str]:
    if new:
        return list(names)
    state = attributes.instance_state(target)
    return [n for n in names if state.attrs[n].history.has_changes()]


def _seal_row(_mapper: Mapper[Any], connection: Connection, target: Any, *, new: bool) -> None:
    names = _changed(target, type(target).__sealed__, new=new)
    pending: dict[str, Any] = {}
    for name in names:
        value = getattr(target, name)
        if value is None or isinstance(value, Sealing):
            continue
        pending[name] = value
    if not pending:
        return
    key = keyring_of(connection).current(connection, target.sealing_domain(connection))
    for name, value in pending.items():
        setattr(target, name, Sealing(key, value))
    target.__dict__["_sealing_plain"] = pending


def _restore_row(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    pending = target.__dict__.pop("_sealing_plain", None)
    for name, value in (pending or {}).items():
        attributes.set_committed_value(target, name, value)


@event.listens_for(Sealed, "before_insert", propagate=True)
def _before_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _seal_row(mapper, connection, target, new=True)


@event.listens_for(Sealed, "before_update", propagate=True)
def _before_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _seal_row(mapper, connection, target, new=False)


event.listen(Sealed, "after_insert", _restore_row, propagate=True)
event.listen(Sealed, "after_update", _restore_row, propagate=True)
