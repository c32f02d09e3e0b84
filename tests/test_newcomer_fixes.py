"""What a newcomer hit (issue 22, item 17), each pinned: HEAD on the pages monitors probe, the
home page naming the database that is really used, ReDoc loading nothing from a CDN, one close
code for a WebSocket at shutdown, the verified page's title, the database URL's error."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bca.realtime import routes as realtime_routes
from bca.settings import SettingsError, load_settings
from tests.factories.accounts import Api
from tests.fixtures.servers import start_server

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz"])
async def test_head_answers_like_get_without_the_body(api: Api, path: str) -> None:
    get = await api.client.get(path)
    head = await api.client.head(path)
    assert head.status_code == get.status_code == 200, (path, head.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


async def test_head_elsewhere_is_unchanged(api: Api) -> None:
    assert (await api.client.head("/v1/me")).status_code == 405


async def test_the_home_page_names_the_database_in_use(api: Api, stack: str) -> None:
    page = (await api.client.get("/")).text
    settings = api.backends.settings
    if stack == "postgres":
        assert "PostgreSQL" in page
        assert str(settings.data_dir.resolve()) + "/bca.db" not in page
        assert "the database in" not in page
    else:
        database = settings.resolved_database_url.removeprefix("sqlite+aiosqlite:///")
        assert f"<code>{Path(database).resolve()}</code>" in page


async def test_the_home_page_points_at_the_readable_copy_of_a_mail(api: Api) -> None:
    assert "<code>.txt</code>" in (await api.client.get("/")).text


async def test_redoc_loads_nothing_from_elsewhere(api: Api) -> None:
    page = await api.client.get("/redoc")
    bundle = await api.client.get("/assets/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert len(bundle.content) > 500_000, "the whole bundle"
    assert b"cdn.redoc.ly" not in bundle.content
    # What the bundle puts in an <img src> must pass the page's CSP (img-src 'self' data:).
    assert "img-src 'self' data:" in page.headers["content-security-policy"]
    assert b"data:image/svg+xml" in bundle.content


async def test_the_verified_page_has_a_title_of_its_own(api: Api) -> None:
    signup = await api.signup()
    token = await api.mail_token(signup.json()["email"])
    ready = await api.client.get("/verify-email", params={"token": token})
    assert "<title>Confirm your email address · B.Ca</title>" in ready.text
    done = await api.client.post(
        "/verify-email", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert done.status_code == 200
    assert "<title>Your email address is verified · B.Ca</title>" in done.text
    used = await api.client.post(
        "/verify-email", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert "<title>This link does not work · B.Ca</title>" in used.text


def test_the_database_url_error_names_every_accepted_form(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(data_dir=tmp_path, database_url="mysql://db/bca")
    message = str(error.value)
    for accepted in ("sqlite+aiosqlite://", "postgresql://", "postgresql+asyncpg://"):
        assert accepted in message


def test_a_websocket_closed_at_shutdown_gets_the_documented_code(tmp_path: Path) -> None:
    server = start_server(
        {
            "BCA_RATE_LIMIT_ENABLED": "false",
            "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
            "BCA_MAIL_BACKEND": "off",
        },
        cwd=tmp_path,
        timeout=120,
    )
    try:
        import httpx

        with httpx.Client(base_url=server.url, timeout=30) as http:
            body = {"email": "ws@example.com", "username": "wsuser", "password": "abcdefgh1"}
            assert http.post("/v1/auth/signup", json=body).status_code == 201
            token = http.post(
                "/v1/auth/signin", json={"login": "wsuser", "password": "abcdefgh1"}
            ).json()["access_token"]
        url = server.url.replace("http://", "ws://") + "/v1/ws?access_token=" + token
        with connect(url, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "ready"
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=20)
        code = closed.value.rcvd.code if closed.value.rcvd else None
    finally:
        server.stop()
    assert code == 1012
    # The API reference and the endpoint's documentation say the same.
    api_doc = API_DOC.read_text()
    close_codes = re.search(r"Close codes: 4401.*?An idle socket", api_doc, re.DOTALL)
    assert close_codes is not None
    assert "1012 delivery interrupted or the\n  server stopping" in close_codes.group(0)
    assert "1001" not in close_codes.group(0)
    assert "1001" not in (realtime_routes.__doc__ or "")
