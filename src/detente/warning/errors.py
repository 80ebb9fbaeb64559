"""Errors of the early-warning capability (subclasses of the project's exception tree)."""

from __future__ import annotations

from detente.errors import ConfigError, InputError, NotFoundError

__all__ = ["MissingExtraError", "UnknownConfigError", "WarningDataError"]


class MissingExtraError(ConfigError):
    """An optional dependency is not installed; the message says how to install it."""

    code = "missing_extra"


class UnknownConfigError(NotFoundError):
    """No backtest or forecast configuration has this name."""

    code = "unknown_config"


class WarningDataError(InputError):
    """A panel source (UCDP BRD/ACD table, Early Warning Project table, covariates) is missing columns or values."""

    code = "warning_data"
