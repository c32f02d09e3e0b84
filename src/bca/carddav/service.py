"""The address books: each of a user's profiles is one read-only CardDAV address book holding
its wallet (RFC 6352), kept current by incremental sync (RFC 6578).

Decisions worth knowing:

- Layout: ``/dav/`` (service root) → ``/dav/principals/{user}/`` (principal) →
  ``/dav/addressbooks/{user}/`` (home) → ``…/{profile}/`` (a wallet) → ``…/{card}.vcf``.
  Anything outside the caller's own tree is 404, like every resource one may not see.
- Members are the cards the profile holds *and still may see* (``card_visible``): a card whose
  owner blocked the user, that turned private without a link, or whose profile is gone,
  leaves the address book; and the profile's contacts (paper cards it keeps), each under its
  own id (``…/{contact}.vcf``), with its scanned image as ``PHOTO``.
- The vCard is the API's export (``bca.cards.vcard``) plus a ``PHOTO`` link to the card's
  preview, or else its profile's image, served under ``/dav/files/`` with the same Basic
  credentials. ``address-data`` without a ``version`` is 3.0, as RFC 6352's DTD says; GET
  answers 4.0 unless ``Accept`` asks for 3.0.
- ETag: a hash of what the vCard is rendered from (card id and version, photo file, public
  URL, renderer revision). Every card change bumps ``version`` and ``updated_at`` (the vCard's
  ``REV``), so the ETag changes exactly when the served text does, without rendering 5,000
  vCards to list an address book. Both vCard versions share it: they are one resource.
- Sync tokens are positions in the user's change log (``bca.sync``):
  ``urn:x-bca:sync:{profile}:{seq}``. A ``subscription`` entry ``{profile}:{card}`` says a card
  entered or left this wallet (or became visible/invisible), a ``card`` entry that its content
  changed, a ``profile`` entry that a photo falling back to that profile's image may have, a
  ``contact`` entry that a contact was added, changed or removed.
  A sync reads the entries after the token (one range scan) and then only the cards they name:
  the cost follows the changes, not the wallet. Tokens below the log's compaction horizon, of
  another address book, or never issued answer ``DAV:valid-sync-token``. ``getctag`` is the
  same position.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Literal, NoReturn
from urllib.parse import unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.carddav import repository
from bca.carddav.errors import (
    CARDDAV,
    DAV,
    FiniteDepthRequired,
    InvalidSyncToken,
    MalformedRequest,
    NeedPrivileges,
    TooManyMatches,
    UnsupportedAddressData,
    UnsupportedReport,
)
from bca.carddav.filters import parse_filter, properties
from bca.carddav.repository import BookContact, Member
from bca.carddav.xml import (
    MAX_NUMBER_DIGITS,
    Element,
    PropRequest,
    calendarserver,
    carddav,
    dav,
    element,
    hrefs,
    limit_of,
    multistatus,
    parse,
    prop_request,
    propfind_request,
    response,
)
from bca.cards.vcard import contact_of, to_vcard
from bca.contacts.vcard import contact_vcard
from bca.core.errors import NotFound
from bca.profiles import repository as profiles_repository
from bca.profiles.models import Profile
from bca.sync import repository as sync_repository

ROOT = "/dav/"
VCARD_MEDIA_TYPE = "text/vcard; charset=utf-8"
RENDERING = "1"
"""Bump when the vCard renderer's output changes, so that every ETag changes with it."""
MAX_LOG_ENTRIES = 2000
"""Change-log entries one sync-collection answer covers; beyond, it is truncated (507)."""
MAX_BOOKS = 100

VCardVersion = Literal["4.0", "3.0"]
PropValue = Callable[[Element], Element]
Properties = dict[str, PropValue]


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


def sync_token(book_id: uuid.UUID, seq: int) -> str:
    return f"urn:x-bca:sync:{book_id}:{seq}"


