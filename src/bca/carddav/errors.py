"""CardDAV errors: WebDAV answers them as ``DAV:error`` documents naming a precondition.

Clients branch on the precondition element (RFC 4918 §16, RFC 3744 §7.1.1, RFC 6352 §6.3.2,
RFC 6578 §3.2), the way API clients branch on a problem document's ``code``; ``code`` is kept
for logs and for the generic error handler's fallback.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # output only; input goes through defusedxml
from typing import ClassVar

from fastapi import Request
from fastapi.responses import Response

from bca.core.errors import AppError

DAV = "DAV:"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
XML_MEDIA_TYPE = 'application/xml; charset="utf-8"'


class DavError(AppError):
    """An error whose body is ``<D:error><precondition/></D:error>``."""

    status = 403
    code = "forbidden"
    precondition: ClassVar[str | None] = None
    """Clark name of the precondition element, e.g. ``{DAV:}valid-sync-token``."""

    def body(self) -> ET.Element:
        root = ET.Element(f"{{{DAV}}}error")
        if self.precondition is not None:
            ET.SubElement(root, self.precondition)
        return root


class MalformedRequest(DavError):
    status = 400
    code = "bad_request"
    detail = "The request body is not a valid WebDAV document."


class NeedPrivileges(DavError):
    """Every address book is read-only: the wallet changes through the B.Ca app (RFC 3744)."""

    code = "forbidden"
    detail = "This address book is read-only."

    def __init__(self, path: str, privilege: str) -> None:
        super().__init__()
        self.path = path
        self.privilege = privilege

    def body(self) -> ET.Element:
        root = ET.Element(f"{{{DAV}}}error")
        resource = ET.SubElement(
            ET.SubElement(root, f"{{{DAV}}}need-privileges"), f"{{{DAV}}}resource"
        )
        ET.SubElement(resource, f"{{{DAV}}}href").text = self.path
        ET.SubElement(ET.SubElement(resource, f"{{{DAV}}}privilege"), f"{{{DAV}}}{self.privilege}")
        return root


class InvalidSyncToken(DavError):
    code = "cursor_expired"
    detail = "The sync token is unknown or expired: sync again without a token."
    precondition = f"{{{DAV}}}valid-sync-token"


class FiniteDepthRequired(DavError):
    detail = "PROPFIND with Depth: infinity is not supported."
    precondition = f"{{{DAV}}}propfind-finite-depth"


class UnsupportedReport(DavError):
    detail = "This report is not supported here."
    precondition = f"{{{DAV}}}supported-report"


class UnsupportedAddressData(DavError):
    detail = "Only text/vcard 3.0 and 4.0 are offered."
    precondition = f"{{{CARDDAV}}}supported-address-data-conversion"


class UnsupportedCollation(DavError):
    detail = "Supported collations: i;unicode-casemap, i;ascii-casemap, i;octet."
    precondition = f"{{{CARDDAV}}}supported-collation"


class UnsupportedFilter(DavError):
    detail = "This filter is not supported."
    precondition = f"{{{CARDDAV}}}supported-filter"


class TooManyMatches(DavError):
    status = 507
    code = "limit_reached"
    detail = "More results than the requested limit."
    precondition = f"{{{DAV}}}number-of-matches-within-limits"


async def dav_error_response(_request: Request, error: Exception) -> Response:
    assert isinstance(error, DavError)
    body = ET.tostring(error.body(), encoding="utf-8", xml_declaration=True)
    return Response(
        body, status_code=error.status, media_type=XML_MEDIA_TYPE, headers=error.headers
    )
