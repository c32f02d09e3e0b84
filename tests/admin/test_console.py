"""The admin console over HTTP, on both stacks: who gets in, CSRF, lockout, every action and its
audit record, and that no console page ever shows a chat message's body."""

from __future__ import annotations

import re
import uuid
from collections import deque
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import func, select

from bca.admin.models import AuditRecord
from tests.admin.console_client import Console, another_browser, console_signin, csrf_of
from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card, image_bytes, multipart
from tests.factories.chat import chat_user, new_chat, post

LINK = re.compile(r'href="([^"#]+)"')


async def audit_records(api: Api) -> list[AuditRecord]:
    async with api.backends.database.transaction() as session:
        rows = await session.scalars(select(AuditRecord).order_by(AuditRecord.created_at))
        return list(rows.all())


async def audit_count(api: Api) -> int:
    async with api.backends.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def console_paths(user_id: str, session_id: str) -> list[str]:
    """One of each kind of console page and form target (a real user's where one is needed)."""
    lists = ["user", "auth-session", "profile", "card", "chat", "stored-file", "change"]
    lists += ["snapshot", "audit-record"]
    return [
        "/admin/",
        "/admin/logout",
        *(f"/admin/{identity}/list" for identity in lists),
        f"/admin/user/details/{user_id}",
        f"/admin/auth-session/details/{session_id}",
        f"/admin/act/user/{user_id}/lock",
        f"/admin/act/session/{session_id}/revoke",
    ]


async def test_anonymous_visitors_are_sent_to_sign_in(api: Api) -> None:
    target = await api.user()
    for path in console_paths(target.id, target.session_id):
        page = await api.client.get(path)
        assert page.status_code in (302, 303), path
        assert urlsplit(page.headers["location"]).path == "/admin/login", path
    for path in [f"/admin/act/user/{target.id}/lock", "/admin/signout"]:
        posted = await api.client.post(path, data={"csrf_token": "x"})
        assert posted.status_code == 404, path
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 200
    assert await audit_count(api) == 0


