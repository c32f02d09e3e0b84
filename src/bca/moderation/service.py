"""The rules of reports: who may report what, what the report keeps, and what a moderator's
action on it does.

- A profile reports, as one of its user's profiles (``{me}``), a message it reads in a chat
  (a participant when it was posted), a profile or a card it sees; anything else is 404 like
  a missing one. The report keeps the reporter's copy of a reported message (body, author,
  time): it stays with the report if the message is later edited or deleted.
- Reports are limited per user and day (429).
- A moderator (the admin console, ``bca.admin.actions``) resolves an open report once:
  dismiss, remove the message for everyone, hide the card (an operator's soft-delete) or
  lock the reported account. Each action is audited by the admin domain; the report's
  ``status`` is the outcome its reporter reads (``GET /v1/reports``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import administration as accounts
from bca.accounts.models import User
from bca.backends import Backends
from bca.cards.errors import CardNotFound
from bca.cards.service import admin_delete_card, require_visible_card
from bca.chat.models import ChatEvent
from bca.chat.removal import remove_message_for_everyone
from bca.core.errors import NotFound
from bca.core.ratelimit import Limit, RateLimiter
from bca.core.time import utcnow
from bca.moderation import repository
from bca.moderation.errors import NotApplicable, ReportAlreadyResolved, ReportTargetNotFound
from bca.moderation.models import Report
from bca.moderation.schemas import ReportCreate
from bca.profiles.models import Profile
from bca.profiles.service import require_own_profile, require_visible_profile

REPORTS_PER_USER = Limit(20, 24 * 3600)


async def create_report(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    data: ReportCreate,
) -> Report:
    me = await require_own_profile(session, user=user, profile_id=my_profile_id)
    limiter = RateLimiter(backends.cache, enabled=backends.settings.rate_limit_enabled)
    await limiter.hit("reports-user", str(user.id), REPORTS_PER_USER)
    report = Report(
        reporter_user_id=user.id,
        reporter_profile_id=me.id,
        kind=data.kind,
        reason=data.reason,
        text=data.text or None,
        status="open",
        created_at=utcnow(),
    )
    if data.kind == "message":
        assert data.chat_id is not None  # the schema's rule
        assert data.index is not None
        message = await repository.visible_message(
            session, user_id=user.id, profile_id=me.id, chat_id=data.chat_id, index=data.index
        )
        if message is None:
            raise ReportTargetNotFound()
        author = await session.get(Profile, message.profile_id)
        assert author is not None
        report.profile_id, report.reported_user_id = author.id, author.user_id
        report.chat_id, report.message_index = message.chat_id, message.index
        report.message_body, report.message_sent_at = message.body, message.created_at
    elif data.kind == "profile":
        assert data.profile_id is not None
        try:
            seen = await require_visible_profile(session, user=user, profile_id=data.profile_id)
        except NotFound:
            raise ReportTargetNotFound() from None
        report.profile_id, report.reported_user_id = seen.profile.id, seen.profile.user_id
    else:
        assert data.card_id is not None
        try:
            card, owner = await require_visible_card(session, user=user, card_id=data.card_id)
        except CardNotFound:
            raise ReportTargetNotFound() from None
        report.card_id, report.profile_id, report.reported_user_id = (
            card.id,
            owner.id,
            owner.user_id,
        )
    repository.add(session, report)
    await session.flush()
    return report


async def list_my_reports(
    session: AsyncSession, *, user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[Report]:
    return await repository.list_of_reporter(session, user.id, after=after, limit=limit)


async def get_my_report(session: AsyncSession, *, user: User, report_id: uuid.UUID) -> Report:
    found = await repository.get_of_reporter(session, user.id, report_id)
    if found is None:
        raise NotFound()
    return found


# --- the moderator's side (called by the admin console's actions, which audit them) ----------


async def context_of(session: AsyncSession, report: Report) -> Sequence[ChatEvent]:
    """The reported message and the five before it, as they are now (bodies of deleted ones
    are gone; the report's ``message_body`` is the reporter's copy)."""
    return await repository.context_of(session, report)


async def _open_report(session: AsyncSession, report_id: uuid.UUID) -> Report:
    report = await repository.lock(session, report_id)
    if report is None:
        raise NotFound()
    if report.status != "open":
        raise ReportAlreadyResolved()
    return report


def _resolve(report: Report, status: str) -> dict[str, Any]:
    report.status = status
    report.resolved_at = utcnow()
    return {
        "outcome": status,
        "kind": report.kind,
        "reported_user_id": str(report.reported_user_id),
    }


async def dismiss(
    session: AsyncSession, _backends: Backends, report_id: uuid.UUID
) -> dict[str, Any]:
    return _resolve(await _open_report(session, report_id), "dismissed")


async def remove_message(
    session: AsyncSession, backends: Backends, report_id: uuid.UUID
) -> dict[str, Any]:
    report = await _open_report(session, report_id)
    if report.chat_id is None or report.message_index is None:
        raise NotApplicable()
    removed = await remove_message_for_everyone(
        session, backends, chat_id=report.chat_id, index=report.message_index
    )
    details = _resolve(report, "message_removed")
    details |= {"chat_id": str(report.chat_id), "index": report.message_index, "was_live": removed}
    return details


async def hide_card(
    session: AsyncSession, _backends: Backends, report_id: uuid.UUID
) -> dict[str, Any]:
    report = await _open_report(session, report_id)
    if report.card_id is None:
        raise NotApplicable()
    await admin_delete_card(session, card_id=report.card_id)
    return _resolve(report, "card_hidden") | {"card_id": str(report.card_id)}


async def reported_account(session: AsyncSession, report_id: uuid.UUID) -> uuid.UUID | None:
    """The account a report is against (what "lock the account" would lock), if it exists."""
    report = await repository.get(session, report_id)
    return report.reported_user_id if report is not None else None


async def lock_account(
    session: AsyncSession, backends: Backends, report_id: uuid.UUID
) -> dict[str, Any]:
    report = await _open_report(session, report_id)
    await accounts.set_locked(session, backends, user_id=report.reported_user_id, locked=True)
    return _resolve(report, "account_locked")
