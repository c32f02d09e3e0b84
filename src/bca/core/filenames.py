"""File names offered in ``Content-Disposition`` (RFC 6266), safe for every client."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import quote

# Nothing that could name a folder, end the header or confuse a file system.
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]')
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,-]")
# RFC 8187 attr-char, beyond what quote() always keeps (letters, digits, "_.-~").
_ATTR_CHARS = "!#$&+^`|"


def content_disposition(kind: Literal["inline", "attachment"], filename: str) -> str:
    """``Content-Disposition`` offering ``filename`` (RFC 6266): the full name, percent-encoded
    UTF-8, in ``filename*``, and an ASCII stand-in in ``filename`` for old clients."""
    name = _UNSAFE_IN_NAMES.sub("_", filename).strip(" .") or "download"
    ascii_name = _NOT_PLAIN_ASCII.sub(
        "_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    )
    stem, dot, suffix = ascii_name.rpartition(".")
    if not (stem if dot else ascii_name).strip("_ "):
        ascii_name = f"download.{suffix}" if dot else "download"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