async def test_non_admins_get_the_admin_api_404(api: Api) -> None:
    user = await api.user()
    api_answer = await api.client.get("/v1/admin/users", headers=user.headers)
    assert api_answer.status_code == 404
    requests = [("GET", path) for path in console_paths(user.id, user.session_id)]
    requests += [("POST", path) for _, path in requests if "/act/" in path]
    for method, path in [*requests, ("POST", "/admin/signout")]:
        response = await api.client.request(method, path, headers=user.headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == api_answer.json(), (method, path)

    signin = await console_signin(api.client, user.username, user.password)
    assert signin.status_code == 404
    assert signin.json() == api_answer.json()
    assert "bca_admin" not in api.client.cookies
    assert await audit_count(api) == 0


async def test_a_demoted_admin_loses_the_console_at_once(api: Api) -> None:
    first = await Console(api.client, await api.user(admin=True)).sign_in()
    async with another_browser(api.client) as other:
        second = await Console(other, await api.user(admin=True)).sign_in()
        assert (await second.act("user", first.admin.id, "demote")).status_code == 303
        assert (await first.client.get("/admin/")).status_code == 404
        assert (
            await first.client.get("/v1/admin/users", headers=first.admin.headers)
        ).status_code == 404
        assert (await second.act("user", first.admin.id, "promote")).status_code == 303
    assert (await first.client.get("/admin/")).status_code == 200


async def test_a_form_without_the_csrf_token_changes_nothing(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    target = await api.user()
    before = await audit_count(api)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": console.token + "x"}):
        refused = await api.client.post(f"/admin/act/user/{target.id}/lock", data=data)
        assert refused.status_code == 403
        refused = await api.client.post("/admin/signout", data=data)
        assert refused.status_code == 403
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 200
    assert (await api.client.get("/admin/")).status_code == 200, "still signed in"
    assert await audit_count(api) == before

    # The sign-in form carries a token of its own, bound to a cookie.
    async with another_browser(api.client) as fresh:
        form = await fresh.get("/admin/login")
        body = {"login": console.admin.username, "password": console.admin.password}
        assert (await fresh.post("/admin/login", data=body)).status_code == 403
        forged = body | {"csrf_token": "0" * 64}
        assert (await fresh.post("/admin/login", data=forged)).status_code == 403
        good = body | {"csrf_token": csrf_of(form.text)}
        assert (await fresh.post("/admin/login", data=good)).status_code == 303


async def test_the_console_sign_in_counts_towards_the_api_lockout(api: Api) -> None:
    admin = await api.user(admin=True)
    for _ in range(5):
        failed = await console_signin(api.client, admin.username, "wrong password")
        assert failed.status_code == 401
    assert (await api.signin(admin)).status_code == 429
    locked_out = await console_signin(api.client, admin.username, admin.password)
    assert locked_out.status_code == 429
    assert "Retry-After" in locked_out.headers

    other = await api.user(admin=True)
    for _ in range(4):
        assert (await api.signin(other, password="wrong password")).status_code == 401
    assert (await console_signin(api.client, other.username, "wrong")).status_code == 401
    assert (await console_signin(api.client, other.username, other.password)).status_code == 429


async def test_signing_in_and_out_is_audited_and_ends_the_session(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    sessions = (await api.client.get("/v1/sessions", headers=console.admin.headers)).json()
    assert "Admin console" in [item["device_name"] for item in sessions["items"]]
    signed_out = await api.client.post("/admin/signout", data={"csrf_token": console.token})
    assert signed_out.status_code == 303
    assert (await api.client.get("/admin/")).status_code in (302, 303)
    actions = [record.action for record in await audit_records(api)]
    assert actions == ["console.signin", "console.signout"]


async def test_revoking_an_admins_sessions_signs_them_out_of_the_console(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    revoked = await api.client.post("/v1/auth/signout-all", headers=console.admin.headers)
    assert revoked.status_code == 204
    assert (await api.client.get("/admin/")).status_code in (302, 303)


async def test_user_actions_take_effect_at_once_and_are_audited(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    target = await api.user()

    assert (await console.act("user", target.id, "lock")).status_code == 303
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 401
    assert (await api.signin(target)).status_code == 423
    assert (await console.act("user", target.id, "unlock")).status_code == 303
    await api.sign_in_as(target)

    assert (await console.act("user", target.id, "promote")).status_code == 303
    assert (await api.client.get("/v1/admin/users", headers=target.headers)).status_code == 200
    assert (await console.act("user", target.id, "demote")).status_code == 303
    assert (await api.client.get("/v1/admin/users", headers=target.headers)).status_code == 404

    deactivated = await console.act("user", target.id, "deactivate", reason="spam")
    assert deactivated.status_code == 303
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 401
    assert (await api.signin(target)).status_code == 401
    assert (await console.act("user", target.id, "restore")).status_code == 303
    await api.sign_in_as(target)

    assert (await console.act("user", target.id, "revoke-sessions")).status_code == 303
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 401

    unverified = (await api.signup()).json()
    assert (await console.act("user", unverified["id"], "verify")).status_code == 303
    listed = await api.client.get(
        "/v1/admin/users", headers=console.admin.headers, params={"q": unverified["username"]}
    )
    assert listed.json()["items"][0]["email_verified"] is True

    records = [r for r in await audit_records(api) if r.action != "console.signin"]
    assert [r.action for r in records] == [
        "user.lock",
        "user.unlock",
        "user.promote",
        "user.demote",
        "user.deactivate",
        "user.restore",
        "user.revoke-sessions",
        "user.verify",
    ]
    assert {r.actor for r in records} == {console.admin.username}
    assert {r.actor_id for r in records} == {uuid.UUID(console.admin.id)}
    assert records[4].details == {"reason": "spam"}
    assert records[6].details == {"sessions_revoked": 1}
    assert all(r.address for r in records)


async def test_an_admin_cannot_lock_themselves_out(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    for action in ("lock", "demote", "deactivate"):
        refused = await console.act("user", console.admin.id, action)
        assert refused.status_code == 403, action
    assert (await api.client.get("/admin/")).status_code == 200
    assert [r.action for r in await audit_records(api)] == ["console.signin"]


async def test_revoking_one_session_leaves_the_others(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    target = await api.user()
    phone = await api.sign_in_as(
        TestUser(target.id, target.email, target.username, target.password), "phone"
    )
    page = await api.client.get(f"/admin/user/details/{target.id}")
    assert "phone" in page.text
    assert (await console.act("session", phone.session_id, "revoke")).status_code == 303
    assert (await api.client.get("/v1/me", headers=phone.headers)).status_code == 401
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 200
    again = await console.act("session", phone.session_id, "revoke")
    assert again.status_code == 404
    [record] = [r for r in await audit_records(api) if r.action == "session.revoke"]
    assert record.details == {"user_id": target.id}


async def test_content_is_soft_deleted_with_a_reason(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    owner = await api.user()
    viewer = await api.user()
    card = await create_card(api, owner)
    profile_id = card["profile_id"]

    no_reason = await console.act("card", card["id"], "delete", reason=" ")
    assert no_reason.status_code == 422
    assert (
        await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    ).status_code == 200
    assert (
        await console.act("card", card["id"], "delete", reason="impersonation")
    ).status_code == 303
    assert (
        await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    ).status_code == 404

    assert (await console.act("profile", profile_id, "delete")).status_code == 422
    assert (await console.act("profile", profile_id, "delete", reason="abuse")).status_code == 303
    for user in (owner, viewer):
        gone = await api.client.get(f"/v1/profiles/{profile_id}", headers=user.headers)
        assert gone.status_code == 404
    changes = await api.client.get("/v1/sync/changes", headers=owner.headers)
    assert {(c["entity"], c["op"], c["id"]) for c in changes.json()["changes"]} >= {
        ("profile", "delete", profile_id),
        ("card", "delete", card["id"]),
    }, "the owner's devices drop the profile and its card"

    uploaded = await api.client.post(
        "/v1/files", files=multipart(image_bytes()), headers=owner.headers
    )
    file_id = uploaded.json()["id"]
    assert (await console.act("file", file_id, "delete")).status_code == 303
    assert (await api.client.get(f"/v1/files/{file_id}", headers=owner.headers)).status_code == 404

    records = {r.action: r for r in await audit_records(api)}
    assert records["card.delete"].details["reason"] == "impersonation"
    assert records["profile.delete"].details["reason"] == "abuse"
    assert records["profile.delete"].details["user_id"] == owner.id
    assert records["file.delete"].details["owner_user_id"] == owner.id
    page = await api.client.get(f"/admin/profile/details/{profile_id}")
    assert "abuse" in page.text, "the profile's page shows its audit, reason included"


async def test_destructive_actions_ask_for_confirmation_first(api: Api) -> None:
    await Console(api.client, await api.user(admin=True)).sign_in()
    target = await api.user()
    details = await api.client.get(f"/admin/user/details/{target.id}")
    # Lock is a link to a confirmation page; unlocking-type actions are forms.
    assert f'href="http://testserver/admin/act/user/{target.id}/lock"' in details.text
    confirm = await api.client.get(f"/admin/act/user/{target.id}/lock")
    assert confirm.status_code == 200
    assert "Please confirm" in confirm.text
    assert 'method="POST"' in confirm.text
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 200
    missing = await api.client.get(f"/admin/act/user/{uuid.uuid4()}/lock")
    assert missing.status_code == 404
    unknown = await api.client.get(f"/admin/act/user/{target.id}/explode")
    assert unknown.status_code == 404


async def test_audit_records_cannot_be_changed_from_the_console(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    [record] = await audit_records(api)
    token = {"csrf_token": console.token}
    for method, path in [
        ("DELETE", f"/admin/audit-record/delete?pks={record.id}"),
        ("POST", f"/admin/audit-record/edit/{record.id}"),
        ("GET", f"/admin/audit-record/edit/{record.id}"),
        ("POST", "/admin/audit-record/create"),
        ("POST", "/admin/audit-record/import"),
        ("GET", "/admin/audit-record/export/csv"),
    ]:
        response = await api.client.request(method, path, data=token if method == "POST" else None)
        assert response.status_code in (404, 405), (method, path)
    assert [r.id for r in await audit_records(api)] == [record.id]


async def test_pages_carry_a_strict_content_security_policy(api: Api) -> None:
    await Console(api.client, await api.user(admin=True)).sign_in()
    for path in ("/admin/", "/admin/user/list", "/admin/login"):
        response = await api.client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["cache-control"] == "no-store"
        assert "<script>" not in response.text, "no inline script"
        for source in re.findall(r'(?:src|href)="(https?://[^"]+)"', response.text):
            assert source.startswith("http://testserver/"), source
    static = await api.client.get("/admin/statics/css/tabler.min.css")
    assert static.status_code == 200


async def test_the_session_cookie_is_http_only_and_strict(api: Api) -> None:
    admin = await api.user(admin=True)
    response = await console_signin(api.client, admin.username, admin.password)
    cookie = response.headers["set-cookie"].lower()
    assert "bca_admin=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/admin" in cookie
    assert "secure" not in cookie, "embedded mode serves plain HTTP on a laptop"


async def test_the_dashboard_shows_counts_queue_and_backends(api: Api) -> None:
    await Console(api.client, await api.user(admin=True)).sign_in()
    page = (await api.client.get("/admin/")).text
    for name in ("database", "cache", "storage", "broker"):
        assert re.search(rf"<td>{name}</td>\s*<td[^>]*><span[^>]*>ok</span>", page), name
    assert re.search(r'id="queue-depth">\s*0\s*<', page)
    assert re.search(r"<td>users</td><td[^>]*>1</td>", page)


async def test_no_console_page_shows_a_chat_message_body(api: Api) -> None:
    console = await Console(api.client, await api.user(admin=True)).sign_in()
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member, title="Weekend plans")
    marker = f"secret-marker-{uuid.uuid4().hex}"
    await post(api.client, owner, chat["id"], body=marker)
    await post(api.client, member, chat["id"], body=f"re: {marker}")

    # Every page reachable from the dashboard, each path once (sorting and paging variants of
    # a list show the same rows' columns).
    seen: set[str] = set()
    queue = deque(["/admin/"])
    pages: dict[str, str] = {}
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        if path in seen:
            continue
        seen.add(path)
        response = await api.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[path] = response.text
        assert marker not in response.text, url
        for link in LINK.findall(response.text):
            target = urlsplit(urldefrag(link.replace("&amp;", "&")).url)
            if target.path.startswith("/admin/") and "/statics/" not in target.path:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert len(pages) > 20
    chat_page = f"/admin/chat/details/{chat['id']}"
    assert chat_page in pages, "the crawl reached the chat's page"
    assert "Weekend plans" in pages[chat_page]
    assert owner.profile_id in pages[chat_page]
    assert member.profile_id in pages[chat_page]
    assert console.token, "the crawl ran signed in"


async def test_the_admin_api_is_audited_like_the_console(api: Api) -> None:
    admin = await api.user(admin=True)
    target = await api.user()
    lock = await api.client.post(
        f"/v1/admin/users/{target.id}/lock", headers=admin.headers, json={"locked": True}
    )
    assert lock.status_code == 204
    revoke = await api.client.post(
        f"/v1/admin/users/{target.id}/revoke-sessions", headers=admin.headers
    )
    assert revoke.status_code == 204
    own = await api.client.post(
        f"/v1/admin/users/{admin.id}/lock", headers=admin.headers, json={"locked": True}
    )
    assert own.status_code == 403
    records = await audit_records(api)
    assert [(r.action, r.target_id, r.actor) for r in records] == [
        ("user.lock", target.id, admin.username),
        ("user.revoke-sessions", target.id, admin.username),
    ]


async def test_lists_count_and_search_in_the_database(api: Api) -> None:
    await Console(api.client, await api.user(admin=True)).sign_in()
    users = [await api.user() for _ in range(3)]
    everyone = await api.client.get("/admin/user/list")
    assert re.search(r"of\s+4\s+items", everyone.text)
    found = await api.client.get("/admin/user/list", params={"search": users[1].username})
    assert re.search(r"of\s+1\s+items", found.text)
    assert users[1].email in found.text
    assert users[0].email not in found.text
    sessions = await api.client.get("/admin/auth-session/list", params={"user": users[2].id})
    assert re.search(r"of\s+1\s+items", sessions.text)
