"""Receiving an upload: streaming multipart parsing, type sniffing and image re-encoding.

Nothing here buffers a request body whole. The multipart body is parsed incrementally as it
arrives (``python_multipart``, the parser Starlette itself uses, fed from ``request.stream()``),
the size limit is counted on the way, and the type is decided by the first bytes of the file,
never by its name or by the type the client declared. Images are decoded and re-encoded
before anything is stored (that drops EXIF and any trailing payload); other allowed types
stream straight into storage, which gives up as soon as the limit is passed.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import io
import re
import threading
import unicodedata
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import GifImagePlugin, Image, ImageOps, ImageSequence
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from bca.backends.storage import Storage
from bca.backends.storage import UploadTooLarge as StorageTooLarge
from bca.core.errors import AppError
from bca.files.errors import (
    AnimationTooLarge,
    FileTypeNotAllowed,
    ImageTooLarge,
    InvalidImage,
    InvalidUpload,
    NotMultipart,
    UploadTooLarge,
)

MAX_IMAGE_PIXELS = 25_000_000
"""Pixels (width x height x frames) one upload may decode to, read from its header before any
pixel is: a file of a few kilobytes can otherwise inflate to hundreds of megabytes (a 38-
megapixel WebP of 68 KB took half a gigabyte to re-encode). 25 megapixels holds a 24-megapixel
camera's photo (6000 x 4000). Pillow's own bomb check uses the same figure."""

MAX_DECODING_PIXELS = 40_000_000
"""Pixels being decoded at once in one process, all uploads together (about 160 MB of RGBA):
an upload whose pixels do not fit waits in the image pool until earlier ones are done."""

IMAGE_WORKERS = 2
"""Threads of the image pool: decoding and encoding take a core each."""

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

MULTIPART_OVERHEAD = 64 * 1024
"""What a multipart body may carry beyond the file itself: boundaries, part headers, small
fields. Bounds the whole body, so that no part of it is unbounded."""

FILE_FIELD = "file"
_SNIFF_BYTES = 16
_MAX_FILENAME = 255
_RESERVED_IN_NAMES = re.compile(r'[<>:"|?*]')


class _PixelBudget:
    """The pixels being decoded in this process, bounded by ``MAX_DECODING_PIXELS``: a
    thread-side limit, since decoding runs in the image pool and must not be tied to one
    event loop. One image larger than what is free waits until it is alone."""

    def __init__(self, total: int) -> None:
        self._total = total
        self._used = 0
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._used == 0 or self._used + pixels <= self._total)
            self._used += pixels
        try:
            yield
        finally:
            with self._changed:
                self._used -= pixels
                self._changed.notify_all()


_DECODING = _PixelBudget(MAX_DECODING_PIXELS)
_image_pool: ThreadPoolExecutor | None = None
_image_pool_lock = threading.Lock()


def _images() -> ThreadPoolExecutor:
    """The process's own pool for decoding and encoding images, made at first use.

    Not the default executor that storage and every ``to_thread`` use: a burst of large
    images queues here and never takes the threads that other people's file reads and writes
    need (waiting decodes used to hold default-pool threads).
    """
    global _image_pool
    with _image_pool_lock:
        if _image_pool is None:
            _image_pool = ThreadPoolExecutor(
                max_workers=IMAGE_WORKERS, thread_name_prefix="bca-image"
            )
        return _image_pool


async def reencode_in_pool(data: bytes, kind: Kind, limits: ImageLimits | None = None) -> bytes:
    """``reencode_image`` in the image pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_images(), reencode_image, data, kind, limits)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str
    pillow_format: str | None = None

    @property
    def is_image(self) -> bool:
        return self.pillow_format is not None


PNG = Kind("image/png", "png", "PNG")
JPEG = Kind("image/jpeg", "jpg", "JPEG")
GIF = Kind("image/gif", "gif", "GIF")
WEBP = Kind("image/webp", "webp", "WEBP")
PDF = Kind("application/pdf", "pdf")
TEXT = Kind("text/plain; charset=utf-8", "txt")

IMAGE_KINDS = frozenset({PNG, JPEG, GIF, WEBP})
ATTACHMENT_KINDS = IMAGE_KINDS | {PDF, TEXT}
EXTENSIONS = {kind.content_type.split(";")[0]: kind.extension for kind in ATTACHMENT_KINDS}
# Other spellings of an extension that a download may keep: each names the same content.
EXTENSION_ALIASES = {
    "jpg": {"jpg", "jpeg", "jpe", "jfif"},
    "txt": {"txt", "text", "log", "md", "csv"},
}