def parse_sync_token(token: str, book_id: uuid.UUID) -> int:
    prefix = f"urn:x-bca:sync:{book_id}:"
    seq = token.strip().removeprefix(prefix)
    # ASCII digits, as many as a 64-bit position has: int() also reads "²" and other
    # scripts' digits (or fails on them), and refuses more than 4,300 digits.
    if (
        seq == token.strip()
        or not (seq.isascii() and seq.isdigit())
        or len(seq) > MAX_NUMBER_DIGITS
    ):
        raise InvalidSyncToken()
    return int(seq)


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def accepted_version(accept: str | None) -> VCardVersion:
    """GET: 3.0 when ``Accept`` asks for ``text/vcard;version=3.0`` (or the old ``text/x-vcard``)
    and not for 4.0; 4.0, the API's export, otherwise."""
    if not accept:
        return "4.0"
    wants_three = wants_four = False
    for media_range in accept.lower().split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        named = dict(param.partition("=")[::2] for param in params)
        version = named.get("version", "").strip('" ') or None
        if kind == "text/x-vcard" or (kind == "text/vcard" and version == "3.0"):
            wants_three = True
        elif kind == "text/vcard" and version in (None, "4.0"):
            wants_four = True
    return "3.0" if wants_three and not wants_four else "4.0"


def address_data_version(requested: Element) -> VCardVersion:
    content_type = requested.get("content-type", "text/vcard").strip().lower()
    version = requested.get("version", "3.0").strip()
    if content_type != "text/vcard" or version not in ("3.0", "4.0"):
        raise UnsupportedAddressData()
    return "3.0" if version == "3.0" else "4.0"


_NOT_IN_ALLPROP = {carddav("address-data")}
"""RFC 6352 §10.4: address data is returned only when asked for by name."""


@dataclass(frozen=True)
class Target:
    kind: Literal["root", "principal", "home", "book", "card"]
    path: str
    book: Profile | None = None
    card: Member | None = None


@dataclass(frozen=True)
class VCardText:
    text: str
    version: VCardVersion
    etag: str | None


@dataclass(frozen=True)
class SyncResult:
    token: str
    present: Sequence[Member]
    removed: Sequence[uuid.UUID]
    truncated: bool


