"""Where each resource of the address books lives, and which resource a request's path names.

Layout: ``/dav/`` (service root) → ``/dav/principals/{user}/`` (principal) →
``/dav/addressbooks/{user}/`` (home) → ``…/{profile}/`` (a wallet) → ``…/{card}.vcf``.
Anything outside the caller's own tree is 404, like every resource one may not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.carddav import repository
from bca.carddav.repository import Member
from bca.core.errors import NotFound
from bca.profiles import repository as profiles_repository
from bca.profiles.models import Profile

ROOT = "/dav/"


def principal_path(user_id: uuid.UUID) -> str:
    return f"{ROOT}principals/{user_id}/"


def home_path(user_id: uuid.UUID) -> str:
    return f"{ROOT}addressbooks/{user_id}/"


def book_path(user_id: uuid.UUID, book_id: uuid.UUID) -> str:
    return f"{home_path(user_id)}{book_id}/"


def card_path(user_id: uuid.UUID, book_id: uuid.UUID, card_id: uuid.UUID) -> str:
    return f"{book_path(user_id, book_id)}{card_id}.vcf"


def photo_url(public_url: str, file_id: uuid.UUID) -> str:
    return f"{public_url.rstrip('/')}{ROOT}files/{file_id}"


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Target:
    kind: Literal["root", "principal", "home", "book", "card"]
    path: str
    book: Profile | None = None
    card: Member | None = None


async def resolve(
    session: AsyncSession, user: User, path: str, *, must_exist: bool = True
) -> Target:
    """The resource at ``path`` (relative to ``/dav/``), or 404 when not the caller's.

    ``must_exist=False`` also resolves a card that is not (or no longer) in the wallet and a
    book that does not exist, for answering writes with the privilege they would need.
    """
    parts = [part for part in path.strip("/").split("/") if part]
    user_id = user.id
    if not parts:
        return Target("root", ROOT)
    if parts[0] == "principals" and parts[1:] == [str(user_id)]:
        return Target("principal", principal_path(user_id))
    if parts[0] != "addressbooks" or len(parts) < 2 or parts[1] != str(user_id):
        raise NotFound()
    if len(parts) == 2:
        return Target("home", home_path(user_id))
    book_id = parse_uuid(parts[2])
    book = await profiles_repository.get_own(session, user_id, book_id) if book_id else None
    if book is None and len(parts) == 3 and book_id and not must_exist:
        return Target("book", book_path(user_id, book_id))  # MKCOL of a new book
    if book is None or len(parts) > 4:
        raise NotFound()
    if len(parts) == 3:
        return Target("book", book_path(user_id, book.id), book=book)
    card_id = parse_uuid(parts[3].removesuffix(".vcf")) if parts[3].endswith(".vcf") else None
    if card_id is None:
        raise NotFound()
    found = await repository.members(session, user_id, book.id, [card_id])
    if not found and must_exist:
        raise NotFound()
    return Target(
        "card",
        card_path(user_id, book.id, card_id),
        book=book,
        card=found[0] if found else None,
    )


def card_id_of(user: User, book: Profile, href: str) -> uuid.UUID | None:
    """The card a multiget ``href`` names in this book (absolute URL or path)."""
    path = unquote(urlsplit(href.strip()).path)
    prefix = book_path(user.id, book.id)
    if not path.startswith(prefix) or not path.endswith(".vcf"):
        return None
    return parse_uuid(path[len(prefix) : -len(".vcf")])
