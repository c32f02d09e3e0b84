"""Errors of the chat domain, each with the stable code API.md names."""

from __future__ import annotations

from bca.core.errors import AppError, Conflict, Forbidden


class Blocked(Forbidden):
    code = "blocked"
    detail = "One of the two profiles blocks the other."


class NotInvitable(Forbidden):
    code = "not_invitable"
    detail = "This profile takes no message requests from you."


class AlreadyParticipant(Conflict):
    detail = "This person already takes part in the chat."


class InvalidField(AppError):
    """A body field that is well-formed but names something unusable (a file, a message)."""

    status = 422
    code = "validation_error"
    detail = "The request is not valid."

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"errors": [{"loc": ["body", field], "msg": message}]})


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    detail = "This Idempotency-Key was used for another request; use a new key."


class ReactionLimitReached(Conflict):
    code = "limit_reached"
    detail = "One person puts at most 20 different emoji on a message."


class PinLimitReached(Conflict):
    code = "limit_reached"
    detail = "A chat has at most 50 pinned messages; unpin one first."