# Text may hold tabs, line breaks and form feeds, but no other C0 control character: a NUL
# or an escape sequence marks binary content (or a terminal attack) dressed up as text.
_TEXT_CONTROLS = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}


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


# --- content --------------------------------------------------------------------------------


def _looks_like_text(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return not any(byte in _TEXT_CONTROLS for byte in head)


def sniff(head: bytes) -> Kind | None:
    """The type of a file from its first bytes (magic numbers), text as the last resort."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if _looks_like_text(head):
        return TEXT
    return None


class _TextCheck:
    """Validates a text upload piece by piece: strict UTF-8 and no binary control bytes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, data: bytes, *, final: bool = False) -> None:
        try:
            self._decoder.decode(data, final=final)
        except UnicodeDecodeError:
            raise FileTypeNotAllowed("Text files must be UTF-8.") from None
        if any(byte in _TEXT_CONTROLS for byte in data):
            raise FileTypeNotAllowed("Text files must not contain binary control characters.")


def _describe(kinds: Collection[Kind]) -> str:
    return ", ".join(sorted(kind.content_type.split(";")[0] for kind in kinds))


@dataclass(frozen=True)
class ImageLimits:
    """What one image may cost to decode and encode again."""

    max_frames: int = 500
    max_animation_pixels: int = 10_000_000


def reencode_image(data: bytes, kind: Kind, limits: ImageLimits | None = None) -> bytes:
    """Decode under the pixel and frame budgets and encode afresh, in the same format.

    What is written is only what Pillow decoded: EXIF (GPS position, camera serial), text
    chunks and anything appended after the image are gone. The EXIF orientation is applied
    to the pixels first, so photos stay upright without it. The budgets are checked from the
    headers and frame count, before any pixel is decoded. Whatever else Pillow cannot decode
    or encode (a truncated file, a frame duration the format cannot hold) is the file's
    fault, never the server's: a 422.
    """
    assert kind.pillow_format is not None
    limits = limits or ImageLimits()
    with warnings.catch_warnings():
        # The explicit pixel check below is the real guard; this turns Pillow's own warning
        # (raised from its open() for anything it finds over the limit) into a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[kind.pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(MAX_IMAGE_PIXELS)
                if _has_more_frames_than(image, limits.max_frames):
                    raise AnimationTooLarge(f"more than {limits.max_frames} frames")
                frames = getattr(image, "n_frames", 1)
                if width * height * frames > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(MAX_IMAGE_PIXELS)
                if frames > 1 and width * height * frames > limits.max_animation_pixels:
                    raise AnimationTooLarge(
                        f"more than {limits.max_animation_pixels} pixels in all frames"
                    )
                # One frame is decoded at a time; what is held is the frame and its copy.
                with _DECODING.hold(width * height):
                    return _encode(image, kind.pillow_format, animated=frames > 1)
        except AppError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageTooLarge(MAX_IMAGE_PIXELS) from None
        except Exception:  # Pillow raises anything, from OSError to OverflowError
            raise InvalidImage() from None


def _has_more_frames_than(image: Image.Image, limit: int) -> bool:
    """Whether an animation has more than ``limit`` frames, counting no further than that.

    A GIF states no frame count: Pillow's ``n_frames`` walks every frame's blocks (15 µs
    each, so seconds for the 400,000 frames a 10 MiB file can hold). WebP and APNG state
    theirs in a header.
    """
    if not isinstance(image, GifImagePlugin.GifImageFile):
        return bool(getattr(image, "n_frames", 1) > limit)
    try:
        for index in range(1, limit + 1):
            # Walks the blocks without decoding pixels (what n_frames does, but stoppable).
            image._seek(index, update_image=False)
    except EOFError:
        return False
    finally:
        image.seek(0)
    return True


def _encode(image: Image.Image, pillow_format: str, *, animated: bool) -> bytes:
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if animated:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        durations = image.info.get("duration", 100)
        frames[0].save(
            out,
            pillow_format,
            save_all=True,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=durations,
            **extra,
        )
        return out.getvalue()
    image.load()
    upright = ImageOps.exif_transpose(image)
    if pillow_format == "JPEG":
        if upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, **extra)
    elif pillow_format == "PNG":
        if upright.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            upright = upright.convert("RGBA")
        upright.save(out, "PNG", **extra)
    elif pillow_format == "GIF":
        upright.save(out, "GIF")
    else:
        upright.save(out, pillow_format, quality=90, **extra)
    return out.getvalue()


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
            f"The content of this file is not one of the accepted types: {_describe(kinds)}."
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
    text_check = _TextCheck() if kind is TEXT else None

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
