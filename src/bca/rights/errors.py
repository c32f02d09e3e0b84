"""Errors of exports."""

from __future__ import annotations

from bca.core.errors import Conflict, NotFound


class ExportPending(Conflict):
    """One export at a time: the last one is still being built."""

    code = "export_pending"
    detail = "An export is being prepared already; it is mailed when it is ready."


class ExportNotFound(NotFound):
    """Not theirs, not ready, or past its week."""
