"""Receiving an upload: streaming multipart parsing, and storing what it carries. The type
sniffing is in ``kinds``, the image re-encoding in ``images``.

Nothing here buffers a request body whole. The multipart body is parsed incrementally as it
arrives (``python_multipart``, the parser Starlette itself uses, fed from ``request.stream()``),
the size limit is counted on the way, and the type is decided by the first bytes of the file,
never by its name or by the type the client declared. Images are decoded and re-encoded
before anything is stored (that drops EXIF and any trailing payload); other allowed types
stream straight into storage, which gives up as soon as the limit is passed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Collection
from dataclasses import dataclass

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from bca.backends.storage import Storage
from bca.backends.storage import UploadTooLarge as StorageTooLarge
from bca.files.errors import (
    FileTypeNotAllowed,
    InvalidUpload,
    NotMultipart,
    UploadTooLarge,
)
from bca.files.images import ImageLimits, reencode_in_pool
from bca.files.kinds import TEXT, Kind, TextCheck, describe_kinds, sniff

MULTIPART_OVERHEAD = 64 * 1024
"""What a multipart body may carry beyond the file itself: boundaries, part headers, small
fields. Bounds the whole body, so that no part of it is unbounded."""

FILE_FIELD = "file"
_SNIFF_BYTES = 16
_MAX_FILENAME = 255
_RESERVED_IN_NAMES = re.compile(r'[<>:"|?*]')


@dataclass(frozen=True)
class StoredObject:
    key: str
    content_type: str
    size: int
    sha256: str


# --- multipart --------------------------------------------------------------------------------


def check_declared_length(content_length: str | None, *, max_bytes: int) -> None:
    """Refuse at once a body that announces more than a file of the maximum size needs."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError:
        raise InvalidUpload("The Content-Length header is not a number.") from None
    if declared > max_bytes + MULTIPART_OVERHEAD:
        raise UploadTooLarge(max_bytes)


def clean_filename(raw: bytes | None) -> str | None:
    """The client's file name, kept only to be offered back on download (never for storage).

    A name that tries to climb out of a folder is a broken or hostile client, and is refused
    rather than silently ignored. Characters that some systems forbid in names become ``_``.
    """
    if raw is None:
        return None
    name = raw.decode("utf-8", errors="replace")
    if (
        len(name) > _MAX_FILENAME
        or any(char in name for char in "/\\\x00")
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in name)
        or name.strip() in (".", "..")
    ):
        raise InvalidUpload("The file name must be a plain name, without folders.")
    name = _RESERVED_IN_NAMES.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    return name or None


class MultipartFileReader:
    """Yields the bytes of the one ``file`` part of a multipart body while it arrives.

    The parser calls back synchronously for each piece of each part; the file part's pieces
    are collected per incoming chunk and yielded, so memory holds at most one network chunk.
    Other parts are parsed and dropped; the whole body is bounded by ``max_body``.
    """

    def __init__(
        self, body: AsyncIterator[bytes], content_type: str | None, *, max_file_bytes: int
    ) -> None:
        media_type, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if media_type != b"multipart/form-data" or not boundary:
            raise NotMultipart()
        self._body = body
        self._max_file = max_file_bytes
        self._max_body = max_file_bytes + MULTIPART_OVERHEAD
        self._pending: list[bytes] = []
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False
        self._file_seen = False
        self._file_complete = False
        self._ended = False
        self._problem: InvalidUpload | None = None
        self.filename: str | None = None
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except FormParserError:
            raise NotMultipart() from None

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._header_field = b""
        self._header_value = b""

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = b""
        self._header_value = b""

    def _on_headers_finished(self) -> None:
        # Part headers are bytes; latin-1 maps them to str and back losslessly, after which
        # the filename's UTF-8 (what browsers send) is decoded by clean_filename.
        disposition = self._headers.get(b"content-disposition", b"").decode("latin-1")
        _, params = parse_options_header(disposition)
        if params.get(b"name", b"").decode("latin-1") != FILE_FIELD:
            return
        if self._file_seen:
            self._problem = InvalidUpload("Send exactly one part named 'file'.")
            return
        self._file_seen = True
        self._in_file = True
        try:
            self.filename = clean_filename(params.get(b"filename"))
        except InvalidUpload as problem:
            self._problem = problem

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(bytes(data[start:end]))

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._file_complete = True

    def _on_end(self) -> None:
        self._ended = True

    async def _read(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._body:
                yield chunk
        except ClientDisconnect:
            # Nobody is left to read the answer; this only keeps it out of the error log.
            raise InvalidUpload("The upload was interrupted.") from None

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in self._read():
            received += len(chunk)
            if received > self._max_body:
                raise UploadTooLarge(self._max_file)
            try:
                self._parser.write(chunk)
            except FormParserError:
                raise InvalidUpload("The multipart body is malformed.") from None
            if self._problem is not None:
                raise self._problem
            if self._pending:
                data = b"".join(self._pending)
                self._pending.clear()
                yield data
            if self._ended:
                break
        if not self._file_seen:
            raise InvalidUpload("A part named 'file' is required.")
        if not (self._file_complete and self._ended):
            raise InvalidUpload("The multipart body ended before the file was complete.")


# --- storing --------------------------------------------------------------------------------


async def _head(chunks: AsyncIterator[bytes]) -> bytes:
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= _SNIFF_BYTES:
            break
    return head


async def store_object(
    storage: Storage,
    key: str,
    chunks: AsyncIterator[bytes],
    *,
    kinds: Collection[Kind],
    max_bytes: int,
    image_limits: ImageLimits | None = None,
) -> StoredObject:
    """Store one upload under ``key`` if its content is an allowed kind; else store nothing.

    Every refusal (size, type, undecodable image) is raised before the object is published:
    images are checked before the single write, other types inside the stream that storage
    consumes, which publishes nothing when the stream fails.
    """
    head = await _head(chunks)
    if not head:
        raise InvalidUpload("The file is empty.")
    kind = sniff(head)
    if kind is None or kind not in kinds:
        raise FileTypeNotAllowed(
            f"The content of this file is not one of the accepted types: {describe_kinds(kinds)}."
        )

    if kind.is_image:
        buffer = bytearray(head)
        if len(buffer) > max_bytes:
            raise UploadTooLarge(max_bytes)
        async for chunk in chunks:
            buffer += chunk
            if len(buffer) > max_bytes:
                raise UploadTooLarge(max_bytes)
        encoded = await reencode_in_pool(bytes(buffer), kind, image_limits)
        await storage.put_bytes(key, encoded, content_type=kind.content_type)
        return StoredObject(
            key=key,
            content_type=kind.content_type,
            size=len(encoded),
            sha256=hashlib.sha256(encoded).hexdigest(),
        )

    digest = hashlib.sha256()
    text_check = TextCheck() if kind is TEXT else None

    async def checked() -> AsyncIterator[bytes]:
        async for piece in _prepend(head, chunks):
            if text_check is not None:
                text_check.feed(piece)
            digest.update(piece)
            yield piece
        if text_check is not None:
            text_check.feed(b"", final=True)

    try:
        size = await storage.put_stream(
            key, checked(), content_type=kind.content_type, max_bytes=max_bytes
        )
    except StorageTooLarge:
        raise UploadTooLarge(max_bytes) from None
    return StoredObject(
        key=key,
        content_type=kind.content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk
