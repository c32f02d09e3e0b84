"""No secret reaches a log line (issue 22, item 3), checked on a real ``bca serve``: its whole
log (uvicorn's access log and the WebSocket handshake's line included) is grepped for every
secret a test used: an access token in the handshake's query string, bearer and Basic
credentials, app passwords, refresh tokens, the console's cookie, verification and reset
tokens in page links, and a shared card's link."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from bca.core.observability import redact
from tests.fixtures.servers import start_server

PASSWORD = "correct-horse-battery"


def secrets_used_against(url: str) -> dict[str, str]:
    """Drives a server as clients do, each secret where it travels; returns them by name."""
    secrets: dict[str, str] = {"password": PASSWORD}
    with httpx.Client(base_url=url, timeout=30) as http:
        signup = http.post(
            "/v1/auth/signup",
            json={"email": "logs@example.com", "username": "logs", "password": PASSWORD},
        )
        assert signup.status_code == 201, signup.text
        signin = http.post("/v1/auth/signin", json={"login": "logs", "password": PASSWORD})
        assert signin.status_code == 200, signin.text
        secrets["access_token"] = signin.json()["access_token"]
        secrets["refresh_token"] = signin.json()["refresh_token"]
        bearer = {"Authorization": f"Bearer {secrets['access_token']}"}
        assert http.get("/v1/me", headers=bearer).status_code == 200
        # The WebSocket's token travels in the query string (browsers cannot set headers).
        ws_url = url.replace("http://", "ws://") + "/v1/ws?access_token=" + secrets["access_token"]
        with connect(ws_url, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "ready"
        # A query-string token on an ordinary request too (as a careless client sends it).
        http.get(f"/v1/me?access_token={secrets['access_token']}")
        refreshed = http.post("/v1/auth/refresh", json={"refresh_token": secrets["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        secrets["new_access_token"] = refreshed.json()["access_token"]
        # A CardDAV client's app password, in a Basic Authorization header.
        created = http.post("/v1/app-passwords", json={"name": "phone"}, headers=bearer)
        assert created.status_code == 201, created.text
        secrets["app_password"] = created.json()["password"]
        basic = base64.b64encode(f"logs:{secrets['app_password']}".encode()).decode()
        secrets["basic_credentials"] = basic
        dav = http.request(
            "PROPFIND", "/dav/", headers={"Authorization": f"Basic {basic}", "Depth": "0"}
        )
        assert dav.status_code == 207, dav.text
        # Mail links' tokens, as a browser opens them (the values need not be valid).
        secrets["verify_token"] = "VerifyTokenValue-0123456789abcdef"
        secrets["reset_token"] = "ResetTokenValue-0123456789abcdef"
        http.get(f"/verify-email?token={secrets['verify_token']}")
        http.get(f"/reset-password?token={secrets['reset_token']}")
        # The console's cookie.
        secrets["cookie"] = "ConsoleCookieValue-0123456789abcdef"
        http.get("/admin/", headers={"Cookie": f"bca_admin={secrets['cookie']}"})
        # A shared card's link: its path is the secret.
        profile_id = http.get("/v1/profiles", headers=bearer).json()["items"][0]["id"]
        card = http.post(f"/v1/profiles/{profile_id}/cards", json={"name": "c"}, headers=bearer)
        assert card.status_code == 201, card.text
        share = http.post(f"/v1/cards/{card.json()['id']}/share", headers=bearer)
        assert share.status_code == 201, share.text
        secrets["share_token"] = share.json()["token"]
        assert http.get(f"/c/{secrets['share_token']}").status_code == 200
        http.post("/v1/auth/signout", headers=bearer)
    return secrets


@pytest.mark.parametrize("json_logs", ["false", "true"])
def test_no_secret_reaches_the_log(tmp_path: Path, json_logs: str) -> None:
    server = start_server(
        {
            "BCA_RATE_LIMIT_ENABLED": "false",
            "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
            "BCA_MAIL_BACKEND": "off",
            "BCA_LOG_JSON": json_logs,
        },
        cwd=tmp_path,
        timeout=120,
    )
    try:
        secrets = secrets_used_against(server.url)
    finally:
        server.stop()
    log = server.log()
    # The lines are there, their secrets are not.
    assert "/v1/ws?access_token=[redacted]" in log, log[-3000:]
    assert "/verify-email?token=[redacted]" in log
    assert "/c/[redacted]" in log
    for name, value in secrets.items():
        assert value not in log, f"the log holds the {name}"


def test_redaction_keeps_the_rest_of_the_line() -> None:
    line = '127.0.0.1:5 - "GET /v1/ws?after=3&access_token=eyJa.eyJb.c HTTP/1.1" 101'
    assert redact(line) == '127.0.0.1:5 - "GET /v1/ws?after=3&access_token=[redacted] HTTP/1.1" 101'
    assert redact("Authorization: Bearer abcdefgh") == "Authorization: Bearer [redacted]"
    assert redact("Authorization: Basic bG9nczpwYXNz") == "Authorization: Basic [redacted]"
    # Words that only look like a scheme and its credential stay.
    assert (
        redact("HTTP Basic authentication for CardDAV") == "HTTP Basic authentication for CardDAV"
    )
    assert (
        redact('WWW-Authenticate: Bearer realm="B.Ca"') == 'WWW-Authenticate: Bearer realm="B.Ca"'
    )
    assert redact('{"new_password": "hunter22"}') == '{"new_password": "[redacted]"}'
    assert redact("postgresql://bca:pw@db/bca") == "postgresql://bca:[redacted]@db/bca"
    assert redact('GET /v1/cards/9 HTTP/1.1" 200') == 'GET /v1/cards/9 HTTP/1.1" 200'
