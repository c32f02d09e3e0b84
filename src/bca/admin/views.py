"""The console's read-only pages of each table, as sqladmin model views.

Nothing here writes: creating, editing, deleting, importing and exporting are off (and their
routes are not even mounted, see ``console.py``); every change goes through an action of
``bca.admin.actions``. Lists paginate in the database (LIMIT/OFFSET, 25 rows by default).
Columns are named one by one, so that secrets (password hashes, push tokens) never render and
no view of chat events exists: the console shows chats' metadata and participants only.

Longer than most modules (~400 lines) on purpose: one short declaration per table beside the
base they share, read as one list of everything the console shows.

The one exception to "no chat text": a report of a message shows the reported message and the
five before it (and the reporter's copy), and each opening of such a report is audited
(``report.view_context``).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sqladmin import ModelView
from sqlalchemy import Select, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from bca.accounts.models import AuthSession, User
from bca.accounts.routes import client_address
from bca.admin import actions, repository, service
from bca.admin.models import AuditRecord
from bca.cards.models import Card
from bca.chat.models import Chat
from bca.files.models import StoredFile
from bca.moderation import service as moderation
from bca.moderation.models import Report
from bca.profiles.models import Profile
from bca.sync.models import Change, Snapshot

RELATED_ROWS = 50
"""Rows of each related table on a detail page (newest first); the full lists paginate."""


class ConsoleView(ModelView):
    """Read-only, paginated, searchable; subclasses name their columns explicitly."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    page_size = 25
    page_size_options: ClassVar[list[int]] = [25, 50, 100]
    details_template = "console/details.html"
    # The action target type of this view's rows (``bca.admin.actions.ACTIONS``).
    target_type: ClassVar[str | None] = None
    # ``?user=<id>`` (or another name) narrows the list to one owner.
    list_filters: ClassVar[dict[str, Any]] = {}

    def list_query(self, request: Request) -> Select[Any]:
        query: Select[Any] = super().list_query(request)
        for parameter, column in self.list_filters.items():
            raw = request.query_params.get(parameter)
            if raw:
                try:
                    query = query.where(column == uuid.UUID(raw))
                except ValueError:
                    query = query.where(false())
        return query

    async def count(self, request: Request, stmt: Select[Any] | None = None) -> int:
        """Count the list's rows without its ORDER BY: sqladmin counts the sorted statement,
        which makes PostgreSQL sort the whole table just to count it."""
        query = self.list_query(request)
        search = request.query_params.get("search")
        if search:
            query = self.search_query(query, search)
        counted: int = await super().count(
            request, select(func.count()).select_from(query.subquery())
        )
        return counted

    async def get_object_for_details(self, request: Request) -> Any:
        """None (sqladmin's 404) for an id that is not one: every console table's key is a
        UUID, and a malformed one must not reach the database (it raised, a 500)."""
        try:
            uuid.UUID(request.path_params["pk"])
        except ValueError:
            return None
        return await super().get_object_for_details(request)

    async def details_context(self, request: Request) -> dict[str, Any]:
        context: dict[str, Any] = await super().details_context(request)
        try:
            target_id = uuid.UUID(request.path_params["pk"])
        except ValueError:
            return context
        async with self.session_maker(expire_on_commit=False) as session:
            target = await session.get(self.model, target_id)
            if target is None:
                return context
            if self.target_type is not None:
                context["actions"] = actions.actions_for(self.target_type, target)
                context["audit"] = await repository.records_about(
                    session,
                    target_type=self.target_type,
                    target_id=str(target_id),
                    limit=RELATED_ROWS,
                )
            context |= await self.related(session, target)
        context["done"] = request.query_params.get("done")
        return context

    async def related(self, session: AsyncSession, target: Any) -> dict[str, Any]:
        """Extra sections of the detail page (each a bounded query)."""
        return {}


