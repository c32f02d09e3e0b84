"""Which errors mean "a backend is unreachable just now" (503) and which are defects (500)."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import httpx
import pytest
import redis.exceptions
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bca.core.faults import BackendFaults, is_backend_unavailable


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


def flaky_app() -> tuple[FastAPI, list[str]]:
    """Every route fails its first call with a dropped connection, then succeeds."""
    calls: list[str] = []
    app = FastAPI()
    app.add_middleware(BackendFaults)

    def fail_first(name: str) -> None:
        calls.append(name)
        if calls.count(name) == 1:
            raise wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))

    @app.get("/read")
    async def read() -> dict[str, str]:
        fail_first("read")
        return {"status": "ok"}

    @app.post("/write")
    async def write() -> dict[str, str]:
        fail_first("write")
        return {"status": "ok"}

    @app.get("/broken")
    async def broken() -> None:
        calls.append("broken")
        raise ValueError("a defect, not an outage")

    return app, calls


async def test_a_read_is_run_again_once_and_a_write_answers_503() -> None:
    app, calls = flaky_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        read = await client.get("/read")
        write = await client.post("/write")
        again = await client.post("/write")
        broken = await client.get("/broken")
    assert read.status_code == 200
    assert write.status_code == 503
    assert write.headers["content-type"] == "application/problem+json"
    assert write.json()["code"] == "unavailable"
    assert write.headers["Retry-After"] == "5"
    assert again.status_code == 200  # the client's retry
    assert broken.status_code == 500  # not run again, not hidden as an outage
    assert calls == ["read", "read", "write", "write", "broken"]
