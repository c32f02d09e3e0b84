from bca.core.errors import AppError, Conflict, NotFound


class ScanNotFound(NotFound):
    detail = "The scan does not exist or is not yours."


class ScanNotDone(Conflict):
    detail = "Only a scan that was read (status done) can be accepted."


class InvalidRegion(AppError):
    status = 422
    code = "validation_error"
    detail = "region must be a two-letter region code phone numbers are known for (e.g. KR, US)."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["query", "region"], "msg": self.detail}]})


class InvalidAcceptedFields(AppError):
    """The proposal with the client's corrections is still no valid contact (no name...)."""

    status = 422
    code = "validation_error"
    detail = "The accepted fields do not make a valid contact."

    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__(extra={"errors": errors})


class TooManyPendingScans(AppError):
    """A person's scans wait for the same few readers as everyone's: past a handful still
    being read, new ones wait until those are done."""

    status = 429
    code = "scans_pending"
    detail = "Too many of your scans are still being read; send more when they are done."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "5"})
