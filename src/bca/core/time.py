from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, as API.md prescribes."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
