"""The data keys of a database, wrapped by the master key, and the keyring that opens them (ADR 0024).

``data_keys`` holds every data key wrapped by the master key; ``keyring_state`` names the master key they are wrapped
by, so a server still holding an older master key after a rotation stops instead of wrapping new keys with it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Integer, LargeBinary, String, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from detente.clock import Clock
from detente.db.models import Base, SecondFactor
from detente.db.sealed import register_keyring
from detente.db.second_factor import open_secret, seal_secret
from detente.db.types import UTCDateTime
from detente.db.verification_models import LedgerLog, UserKey
from detente.errors import ConfigError, StoreError
from detente.sealing.envelope import DataKey, MasterKey, new_data_key, open_bytes, seal_bytes
from detente.sealing.master import MasterKeys
from detente.verification.keys import KeyVault

__all__ = ["DataKeyRow", "Keyring", "KeyringState", "Rewrapped", "attach_keyring", "retire_data_keys", "rewrap_all"]


class DataKeyRow(Base):
    """A data key, wrapped by the master key ``master``; the newest unretired one of a domain seals new values."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 16 random bytes, hex
    domain: Mapped[str] = mapped_column(String(40), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    master: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KeyringState(Base):
    """One row: the fingerprint of the master key every data key is wrapped by, and when it last changed."""

    __tablename__ = "keyring_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    master: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: how long a server trusts its memory of a domain's current data key (a rotation elsewhere shows within this)
_CURRENT_TTL = 60.0


class Keyring:
    """The data keys of one database, opened with the master key and kept in memory."""

    def __init__(self, engine: Engine, masters: MasterKeys, *, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.masters = masters
        self._keys: dict[bytes, DataKey] = {}
        self._current: dict[str, tuple[float, DataKey]] = {}
        self._master: MasterKey | None = None
        self.log_domains: dict[int, str] = {}
        self._lock = threading.Lock()

    # --- the master key ------------------------------------------------------------------------------------------

    def master(self, connection: Connection | None = None) -> MasterKey:
        """The master key the database's data keys are wrapped by (recorded the first time on a new database)."""
        if self._master is not None:
            return self._master
        if connection is None:
            with self.engine.begin() as conn:
                return self.master(conn)
        state = connection.execute(select(KeyringState.master).where(KeyringState.id == 1)).scalar_one_or_none()
        if state is None:
            key = self.masters.keys[-1]
            connection.execute(insert(KeyringState).values(id=1, master=key.fingerprint, changed_at=self.clock()))
        else:
            key = self.masters.by_fingerprint(state)
            self.masters.settle(state)
        self._master = key
        return key

    def check_master(self, connection: Connection) -> MasterKey:
        """The master key, re-read from the database: a server left with an older key after a rotation stops."""
        state = connection.execute(select(KeyringState.master).where(KeyringState.id == 1)).scalar_one_or_none()
        mine = self.master(connection)
        if state is not None and state != mine.fingerprint:
            raise ConfigError(
                f"the master key was rotated to {state} while this program ran with {mine.fingerprint}: restart it "
                "with the new key"
            )
        return mine

    def forget(self) -> None:
        """Drop everything held in memory (after a rotation)."""
        with self._lock:
            self._keys.clear()
            self._current.clear()
            self._master = None

    # --- data keys -----------------------------------------------------------------------------------------------

    def current(self, connection: Connection, domain: str) -> DataKey:
        """The key new values of *domain* are sealed with, made the first time (in the caller's transaction)."""
        now = time.monotonic()
        held = self._current.get(domain)
        if held is not None and now - held[0] < _CURRENT_TTL:
            return held[1]
        row = connection.execute(
            select(DataKeyRow)
            .where(DataKeyRow.domain == domain, DataKeyRow.retired_at.is_(None))
            .order_by(DataKeyRow.created_at.desc(), DataKeyRow.id)
            .limit(1)
        ).first()
        if row is not None:
            key = self._unwrap(row.id, row.domain, bytes(row.wrapped), row.master)
        else:
            key = self.new_key(connection, domain)
        with self._lock:
            self._current[domain] = (now, key)
        return key

    def new_key(self, connection: Connection, domain: str) -> DataKey:
        """A fresh data key for *domain*, stored wrapped; it seals the domain's values from now on."""
        master = self.check_master(connection)
        key = new_data_key(domain)
        connection.execute(
            insert(DataKeyRow).values(
                id=key.id.hex(),
                domain=domain,
                wrapped=master.wrap(key),
                master=master.fingerprint,
                created_at=self.clock(),
            )
        )
        with self._lock:
            self._keys[key.id] = key
            self._current[domain] = (time.monotonic(), key)
        return key

    def find(self, key_id: bytes) -> DataKey:
        """The data key *key_id* (read from the database the first time)."""
        key = self._keys.get(key_id)
        if key is not None:
            return key
        with self.engine.connect() as conn:
            row = conn.execute(select(DataKeyRow).where(DataKeyRow.id == key_id.hex())).first()
        if row is None:
            raise StoreError(f"a sealed value names data key {key_id.hex()}, which this database does not hold")
        return self._unwrap(row.id, row.domain, bytes(row.wrapped), row.master)

    def _unwrap(self, key_id: str, domain: str, wrapped: bytes, master: str) -> DataKey:
        raw = bytes.fromhex(key_id)
        key = self._keys.get(raw)
        if key is None:
            key = self.masters.by_fingerprint(master).unwrap(raw, domain, wrapped)
            with self._lock:
                self._keys[raw] = key
        return key

    def seal_bytes(self, connection: Connection, domain: str, purpose: str, data: bytes) -> bytes:
        return seal_bytes(self.current(connection, domain), purpose, data)

    def open_bytes(self, purpose: str, sealed: bytes) -> bytes:
        return open_bytes(self.find, purpose, sealed)


def attach_keyring(engine: Engine, masters: MasterKeys, *, clock: Clock) -> Keyring:
    """Give *engine* the keyring its sealed columns are read and written with."""
    keyring = Keyring(engine, masters, clock=clock)
    register_keyring(engine, keyring)
    return keyring


@dataclass(frozen=True)
class Rewrapped:
    """What a master-key rotation changed (``signing_keys`` counts the second factors' seeds too)."""

    data_keys: int
    signing_keys: int


def rewrap_all(connection: Connection, old: MasterKey, new: MasterKey, *, at: datetime) -> Rewrapped:
    """Re-wrap every data key and re-seal every signing key (process logs', users') and second-factor seed under
    *new*, and record *new*
    as the database's master key — in the caller's transaction, so either all of it changes or none."""
    state = connection.execute(select(KeyringState.master).where(KeyringState.id == 1)).scalar_one_or_none()
    if state is not None and state != old.fingerprint:
        raise ConfigError(f"the database's keys are wrapped by {state}, not by the configured {old.fingerprint}")
    rows = connection.execute(select(DataKeyRow.id, DataKeyRow.domain, DataKeyRow.wrapped, DataKeyRow.master)).all()
    for key_id, domain, wrapped, master in rows:
        if master != old.fingerprint:
            raise ConfigError(f"data key {key_id} is wrapped by {master}, not by the configured {old.fingerprint}")
        key = old.unwrap(bytes.fromhex(key_id), domain, bytes(wrapped))
        connection.execute(
            update(DataKeyRow).where(DataKeyRow.id == key_id).values(wrapped=new.wrap(key), master=new.fingerprint)
        )
    old_vault, new_vault = KeyVault(old.secret), KeyVault(new.secret)
    signing = 0
    for log_id, process_id, sealed in connection.execute(
        select(LedgerLog.id, LedgerLog.process_id, LedgerLog.sealed_key)
    ).all():
        purpose = f"process:{process_id}"
        resealed = new_vault.seal(old_vault.open(bytes(sealed), purpose), purpose)
        connection.execute(update(LedgerLog).where(LedgerLog.id == log_id).values(sealed_key=resealed))
        signing += 1
    for user_id, sealed in connection.execute(select(UserKey.user_id, UserKey.sealed_key)).all():
        purpose = f"user:{user_id}"
        resealed = new_vault.seal(old_vault.open(bytes(sealed), purpose), purpose)
        connection.execute(update(UserKey).where(UserKey.user_id == user_id).values(sealed_key=resealed))
        signing += 1
    for user_id, sealed in connection.execute(select(SecondFactor.user_id, SecondFactor.sealed_secret)).all():
        seed = open_secret(old_vault, user_id, bytes(sealed))
        connection.execute(
            update(SecondFactor)
            .where(SecondFactor.user_id == user_id)
            .values(sealed_secret=seal_secret(new_vault, user_id, seed))
        )
        signing += 1
    if state is None:
        connection.execute(insert(KeyringState).values(id=1, master=new.fingerprint, changed_at=at))
    else:
        connection.execute(
            update(KeyringState).where(KeyringState.id == 1).values(master=new.fingerprint, changed_at=at)
        )
    return Rewrapped(data_keys=len(rows), signing_keys=signing)


def retire_data_keys(connection: Connection, domains: list[str] | None, *, at: datetime) -> int:
    """Retire the current data keys of *domains* (all when None): the next value sealed in each makes a new key.
    Retired keys still open what they sealed."""
    query = update(DataKeyRow).where(DataKeyRow.retired_at.is_(None))
    if domains is not None:
        query = query.where(DataKeyRow.domain.in_(domains))
    result = connection.execute(query.values(retired_at=at))
    return int(getattr(result, "rowcount", 0) or 0)
