"""The one table of admin actions, ``ACTIONS``: each row names the action, what it applies to,
the domain service function it runs, and how ``bca admin users`` offers it (``shell``).

The rows call the same domain services the API or the owner would (so a lock revokes sessions
on every instance at once, a deleted profile leaves everyone's sync copy); ``service.perform``
takes them and writes their audit record."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import administration as accounts
from bca.accounts.models import AuthSession, User
from bca.backends import Backends
from bca.cards.models import Card
from bca.cards.service import admin_delete_card
from bca.core.errors import NotFound
from bca.core.time import utcnow
from bca.files.models import StoredFile
from bca.files.service import admin_delete_file
from bca.moderation import service as moderation
from bca.moderation.models import Report
from bca.profiles.models import Profile
from bca.profiles.service import admin_delete_profile
from bca.rights.erasure import erase_soon
from bca.sync.service import request_rebuild

Run = Callable[[AsyncSession, Backends, uuid.UUID], Awaitable[dict[str, Any]]]
LocksOut = Callable[[AsyncSession, uuid.UUID], Awaitable[uuid.UUID | None]]
"""The account an action on a target would lock out of administration (None: nobody)."""


@dataclass(frozen=True)
class Shell:
    """How ``bca admin users <name> USER`` offers an action on an account."""

    help: str
    unchanged: str
    """Said, and nothing done, when the action does not apply to the account in its state:
    ``{user}`` is the account (``ada <ada@example.com>``)."""
    done: Callable[[str, dict[str, Any]], str]
    """The sentence after the action: from the account and the audit record's details."""


@dataclass(frozen=True)
class Action:
    """One row of the table: an action on one type of target, and where it is offered."""

    target_type: str
    name: str
    label: str
    run: Run
    """The domain service call; answers the audit record's details."""
    applies: Callable[[Any], bool] = lambda _target: True
    destructive: bool = False
    asks_reason: bool = False
    reason_required: bool = False
    locks_out: LocksOut | None = None
    """The account the action locks, deactivates, erases or demotes: refused when it is the
    actor's own (it would end their administration), whatever the target names it through
    (the account itself, a report against it)."""
    shell: Shell | None = None
    """Offered by ``bca admin users`` when set (user actions only)."""

    @property
    def audit_name(self) -> str:
        """The audit record's ``action``: ``user.lock``."""
        return f"{self.target_type}.{self.name}"


async def _the_account(_session: AsyncSession, target: uuid.UUID) -> uuid.UUID:
    return target


def _user_step(
    step: Callable[[AsyncSession, Backends, uuid.UUID], Awaitable[object]],
) -> Run:
    async def run(session: AsyncSession, backends: Backends, target: uuid.UUID) -> dict[str, Any]:
        await step(session, backends, target)
        return {}

    return run


async def _lock(session: AsyncSession, backends: Backends, target: uuid.UUID) -> object:
    return await accounts.set_locked(session, backends, user_id=target, locked=True)


async def _unlock(session: AsyncSession, backends: Backends, target: uuid.UUID) -> object:
    return await accounts.set_locked(session, backends, user_id=target, locked=False)


async def _verify(session: AsyncSession, _backends: Backends, target: uuid.UUID) -> object:
    return await accounts.admin_verify_email(session, user_id=target)


async def _promote(session: AsyncSession, _backends: Backends, target: uuid.UUID) -> object:
    return await accounts.set_role(session, user_id=target, role="admin")


async def _demote(session: AsyncSession, _backends: Backends, target: uuid.UUID) -> object:
    return await accounts.set_role(session, user_id=target, role="user")


async def _deactivate(session: AsyncSession, backends: Backends, target: uuid.UUID) -> object:
    return await accounts.admin_deactivate(session, backends, user_id=target)


async def _restore(session: AsyncSession, _backends: Backends, target: uuid.UUID) -> object:
    return await accounts.restore(session, user_id=target)


