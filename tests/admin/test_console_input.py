"""The console's forms and pages against hostile input (issue 22, item 2): text PostgreSQL
cannot store is a form error (422), never a 500, and a detail page of an id that is not a
UUID is 404 — on both stacks."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from bca.admin.models import AuditRecord
from tests.admin.console_client import Console, csrf_of
from tests.factories.accounts import Api
from tests.factories.cards import create_card

HOSTILE = ["op\x00s"]  # a surrogate in multipart bytes is decoded as U+FFFD: storable


def multipart_form(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "console-boundary"
    body = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), name.encode(), value.encode("utf-8", "surrogatepass"))
        for name, value in fields.items()
    )
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


async def audit_count(api: Api) -> int:
    async with api.backends.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


@pytest.mark.parametrize("login", HOSTILE)
async def test_the_sign_in_form_refuses_unstorable_text(api: Api, login: str) -> None:
    page = await api.client.get("/admin/login")
    token = csrf_of(page.text)
    body, content_type = multipart_form(
        {"login": login, "password": "abcdefgh1", "csrf_token": token}
    )
    response = await api.client.post(
        "/admin/login", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "cannot be stored" in response.text
    assert 'name="csrf_token"' in response.text, "the form is shown again"
    # Urlencoded, the boundary answers first (the same 422 as the API's).
    encoded = await api.client.post(
        "/admin/login",
        content=f"login=op%00s&password=abcdefgh1&csrf_token={token}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert encoded.status_code == 422


async def test_an_action_reason_with_unstorable_text_is_a_form_error(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    owner = await api.user()
    card = await create_card(api, owner)
    before = await audit_count(api)
    for reason in HOSTILE:
        body, content_type = multipart_form({"csrf_token": console.token, "reason": reason})
        response = await api.client.post(
            f"/admin/act/card/{card['id']}/delete",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert response.status_code == 422, response.text
        assert "cannot be stored" in response.text
    assert await audit_count(api) == before
    still = await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert still.status_code == 200


@pytest.mark.parametrize(
    "identity",
    ["user", "auth-session", "profile", "card", "chat", "stored-file", "snapshot", "audit-record"],
)
async def test_detail_pages_of_ids_that_are_not_uuids_are_not_found(
    api: Api, identity: str
) -> None:
    await Console(api.client, await api.user(admin=True)).sign_in()
    for pk in ("not-a-uuid", "1", "%C2%B2", "x" * 300):
        response = await api.client.get(f"/admin/{identity}/details/{pk}")
        assert response.status_code == 404, (identity, pk, response.status_code)
    missing = await api.client.get(f"/admin/{identity}/details/{uuid.uuid4()}")
    assert missing.status_code == 404
    bad_action = await api.client.get("/admin/act/user/not-a-uuid/lock")
    assert bad_action.status_code == 404
