"""Errors of the actors capability (subclasses of the project's exception tree)."""

from __future__ import annotations

from detente.errors import ConflictError, InputError, NotFoundError

__all__ = ["ActorNotFoundError", "DecisionConflictError", "RegistryInputError"]


class ActorNotFoundError(NotFoundError):
    """An actor id, source key or decision id that the registry does not hold."""

    code = "actor_not_found"


class DecisionConflictError(ConflictError):
    """A merge, rejection or undo that contradicts the decisions already recorded."""

    code = "actor_decision_conflict"


class RegistryInputError(InputError):
    """A registry, decision or profile file (or an analyst's entry) that is not valid."""

    code = "actor_input_error"
