"""How a request reaches the backends: ``Annotated`` dependencies every domain's routes use.

Every dependency is ``async def``: FastAPI runs a plain ``def`` in a worker thread, a thread
hop per dependency per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.settings import Settings


async def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


BackendsDep = Annotated[Backends, Depends(get_backends)]


async def get_settings(backends: BackendsDep) -> Settings:
    return backends.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(backends: BackendsDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work (``Database.transaction``): committed before the response
    leaves, rolled back on error, its outbox released after the commit."""
    async with backends.database.transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
