"""Every route of the app (``web/src/app/routes.ts`` and each area's ``routes.ts``), in Korean
and in English, at the phone profile: axe-core on each (0 serious or critical) and a screenshot
``test-artifacts/screens/<lang>/<route-name>.png``; no console error anywhere.

One server (the SQLite stack), one browser, one phone (context) for the whole tour: the guest
routes first, signed out; then, signed in as someone with some data (a card and its share link,
a card in the wallet, a contact, a paper-card scan, a chat with a message, a person followed),
every signed-in route, reached inside the app (history navigation, no reload per screen).
A route added to an area's ``routes.ts`` without a stop here fails
``test_the_tour_covers_every_route``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.browser.app.conftest import NewPhone
from tests.browser.app.helpers import (
    WEB,
    Account,
    AppServer,
    ConsoleErrors,
    axe,
    call,
    make_account,
    new_chat,
    shot,
    sign_in,
    small_png,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(600)

ROUTE_FILES = sorted((WEB / "src" / "screens").glob("*/routes.ts"))
PATH_IN_ROUTES = re.compile(r"\{\s*path:\s*([^,]+),")

# A stop's path: placeholders filled from the data made for the tour.
GUEST_STOPS: dict[str, str] = {
    "welcome": "/app/welcome",
    "sign-in": "/app/signin",
    "sign-up": "/app/signup",
    "check-mail": "/app/check-mail",
    "forgot-password": "/app/forgot-password",
    "verify-email": "/app/verify-email?token=not-a-real-token",
    "reset-password": "/app/reset-password?token=not-a-real-token",
}
SIGNED_IN_STOPS: dict[str, str] = {
    "wallet": "/app/wallet",
    "wallet-scan": "/app/wallet/scan",
    "wallet-card": "/app/wallet/card/{held_card}",
    "wallet-add": "/app/wallet/add/{their_token}",
    "wallet-link": "/app/c/{their_token}",
    "cards": "/app/cards",
    "card-new": "/app/cards/new",
    "card-edit": "/app/cards/{my_card}",
    "share": "/app/share/{my_card}",
    "contacts": "/app/contacts",
    "contact-new": "/app/contacts/new",
    "contact": "/app/contacts/{contact}",
    "contact-edit": "/app/contacts/{contact}/edit",
    "scan-new": "/app/scans/new",
    "scan": "/app/scans/{scan}",
    "people": "/app/people",
    "people-following": "/app/people/list/following",
    "people-followers": "/app/people/list/followers",
    "person": "/app/people/{them}",
    "chats": "/app/chats",
    "chat-new": "/app/chats/new",
    "chat-share": "/app/chats/share",
    "search": "/app/search",
    "chat-room": "/app/chats/{chat}",
    "chat-info": "/app/chats/{chat}/info",
    "chat-requests": "/app/chats/requests",
    "chat-request": "/app/chats/requests/{request}",
    "me": "/app/me",
    "profile-new": "/app/me/profiles/new",
    "profile-edit": "/app/me/profiles/{me}",
    "settings-account": "/app/settings/account",
    "settings-devices": "/app/settings/devices",
    "settings-app-passwords": "/app/settings/app-passwords",
    "settings-guide": "/app/settings/app-passwords/guide",
    "settings-language": "/app/settings/language",
    "settings-notifications": "/app/settings/notifications",
    "settings-reports": "/app/settings/reports",
    "settings-about": "/app/settings/about",
    "settings-export": "/app/settings/export",
    "settings-delete-account": "/app/settings/delete-account",
    "not-found": "/app/no-such-screen",
}


def declared_routes() -> set[str]:
    """The route patterns the areas declare (``paths.x`` references resolved by name)."""
    found: set[str] = set()
    for file in ROUTE_FILES:
        source = file.read_text()
        paths = dict(re.findall(r"^\s+(\w+):\s*'([^']+)'", source, re.MULTILINE))
        for expression in PATH_IN_ROUTES.findall(source):
            expression = expression.strip()
            if expression.startswith("'"):
                found.add(expression.strip("'"))
            else:
                key = expression.removeprefix("paths.")
                assert key in paths, f"{file}: cannot resolve {expression}"
                found.add(paths[key])
    return found


def pattern_of(path: str) -> str:
    """``/app/chats/{chat}/info?x`` -> a regex matching the route ``/app/chats/:id/info``."""
    return path.split("?")[0]


def stop_matches(route: str, path: str) -> bool:
    regex = "^" + re.sub(r":\w+", r"[^/]+", route) + "$"
    return re.match(regex, path) is not None


def test_the_tour_covers_every_route() -> None:
    """Fails when an area adds a route the tour below does not visit."""
    routes = declared_routes()
    assert len(routes) > 30, routes
    stops = [
        pattern_of(path).format(
            held_card="h",
            their_token="t",
            my_card="m",
            contact="c",
            scan="s",
            them="p",
            chat="x",
            me="q",
            request="r",
        )
        for path in (GUEST_STOPS | SIGNED_IN_STOPS).values()
    ]
    missing = sorted(route for route in routes if not any(stop_matches(route, s) for s in stops))
    assert not missing, f"routes without a stop in test_every_screen: {missing}"


@dataclass
class World:
    me: Account
    them: Account
    ids: dict[str, str]


def make_world(server: AppServer) -> World:
    """Someone with some data: a card (shared), another's card held, a contact, a scan, a chat,
    and a message request from a stranger."""
    me = make_account(server, "tour", name="Minjun Kim")
    them = make_account(server, "them", name="Seo-yeon Lee")
    my_card = call(
        server,
        me,
        "POST",
        f"/v1/profiles/{me.profile_id}/cards",
        json={
            "name": "Work",
            "data": {
                "given_name": "Minjun",
                "family_name": "Kim",
                "title": "CTO",
                "organization": "B.Ca Labs",
                "emails": [{"value": "minjun@example.com", "type": "work"}],
            },
        },
    )
    call(server, me, "POST", f"/v1/cards/{my_card['id']}/share")
    their_card = call(
        server,
        them,
        "POST",
        f"/v1/profiles/{them.profile_id}/cards",
        json={
            "name": "Studio",
            "data": {
                "given_name": "Seo-yeon",
                "family_name": "Lee",
                "title": "Designer",
                "phones": [{"value": "+82 10-9876-5432", "type": "cell"}],
            },
        },
    )
    their_link = call(server, them, "POST", f"/v1/cards/{their_card['id']}/share")
    call(server, me, "PUT", f"/v1/profiles/{me.profile_id}/subscriptions/{their_card['id']}")
    call(
        server,
        me,
        "PUT",
        f"/v1/profiles/{me.profile_id}/relations/{them.profile_id}",
        json={"status": "follow"},
    )
    call(
        server,
        them,
        "PUT",
        f"/v1/profiles/{them.profile_id}/relations/{me.profile_id}",
        json={"status": "follow"},
    )
    contact = call(
        server,
        me,
        "POST",
        f"/v1/profiles/{me.profile_id}/contacts",
        json={
            "name": "박지훈",
            "organization": "한빛상사",
            "phones": [{"value": "+82 2-555-0101", "type": "work"}],
        },
    )
    scan = call(
        server,
        me,
        "POST",
        f"/v1/profiles/{me.profile_id}/scans",
        files={"file": ("card.png", small_png((320, 200)), "image/png")},
    )
    chat = call(
        server,
        me,
        "POST",
        "/v1/chats",
        json={"profile_id": me.profile_id, "participant_ids": [them.profile_id], "direct": True},
    )
    call(server, them, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": "안녕하세요!"})
    call(server, me, "POST", f"/v1/chats/{chat['id']}/messages", json={"body": "Hello there"})
    stranger = make_account(server, "stranger", name="Jiwoo Han")
    request = new_chat(server, stranger, me)
    call(server, stranger, "POST", f"/v1/chats/{request['id']}/messages", json={"body": "반가워요"})
    # The scan's reading settles (a blank picture reads as nothing), so its screen is stable.
    deadline = time.monotonic() + 30
    while call(server, me, "GET", f"/v1/scans/{scan['id']}")["status"] == "pending":
        assert time.monotonic() < deadline, "the scan stays pending"
        time.sleep(0.3)
    return World(
        me=me,
        them=them,
        ids={
            "held_card": their_card["id"],
            "their_token": their_link["token"],
            "my_card": my_card["id"],
            "contact": contact["id"],
            "scan": scan["id"],
            "them": them.profile_id,
            "chat": chat["id"],
            "me": me.profile_id,
            "request": request["id"],
        },
    )


def visit_in_app(page: Page, path: str) -> None:
    """Open ``path`` inside the running app (history navigation, as its links do)."""
    page.evaluate(
        "(url) => { history.pushState(null, '', url);"
        " dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )


# What some stops must say (a check that the data shows as it should), by language.
EXPECT: dict[str, dict[str, str]] = {
    # In a direct chat, the other person joined (added by me), not "you" twice.
    "chat-room": {"en": "Seo-yeon Lee joined", "ko": "Seo-yeon Lee 님이 들어왔습니다"},
    "wallet": {"en": "Seo-yeon Lee", "ko": "Seo-yeon Lee"},
    "contacts": {"en": "박지훈", "ko": "박지훈"},
}

# Stops whose route hands over to another (``replace``): where they land.
LANDS_AT: dict[str, str] = {"/app/c/": "/app/wallet/add/"}


def settle(page: Page, path: str) -> None:
    """The screen for ``path`` is up and done loading (no skeleton left)."""
    wanted = path.split("?")[0]
    for start, landing in LANDS_AT.items():
        wanted = wanted.replace(start, landing, 1)
    page.wait_for_function(
        """(wanted) => location.pathname === wanted
            && document.querySelector('h1') !== null
            && document.querySelector('.boot, .loading') === null""",
        arg=wanted,
        timeout=15_000,
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(150)  # images and fonts paint


def tour(
    page: Page, stops: dict[str, str], ids: dict[str, str], *, lang: str, in_app: bool
) -> list[str]:
    visited = []
    for name, template in stops.items():
        path = template.format(**ids)
        if in_app:
            visit_in_app(page, path)
        else:
            page.goto(path)
        # A guest route a signed-in person opens sends them home: the tour must not hit one.
        try:
            settle(page, path)
        except Exception as error:
            raise AssertionError(f"{name} ({path}) did not settle at {page.url}: {error}") from None
        if name in EXPECT:
            page.locator("main").get_by_text(EXPECT[name][lang]).first.wait_for(timeout=5_000)
        axe(page, name=f"{name} {path}")
        shot(page, name)
        visited.append(name)
    return visited


@pytest.mark.parametrize("app_stack", ["sqlite"], scope="module")
def test_every_screen_in_korean_and_english(
    new_phone: NewPhone, app_server: AppServer, console_errors: ConsoleErrors
) -> None:
    started = time.monotonic()
    world = make_world(app_server)
    page = new_phone("ko", "/app/welcome")
    # The deliberately bad mailed-link tokens are answered 400 (Chromium logs the response).
    console_errors.allow(r"status of 400")
    for lang in ("ko", "en"):
        page.evaluate("(lang) => localStorage.setItem('bca.locale', lang)", lang)
        page.goto("/app/welcome")
        page.wait_for_function("(lang) => document.documentElement.lang.startsWith(lang)", arg=lang)
        tour(page, GUEST_STOPS, world.ids, lang=lang, in_app=False)
        sign_in(page, world.me.username)
        page.wait_for_function("(lang) => document.documentElement.lang.startsWith(lang)", arg=lang)
        tour(page, SIGNED_IN_STOPS, world.ids, lang=lang, in_app=True)
        # Signed out again for the next language's guest screens.
        page.evaluate("() => localStorage.removeItem('bca.refresh')")
        page.context.clear_cookies()
    print(f"every screen, two languages: {time.monotonic() - started:.1f} s")