async def _erase(session: AsyncSession, backends: Backends, target: uuid.UUID) -> object:
    return await erase_soon(session, backends, user_id=target)


async def _revoke_sessions(
    session: AsyncSession, backends: Backends, target: uuid.UUID
) -> dict[str, Any]:
    revoked = await accounts.admin_revoke_sessions(session, backends, user_id=target)
    return {"sessions_revoked": len(revoked)}


async def _rebuild_snapshot(
    session: AsyncSession, backends: Backends, target: uuid.UUID
) -> dict[str, Any]:
    user = await session.get(User, target)
    if user is None:
        raise NotFound()
    await request_rebuild(session, backends, user=user)
    return {}


async def _revoke_session(
    session: AsyncSession, backends: Backends, target: uuid.UUID
) -> dict[str, Any]:
    revoked = await accounts.admin_revoke_session(session, backends, session_id=target)
    return {"user_id": str(revoked.user_id)}


async def _delete_profile(
    session: AsyncSession, _backends: Backends, target: uuid.UUID
) -> dict[str, Any]:
    profile = await admin_delete_profile(session, profile_id=target)
    return {"user_id": str(profile.user_id), "name": profile.name}


async def _delete_card(
    session: AsyncSession, _backends: Backends, target: uuid.UUID
) -> dict[str, Any]:
    card = await admin_delete_card(session, card_id=target)
    return {"profile_id": str(card.profile_id), "name": card.name}


async def _delete_file(
    session: AsyncSession, backends: Backends, target: uuid.UUID
) -> dict[str, Any]:
    row = await admin_delete_file(session, backends, file_id=target)
    return {"owner_user_id": str(row.owner_user_id), "sha256": row.sha256}


def _is_user(check: Callable[[User], bool]) -> Callable[[Any], bool]:
    return lambda target: isinstance(target, User) and check(target)


def _deletion(
    target_type: str, label: str, run: Run, model: type[Any], *, reason_required: bool
) -> Action:
    """An operator's soft-delete, offered while the row is not deleted yet."""
    return Action(
        target_type,
        "delete",
        label,
        run,
        lambda target: isinstance(target, model) and target.deleted_at is None,
        destructive=True,
        asks_reason=True,
        reason_required=reason_required,
    )


def _open_report(kind: str | None = None) -> Callable[[Any], bool]:
    """Offered on an open report (of ``kind``, when given): a report is resolved once."""
    return lambda target: (
        isinstance(target, Report)
        and target.status == "open"
        and (kind is None or target.kind == kind)
    )


def _said(sentence: str) -> Callable[[str, dict[str, Any]], str]:
    return lambda user, _details: sentence.format(user=user)


def _sessions_revoked(user: str, details: dict[str, Any]) -> str:
    count = details["sessions_revoked"]
    return f"{user}: {count} session{'' if count == 1 else 's'} revoked"


