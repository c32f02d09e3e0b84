"""The web app in Debian's Chromium as a Pixel phone, against a real ``bca serve``.

Fixtures (every test that uses a server runs once per stack, ``app_stack``: the embedded
SQLite default, and PostgreSQL with Redis; pin one with
``@pytest.mark.parametrize("app_stack", ["sqlite"], scope="module")``):

- ``app_server``: an :class:`AppServer`, a real ``bca serve`` serving ``web/dist`` at
  ``/app/``, with ``BCA_REQUIRE_EMAIL_VERIFICATION`` on and mails saved under its data folder.
  One per stack and test module: make names of your own (``helpers.fresh_name()``).
- ``mail_link(address, *, count=None)``: the link to the server in a mail to ``address``.
- ``lang``: ``"en"``; parametrize it (``@pytest.mark.parametrize("lang", ["ko", "en"])``)
  to run a test in both languages: Korean on SQLite, English on PostgreSQL
  (``LANGUAGE_OF_STACK``) when both stacks run.
- ``new_phone(lang=None, path="/app/")``: a new phone (browser context) with the page open
  at ``path``; ``phone`` and ``two_phones`` are one and two of them.
- ``console_errors``: fails the test on any console error or uncaught page error of these
  pages (``console_errors.allow(pattern)`` for the ones a test provokes).
- ``app_playwright``: the Playwright object (for ``helpers.persistent_phone``).

Without Chromium the tests are skipped, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.app.helpers import (
    WEB,
    WEB_DIST,
    AppServer,
    ConsoleErrors,
    context_options,
    remember_lang,
    require_chromium,
)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import STACKS
from tests.fixtures.pages import PageServer
from tests.fixtures.redis_server import CACHE_DATABASE, suite_redis_url
from tests.fixtures.servers import start_server
from tests.webpush.stand_in import PushService, running_push_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

HERE = Path(__file__).parent
NewPhone = Callable[..., "Page"]


LANGUAGE_OF_STACK = {"sqlite": "ko", "postgres": "en"}
"""A test in both languages runs each once, Korean on one stack and English on the other:
the language changes what the app shows, the stack what serves it, and a flow is checked in
each language and on each stack without running all four pairs (the tour of every screen
still shows each screen in both languages)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, paired_away = [], []
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
        params: dict[str, object] = getattr(getattr(item, "callspec", None), "params", {})
        paired = LANGUAGE_OF_STACK.get(str(params.get("app_stack")))
        if len(STACKS) > 1 and params.get("lang") not in (None, paired) and paired:
            paired_away.append(item)
        else:
            kept.append(item)
    if paired_away:
        config.hook.pytest_deselected(items=paired_away)
        items[:] = kept


def _newest_source(root: Path) -> float:
    newest = 0.0
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if parts[0] in ("node_modules", "dist", "tests") or not path.is_file():
            continue
        newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def web_build() -> Path:
    """The built app; a missing build fails (``make test`` builds it before pytest)."""
    require_chromium()
    index = WEB_DIST / "index.html"
    if not index.exists():
        pytest.fail(f"the web app is not built ({index} is missing): make web", pytrace=False)
    if index.stat().st_mtime < _newest_source(WEB):
        warnings.warn(
            "web/dist is older than web/'s sources: these tests run the old build (make web)",
            stacklevel=1,
        )
    return WEB_DIST


@pytest.fixture(scope="module")
def app_playwright(app_server: AppServer) -> Iterator[Playwright]:
    """After the server, and once per stack: while Playwright's sync API runs, its event loop
    does, and the suite's async fixtures (the PostgreSQL database) cannot be set up."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def app_browser(app_playwright: Playwright) -> Iterator[Browser]:
    browser = app_playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``app_stack`` runs over both stacks unless a test parametrizes it itself; its servers
    live as long as the module (one per stack), so their data outlives a test: tests make
    names of their own (``helpers.fresh_name``)."""
    if "app_stack" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        if marker.args and "app_stack" in str(marker.args[0]):
            return
    metafunc.parametrize("app_stack", STACKS, scope="module")


@pytest.fixture(scope="module")
def app_stack(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(scope="session")
def push_service() -> Iterator[PushService]:
    """A local push service (tests/webpush/stand_in.py) the app servers may push to."""
    with running_push_service() as service:
        yield service


@pytest.fixture(scope="session")
def page_site() -> Iterator[PageServer]:
    """A local web site (tests/fixtures/pages.py) whose links get previews."""
    site = PageServer.start()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def app_server(
    app_stack: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    web_build: Path,
    push_service: PushService,
    page_site: PageServer,
) -> Iterator[AppServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp(f"app-{app_stack}")
    data_dir = folder / "var"
    env = {
        "BCA_DATA_DIR": str(data_dir),
        "BCA_SECRET_KEY": "browser-test-secret-key-" + "x" * 32,
        "BCA_WEB_DIST": str(web_build),
        "BCA_REQUIRE_EMAIL_VERIFICATION": "true",
        "BCA_MAIL_BACKEND": "console",
        "BCA_RATE_LIMIT_ENABLED": "false",
        "BCA_PASSWORD_HASH_TIME_COST": "1",
        "BCA_PASSWORD_HASH_MEMORY_KIB": "1024",
        "BCA_WEB_PUSH_TEST_ORIGINS": push_service.url,
        "BCA_LINK_PREVIEW_TEST_ORIGINS": page_site.origin,
    }
    if app_stack == "postgres":
        env |= {
            "BCA_DATABASE_URL": request.getfixturevalue("postgres_url"),
            "BCA_REDIS_URL": suite_redis_url(CACHE_DATABASE),
        }
    else:
        database = folder / "bca.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), database)
        env["BCA_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    server = start_server(env, cwd=folder, timeout=120)
    try:
        yield AppServer(server=server, stack=app_stack, data_dir=data_dir)
    finally:
        server.stop()


@pytest.fixture
def mail_link(app_server: AppServer) -> Callable[..., str]:
    return app_server.mail_link


@pytest.fixture
def lang() -> str:
    """The phones' language; parametrize ``lang`` over ``["ko", "en"]`` for both."""
    return "en"


@pytest.fixture
def console_errors() -> Iterator[ConsoleErrors]:
    collector = ConsoleErrors()
    yield collector
    collector.assert_none()


@pytest.fixture
def new_phone(
    app_browser: Browser,
    app_playwright: Playwright,
    app_server: AppServer,
    console_errors: ConsoleErrors,
    lang: str,
) -> Iterator[NewPhone]:
    contexts: list[BrowserContext] = []

    def open_phone(phone_lang: str | None = None, path: str = "/app/") -> Page:
        language = phone_lang or lang
        context = app_browser.new_context(
            base_url=app_server.url, **context_options(app_playwright, language)
        )
        remember_lang(context, language)
        contexts.append(context)
        console_errors.watch_context(context)
        page = context.new_page()
        response = page.goto(path)
        assert response is not None, path
        assert response.ok, f"{path}: {response.status}"
        return page

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_phone: NewPhone) -> Page:
    return new_phone()


@pytest.fixture
def two_phones(new_phone: NewPhone) -> tuple[Page, Page]:
    return new_phone(), new_phone()
