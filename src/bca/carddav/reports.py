"""REPORT on an address book: ``addressbook-multiget`` and ``addressbook-query`` (RFC 6352)
and ``sync-collection`` (RFC 6578)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.carddav import repository
from bca.carddav.errors import (
    CARDDAV,
    DAV,
    MalformedRequest,
    TooManyMatches,
    UnsupportedReport,
)
from bca.carddav.filters import parse_filter, properties
from bca.carddav.paths import book_path, card_id_of, card_path, resolve
from bca.carddav.properties import card_properties, respond
from bca.carddav.repository import Member
from bca.carddav.sync_tokens import changes
from bca.carddav.vcards import vcard
from bca.carddav.xml import (
    Element,
    PropRequest,
    carddav,
    dav,
    limit_of,
    multistatus,
    parse,
    prop_request,
    response,
)
from bca.profiles.models import Profile


async def report(
    session: AsyncSession, user: User, *, public_url: str, path: str, body: bytes
) -> bytes:
    root = parse(body)
    known = {
        carddav("addressbook-multiget"),
        carddav("addressbook-query"),
        dav("sync-collection"),
    }
    if root.tag not in known:
        raise UnsupportedReport()
    target = await resolve(session, user, path)
    if target.book is None or target.kind != "book":
        raise UnsupportedReport()
    book = target.book
    if root.tag == carddav("addressbook-multiget"):
        return await _multiget(session, user, public_url=public_url, book=book, root=root)
    if root.tag == carddav("addressbook-query"):
        return await _query(session, user, public_url=public_url, book=book, root=root)
    return await _sync_collection(session, user, public_url=public_url, book=book, root=root)


def _card_response(path: str, item: Member, request: PropRequest, *, public_url: str) -> Element:
    return respond(path, card_properties(item, public_url=public_url), request)


async def _multiget(
    session: AsyncSession, user: User, *, public_url: str, book: Profile, root: Element
) -> bytes:
    request = prop_request(root)
    wanted = [(node.text or "").strip() for node in root.findall(dav("href"))]
    ids = {href: card_id_of(user, book, href) for href in wanted}
    found = {
        item.id: item
        for item in await repository.members(
            session,
            user.id,
            book.id,
            {card_id for card_id in ids.values() if card_id is not None},
        )
    }
    responses = []
    for href in wanted:
        card_id = ids[href]
        item = found.get(card_id) if card_id is not None else None
        if item is None:
            responses.append(response(href, status=404))
        else:
            responses.append(_card_response(href, item, request, public_url=public_url))
    return multistatus(responses)


async def _query(
    session: AsyncSession, user: User, *, public_url: str, book: Profile, root: Element
) -> bytes:
    request = prop_request(root)
    matches = parse_filter(root.find(carddav("filter")))
    limit = limit_of(root, CARDDAV)
    items = await repository.members(session, user.id, book.id)
    selected = [item for item in items if matches(properties(vcard(item, public_url=public_url)))]
    responses = []
    for item in selected[:limit] if limit is not None else selected:
        path = card_path(user.id, book.id, item.id)
        responses.append(_card_response(path, item, request, public_url=public_url))
    if limit is not None and len(selected) > limit:
        # RFC 6352 §8.6.1: truncated results name the collection with 507.
        responses.append(response(book_path(user.id, book.id), status=507))
    return multistatus(responses)


async def _sync_collection(
    session: AsyncSession, user: User, *, public_url: str, book: Profile, root: Element
) -> bytes:
    level = (root.findtext(dav("sync-level")) or "1").strip()
    if level not in ("1", "infinite"):
        # Address books hold no collections: both levels list the same members.
        raise MalformedRequest("sync-level must be 1 or infinite.")
    request = prop_request(root)
    token = (root.findtext(dav("sync-token")) or "").strip()
    result = await changes(session, user, book=book, token=token)
    limit = limit_of(root, DAV)
    if limit is not None and len(result.present) + len(result.removed) > limit:
        raise TooManyMatches()
    responses = [
        _card_response(card_path(user.id, book.id, item.id), item, request, public_url=public_url)
        for item in result.present
    ]
    responses += [
        response(card_path(user.id, book.id, card_id), status=404) for card_id in result.removed
    ]
    if result.truncated:
        responses.append(response(book_path(user.id, book.id), status=507))
    return multistatus(responses, sync_token=result.token)
