"""Link previews: the first ``http(s)`` link of a message, fetched by the worker and attached.

A post only looks for a link (no statement) and, when previews are on, enqueues
``chat.fetch_preview`` after the commit, so a message without a link costs nothing more and a
message with one is answered before anything is fetched. The task:

1. reads the message (live, no preview yet) and its author's user, in a short read;
2. counts the fetch against the author's and the chat's rate (``BCA_LINK_PREVIEWS_PER_*``);
   beyond either, the message gets no preview;
3. fetches the page through ``backends.safe_fetch`` (public addresses only, each redirect
   checked, at most 1 MB and 5 s, HTML only) and reads OpenGraph, then ``<title>`` and the meta
   description; the page's image is fetched the same way, re-encoded by the files domain and
   stored as our own file (owned by the author, shown through the event like an attachment);
4. in one transaction under the chat's lock: checks the message is still live and unpreviewed,
   attaches the preview to it and writes a ``message_preview`` event (its ``target_index`` the
   message, its ``file`` the stored image), announced after the commit; the author's read
   marker follows it if they had read everything before (their own preview is no news).

Whatever is refused or fails on the way is skipped, never failed: the message stays as it was
posted. The task is idempotent (a message that has its preview is left alone). Its statements
live here, beside the event log's, to keep this feature in one module.
"""

from __future__ import annotations

import codecs
import logging
import re
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
from sqlalchemy import and_, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bca.backends import Backends, safe_fetch
from bca.backends.tasks import enqueue_after_commit
from bca.chat import event_log, event_reads
from bca.chat.models import ChatEvent, Participant
from bca.chat.schemas import EventRead, FileRef
from bca.core.errors import AppError
from bca.core.ratelimit import Limit, RateLimiter
from bca.files import service as files_service
from bca.files.urls import file_url
from bca.settings import Settings

logger = logging.getLogger(__name__)

MAX_URL = 2000
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
MAX_SITE_NAME = 200
HTML_TYPES = ("text/html", "application/xhtml+xml")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
PURPOSE = "link_preview"

_LINK = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"»…)]}>"


def first_link(body: str | None) -> str | None:
    """The first ``http(s)`` link of a message's text, without the punctuation after it (a
    closing parenthesis stays when the link opened one)."""
    if not body:
        return None
    found = _LINK.search(body)
    if found is None:
        return None
    link = found.group(0)
    while link and link[-1] in _TRAILING:
        if link[-1] == ")" and link.count("(") >= link.count(")"):
            break
        link = link[:-1]
    if len(link) > MAX_URL or "://" not in link or link.endswith("://"):
        return None
    return link


def enqueue_preview(
    session: AsyncSession, backends: Backends, *, chat_id: uuid.UUID, index: int, body: str | None
) -> None:
    """After the commit, fetch a preview for a message that has a link (previews on)."""
    if backends.settings.link_previews and first_link(body) is not None:
        enqueue_after_commit(
            session, backends.tasks, "chat.fetch_preview", chat_id=str(chat_id), index=index
        )


def fetch_policy(settings: Settings) -> safe_fetch.FetchPolicy:
    return safe_fetch.FetchPolicy(
        ports=frozenset(int(port) for port in settings.link_preview_ports.split(",")),
        test_origins=frozenset(
            origin.strip().rstrip("/").lower()
            for origin in settings.link_preview_test_origins.split(",")
            if origin.strip()
        ),
    )


# --- reading the page ------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePreview:
    url: str
    title: str | None
    description: str | None
    site_name: str | None
    image_url: str | None

    def as_stored(self, image: str | None) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "description": self.description,
            "site_name": self.site_name,
            "image": image,
        }


