"""Account administration from the command line."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from bca.accounts.schemas import SignupRequest
from bca.accounts.service import create_account
from bca.backends import create_passwords
from bca.core.db import Database
from bca.core.errors import AppError
from bca.settings import Settings


async def create_user_directly(
    settings: Settings, *, email: str, username: str, password: str, admin: bool
) -> uuid.UUID:
    """Create a verified account; raises ValueError with a readable reason on bad input."""
    try:
        data = SignupRequest(email=email, username=username, password=password)
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'input'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ValueError(reasons) from None
    database = Database(settings.resolved_database_url)
    try:
        async with database.transaction() as session:
            user = await create_account(
                session,
                create_passwords(settings),
                data=data,
                role="admin" if admin else "user",
                verified=True,
            )
            return user.id
    except AppError as error:
        raise ValueError(error.message) from None
    finally:
        await database.dispose()