class AddressBooks:
    """One request's view of the caller's address books."""

    def __init__(self, session: AsyncSession, user: User, *, public_url: str) -> None:
        self.session = session
        self.user = user
        self.public_url = public_url

    # --- paths -----------------------------------------------------------------------------

    async def resolve(self, path: str, *, must_exist: bool = True) -> Target:
        """The resource at ``path`` (relative to ``/dav/``), or 404 when not the caller's.

        ``must_exist=False`` also resolves a card that is not (or no longer) in the wallet and a
        book that does not exist, for answering writes with the privilege they would need.
        """
        parts = [part for part in path.strip("/").split("/") if part]
        user_id = self.user.id
        if not parts:
            return Target("root", ROOT)
        if parts[0] == "principals" and parts[1:] == [str(user_id)]:
            return Target("principal", principal_path(user_id))
        if parts[0] != "addressbooks" or len(parts) < 2 or parts[1] != str(user_id):
            raise NotFound()
        if len(parts) == 2:
            return Target("home", home_path(user_id))
        book_id = _parse_uuid(parts[2])
        book = (
            await profiles_repository.get_own(self.session, user_id, book_id) if book_id else None
        )
        if book is None and len(parts) == 3 and book_id and not must_exist:
            return Target("book", book_path(user_id, book_id))  # MKCOL of a new book
        if book is None or len(parts) > 4:
            raise NotFound()
        if len(parts) == 3:
            return Target("book", book_path(user_id, book.id), book=book)
        card_id = _parse_uuid(parts[3].removesuffix(".vcf")) if parts[3].endswith(".vcf") else None
        if card_id is None:
            raise NotFound()
        found = await repository.members(self.session, user_id, book.id, [card_id])
        if not found and must_exist:
            raise NotFound()
        return Target(
            "card",
            card_path(user_id, book.id, card_id),
            book=book,
            card=found[0] if found else None,
        )

    def _card_id_of(self, book: Profile, href: str) -> uuid.UUID | None:
        """The card a multiget ``href`` names in this book (absolute URL or path)."""
        path = unquote(urlsplit(href.strip()).path)
        prefix = book_path(self.user.id, book.id)
        if not path.startswith(prefix) or not path.endswith(".vcf"):
            return None
        return _parse_uuid(path[len(prefix) : -len(".vcf")])

    # --- vCards ----------------------------------------------------------------------------

    def etag(self, item: Member) -> str:
        kind = "contact|" if isinstance(item, BookContact) else ""
        source = (
            f"{RENDERING}|{self.public_url}|{kind}{item.id}|{item.version}|{item.photo_file_id}"
        )
        return '"' + hashlib.sha256(source.encode()).hexdigest()[:32] + '"'

    def vcard(self, item: Member, version: VCardVersion = "4.0") -> str:
        photo = item.photo_file_id
        if isinstance(item, BookContact):
            return contact_vcard(
                item.contact,
                photo_url=photo_url(self.public_url, photo) if photo else None,
                version=version,
            )
        card = item.card
        return to_vcard(
            contact_of(name=card.name, data=card.data),
            card_id=card.id,
            updated_at=card.updated_at,
            photo_url=photo_url(self.public_url, photo) if photo else None,
            version=version,
        )

    async def get(self, path: str, *, accept: str | None) -> VCardText:
        """A card's vCard and ETag, or a whole address book as one ``.vcf`` (no ETag)."""
        target = await self.resolve(path)
        version = accepted_version(accept)
        if target.card is not None:
            return VCardText(self.vcard(target.card, version), version, self.etag(target.card))
        if target.book is not None:
            items = await repository.members(self.session, self.user.id, target.book.id)
            return VCardText("".join(self.vcard(item, version) for item in items), version, None)
        raise NotFound()

    # --- properties ------------------------------------------------------------------------

    def _privileges(self) -> Element:
        return element(
            dav("current-user-privilege-set"),
            None,
            element(dav("privilege"), None, element(dav("read"))),
            element(dav("privilege"), None, element(dav("read-current-user-privilege-set"))),
        )

    def _common(self, *tags: str) -> Properties:
        principal = principal_path(self.user.id)
        common: Properties = {
            dav("resourcetype"): lambda _: element(
                dav("resourcetype"), None, *(element(tag) for tag in tags)
            ),
            dav("current-user-principal"): lambda _: hrefs(
                dav("current-user-principal"), principal
            ),
            dav("current-user-privilege-set"): lambda _: self._privileges(),
            dav("owner"): lambda _: hrefs(dav("owner"), principal),
            carddav("addressbook-home-set"): lambda _: hrefs(
                carddav("addressbook-home-set"), home_path(self.user.id)
            ),
            dav("principal-URL"): lambda _: hrefs(dav("principal-URL"), principal),
        }
        return common

    def _named(self, text: str) -> PropValue:
        return lambda _: element(dav("displayname"), text)

    def _collection_props(self, target: Target) -> Properties:
        name = self.user.nickname or self.user.username
        if target.kind == "principal":
            return self._common(dav("collection"), dav("principal")) | {
                dav("displayname"): self._named(name)
            }
        return self._common(dav("collection")) | {
            dav("displayname"): self._named("B.Ca" if target.kind == "root" else "Wallets")
        }

    def _book_props(self, book: Profile, token: str) -> Properties:
        description = f"Cards in the wallet of {book.name}"

        def reports(_: Element) -> Element:
            return element(
                dav("supported-report-set"),
                None,
                *(
                    element(dav("supported-report"), None, element(dav("report"), None, element(r)))
                    for r in (
                        carddav("addressbook-multiget"),
                        carddav("addressbook-query"),
                        dav("sync-collection"),
                    )
                ),
            )

        def address_data_types(_: Element) -> Element:
            node = element(carddav("supported-address-data"))
            for version in ("4.0", "3.0"):
                kind = element(carddav("address-data-type"))
                kind.set("content-type", "text/vcard")
                kind.set("version", version)
                node.append(kind)
            return node

        return self._common(dav("collection"), carddav("addressbook")) | {
            dav("displayname"): self._named(book.name),
            carddav("addressbook-description"): lambda _: element(
                carddav("addressbook-description"), description
            ),
            calendarserver("getctag"): lambda _: element(calendarserver("getctag"), token),
            dav("sync-token"): lambda _: element(dav("sync-token"), token),
            dav("supported-report-set"): reports,
            carddav("supported-address-data"): address_data_types,
        }

    def _card_props(self, item: Member) -> Properties:
        rendered: dict[VCardVersion, str] = {}

        def text(version: VCardVersion) -> str:
            if version not in rendered:
                rendered[version] = self.vcard(item, version)
            return rendered[version]

        def address_data(requested: Element) -> Element:
            node = element(carddav("address-data"), text(address_data_version(requested)))
            return node

        updated = format_datetime(item.updated_at, usegmt=True)
        return {
            dav("resourcetype"): lambda _: element(dav("resourcetype")),
            dav("getetag"): lambda _: element(dav("getetag"), self.etag(item)),
            dav("getcontenttype"): lambda _: element(dav("getcontenttype"), VCARD_MEDIA_TYPE),
            dav("getlastmodified"): lambda _: element(dav("getlastmodified"), updated),
            dav("getcontentlength"): lambda _: element(
                dav("getcontentlength"), str(len(text("4.0").encode()))
            ),
            dav("current-user-privilege-set"): lambda _: self._privileges(),
            carddav("address-data"): address_data,
        }

    @staticmethod
    def _respond(path: str, props: Properties, request: PropRequest) -> Element:
        if request.kind == "propname":
            return response(path, found=[element(name) for name in props])
        if request.kind == "allprop":
            return response(
                path,
                found=[
                    value(element(name))
                    for name, value in props.items()
                    if name not in _NOT_IN_ALLPROP
                ],
            )
        found: list[Element] = []
        missing: list[str] = []
        for requested in request.props:
            produce = props.get(requested.tag)
            if produce is None:
                missing.append(requested.tag)
            else:
                found.append(produce(requested))
        return response(path, found=found, missing=missing)

    async def _position(self) -> int:
        """The user's change-log position: every book's sync token and ctag."""
        counter = await sync_repository.get_counter(self.session, self.user.id)
        return counter.last_seq if counter else 0

    # --- PROPFIND --------------------------------------------------------------------------

    async def propfind(self, path: str, *, depth: str | None, body: bytes) -> bytes:
        request = propfind_request(body)
        if depth not in ("0", "1"):
            # Absent means infinity (RFC 4918 §9.1), which we do not walk.
            raise FiniteDepthRequired()
        target = await self.resolve(path)
        responses: list[Element] = []
        if target.kind == "card":
            assert target.card is not None
            responses.append(self._respond(target.path, self._card_props(target.card), request))
        elif target.kind == "book":
            assert target.book is not None
            # The token is read before the members: a change that lands in between shows in
            # the listing and again at the next sync, never in neither.
            token = sync_token(target.book.id, await self._position())
            props = self._book_props(target.book, token)
            responses.append(self._respond(target.path, props, request))
            if depth == "1":
                for item in await repository.members(self.session, self.user.id, target.book.id):
                    path_of = card_path(self.user.id, target.book.id, item.id)
                    responses.append(self._respond(path_of, self._card_props(item), request))
        else:
            responses.append(self._respond(target.path, self._collection_props(target), request))
            if target.kind == "home" and depth == "1":
                books = await profiles_repository.list_own(
                    self.session, self.user.id, after=None, limit=MAX_BOOKS
                )
                seq = await self._position()
                for book in books:
                    token = sync_token(book.id, seq)
                    path_of = book_path(self.user.id, book.id)
                    responses.append(self._respond(path_of, self._book_props(book, token), request))
        return multistatus(responses)

    # --- REPORT ----------------------------------------------------------------------------

    async def report(self, path: str, *, body: bytes) -> bytes:
        root = parse(body)
        known = {
            carddav("addressbook-multiget"),
            carddav("addressbook-query"),
            dav("sync-collection"),
        }
        if root.tag not in known:
            raise UnsupportedReport()
        target = await self.resolve(path)
        if target.book is None or target.kind != "book":
            raise UnsupportedReport()
        book = target.book
        if root.tag == carddav("addressbook-multiget"):
            return await self._multiget(book, root)
        if root.tag == carddav("addressbook-query"):
            return await self._query(book, root)
        return await self._sync_collection(book, root)

    def _card_response(self, path: str, item: Member, request: PropRequest) -> Element:
        return self._respond(path, self._card_props(item), request)

    async def _multiget(self, book: Profile, root: Element) -> bytes:
        request = prop_request(root)
        wanted = [(node.text or "").strip() for node in root.findall(dav("href"))]
        ids = {href: self._card_id_of(book, href) for href in wanted}
        found = {
            item.id: item
            for item in await repository.members(
                self.session,
                self.user.id,
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
                responses.append(self._card_response(href, item, request))
        return multistatus(responses)

    async def _query(self, book: Profile, root: Element) -> bytes:
        request = prop_request(root)
        matches = parse_filter(root.find(carddav("filter")))
        limit = limit_of(root, CARDDAV)
        items = await repository.members(self.session, self.user.id, book.id)
        selected = [item for item in items if matches(properties(self.vcard(item)))]
        responses = []
        for item in selected[:limit] if limit is not None else selected:
            path = card_path(self.user.id, book.id, item.id)
            responses.append(self._card_response(path, item, request))
        if limit is not None and len(selected) > limit:
            # RFC 6352 §8.6.1: truncated results name the collection with 507.
            responses.append(response(book_path(self.user.id, book.id), status=507))
        return multistatus(responses)

    async def _sync_collection(self, book: Profile, root: Element) -> bytes:
        level = (root.findtext(dav("sync-level")) or "1").strip()
        if level not in ("1", "infinite"):
            # Address books hold no collections: both levels list the same members.
            raise MalformedRequest("sync-level must be 1 or infinite.")
        request = prop_request(root)
        result = await self.changes(book, (root.findtext(dav("sync-token")) or "").strip())
        limit = limit_of(root, DAV)
        if limit is not None and len(result.present) + len(result.removed) > limit:
            raise TooManyMatches()
        responses = [
            self._card_response(card_path(self.user.id, book.id, item.id), item, request)
            for item in result.present
        ]
        responses += [
            response(card_path(self.user.id, book.id, card_id), status=404)
            for card_id in result.removed
        ]
        if result.truncated:
            responses.append(response(book_path(self.user.id, book.id), status=507))
        return multistatus(responses, sync_token=result.token)

    async def changes(self, book: Profile, token: str) -> SyncResult:
        """What changed in the book since ``token`` (everything when it is empty)."""
        counter = await sync_repository.get_counter(self.session, self.user.id)
        last_seq = counter.last_seq if counter else 0
        if not token:
            items = await repository.members(self.session, self.user.id, book.id)
            return SyncResult(sync_token(book.id, last_seq), items, [], truncated=False)
        since = parse_sync_token(token, book.id)
        if counter is None or since < counter.compacted_through or since > last_seq:
            raise InvalidSyncToken()
        entries = await sync_repository.read_log(
            self.session, self.user.id, since=since, limit=MAX_LOG_ENTRIES + 1
        )
        truncated = len(entries) > MAX_LOG_ENTRIES
        entries = entries[:MAX_LOG_ENTRIES]
        held, changed, profiles, contacts = _wallet_changes(
            book.id, [(e.entity, e.entity_id) for e in entries]
        )
        cards = await repository.wallet(
            self.session,
            self.user.id,
            book.id,
            card_ids=held | changed,
            photo_from_profiles=profiles,
        )
        kept = await repository.contacts(self.session, book.id, contacts) if contacts else []
        present: list[Member] = sorted([*cards, *kept], key=lambda item: item.id)
        gone_contacts = await repository.contacts_ever_in(self.session, book.id, contacts)
        removed = sorted(
            (held - {item.id for item in cards}) | (gone_contacts - {item.id for item in kept})
        )
        position = entries[-1].seq if entries else since
        return SyncResult(sync_token(book.id, position), present, removed, truncated)

    # --- writes ----------------------------------------------------------------------------

    async def refuse_write(self, path: str, *, method: str) -> NoReturn:
        """Every address book is read-only: 403 naming the privilege the write would need."""
        target = await self.resolve(path, must_exist=False)
        parent = target.path.rstrip("/").rsplit("/", 1)[0] + "/"
        if method == "PROPPATCH":
            raise NeedPrivileges(target.path, "write-properties")
        if method == "PUT" and target.card is not None:
            raise NeedPrivileges(target.path, "write-content")
        if method in ("DELETE", "MOVE"):
            raise NeedPrivileges(parent, "unbind")
        # PUT of a new member, MKCOL, COPY: adding a member to the parent collection.
        raise NeedPrivileges(parent, "bind")


def _wallet_changes(
    book_id: uuid.UUID, entries: Iterable[tuple[str, str]]
) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
    """From log entries: cards that entered or left this wallet, cards whose content changed,
    profiles whose image a card's photo may fall back to, and contacts added, changed or
    removed (of any of the user's books: the caller keeps this book's)."""
    held: set[uuid.UUID] = set()
    changed: set[uuid.UUID] = set()
    profiles: set[uuid.UUID] = set()
    contacts: set[uuid.UUID] = set()
    prefix = f"{book_id}:"
    for entity, entity_id in entries:
        if entity == "subscription" and entity_id.startswith(prefix):
            found = _parse_uuid(entity_id[len(prefix) :])
            if found is not None:
                held.add(found)
        elif entity == "card":
            found = _parse_uuid(entity_id)
            if found is not None:
                changed.add(found)
        elif entity == "profile":
            found = _parse_uuid(entity_id)
            if found is not None:
                profiles.add(found)
        elif entity == "contact":
            found = _parse_uuid(entity_id)
            if found is not None:
                contacts.add(found)
    return held, changed, profiles, contacts