class UserView(ConsoleView, model=User):
    name = "User"
    name_plural = "Users"
    icon = "fa-solid fa-user"
    target_type = "user"
    column_list: ClassVar[list[Any]] = [
        User.username,
        User.email,
        User.nickname,
        User.role,
        User.locked,
        User.deactivated_at,
        User.created_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        User.id,
        User.username,
        User.email,
        User.nickname,
        User.role,
        User.email_verified_at,
        User.locked,
        User.deactivated_at,
        User.created_at,
        User.updated_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [User.username, User.email, User.nickname]
    column_sortable_list: ClassVar[list[Any]] = [User.username, User.email, User.created_at]
    column_default_sort: ClassVar[Any] = (User.created_at, True)

    async def related(self, session: AsyncSession, target: Any) -> dict[str, Any]:
        counter, snapshot = await repository.sync_state(session, target.id)
        return {
            "sessions": await repository.sessions_of(session, target.id, limit=RELATED_ROWS),
            "profiles": await repository.profiles_of(session, target.id, limit=RELATED_ROWS),
            "counter": counter,
            "snapshot": snapshot,
        }


class SessionView(ConsoleView, model=AuthSession):
    name = "Session"
    name_plural = "Sessions"
    icon = "fa-solid fa-key"
    target_type = "session"
    list_filters: ClassVar[dict[str, Any]] = {"user": AuthSession.user_id}
    column_list: ClassVar[list[Any]] = [
        AuthSession.id,
        AuthSession.user_id,
        AuthSession.device_name,
        AuthSession.last_used_at,
        AuthSession.revoked_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        AuthSession.id,
        AuthSession.user_id,
        AuthSession.device_name,
        AuthSession.push_platform,
        AuthSession.created_at,
        AuthSession.last_used_at,
        AuthSession.expires_at,
        AuthSession.revoked_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [AuthSession.device_name]
    column_sortable_list: ClassVar[list[Any]] = [AuthSession.created_at, AuthSession.last_used_at]
    column_default_sort: ClassVar[Any] = (AuthSession.created_at, True)


class ProfileView(ConsoleView, model=Profile):
    name = "Profile"
    name_plural = "Profiles"
    icon = "fa-solid fa-id-badge"
    target_type = "profile"
    list_filters: ClassVar[dict[str, Any]] = {"user": Profile.user_id}
    column_list: ClassVar[list[Any]] = [
        Profile.name,
        Profile.team_name,
        Profile.user_id,
        Profile.private,
        Profile.created_at,
        Profile.deleted_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        Profile.id,
        Profile.user_id,
        Profile.name,
        Profile.team_name,
        Profile.description,
        Profile.email,
        Profile.phone,
        Profile.address,
        Profile.sns,
        Profile.data,
        Profile.image_file_id,
        Profile.private,
        Profile.version,
        Profile.created_at,
        Profile.updated_at,
        Profile.deleted_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [Profile.name, Profile.team_name]
    column_sortable_list: ClassVar[list[Any]] = [Profile.name, Profile.created_at]
    column_default_sort: ClassVar[Any] = (Profile.created_at, True)


class CardView(ConsoleView, model=Card):
    name = "Card"
    name_plural = "Cards"
    icon = "fa-solid fa-address-card"
    target_type = "card"
    list_filters: ClassVar[dict[str, Any]] = {"profile": Card.profile_id}
    column_list: ClassVar[list[Any]] = [
        Card.name,
        Card.profile_id,
        Card.private,
        Card.version,
        Card.created_at,
        Card.deleted_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        Card.id,
        Card.profile_id,
        Card.name,
        Card.data,
        Card.preview_file_id,
        Card.private,
        Card.version,
        Card.created_at,
        Card.updated_at,
        Card.deleted_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [Card.name]
    column_sortable_list: ClassVar[list[Any]] = [Card.name, Card.created_at]
    column_default_sort: ClassVar[Any] = (Card.created_at, True)


class ChatView(ConsoleView, model=Chat):
    """Metadata and participants; no event of a chat is ever read here."""

    name = "Chat"
    name_plural = "Chats"
    icon = "fa-solid fa-comments"
    column_list: ClassVar[list[Any]] = [
        Chat.title,
        Chat.direct,
        Chat.owner_profile_id,
        Chat.last_event_index,
        Chat.last_event_at,
        Chat.created_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        Chat.id,
        Chat.title,
        Chat.direct,
        Chat.owner_profile_id,
        Chat.last_event_index,
        Chat.last_event_at,
        Chat.created_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [Chat.title]
    column_sortable_list: ClassVar[list[Any]] = [Chat.last_event_at, Chat.created_at]
    column_default_sort: ClassVar[Any] = (Chat.last_event_at, True)

    async def related(self, session: AsyncSession, target: Any) -> dict[str, Any]:
        participants = await repository.participants_of(session, target.id, limit=RELATED_ROWS)
        return {"participants": participants}


class FileView(ConsoleView, model=StoredFile):
    name = "File"
    name_plural = "Files"
    icon = "fa-solid fa-file"
    target_type = "file"
    list_filters: ClassVar[dict[str, Any]] = {"user": StoredFile.owner_user_id}
    column_list: ClassVar[list[Any]] = [
        StoredFile.id,
        StoredFile.owner_user_id,
        StoredFile.content_type,
        StoredFile.size,
        StoredFile.purpose,
        StoredFile.created_at,
        StoredFile.deleted_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        StoredFile.id,
        StoredFile.owner_user_id,
        StoredFile.content_type,
        StoredFile.size,
        StoredFile.sha256,
        StoredFile.purpose,
        StoredFile.storage_key,
        StoredFile.created_at,
        StoredFile.deleted_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [StoredFile.content_type, StoredFile.sha256]
    column_sortable_list: ClassVar[list[Any]] = [StoredFile.size, StoredFile.created_at]
    column_default_sort: ClassVar[Any] = (StoredFile.created_at, True)


class ChangeView(ConsoleView, model=Change):
    """The sync change log: which entity changed for whom (its data is rendered at read)."""

    name = "Change"
    name_plural = "Change log"
    icon = "fa-solid fa-list-ol"
    can_view_details = False
    list_filters: ClassVar[dict[str, Any]] = {"user": Change.user_id}
    column_list: ClassVar[list[Any]] = [
        Change.user_id,
        Change.seq,
        Change.entity,
        Change.entity_id,
        Change.op,
        Change.created_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [Change.entity_id]
    column_sortable_list: ClassVar[list[Any]] = [Change.seq, Change.created_at]
    column_default_sort: ClassVar[Any] = [(Change.created_at, True), (Change.seq, True)]


class SnapshotView(ConsoleView, model=Snapshot):
    name = "Snapshot"
    name_plural = "Snapshots"
    icon = "fa-solid fa-database"
    column_list: ClassVar[list[Any]] = [
        Snapshot.user_id,
        Snapshot.cursor,
        Snapshot.built_at,
        Snapshot.rebuild_requested,
        Snapshot.schema_version,
    ]
    column_details_list: ClassVar[list[Any]] = [
        Snapshot.user_id,
        Snapshot.storage_key,
        Snapshot.cursor,
        Snapshot.etag,
        Snapshot.schema_version,
        Snapshot.rebuild_requested,
        Snapshot.built_at,
        Snapshot.created_at,
    ]
    column_sortable_list: ClassVar[list[Any]] = [Snapshot.built_at, Snapshot.cursor]
    column_default_sort: ClassVar[Any] = (Snapshot.built_at, True)


class AuditView(ConsoleView, model=AuditRecord):
    """Read-only by construction: no route of the console writes or deletes audit records."""

    name = "Audit record"
    name_plural = "Audit"
    icon = "fa-solid fa-clipboard-list"
    list_filters: ClassVar[dict[str, Any]] = {"actor": AuditRecord.actor_id}
    column_list: ClassVar[list[Any]] = [
        AuditRecord.created_at,
        AuditRecord.actor,
        AuditRecord.action,
        AuditRecord.target_type,
        AuditRecord.target_id,
        AuditRecord.address,
        AuditRecord.details,
    ]
    column_details_list: ClassVar[list[Any]] = [
        AuditRecord.id,
        AuditRecord.created_at,
        AuditRecord.actor,
        AuditRecord.actor_id,
        AuditRecord.action,
        AuditRecord.target_type,
        AuditRecord.target_id,
        AuditRecord.address,
        AuditRecord.details,
    ]
    column_searchable_list: ClassVar[list[Any]] = [
        AuditRecord.actor,
        AuditRecord.action,
        AuditRecord.target_id,
    ]
    column_sortable_list: ClassVar[list[Any]] = [AuditRecord.created_at, AuditRecord.action]
    column_default_sort: ClassVar[Any] = (AuditRecord.created_at, True)


class ReportView(ConsoleView, model=Report):
    """The moderation queue: open reports first, oldest first; a report's page shows the
    reported item (a message with the five before it: audited) and the actions."""

    name = "Report"
    name_plural = "Reports"
    icon = "fa-solid fa-flag"
    target_type = "report"
    list_filters: ClassVar[dict[str, Any]] = {"reporter": Report.reporter_user_id}
    column_list: ClassVar[list[Any]] = [
        Report.status,
        Report.kind,
        Report.reason,
        Report.created_at,
        Report.profile_id,
        Report.reporter_profile_id,
        Report.resolved_at,
    ]
    column_details_list: ClassVar[list[Any]] = [
        Report.id,
        Report.status,
        Report.kind,
        Report.reason,
        Report.text,
        Report.created_at,
        Report.resolved_at,
        Report.reporter_user_id,
        Report.reporter_profile_id,
        Report.profile_id,
        Report.reported_user_id,
        Report.card_id,
        Report.chat_id,
        Report.message_index,
        Report.message_sent_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [Report.status, Report.kind, Report.reason]
    column_sortable_list: ClassVar[list[Any]] = [Report.created_at, Report.status]
    column_default_sort: ClassVar[Any] = [(Report.status, True), (Report.created_at, False)]

    async def details_context(self, request: Request) -> dict[str, Any]:
        context = await super().details_context(request)
        report = context.get("report")
        if isinstance(report, Report) and report.kind == "message":
            async with self.session_maker(expire_on_commit=False) as session:
                await service.record(
                    session,
                    service.Actor(request.state.console.user, client_address(request)),
                    action="report.view_context",
                    target_type="report",
                    target_id=str(report.id),
                    details={"chat_id": str(report.chat_id), "index": report.message_index},
                )
                await session.commit()
        return context

    async def related(self, session: AsyncSession, target: Any) -> dict[str, Any]:
        return {"report": target, "report_context": await moderation.context_of(session, target)}


VIEWS: tuple[type[ConsoleView], ...] = (
    UserView,
    SessionView,
    ProfileView,
    CardView,
    ChatView,
    FileView,
    ChangeView,
    SnapshotView,
    ReportView,
    AuditView,
)
IDENTITY_OF_TARGET = {view.target_type: view.identity for view in VIEWS if view.target_type}
MODEL_OF_TARGET: dict[str, Any] = {
    view.target_type: view.model for view in VIEWS if view.target_type
}
