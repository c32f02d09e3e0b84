from __future__ import annotations

from bca.core.errors import AppError


class CursorExpired(AppError):
    status = 410
    code = "cursor_expired"
    detail = "This cursor is older than the kept change log (or unknown): take a snapshot."


class SchemaUnsupported(AppError):
    """The client reads another snapshot schema than this server writes (an app older or
    newer than the server): it must be updated; its reads go to the network meanwhile."""

    status = 406
    code = "schema_unsupported"
    detail = "This server's snapshots have another schema version: update the app."
