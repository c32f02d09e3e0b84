from __future__ import annotations

from bca.core.errors import AppError, NotFound


class SearchProfileNotFound(NotFound):
    detail = "The profile does not exist or is not yours."


class InvalidKinds(AppError):
    status = 422
    code = "validation_error"
    detail = "kinds is a comma-separated list of messages, cards, contacts, profiles."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["query", "kinds"], "msg": self.detail}]})
