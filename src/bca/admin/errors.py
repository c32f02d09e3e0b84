from __future__ import annotations

from bca.core.errors import AppError


class NotOnYourself(AppError):
    """Locking, deactivating or demoting oneself would end one's own administration."""

    status = 403
    code = "forbidden"
    detail = "An operator cannot do this to their own account."


class ReasonRequired(AppError):
    status = 422
    code = "validation_error"
    detail = "Give a reason for this action."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["body", "reason"], "msg": self.detail}]})
