"""The WebDAV properties of each kind of resource, and the PROPFIND-style answer for one
resource: all of them, their names, or the ones asked for (the others listed as missing)."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime

from bca.accounts.models import User
from bca.carddav.paths import Target, home_path, principal_path
from bca.carddav.repository import Member
from bca.carddav.vcards import (
    VCARD_MEDIA_TYPE,
    VCardVersion,
    address_data_version,
    etag,
    vcard,
)
from bca.carddav.xml import (
    Element,
    PropRequest,
    calendarserver,
    carddav,
    dav,
    element,
    hrefs,
    response,
)
from bca.profiles.models import Profile

PropValue = Callable[[Element], Element]
Properties = dict[str, PropValue]

_NOT_IN_ALLPROP = {carddav("address-data")}
"""RFC 6352 §10.4: address data is returned only when asked for by name."""


def _privileges() -> Element:
    return element(
        dav("current-user-privilege-set"),
        None,
        element(dav("privilege"), None, element(dav("read"))),
        element(dav("privilege"), None, element(dav("read-current-user-privilege-set"))),
    )


def _common(user: User, *tags: str) -> Properties:
    principal = principal_path(user.id)
    common: Properties = {
        dav("resourcetype"): lambda _: element(
            dav("resourcetype"), None, *(element(tag) for tag in tags)
        ),
        dav("current-user-principal"): lambda _: hrefs(dav("current-user-principal"), principal),
        dav("current-user-privilege-set"): lambda _: _privileges(),
        dav("owner"): lambda _: hrefs(dav("owner"), principal),
        carddav("addressbook-home-set"): lambda _: hrefs(
            carddav("addressbook-home-set"), home_path(user.id)
        ),
        dav("principal-URL"): lambda _: hrefs(dav("principal-URL"), principal),
    }
    return common


def _named(text: str) -> PropValue:
    return lambda _: element(dav("displayname"), text)


def collection_properties(user: User, target: Target) -> Properties:
    name = user.nickname or user.username
    if target.kind == "principal":
        return _common(user, dav("collection"), dav("principal")) | {
            dav("displayname"): _named(name)
        }
    return _common(user, dav("collection")) | {
        dav("displayname"): _named("B.Ca" if target.kind == "root" else "Wallets")
    }


def book_properties(user: User, book: Profile, token: str) -> Properties:
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

    return _common(user, dav("collection"), carddav("addressbook")) | {
        dav("displayname"): _named(book.name),
        carddav("addressbook-description"): lambda _: element(
            carddav("addressbook-description"), description
        ),
        calendarserver("getctag"): lambda _: element(calendarserver("getctag"), token),
        dav("sync-token"): lambda _: element(dav("sync-token"), token),
        dav("supported-report-set"): reports,
        carddav("supported-address-data"): address_data_types,
    }


def card_properties(item: Member, *, public_url: str) -> Properties:
    rendered: dict[VCardVersion, str] = {}

    def text(version: VCardVersion) -> str:
        if version not in rendered:
            rendered[version] = vcard(item, public_url=public_url, version=version)
        return rendered[version]

    def address_data(requested: Element) -> Element:
        node = element(carddav("address-data"), text(address_data_version(requested)))
        return node

    updated = format_datetime(item.updated_at, usegmt=True)
    return {
        dav("resourcetype"): lambda _: element(dav("resourcetype")),
        dav("getetag"): lambda _: element(dav("getetag"), etag(item, public_url=public_url)),
        dav("getcontenttype"): lambda _: element(dav("getcontenttype"), VCARD_MEDIA_TYPE),
        dav("getlastmodified"): lambda _: element(dav("getlastmodified"), updated),
        dav("getcontentlength"): lambda _: element(
            dav("getcontentlength"), str(len(text("4.0").encode()))
        ),
        dav("current-user-privilege-set"): lambda _: _privileges(),
        carddav("address-data"): address_data,
    }


def respond(path: str, props: Properties, request: PropRequest) -> Element:
    if request.kind == "propname":
        return response(path, found=[element(name) for name in props])
    if request.kind == "allprop":
        return response(
            path,
            found=[
                value(element(name)) for name, value in props.items() if name not in _NOT_IN_ALLPROP
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
