"""What the web app's browser tests share: the phone profile, the console watch, axe-core,
screenshots, the mailed links of a real ``bca serve``.

The fixtures in ``conftest.py`` hand these out; tests import the types and the functions
(``axe``, ``shot``, ``installability_errors``) from here.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import re
import time
import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT
from tests.fixtures.servers import Server

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, Playwright

WEB = REPO_ROOT / "web"
# The build under test; BCA_TEST_WEB_DIST points the tests at another one (a bisect, a
# release's files).
WEB_DIST = Path(os.environ.get("BCA_TEST_WEB_DIST") or WEB / "dist")
AXE_SCRIPT = WEB / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = REPO_ROOT / "test-artifacts" / "screens"
DEVICE = "Pixel 7"
LOCALES = {"ko": "ko-KR", "en": "en-US"}
TIME_ZONES = {"ko": "Asia/Seoul", "en": "Europe/London"}
BLOCKING_IMPACTS = ("serious", "critical")
LINK = re.compile(r"https?://[^\s<>\"')]+")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_chromium() -> None:
    """Skip when Debian's Chromium is missing on a developer's machine; fail in CI."""
    if CHROMIUM.exists():
        return
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def fresh_name(prefix: str = "ada") -> str:
    """A user name no other test of the session uses (servers live as long as a module)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def phone_profile(playwright: Playwright) -> dict[str, Any]:
    """The Pixel's viewport, touch, mobile user agent and pixel ratio, for any browser."""
    device = playwright.devices[DEVICE]
    return {key: value for key, value in device.items() if key != "default_browser_type"}


def context_options(playwright: Playwright, lang: str) -> dict[str, Any]:
    """A phone whose browser speaks ``lang`` (``"ko"`` or ``"en"``) in that place's time zone."""
    return phone_profile(playwright) | {
        "locale": LOCALES[lang],
        "timezone_id": TIME_ZONES[lang],
    }


# --- the server ----------------------------------------------------------------------------------


