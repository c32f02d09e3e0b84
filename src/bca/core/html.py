"""Server-rendered pages: one Jinja environment and the headers every page is sent with."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request


@functools.cache
def templates() -> Environment:
    # autoescape for every template: pages show what users typed (card data, names).
    return Environment(
        loader=PackageLoader("bca", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_headers(*, form_action: str = "'none'") -> dict[str, str]:
    """Headers for a page that runs no script and loads nothing from elsewhere.

    Pages with a form name where it may post (``'self'``); all others may post nowhere.
    ``Referrer-Policy`` keeps tokens in page URLs (share links, mailed links) from leaking
    to the sites a page links to.
    """
    return {
        "Content-Security-Policy": (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
            f"base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        # Such pages are for the people who hold the link, not for search engines.
        "X-Robots-Tag": "noindex",
        # Revoking a link or using a token must take effect at once: nothing may serve a copy.
        "Cache-Control": "no-store",
    }


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_cross_site_form(request: Request, *, public_url: str) -> bool:
    """Whether a form was posted from another site (login-CSRF style abuse of public forms).

    The forms behind mailed links carry their own unguessable token, so a forged submission
    can only act on an account the forger already controls; refusing cross-site posts keeps
    even that, and forged resend requests from victims' browsers, away. Browsers send
    ``Sec-Fetch-Site``; older ones an ``Origin``. Either one saying "another site" refuses:

    - ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``;
    - an ``Origin`` that is not this server's, whatever ``Sec-Fetch-Site`` says;
    - ``Origin: null`` (a sandboxed frame, a ``data:`` page, a redirect), except beside
      ``Sec-Fetch-Site: same-origin``: that pair is what our own pages' forms send under their
      ``Referrer-Policy: no-referrer``, and no page of another site can make a browser say
      ``same-origin``.

    A request with neither header (curl, a very old browser) is not a browser-borne forgery.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return site != "same-origin"
    own = {_origin(str(request.base_url)), _origin(public_url)}
    return origin.lower() not in own
