"""The rules of files: what may be uploaded, where it goes, and who gets it back.

An upload is stored first and recorded second: the object is written under a generated key
(``files/<uuid>``, never the client's filename), then its row is inserted in the caller's
transaction. If that transaction does not commit, the object is deleted again (a compensation
in the transaction's outbox), so a failed upload leaves neither a row nor an orphan object.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.backends.storage import Storage, open_read_ahead
from bca.core.db import end_read_only_transaction, outbox
from bca.core.filenames import content_disposition
from bca.core.ids import new_id
from bca.core.time import utcnow
from bca.files import repository
from bca.files.errors import FileNotFound
from bca.files.images import ImageLimits
from bca.files.kinds import ATTACHMENT_KINDS, EXTENSION_ALIASES, EXTENSIONS, IMAGE_KINDS, Kind
from bca.files.models import StoredFile
from bca.files.uploads import MultipartFileReader, check_declared_length, store_object

logger = logging.getLogger(__name__)

PRESIGNED_URL_TTL_SECONDS = 300

_Holder = TypeVar("_Holder")


@dataclass(frozen=True)
class UploadSource:
    """The raw request body and the headers needed to parse it, not yet read."""

    body: AsyncIterator[bytes]
    content_type: str | None
    content_length: str | None


@dataclass(frozen=True)
class Download:
    """Either a short-lived URL to fetch the bytes from, or the bytes as a stream."""

    file: StoredFile
    redirect_url: str | None = None
    body: AsyncIterator[bytes] | None = None

    @property
    def filename(self) -> str:
        return download_name(self.file)

    @property
    def content_disposition(self) -> str:
        image = self.file.content_type.startswith("image/")
        return content_disposition("inline" if image else "attachment", self.filename)


def download_name(file: StoredFile) -> str:
    """The uploaded name, ending in an extension that matches the stored content.

    The type was read from the bytes, not from the name: ``notes.html`` that holds plain text
    is offered as ``notes.html.txt``, so that a saved copy never opens as something else.
    Files without a name (older uploads, clients that sent none) are ``<id>.<extension>``.
    """
    media_type = file.content_type.split(";")[0].strip()
    extension = EXTENSIONS.get(media_type, "bin")
    name = file.name or str(file.id)
    _, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in EXTENSION_ALIASES.get(extension, {extension}):
        return name
    return f"{name}.{extension}"


def storage_key(file_id: uuid.UUID) -> str:
    return f"files/{file_id}"


async def _discard(storage: Storage, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:
        logger.exception("could not delete the object of a failed upload", extra={"key": key})


@contextlib.asynccontextmanager
async def receive_upload(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    source: UploadSource,
    kinds: Collection[Kind],
    purpose: str,
) -> AsyncIterator[StoredFile]:
    """Stream the upload into storage, add its row, and hand the row to the caller's block.

    Whatever the block does with the row (point a profile at it...) belongs to the same
    transaction; if it does not commit, the object is deleted again.
    """
    max_bytes = backends.settings.max_upload_bytes
    check_declared_length(source.content_length, max_bytes=max_bytes)
    reader = MultipartFileReader(source.body, source.content_type, max_file_bytes=max_bytes)
    file_id = new_id()
    key = storage_key(file_id)
    async with contextlib.aclosing(reader.chunks()) as chunks:
        stored = await store_object(
            backends.storage,
            key,
            chunks,
            kinds=kinds,
            max_bytes=max_bytes,
            image_limits=ImageLimits(
                max_frames=backends.settings.max_image_frames,
                max_animation_pixels=backends.settings.max_animation_pixels,
            ),
        )
    storage = backends.storage

    async def discard_object() -> None:
        await _discard(storage, key)

    # Whatever fails from here on (the row, the caller's block, the final commit) rolls the
    # transaction back, and the object goes with it.
    outbox(session).on_rollback(discard_object)
    row = StoredFile(
        id=file_id,
        owner_user_id=user.id,
        storage_key=stored.key,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        name=reader.filename,
        purpose=purpose,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    yield row


async def store_image_bytes(
    session: AsyncSession,
    backends: Backends,
    *,
    owner_user_id: uuid.UUID,
    data: bytes,
    purpose: str,
) -> StoredFile:
    """An image the server fetched itself (a link preview's), stored as an upload would be:
    recognised by its bytes (PNG, JPEG, GIF or WebP, else 415), decoded under the same pixel
    and frame budgets and encoded afresh, stored under a generated key, its row added in the
    caller's transaction (the object is removed again if that does not commit)."""
    file_id = new_id()
    key = storage_key(file_id)

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    stored = await store_object(
        backends.storage,
        key,
        chunks(),
        kinds=IMAGE_KINDS,
        max_bytes=backends.settings.max_upload_bytes,
        image_limits=ImageLimits(max_frames=1, max_animation_pixels=1),
    )
    storage = backends.storage

    async def discard_object() -> None:
        await _discard(storage, key)

    outbox(session).on_rollback(discard_object)
    row = StoredFile(
        id=file_id,
        owner_user_id=owner_user_id,
        storage_key=stored.key,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        name=None,
        purpose=purpose,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def upload_file(
    session: AsyncSession, backends: Backends, *, user: User, source: UploadSource
) -> StoredFile:
    """A chat attachment (image, PDF or plain text), visible to its uploader until posted."""
    await end_read_only_transaction(session)
    async with receive_upload(
        session, backends, user=user, source=source, kinds=ATTACHMENT_KINDS, purpose="upload"
    ) as row:
        pass
    return row


async def replace_image(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    source: UploadSource,
    purpose: str,
    authorize: Callable[[], Awaitable[_Holder]],
    swap: Callable[[_Holder, uuid.UUID], uuid.UUID | None],
) -> _Holder:
    """Upload an image that takes the place of the one a row (a profile, a card) points at.

    ``authorize`` is asked twice: before a byte of the body is read, so that a refused
    caller streams nothing, and again after the upload, in the writing transaction, since
    the upload took time (it should lock the row and check its ``If-Match``). ``swap`` points
    the row at the new file and returns the file it pointed at before, which is retired.
    """
    await authorize()
    await end_read_only_transaction(session)
    async with receive_upload(
        session, backends, user=user, source=source, kinds=IMAGE_KINDS, purpose=purpose
    ) as stored:
        holder = await authorize()
        previous = swap(holder, stored.id)
        await session.flush()
        if previous is not None:
            await retire_file(session, backends, previous)
    return holder


def image_swap(
    attribute: str, touch: Callable[[_Holder], None]
) -> Callable[[_Holder, uuid.UUID], uuid.UUID | None]:
    """The ``swap`` of :func:`replace_image` for a row whose ``attribute`` holds its image's id:
    ``touch`` records the change on the row (its version and time), as any edit of it would."""

    def swap(holder: _Holder, file_id: uuid.UUID) -> uuid.UUID | None:
        previous: uuid.UUID | None = getattr(holder, attribute)
        setattr(holder, attribute, file_id)
        touch(holder)
        return previous

    return swap


async def own_upload(
    session: AsyncSession, *, file_id: uuid.UUID, user_id: uuid.UUID
) -> StoredFile | None:
    """A file the user uploaded themselves (the only kind they may attach to a message)."""
    return await repository.get_own(session, file_id=file_id, owner_user_id=user_id)


async def retire_file(session: AsyncSession, backends: Backends, file_id: uuid.UUID) -> None:
    """A replaced profile image or card preview: the row is marked deleted and the object
    removed once that commits. A file still used elsewhere (posted in a chat) stays."""
    row = await repository.get_live(session, file_id)
    if row is None or await repository.still_used(session, file_id):
        return
    await _delete(session, backends, row)


async def admin_delete_file(
    session: AsyncSession, backends: Backends, *, file_id: uuid.UUID
) -> StoredFile:
    """An operator removes a file wherever it is used: it answers 404 from then on and its
    object leaves storage once that commits."""
    row = await repository.get_live(session, file_id)
    if row is None:
        raise FileNotFound()
    await _delete(session, backends, row)
    return row


async def _delete(session: AsyncSession, backends: Backends, row: StoredFile) -> None:
    await repository.mark_deleted(session, row)
    storage, key = backends.storage, row.storage_key

    async def delete_object() -> None:
        await _discard(storage, key)

    outbox(session).after_commit(delete_object)


async def open_file(
    session: AsyncSession, backends: Backends, *, user: User, file_id: uuid.UUID
) -> Download:
    row = await repository.get_visible(session, user.id, file_id)
    if row is None:
        raise FileNotFound()
    return await download(backends, row)


async def download(backends: Backends, row: StoredFile) -> Download:
    """A pre-signed URL where storage offers one (S3), else the bytes streamed from storage.

    The first chunk is read here so that a missing object is a clean 404 rather than a
    response that breaks off after its headers were sent.
    """
    url = await backends.storage.presigned_url(
        row.storage_key,
        expires_in=PRESIGNED_URL_TTL_SECONDS,
        content_disposition=content_disposition("attachment", download_name(row)),
    )
    if url is not None:
        return Download(file=row, redirect_url=url)
    try:
        body = await open_read_ahead(backends.storage, row.storage_key)
    except KeyError:
        raise FileNotFound() from None
    return Download(file=row, body=body)