@dataclass
class AppServer:
    """A real ``bca serve`` serving the built app; mails are saved under its data folder."""

    server: Server
    stack: str
    data_dir: Path

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash): the API and the pages."""
        return self.server.url

    @property
    def app_url(self) -> str:
        return f"{self.server.url}/app/"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def mails(self, address: str) -> list[EmailMessage]:
        """The mails sent to ``address`` so far, oldest first."""
        if not self.outbox.exists():
            return []
        paths = sorted(self.outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
        found = []
        for path in paths:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if message["To"] == address:
                found.append(message)
        return found

    def mail_link(self, address: str, *, count: int | None = None, timeout: float = 15) -> str:
        """The link to this server in a mail to ``address``: the ``count``-th mail (1 is the
        first), or the newest when ``count`` is None. Waits for it: mail leaves after the
        response."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.mails(address)
            wanted = count or 1
            if len(mails) >= wanted:
                message = mails[wanted - 1] if count else mails[-1]
                body = message.get_body(("plain",))
                assert body is not None, "every mail has a plain-text part"
                text = str(body.get_content())
                links: list[str] = [
                    link for link in LINK.findall(text) if link.startswith(self.url + "/")
                ]
                assert links, f"no link to {self.url} in the mail: {text!r}"
                return links[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail number {wanted} to {address} in {timeout} s")
            time.sleep(0.05)


# --- console errors ------------------------------------------------------------------------------


@dataclass
class ConsoleErrors:
    """Every console error and uncaught page error of the pages it watches.

    The fixture fails the test when any is left at its end. A test that provokes an error on
    purpose (a wrong password is a 401, which Chromium logs as a failed resource) says so with
    ``allow(pattern)`` first.
    """

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Errors matching this regular expression are expected for the rest of the test."""
        self.allowed.append(re.compile(pattern))

    def _record(self, where: str, text: str) -> None:
        if not any(pattern.search(text) for pattern in self.allowed):
            self.errors.append(f"{where}: {text}")

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                location = message.location
                self._record(f"console {location.get('url', '')}", message.text)

        def on_page_error(error: Exception) -> None:
            self._record("page error", str(error))

        page.on("console", on_console)
        page.on("pageerror", on_page_error)

    def watch_context(self, context: BrowserContext) -> None:
        for page in context.pages:
            self.watch(page)
        context.on("page", self.watch)

    def assert_none(self) -> None:
        if self.errors:
            listed = "\n".join(self.errors)
            self.errors.clear()
            pytest.fail(f"console errors during the test:\n{listed}", pytrace=False)


# --- language, screenshots, accessibility --------------------------------------------------------

_CONTEXT_LANG: weakref.WeakKeyDictionary[BrowserContext, str] = weakref.WeakKeyDictionary()


def remember_lang(context: BrowserContext, lang: str) -> None:
    _CONTEXT_LANG[context] = lang


def page_lang(page: Page) -> str:
    """The language the app shows (``<html lang>``'s first part), else the phone's."""
    shown = str(page.evaluate("document.documentElement.lang") or "")
    primary = shown.split("-")[0].lower()
    return primary or _CONTEXT_LANG.get(page.context, "und")


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save the screen as ``test-artifacts/screens/<lang>/<name>.png`` (a CI artifact)."""
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), f"name screens like file names: {name!r}"
    path = SCREENS / page_lang(page) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def axe(
    page: Page,
    *,
    disable: Sequence[str] = (),
    include: str | None = None,
    name: str = "",
) -> list[dict[str, Any]]:
    """Run axe-core (``web/node_modules/axe-core``) over the page and fail on any serious or
    critical violation; returns the minor and moderate ones.

    The script is evaluated over the DevTools protocol: the page's Content-Security-Policy
    (no inline script) stays in force for the app's own code.
    """
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: cd web && npm ci", pytrace=False)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text())
    results: dict[str, Any] = page.evaluate(
        """async ([include, disable]) => {
            const rules = Object.fromEntries(disable.map((id) => [id, { enabled: false }]));
            const context = include ? { include: [include] } : document;
            return await window.axe.run(context, { resultTypes: ['violations'], rules });
        }""",
        [include, list(disable)],
    )
    violations: list[dict[str, Any]] = results["violations"]
    blocking = [item for item in violations if item.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe-core on {name or page.url}: {len(blocking)} serious or critical"]
        for item in blocking:
            targets = [", ".join(node["target"]) for node in item["nodes"][:5]]
            lines.append(f"- {item['id']} ({item['impact']}): {item['help']} at {targets}")
        pytest.fail("\n".join(lines), pytrace=False)
    return [item for item in violations if item.get("impact") not in BLOCKING_IMPACTS]


# --- installability ------------------------------------------------------------------------------


@contextmanager
def persistent_phone(
    playwright: Playwright, profile_dir: Path, *, lang: str = "en"
) -> Iterator[BrowserContext]:
    """A phone with a profile on disk: Chromium reports installability only outside
    incognito, and ``browser.new_context()`` is incognito."""
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        **context_options(playwright, lang),
    )
    remember_lang(context, lang)
    try:
        yield context
    finally:
        context.close()


def installability_errors(page: Page, *, timeout: float = 15) -> list[dict[str, Any]]:
    """``Page.getInstallabilityErrors`` once the service worker is ready; waits for the
    list to empty (the worker takes over after it activates) and returns the last list."""
    # Bounded: a worker whose install fails never becomes ready, and the errors say why.
    page.evaluate(
        """(ms) => Promise.race([
            navigator.serviceWorker.ready.then(() => true),
            new Promise((resolve) => setTimeout(() => resolve(false), ms)),
        ])""",
        timeout * 1000,
    )
    cdp = page.context.new_cdp_session(page)
    deadline = time.monotonic() + timeout
    while True:
        errors: list[dict[str, Any]] = cdp.send("Page.getInstallabilityErrors")[
            "installabilityErrors"
        ]
        if not errors or time.monotonic() > deadline:
            cdp.detach()
            return errors
        page.wait_for_timeout(250)


# --- accounts and screens: what the scenario tests share ----------------------------------------

PASSWORD = "correct horse battery"
LIVE = 15_000  # ms: what "without a reload" may take at most


@dataclass
class Account:
    """A verified user made over HTTP (for tests whose subject is not the sign-up)."""

    username: str
    token: str
    profile_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_account(server: AppServer, prefix: str, *, name: str | None = None) -> Account:
    """Sign up over HTTP, follow the mailed verification link's token, sign in; ``name``
    renames the first profile."""
    username = fresh_name(prefix)
    address = f"{username}@example.com"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        created = client.post(
            "/v1/auth/signup",
            json={"email": address, "username": username, "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        token = parse_qs(urlsplit(server.mail_link(address)).query)["token"][0]
        verified = client.post("/v1/auth/email/verify", json={"token": token})
        assert verified.status_code == 204, verified.text
        signed_in = client.post("/v1/auth/signin", json={"login": username, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        profile = client.get("/v1/profiles", headers=headers).json()["items"][0]
        if name is not None:
            renamed = client.patch(
                f"/v1/profiles/{profile['id']}",
                json={"name": name},
                headers=headers | {"If-Match": f'"{profile["version"]}"'},
            )
            assert renamed.is_success, renamed.text
    return Account(username, signed_in.json()["access_token"], profile["id"])


def call(server: AppServer, account: Account, method: str, path: str, **kwargs: Any) -> Any:
    """One API call as ``account``; fails the test unless it succeeds; the JSON answer."""
    response = httpx.request(
        method, server.url + path, headers=account.headers, timeout=30, **kwargs
    )
    assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def follow(server: AppServer, follower: Account, target: Account) -> None:
    """The people screens are another area's: the follow is made over HTTP."""
    relation = call(
        server,
        follower,
        "PUT",
        f"/v1/profiles/{follower.profile_id}/relations/{target.profile_id}",
        json={"status": "follow"},
    )
    if relation["status"] == "follow_requested":
        call(
            server,
            target,
            "POST",
            f"/v1/profiles/{target.profile_id}/followers/{follower.profile_id}/accept",
        )


def friends(server: AppServer) -> tuple[Account, Account]:
    """Alice and Bob, following each other (either may invite the other to a chat)."""
    alice = make_account(server, "alice", name="Alice")
    bob = make_account(server, "bob", name="Bob")
    follow(server, alice, bob)
    follow(server, bob, alice)
    return alice, bob


def new_chat(server: AppServer, owner: Account, other: Account, title: str | None = None) -> Any:
    """A chat of ``owner`` with ``other``, made over HTTP."""
    body: dict[str, Any] = {"profile_id": owner.profile_id, "participant_ids": [other.profile_id]}
    if title is not None:
        body["title"] = title
    return call(server, owner, "POST", "/v1/chats", json=body)


def fill_sign_in(page: Page, login: Account | str, password: str = PASSWORD) -> None:
    """On the app's sign-in screen: type and send (``login``: an account or its user name)."""
    page.wait_for_url(re.compile(r"/app/signin"))
    username = login.username if isinstance(login, Account) else login
    page.locator("input[autocomplete=username]").fill(username)
    page.locator("input[type=password]").fill(password)
    page.locator("form button[type=submit]").click()


def sign_in(page: Page, login: Account | str, password: str = PASSWORD) -> None:
    """Sign in through the app; waits for the wallet (the signed-in home)."""
    page.goto("/app/signin")
    fill_sign_in(page, login, password)
    page.wait_for_url(re.compile(r"/app/wallet"))


def check(page: Page, name: str) -> None:
    """No serious accessibility problem on this screen; its screenshot for review."""
    page.wait_for_load_state("networkidle")
    axe(page, name=name)
    shot(page, name)


# --- chat --------------------------------------------------------------------------------------


def small_png(size: tuple[int, int] = (96, 64)) -> bytes:
    """A small red PNG (a photo to send)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def bubble(page: Page, text: str | re.Pattern[str]) -> Locator:
    """The chat message whose own text contains ``text`` (not a quote of it)."""
    return page.locator(".msg-row .msg-bubble").filter(
        has=page.locator(":scope > .msg-text", has_text=text)
    )


def send(page: Page, text: str) -> None:
    """Type ``text`` into the chat composer and send it."""
    page.locator("textarea.composer-input").fill(text)
    page.locator(".composer button[type=submit]").click()


def act(page: Page, message: str, action: str) -> None:
    """Open a message's actions (a tap on it) and pick one by its label."""
    bubble(page, message).first.click()
    page.locator("dialog.sheet[open] button", has_text=action).click()
