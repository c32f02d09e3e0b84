"""Keeping the index: a chat's new events (messages, edits, deletions), changed cards,
contacts and profiles, and the whole of it again (``bca search reindex``).

Messages are indexed in the worker after the commit, never on the post's path: a post, edit
or deletion only schedules ``search.index_chat`` (``chat.hooks.MESSAGES_WRITTEN``), which
reloads the chat's new events and is idempotent; Kiwi runs in a thread, off the event loop.
Cards, contacts and profiles are indexed in the writing transaction itself
(``sync.changelog.CHANGED``), with the tokens the app can make too (no Kiwi): cheap, and
found as they are the moment they are committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends
from bca.backends.tasks import TASKS
from bca.cards.models import Card
from bca.chat.models import ChatEvent
from bca.contacts.models import Contact
from bca.core.db import outbox
from bca.profiles.models import Profile
from bca.search import index_writes, repository
from bca.search.tokens import describe, index_terms_of

logger = logging.getLogger(__name__)

EVENTS_PER_BATCH = 500
"""Events of one chat indexed in one transaction."""
ENTITY_KINDS = {"card": ("card",), "contact": ("contact",), "profile": ("profile", "profile_name")}

_tokenizing = threading.Lock()


async def terms_of(texts: Sequence[Sequence[str | None]]) -> list[str]:
    """The stored terms of each group of texts (messages: with Kiwi's morphemes), in a
    thread (one at a time: Kiwi is shared)."""

    def run() -> list[str]:
        with _tokenizing:
            return [index_terms_of(group) for group in texts]

    return await asyncio.to_thread(run)


def entry_terms_of(texts: Sequence[Sequence[str | None]]) -> list[str]:
    """The stored terms of cards, contacts and profiles: the families the app can make too
    (no Kiwi), so that its offline copy searches the same way; fast enough for a request."""
    return [index_terms_of(group, morphemes=False) for group in texts]


# --- scheduling (plugged into the domains below, run inside their transactions) -------------


QUEUED_TTL = 30
"""Seconds a chat's queued mark lives: a lost task is replaced by the next post after it."""
INDEX_DELAY = 0.5
"""Seconds a chat's run waits before it starts, so that one run indexes a burst of posts.
Without it, posts 5 to 40 ms apart each started a run of their own (the mark is dropped when a run
starts), which cost about a third of a post's CPU (bench/README.md, issue 28); a message is
still searchable well within the 2 s issue 24 asks for."""


def queued_key(chat_id: uuid.UUID | str) -> str:
    return f"search:queued:{chat_id}"


def schedule_chat(session: AsyncSession, backends: Backends, chat_id: uuid.UUID) -> None:
    """A chat's messages changed: index its new events after the commit, ``INDEX_DELAY``
    later, unless a run for the chat is queued and has not started yet (it will read them: one
    run for a burst of posts, not one per post). The mark is the cache's, so it holds across
    instances and the worker; when the cache fails, the run is queued anyway."""
    scheduled: set[uuid.UUID] = session.info.setdefault("bca.search.chats", set())
    if chat_id in scheduled:
        return
    scheduled.add(chat_id)
    if "search.index_chat" not in TASKS:
        raise KeyError("unknown task search.index_chat")

    async def send() -> None:
        try:
            first = await backends.cache.set_if_absent(queued_key(chat_id), "1", ttl=QUEUED_TTL)
        except Exception:
            logger.warning("search: the cache failed; indexing chat %s without the mark", chat_id)
            first = True
        if first:
            await backends.tasks.enqueue(
                "search.index_chat", countdown=INDEX_DELAY, chat_id=str(chat_id)
            )

    outbox(session).after_commit(send)


async def index_changed_entities(session: AsyncSession, changed: set[tuple[str, str]]) -> None:
    """Cards, contacts or profiles changed: their entries follow in the same transaction
    (their tokens need no Kiwi: a few hundred microseconds and three statements a write)."""
    wanted = sorted([entity, id_] for entity, id_ in changed if entity in ENTITY_KINDS)
    if wanted:
        await reindex_entities(session, wanted)


# --- messages --------------------------------------------------------------------------------


async def index_chat(backends: Backends, *, chat_id: str) -> None:
    """Index the chat's events after its mark, a batch per transaction, until none is left."""
    chat = uuid.UUID(chat_id)
    # Started: a post from now on queues another run (this one may read too early for it).
    with contextlib.suppress(Exception):
        await backends.cache.delete(queued_key(chat))
    while True:
        async with backends.database.transaction() as session:
            if not await index_chat_batch(session, chat):
                return


async def index_chat_batch(session: AsyncSession, chat_id: uuid.UUID) -> bool:
    """One batch of a chat's events after its mark (the mark's row locked): the messages
    they post, edit or delete are rebuilt. False when there was nothing left."""
    through = await index_writes.lock_progress(session, chat_id)
    events = await index_writes.events_after(
        session, chat_id, after=through, limit=EVENTS_PER_BATCH
    )
    if not events:
        return False
    touched: set[int] = set()
    for index, type_, target in events:
        if type_ == "message":
            touched.add(index)
        elif type_ in repository.MESSAGE_KINDS and target is not None:
            touched.add(target)
    if touched:
        await reindex_messages(session, chat_id, sorted(touched))
    await index_writes.set_progress(session, chat_id, events[-1][0])
    return len(events) == EVENTS_PER_BATCH


async def reindex_messages(session: AsyncSession, chat_id: uuid.UUID, indexes: list[int]) -> None:
    """Rebuild the versions of these messages from the event log."""
    history = await index_writes.message_history(session, chat_id, indexes)
    planned: list[tuple[int, list[dict[str, Any]]]] = []
    for index in indexes:
        message, changes = history.get(index, (None, []))
        planned.append((index, _versions(message, changes) if message is not None else []))
    every = [version for _, versions in planned for version in versions]
    for version, terms in zip(every, await terms_of([[v["text"]] for v in every]), strict=True):
        version["terms"] = terms
    await index_writes.replace_message_versions(
        session, chat_id=chat_id, indexes=indexes, versions=every
    )


def _versions(message: ChatEvent, changes: list[ChatEvent]) -> list[dict[str, Any]]:
    """The texts the message had, each from the event that wrote it to the one that
    replaced it. Nothing for a deleted message; an earlier text is known when its change
    kept it (``prior``, kept when someone who had left still reads it)."""
    if message.deleted_at is not None:
        return []
    starts = [message.index] + [change.index for change in changes]
    ends: list[int | None] = [change.index for change in changes] + [None]
    texts = [(change.prior or {}).get("body") for change in changes] + [message.body]
    return [
        {
            "chat_id": message.chat_id,
            "message_index": message.index,
            "valid_from": start,
            "valid_until": end,
            "profile_id": message.profile_id,
            "created_at": message.created_at,
            "text": text,
        }
        for start, end, text in zip(starts, ends, texts, strict=True)
        if isinstance(text, str) and text.strip()
    ]


# --- cards, contacts, profiles ---------------------------------------------------------------


async def reindex_entities(session: AsyncSession, entities: Sequence[Sequence[str]]) -> None:
    ids: dict[str, list[uuid.UUID]] = {kind: [] for kind in ENTITY_KINDS}
    for entity, id_ in entities:
        if entity in ids:
            ids[entity].append(uuid.UUID(id_))
    rows: dict[uuid.UUID, tuple[str, list[tuple[str, uuid.UUID, list[str | None]]]]] = {
        entity_id: (entity, []) for entity, found in ids.items() for entity_id in found
    }
    for card in await index_writes.cards_by_id(session, ids["card"]):
        if card.deleted_at is None:
            rows[card.id][1].append(("card", card.profile_id, card_texts(card)))
    for contact in await index_writes.contacts_by_id(session, ids["contact"]):
        if contact.deleted_at is None:
            rows[contact.id][1].append(("contact", contact.profile_id, contact_texts(contact)))
    for profile in await index_writes.profiles_by_id(session, ids["profile"]):
        if profile.deleted_at is None:
            rows[profile.id][1].append(("profile", profile.id, profile_texts(profile)))
            rows[profile.id][1].append(("profile_name", profile.id, [profile.name]))
    groups = [texts for _, entries in rows.values() for _, _, texts in entries]
    terms = iter(entry_terms_of(groups))
    written = [
        (kind, entity_id, profile_id, "\n".join(t for t in texts if t), next(terms))
        for entity_id, (_, entries) in rows.items()
        for kind, profile_id, texts in entries
    ]
    await index_writes.replace_entries(session, entity_ids=list(rows), rows=written)


def card_texts(card: Card) -> list[str | None]:
    return [card.name, describe(card.data)]


def contact_texts(contact: Contact) -> list[str | None]:
    return [
        contact.name,
        contact.organization,
        contact.title,
        describe(contact.phones),
        describe(contact.emails),
        describe(contact.urls),
        contact.address,
        contact.note,
    ]


def profile_texts(profile: Profile) -> list[str | None]:
    return [
        profile.name,
        profile.team_name,
        profile.description,
        profile.email,
        profile.phone,
        profile.address,
    ]


# --- everything again ------------------------------------------------------------------------

Progress = Callable[[str, int], Awaitable[None] | None]


async def reindex_all(
    backends: Backends, *, batch: int = 500, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Empty the index and build it again from every chat, card, contact and profile;
    ``progress(what, done)`` after each batch. Returns the counts."""
    async with backends.database.transaction() as session:
        await index_writes.forget_all(session)
    counts: dict[str, int] = {}
    for entity, model in (("profile", Profile), ("card", Card), ("contact", Contact)):
        done, after = 0, None
        while True:
            async with backends.database.transaction() as session:
                ids = await index_writes.entity_ids(session, model, after=after, limit=batch)
                if not ids:
                    break
                await reindex_entities(session, [(entity, str(id_)) for id_ in ids])
            done, after = done + len(ids), ids[-1]
            if progress is not None:
                progress(f"{entity}s", done)
        counts[f"{entity}s"] = done
    done, after = 0, None
    while True:
        async with backends.database.transaction() as session:
            chats = await index_writes.chat_ids(session, after=after, limit=batch)
        if not chats:
            break
        for chat in chats:
            await index_chat(backends, chat_id=str(chat))
        done, after = done + len(chats), chats[-1]
        if progress is not None:
            progress("chats", done)
    counts["chats"] = done
    return counts
