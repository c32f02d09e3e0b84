"""The address books: each of a user's profiles is one read-only CardDAV address book holding
its wallet (RFC 6352), kept current by incremental sync (RFC 6578).

Members are the cards the profile holds *and still may see* (``card_visible``): a card whose
owner blocked the user, that turned private without a link, or whose profile is gone, leaves
the address book; and the profile's contacts (paper cards it keeps), each under its own id
(``…/{contact}.vcf``), with its scanned image as ``PHOTO``.

Beside this module: ``paths`` (the layout, and which resource a path names), ``vcards`` (the
served text and its ETag), ``properties`` (each resource's WebDAV properties), ``reports``
(REPORT) and ``sync_tokens`` (tokens, and what changed since one).
"""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.carddav import reports, repository
from bca.carddav.errors import FiniteDepthRequired, NeedPrivileges
from bca.carddav.paths import book_path, card_path, resolve
from bca.carddav.properties import (
    book_properties,
    card_properties,
    collection_properties,
    respond,
)
from bca.carddav.sync_tokens import log_position, sync_token
from bca.carddav.vcards import VCardText, accepted_version, etag, vcard
from bca.carddav.xml import Element, multistatus, propfind_request
from bca.core.errors import NotFound
from bca.profiles import repository as profiles_repository

MAX_BOOKS = 100


class AddressBooks:
    """One request's view of the caller's address books."""

    def __init__(self, session: AsyncSession, user: User, *, public_url: str) -> None:
        self.session = session
        self.user = user
        self.public_url = public_url

    async def get(self, path: str, *, accept: str | None) -> VCardText:
        """A card's vCard and ETag, or a whole address book as one ``.vcf`` (no ETag)."""
        target = await resolve(self.session, self.user, path)
        version = accepted_version(accept)
        public_url = self.public_url
        if target.card is not None:
            return VCardText(
                vcard(target.card, public_url=public_url, version=version),
                version,
                etag(target.card, public_url=public_url),
            )
        if target.book is not None:
            items = await repository.members(self.session, self.user.id, target.book.id)
            text = "".join(vcard(item, public_url=public_url, version=version) for item in items)
            return VCardText(text, version, None)
        raise NotFound()

    async def propfind(self, path: str, *, depth: str | None, body: bytes) -> bytes:
        request = propfind_request(body)
        if depth not in ("0", "1"):
            # Absent means infinity (RFC 4918 §9.1), which we do not walk.
            raise FiniteDepthRequired()
        target = await resolve(self.session, self.user, path)
        responses: list[Element] = []
        if target.kind == "card":
            assert target.card is not None
            props = card_properties(target.card, public_url=self.public_url)
            responses.append(respond(target.path, props, request))
        elif target.kind == "book":
            assert target.book is not None
            # The token is read before the members: a change that lands in between shows in
            # the listing and again at the next sync, never in neither.
            token = sync_token(target.book.id, await log_position(self.session, self.user))
            props = book_properties(self.user, target.book, token)
            responses.append(respond(target.path, props, request))
            if depth == "1":
                for item in await repository.members(self.session, self.user.id, target.book.id):
                    path_of = card_path(self.user.id, target.book.id, item.id)
                    props = card_properties(item, public_url=self.public_url)
                    responses.append(respond(path_of, props, request))
        else:
            props = collection_properties(self.user, target)
            responses.append(respond(target.path, props, request))
            if target.kind == "home" and depth == "1":
                books = await profiles_repository.list_own(
                    self.session, self.user.id, after=None, limit=MAX_BOOKS
                )
                seq = await log_position(self.session, self.user)
                for book in books:
                    token = sync_token(book.id, seq)
                    path_of = book_path(self.user.id, book.id)
                    props = book_properties(self.user, book, token)
                    responses.append(respond(path_of, props, request))
        return multistatus(responses)

    async def report(self, path: str, *, body: bytes) -> bytes:
        return await reports.report(
            self.session, self.user, public_url=self.public_url, path=path, body=body
        )

    async def refuse_write(self, path: str, *, method: str) -> NoReturn:
        """Every address book is read-only: 403 naming the privilege the write would need."""
        target = await resolve(self.session, self.user, path, must_exist=False)
        parent = target.path.rstrip("/").rsplit("/", 1)[0] + "/"
        if method == "PROPPATCH":
            raise NeedPrivileges(target.path, "write-properties")
        if method == "PUT" and target.card is not None:
            raise NeedPrivileges(target.path, "write-content")
        if method in ("DELETE", "MOVE"):
            raise NeedPrivileges(parent, "unbind")
        # PUT of a new member, MKCOL, COPY: adding a member to the parent collection.
        raise NeedPrivileges(parent, "bind")