ACTIONS: tuple[Action, ...] = (
    Action(
        "user",
        "lock",
        "Lock",
        _user_step(_lock),
        _is_user(lambda user: not user.locked),
        destructive=True,
        locks_out=_the_account,
        shell=Shell(
            "Lock the account: it cannot sign in, and is signed out on every device.",
            "{user} was already locked",
            _said("{user} locked; signed out on every device"),
        ),
    ),
    Action(
        "user",
        "unlock",
        "Unlock",
        _user_step(_unlock),
        _is_user(lambda user: user.locked),
        shell=Shell("Unlock the account.", "{user} was already unlocked", _said("{user} unlocked")),
    ),
    Action(
        "user",
        "verify",
        "Mark email verified",
        _user_step(_verify),
        _is_user(lambda user: user.email_verified_at is None),
        shell=Shell(
            "Mark the account's email address verified (you confirmed it another way).",
            "{user}: the address was already verified",
            _said("{user}: address marked verified"),
        ),
    ),
    Action(
        "user",
        "promote",
        "Make admin",
        _user_step(_promote),
        _is_user(lambda user: user.role != "admin"),
        destructive=True,
        shell=Shell(
            "Give the account the admin role.",
            "{user} already has the role admin",
            _said("{user} now has the role admin"),
        ),
    ),
    Action(
        "user",
        "demote",
        "Remove admin role",
        _user_step(_demote),
        _is_user(lambda user: user.role == "admin"),
        destructive=True,
        locks_out=_the_account,
        shell=Shell(
            "Take the admin role away (the account stays a normal user).",
            "{user} already has the role user",
            _said("{user} now has the role user"),
        ),
    ),
    Action(
        "user",
        "deactivate",
        "Deactivate",
        _user_step(_deactivate),
        _is_user(lambda user: user.deactivated_at is None),
        destructive=True,
        asks_reason=True,
        locks_out=_the_account,
        shell=Shell(
            "Deactivate the account (as if its owner deleted it; can be restored).",
            "{user} was already deactivated",
            _said("{user} deactivated: signed out, profiles hidden from everyone"),
        ),
    ),
    Action(
        "user",
        "restore",
        "Restore",
        _user_step(_restore),
        _is_user(lambda user: user.deactivated_at is not None),
        shell=Shell(
            "Undo a deactivation: the account may sign in and its profiles show again.",
            "{user} is not deactivated",
            _said("{user} restored: may sign in again, profiles visible again"),
        ),
    ),
    Action(
        "user",
        "erase",
        "Erase",
        _user_step(_erase),
        _is_user(lambda user: user.erase_after is None or user.erase_after > utcnow()),
        destructive=True,
        asks_reason=True,
        reason_required=True,
        locks_out=_the_account,
        shell=Shell(
            "Erase the account and everything of its owner now (cannot be undone; their "
            "messages in chats with others stay as redacted events).",
            "{user} is being erased already",
            _said("{user} deactivated; erasure of everything of theirs under way"),
        ),
    ),
    Action(
        "user",
        "revoke-sessions",
        "Revoke all sessions",
        _revoke_sessions,
        destructive=True,
        shell=Shell("Sign the account out on every device.", "", _sessions_revoked),
    ),
    Action("user", "rebuild-snapshot", "Rebuild sync snapshot", _rebuild_snapshot),
    Action(
        "session",
        "revoke",
        "Revoke session",
        _revoke_session,
        lambda target: isinstance(target, AuthSession) and target.revoked_at is None,
        destructive=True,
    ),
    _deletion("profile", "Delete profile", _delete_profile, Profile, reason_required=True),
    _deletion("card", "Delete card", _delete_card, Card, reason_required=True),
    _deletion("file", "Delete file", _delete_file, StoredFile, reason_required=False),
    # The moderation queue: each resolves the report; its reporter reads the outcome.
    Action("report", "dismiss", "Dismiss", moderation.dismiss, _open_report(), asks_reason=True),
    Action(
        "report",
        "remove-message",
        "Remove the message",
        moderation.remove_message,
        _open_report("message"),
        destructive=True,
        asks_reason=True,
    ),
    Action(
        "report",
        "hide-card",
        "Hide the card",
        moderation.hide_card,
        _open_report("card"),
        destructive=True,
        asks_reason=True,
    ),
    Action(
        "report",
        "lock-account",
        "Lock the reported account",
        moderation.lock_account,
        _open_report(),
        destructive=True,
        asks_reason=True,
        locks_out=moderation.reported_account,
    ),
)
_BY_KEY = {(action.target_type, action.name): action for action in ACTIONS}


def find_action(target_type: str, name: str) -> Action:
    action = _BY_KEY.get((target_type, name))
    if action is None:
        raise NotFound()
    return action


def actions_for(target_type: str, target: object) -> list[Action]:
    """The actions that make sense for the target in its current state."""
    return [
        action for action in ACTIONS if action.target_type == target_type and action.applies(target)
    ]
