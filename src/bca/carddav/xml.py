"""WebDAV XML in and out: safe parsing of request bodies and the multistatus we answer with.

Parsing goes through ``defusedxml`` with every dangerous feature refused: a document that
declares a DTD at all (the carrier of entity expansion bombs and of external entities that read
files or URLs) is rejected before anything is expanded, and so are entity declarations and
external references. No WebDAV request needs a DTD, so refusing them costs no client anything.
``lxml`` would parse faster, but it needs several flags to be safe (``resolve_entities``,
``no_network``, ``load_dtd``) and still accepts a DOCTYPE, which we would then have to check
by hand; request bodies here are small, so the pure-Python, safe-by-default parser wins.
Answers are built with the standard library's ElementTree; we only write, never parse, there.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # output only; input goes through defusedxml
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bca.carddav.errors import CARDDAV, DAV, XML_MEDIA_TYPE, MalformedRequest

CALENDARSERVER = "http://calendarserver.org/ns/"

for _prefix, _namespace in (("d", DAV), ("card", CARDDAV), ("cs", CALENDARSERVER)):
    ET.register_namespace(_prefix, _namespace)

MEDIA_TYPE = XML_MEDIA_TYPE

Element = ET.Element


def dav(name: str) -> str:
    return f"{{{DAV}}}{name}"


def carddav(name: str) -> str:
    return f"{{{CARDDAV}}}{name}"


def calendarserver(name: str) -> str:
    return f"{{{CALENDARSERVER}}}{name}"


def element(tag: str, text: str | None = None, *children: Element) -> Element:
    node = ET.Element(tag)
    node.text = text
    node.extend(children)
    return node


def href(path: str) -> Element:
    return element(dav("href"), path)


def hrefs(tag: str, *paths: str) -> Element:
    return element(tag, None, *(href(path) for path in paths))


def parse(body: bytes) -> Element:
    """The document's root, or 400 for anything malformed or unsafe (nothing is expanded)."""
    try:
        root: Element = SafeET.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    # LookupError: an ``encoding`` that Python does not know (``encoding="x-nonexistent"``).
    except (ET.ParseError, DefusedXmlException, UnicodeError, ValueError, LookupError) as error:
        reason = type(error).__name__
        raise MalformedRequest(f"The XML body is malformed or unsafe ({reason}).") from None
    return root


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropRequest:
    """What a PROPFIND or REPORT asks for: named properties, all of them, or their names."""

    kind: Literal["prop", "allprop", "propname"] = "allprop"
    props: list[Element] = field(default_factory=list)


def prop_request(parent: Element | None) -> PropRequest:
    """From the element holding ``DAV:prop`` / ``DAV:allprop`` / ``DAV:propname``."""
    if parent is None:
        return PropRequest()
    if parent.find(dav("propname")) is not None:
        return PropRequest(kind="propname")
    prop = parent.find(dav("prop"))
    if prop is not None:
        return PropRequest(kind="prop", props=list(prop))
    return PropRequest()


def propfind_request(body: bytes) -> PropRequest:
    """An empty body means allprop (RFC 4918 §9.1)."""
    if not body.strip():
        return PropRequest()
    root = parse(body)
    if root.tag != dav("propfind"):
        raise MalformedRequest("PROPFIND expects a DAV:propfind document.")
    return prop_request(root)


MAX_NUMBER_DIGITS = 18
"""Numbers read from requests (limits, sync-token positions) fit a signed 64-bit integer."""


def limit_of(root: Element, namespace: str) -> int | None:
    nresults = root.find(f"{{{namespace}}}limit/{{{namespace}}}nresults")
    if nresults is None:
        return None
    text = (nresults.text or "").strip()
    # ASCII digits only: int() also reads other scripts' digits, and refuses (ValueError)
    # past 4,300 of them; nothing larger than a page is ever served anyway.
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_NUMBER_DIGITS:
        raise MalformedRequest("nresults must be a number.")
    value = int(text)
    if value < 0:
        raise MalformedRequest("nresults must not be negative.")
    return value


# --- responses ---------------------------------------------------------------------------------


def status_line(code: int) -> str:
    return f"HTTP/1.1 {code} {HTTPStatus(code).phrase}"


def response(
    path: str,
    *,
    found: Iterable[Element] = (),
    missing: Iterable[str] = (),
    status: int | None = None,
) -> Element:
    """One ``DAV:response``: a propstat per status, or a bare status (404 of a removed member)."""
    node = element(dav("response"), None, href(path))
    if status is not None:
        node.append(element(dav("status"), status_line(status)))
        return node
    found, missing = list(found), list(missing)
    for code, props in ((200, found), (404, [ET.Element(tag) for tag in missing])):
        if props or (code == 200 and not missing):
            prop = element(dav("prop"), None, *props)
            node.append(
                element(dav("propstat"), None, prop, element(dav("status"), status_line(code)))
            )
    return node


def multistatus(responses: Iterable[Element], *, sync_token: str | None = None) -> bytes:
    root = element(dav("multistatus"), None, *responses)
    if sync_token is not None:
        root.append(element(dav("sync-token"), sync_token))
    return serialize(root)


def serialize(root: Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
