"""CardDAV (contacts for address-book apps) as the service assembles it (see
``bca.core.domain``). Its errors answer in WebDAV's XML."""

from __future__ import annotations

from bca.core.domain import Domain, Web


def _web() -> Web:
    from bca.carddav import routes
    from bca.carddav.errors import DavError, dav_error_response

    return Web(routers=(routes.router,), exception_handlers={DavError: dav_error_response})


MANIFEST = Domain(name="carddav", web=_web)
