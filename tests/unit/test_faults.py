"""Which errors mean "a backend is unreachable just now" (503) and which are defects (500)."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest
import redis.exceptions
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bca.core.faults import is_backend_unavailable


def wrapped(cause: BaseException) -> Exception:
    """As SQLAlchemy raises a driver's error: a DBAPIError whose ``orig`` is the driver's."""
    return DBAPIError("SELECT 1", {}, cause)


def starting_up() -> Exception:
    error: Exception = asyncpg.exceptions.CannotConnectNowError(
        "the database system is starting up"
    )
    return error


def raised_from(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"),
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432)"),
        starting_up(),
        wrapped(starting_up()),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")),
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        raised_from(RuntimeError("rollback failed"), ConnectionResetError()),
    ],
    ids=repr,
)
def test_outages_are_unavailable(error: Exception) -> None:
    assert is_backend_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        KeyError("x"),
        redis.exceptions.ResponseError("WRONGTYPE Operation against a key"),
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        wrapped(asyncpg.exceptions.UndefinedColumnError("column x does not exist")),
        FileNotFoundError(2, "No such file or directory"),
        PermissionError(13, "Permission denied"),
    ],
    ids=repr,
)
def test_defects_are_not(error: Exception) -> None:
    assert not is_backend_unavailable(error)
