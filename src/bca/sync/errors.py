from __future__ import annotations

from bca.core.errors import AppError


class CursorExpired(AppError):
    status = 410
    code = "cursor_expired"
    detail = "This cursor is older than the kept change log (or unknown): take a snapshot."
