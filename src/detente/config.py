"""Settings, read from ``DETENTE_*`` environment variables and validated at start."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.errors import ConfigError

__all__ = [
    "SECOND_FACTOR_GROUPS",
    "Network",
    "Settings",
    "load_settings",
    "parse_networks",
    "parse_second_factor_groups",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: who ``DETENTE_REQUIRE_SECOND_FACTOR`` may name: instance administrators, mediators of any process
SECOND_FACTOR_GROUPS = ("admin", "mediator")


def parse_second_factor_groups(text: str) -> frozenset[str]:
    """``none`` (or nothing): an empty set; else a comma-separated list from :data:`SECOND_FACTOR_GROUPS`."""
    items = {part.strip().lower() for part in text.split(",") if part.strip()}
    if not items or items == {"none"}:
        return frozenset()
    unknown = sorted(items - set(SECOND_FACTOR_GROUPS))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not one of: none, or a comma-separated list of admin, mediator")
    return frozenset(items)


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or CIDR networks; a bad one raises ``ValueError`` naming it."""
    networks: list[Network] = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
    return tuple(networks)


class Settings(BaseSettings):
    """Process-wide settings. Every field can be set as ``DETENTE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DETENTE_", extra="ignore", frozen=True)

    workspace: Path = Field(default=Path("detente-workspace"), description="workspace directory")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file inside the workspace"
    )
    duckdb_memory_limit: str = Field(default="1GB", description="memory cap of the embedded DuckDB engine")
    duckdb_threads: int = Field(default=0, ge=0, description="DuckDB threads; 0 = one per core")
    ingest_batch_rows: int = Field(
        default=50_000, ge=1_000, le=10_000_000, description="rows per batch of the exact import path"
    )
    ledger_audit_minutes: float = Field(
        default=60,
        ge=0,
        le=10_080,
        description="`serve`: minutes between checks of every record against the log; 0 = off",
    )
    trusted_proxies: str = Field(
        default="",
        description="reverse proxies (IP addresses or CIDR networks, comma-separated) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; from any other peer they are ignored",
    )
    session_idle_minutes: float = Field(
        default=30, gt=0, le=10_080, description="a browser session unused this long ends (idle timeout)"
    )
    session_absolute_hours: float = Field(
        default=12, gt=0, le=720, description="a browser session ends this long after sign-in, used or not"
    )
    max_json_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="web: largest request body other than a multipart upload (JSON, forms), in bytes",
    )
    max_upload_bytes: int = Field(
        default=5 * 20 * 1024 * 1024 + 1024 * 1024,
        ge=1024,
        description="web: largest multipart request (evidence: 5 files of 20 MiB, plus 1 MiB for the form), in bytes",
    )
    base_url: str | None = Field(
        default=None,
        description="web: the workbench's public address (https://host[:port][/prefix]) for absolute links; "
        "unset: links are relative, never built from the request's Host header",
    )
    require_second_factor: str = Field(
        default="none",
        description="who must set up a second factor (TOTP) before they may do anything: none, or a "
        "comma-separated list of admin (instance administrators) and mediator (mediators of any process)",
    )
    require_shared_data: bool = Field(default=False, description="tests: fail instead of skip without ../shared")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        parse_networks(value)
        return value.strip()

    @field_validator("require_second_factor")
    @classmethod
    def _second_factor(cls, value: str) -> str:
        groups = parse_second_factor_groups(value)
        return ",".join(g for g in SECOND_FACTOR_GROUPS if g in groups) or "none"

    @property
    def second_factor_groups(self) -> frozenset[str]:
        """The groups ``require_second_factor`` names (empty: nobody is required to)."""
        return parse_second_factor_groups(self.require_second_factor)

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_limit(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip(), re.IGNORECASE):
            raise ValueError("expected a size such as 512MB or 2GB")
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("expected an address such as https://detente.example.org or https://host/prefix")
        return value.strip().rstrip("/")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises :class:`ConfigError` naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DETENTE_" + "_".join(str(p) for p in first["loc"]).upper()
        raise ConfigError(f"{name}: {first['msg']}") from exc
