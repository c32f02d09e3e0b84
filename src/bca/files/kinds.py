"""The kinds of file an upload may be, and how one is recognised: by its first bytes (magic
numbers, strict UTF-8 text as the last resort), never by its name or the declared type."""

from __future__ import annotations

import codecs
from collections.abc import Collection
from dataclasses import dataclass

from bca.files.errors import (
    FileTypeNotAllowed,
)


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


class TextCheck:
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


def describe_kinds(kinds: Collection[Kind]) -> str:
    return ", ".join(sorted(kind.content_type.split(";")[0] for kind in kinds))