class _Head(HTMLParser):
    """The ``<meta>`` tags and the ``<title>`` of a page's head; stops at ``<body>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"])
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done:
            self.title.append(data)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


def _decode(page: safe_fetch.Fetched) -> str:
    charset = page.charset
    if charset is None:
        declared = _META_CHARSET.search(page.body[:4096])
        charset = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return page.body.decode(charset, errors="replace")


def _clean(value: str | None, limit: int) -> str | None:
    """One line of printable text (what PostgreSQL and a phone can show), at most ``limit``."""
    if value is None:
        return None
    text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    text = text.encode("utf-8", errors="ignore").decode("utf-8")  # no lone surrogates
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def read_page(link: str, page: safe_fetch.Fetched) -> PagePreview | None:
    """The preview a page offers (None when it offers neither a title, a description nor an
    image)."""
    head = _Head()
    try:
        head.feed(_decode(page))
        head.close()
    except Exception:  # html.parser is lenient; anything it still raises is the page's fault
        logger.info("link preview: the page could not be parsed")
    meta = head.meta
    title = _clean(meta.get("og:title") or "".join(head.title), MAX_TITLE)
    description = _clean(meta.get("og:description") or meta.get("description"), MAX_DESCRIPTION)
    site_name = _clean(meta.get("og:site_name"), MAX_SITE_NAME)
    if site_name is None:
        site_name = _clean(httpx.URL(page.url).host, MAX_SITE_NAME)
    image_url = None
    image = (meta.get("og:image") or meta.get("og:image:url") or "").strip()
    if image:
        try:
            joined = httpx.URL(page.url).join(image)
            if joined.scheme in ("http", "https") and len(str(joined)) <= MAX_URL:
                image_url = str(joined)
        except (httpx.InvalidURL, ValueError):
            image_url = None
    if title is None and description is None and image_url is None:
        return None
    return PagePreview(link, title, description, site_name, image_url)


# --- the task --------------------------------------------------------------------------------


async def _message_to_preview(
    session: AsyncSession, *, chat_id: uuid.UUID, index: int
) -> tuple[str, uuid.UUID] | None:
    """The link of a live message that has no preview yet, and its author's user."""
    row = (
        await session.execute(
            select(ChatEvent.body, Participant.user_id)
            .join(
                Participant,
                and_(
                    Participant.chat_id == ChatEvent.chat_id,
                    Participant.profile_id == ChatEvent.profile_id,
                ),
            )
            .where(
                ChatEvent.chat_id == chat_id,
                ChatEvent.index == index,
                ChatEvent.type == event_log.MESSAGE,
                ChatEvent.deleted_at.is_(None),
                ChatEvent.preview.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    link = first_link(row[0])
    return (link, row[1]) if link is not None else None


class _Gone(Exception):
    """The message was deleted or previewed meanwhile: nothing to write."""


async def fetch_preview(backends: Backends, *, chat_id: str, index: int) -> None:
    """Fetch and attach the preview of message ``index`` (see the module's docstring)."""
    settings = backends.settings
    if not settings.link_previews:
        return
    chat = uuid.UUID(chat_id)
    async with backends.database.reading() as session:
        found = await _message_to_preview(session, chat_id=chat, index=index)
    if found is None:
        return
    link, author = found
    limiter = RateLimiter(backends.cache, enabled=settings.rate_limit_enabled)
    per_user = Limit(settings.link_previews_per_user_per_minute, 60)
    per_chat = Limit(settings.link_previews_per_chat_per_minute, 60)
    if not (
        await limiter.allow("link-preview-user", str(author), per_user)
        and await limiter.allow("link-preview-chat", chat_id, per_chat)
    ):
        logger.info("link preview skipped: over the rate", extra={"chat_id": chat_id})
        return
    policy = fetch_policy(settings)
    async with safe_fetch.new_client(policy) as client:
        try:
            page = await safe_fetch.fetch(client, link, policy=policy, accept=HTML_TYPES)
        except safe_fetch.FetchRefused as refused:
            logger.info(
                "link preview skipped: %s",
                refused.reason,
                extra={"chat_id": chat_id, "index": index},
            )
            return
        preview = read_page(link, page)
        if preview is None:
            logger.info("link preview skipped: nothing to show", extra={"chat_id": chat_id})
            return
        image = None
        if preview.image_url is not None:
            try:
                fetched = await safe_fetch.fetch(
                    client, preview.image_url, policy=policy, accept=IMAGE_TYPES, whole=True
                )
                image = fetched.body
            except safe_fetch.FetchRefused as refused:
                logger.info("link preview image skipped: %s", refused.reason)
    try:
        async with backends.database.transaction() as session:
            await _attach(
                session,
                backends,
                chat_id=chat,
                index=index,
                preview=preview,
                image=image,
                owner=author,
            )
    except _Gone:
        return


async def _attach(
    session: AsyncSession,
    backends: Backends,
    *,
    chat_id: uuid.UUID,
    index: int,
    preview: PagePreview,
    image: bytes | None,
    owner: uuid.UUID,
) -> EventRead:
    public_url = backends.settings.public_url
    stored = None
    if image is not None:
        try:
            stored = await files_service.store_image_bytes(
                session, backends, owner_user_id=owner, data=image, purpose=PURPOSE
            )
        except AppError as refused:
            logger.info("link preview image skipped: %s", refused.code)
    taken, recipients = await event_log.open_server_event(session, chat_id=chat_id)
    message = await event_reads.get_event(session, chat_id=chat_id, index=index)
    if (
        message is None
        or message.type != event_log.MESSAGE
        or message.deleted_at is not None
        or message.preview is not None
    ):
        raise _Gone()
    stored_preview = preview.as_stored(file_url(public_url, stored.id) if stored else None)
    message.preview = stored_preview
    await session.flush()
    row = await event_log.write_event(
        session,
        taken,
        type=event_log.MESSAGE_PREVIEW,
        profile_id=message.profile_id,
        file_id=stored.id if stored else None,
        target_index=index,
        preview=stored_preview,
    )
    await _keep_author_read(session, chat_id=chat_id, user_id=owner, index=taken.index)
    written = EventRead.from_values(row, FileRef.from_row(public_url, stored))
    event_log.announce(session, backends, written, user_ids=recipients)
    return written


async def _keep_author_read(
    session: AsyncSession, *, chat_id: uuid.UUID, user_id: uuid.UUID, index: int
) -> None:
    """The preview of my own message is no news to me: my read marker follows it when I had
    read everything before it (never past a message someone else wrote meanwhile)."""
    moved = await session.execute(
        update(Participant)
        .where(
            Participant.chat_id == chat_id,
            Participant.user_id == user_id,
            Participant.left_at.is_(None),
            Participant.last_read_index == index - 1,
        )
        .values(last_read_index=index)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount:  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
        event_log.record_own_view(session, chat_id, user_id)


async def forget_preview(session: AsyncSession, message: ChatEvent) -> None:
    """A deleted message's preview goes with it: off the message, and off its
    ``message_preview`` events (their image is no longer shown through them)."""
    if message.preview is None:
        return
    message.preview = None  # JSON null on a deleted message: read as no preview
    await session.execute(
        update(ChatEvent)
        .where(
            ChatEvent.chat_id == message.chat_id,
            ChatEvent.target_index == message.index,
            ChatEvent.type == event_log.MESSAGE_PREVIEW,
        )
        .values(preview=null(), file_id=None)
        .execution_options(synchronize_session=False)
    )
