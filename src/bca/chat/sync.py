"""Chats in offline sync: the entity spec and who hears about a change.

A chat's entry holds what changes rarely (title, owner, members' count, my mute and read
marker); its activity travels with the events. A chat is also a way to reach its partners'
profiles: plugged into profiles (by the manifest), as a reach and as a link.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.chat.models import Chat, Participant
from bca.chat.repository import shown_as_member
from bca.chat.schemas import ChatEntry
from bca.profiles.models import Profile
from bca.profiles.sync import ProfileLink, profile_dependents
from bca.profiles.visibility import Viewer, alive
from bca.sync.changelog import record_change, touch
from bca.sync.entities import AnySelect, Data, EntitySpec, Row, columns_of

# --- the entity -----------------------------------------------------------------------------


def _chats(viewers: Any, ids: Any) -> AnySelect:
    """Rows (viewer, chat, my participation, live participants) of the chats one of the
    viewer's profiles takes part in (has not left)."""
    viewer = aliased(User, name="viewer")
    chat = aliased(Chat, name="seen_chat")
    me = aliased(Participant, name="me")
    others = aliased(Participant, name="others")
    other_profile = aliased(Profile)
    who = Viewer(viewer.id, viewer)
    # As the chat endpoints count: live participants.
    count = (
        select(func.count())
        .select_from(others)
        .join(other_profile, other_profile.id == others.profile_id)
        .where(others.chat_id == chat.id, shown_as_member(others), alive(other_profile))
        .correlate(chat)
        .scalar_subquery()
    )
    scope: ColumnElement[bool] = true() if ids is None else chat.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), chat, me, count.label("participant_count"))
        .select_from(viewer)
        .join(me, and_(me.profile_id.in_(who.profiles()), me.left_at.is_(None)))
        .join(chat, and_(chat.id == me.chat_id, scope))
        .where(viewer.id.in_(viewers))
    )


def _render_chat(row: Row, _public_url: str) -> Data:
    entry = ChatEntry.from_row(row["seen_chat"], row["me"], row["participant_count"])
    return entry.model_dump(mode="json")


def _smaller_profile_first(new: Data, kept: Data) -> bool:
    """Taking part with two profiles: the smaller profile id is "mine", deterministically."""
    return bool(new["my_profile_id"] < kept["my_profile_id"])


CHAT = EntitySpec(
    name="chat",
    table="chats",
    columns=columns_of(ChatEntry),
    key="id",
    statement=_chats,
    key_of=lambda row: str(row["seen_chat"].id),
    render=_render_chat,
    prefer=_smaller_profile_first,
)


# --- a chat reaches its partners' profiles --------------------------------------------------


def _reaches_by_chat(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    theirs = aliased(Participant)
    ours = aliased(Participant)
    return exists().where(
        theirs.profile_id == profile_id,
        theirs.left_at.is_(None),
        ours.chat_id == theirs.chat_id,
        ours.left_at.is_(None),
        ours.profile_id.in_(viewer.profiles()),
    )


def _reached_by_chat(user_id: Any) -> list[Select[uuid.UUID]]:
    theirs = aliased(Participant)
    ours = aliased(Participant)
    return [
        select(theirs.profile_id)
        .join(ours, ours.chat_id == theirs.chat_id)
        .where(
            ours.profile_id.in_(Viewer(user_id).profiles()),
            ours.left_at.is_(None),
            theirs.left_at.is_(None),
        )
    ]


def _partners_of(profile_id: uuid.UUID) -> Select[uuid.UUID]:
    my_chats = select(Participant.chat_id).where(
        Participant.profile_id == profile_id, Participant.left_at.is_(None)
    )
    return select(Participant.user_id).where(
        Participant.chat_id.in_(my_chats), Participant.left_at.is_(None)
    )


async def _chats_of(
    session: AsyncSession, profile_id: uuid.UUID, owner: uuid.UUID
) -> set[uuid.UUID]:
    """The profile's chats (for its owner); returns their participants' profiles."""
    chat_ids = list(
        (
            await session.scalars(
                select(Participant.chat_id).where(Participant.profile_id == profile_id)
            )
        ).all()
    )
    if not chat_ids:
        return set()
    touch(
        session,
        user_ids=[owner],
        entity="chat",
        entity_ids=[str(c) for c in chat_ids],
        conditional=True,
    )
    partners = await session.scalars(
        select(Participant.profile_id).where(Participant.chat_id.in_(chat_ids))
    )
    return set(partners.all())


async def _members_lose_a_participant(session: AsyncSession, profile_id: uuid.UUID) -> None:
    """A deleted profile leaves its chats (counts show live profiles only)."""
    chat_ids = select(Participant.chat_id).where(Participant.profile_id == profile_id)
    members = await session.execute(
        select(Participant.chat_id, Participant.user_id).where(Participant.chat_id.in_(chat_ids))
    )
    for chat_id, member in members.all():
        touch(session, user_ids=[member], entity="chat", entity_ids=[str(chat_id)])


CHAT_REACH = (_reaches_by_chat, _reached_by_chat)
"""A chat reaches its partners' profiles (``bca.profiles.visibility.REACHES``)."""
CHAT_LINK = ProfileLink(
    watchers=_partners_of,
    reached_through=_chats_of,
    deleted=_members_lose_a_participant,
)
"""Chats hang on their partners' profiles (``bca.profiles.sync.LINKS``)."""


# --- what writers call ----------------------------------------------------------------------


async def record_chat_change(
    session: AsyncSession,
    chat_id: uuid.UUID,
    *,
    also: Iterable[uuid.UUID] = (),
    only: uuid.UUID | None = None,
) -> None:
    """Chat created, renamed, or its membership changed.

    Membership changes also change which profiles members can see (chat partners are
    visible), so every member hears about every member's profile; pass the departed user in
    ``also`` so that they learn the chat (and its partners) left their view. ``only``: a
    change that one user alone sees (their answer to a message request).
    """
    if only is not None:
        members = {only}
    else:
        # Everyone who ever took part: a departed member must learn the chat left their view
        # even when the caller forgot ``also``; those who never saw it are filtered out at
        # commit.
        everyone = await session.scalars(
            select(Participant.user_id).where(Participant.chat_id == chat_id)
        )
        members = set(everyone.all()) | set(also)
    await record_change(session, user_ids=members, entity="chat", entity_id=str(chat_id))
    profiles = await session.scalars(
        select(Participant.profile_id).where(Participant.chat_id == chat_id)
    )
    await profile_dependents(session, set(profiles.all()), members)
