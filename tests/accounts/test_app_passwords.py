"""App passwords: shown once, stored hashed, named, last use; the only way into CardDAV."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from bca.accounts.models import AppPassword
from bca.backends import Backends
from tests.factories.accounts import Api
from tests.factories.carddav import basic, create_app_password

HOME_PROBE = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>'
)


async def dav_status(api: Api, login: str, secret: str) -> int:
    response = await api.client.request(
        "PROPFIND", "/dav/", content=HOME_PROBE, headers=basic(login, secret) | {"Depth": "0"}
    )
    return response.status_code


async def test_created_once_listed_without_secret_and_revoked(api: Api, backends: Backends) -> None:
    user = await api.user()
    created = await create_app_password(api, user, name="  Work phone ")
    secret = created["password"]
    assert re.fullmatch(r"([a-z2-9]{4}-){4}[a-z2-9]{4}", secret)
    assert created["name"] == "Work phone"
    assert created["username"] == user.username
    assert created["server_url"] == "https://bca.test/dav/"
    assert created["last_used_at"] is None

    async with backends.database.transaction() as session:
        stored = (await session.scalars(select(AppPassword.secret_hash))).all()
    bare = secret.replace("-", "")
    assert stored == [hashlib.sha256(bare.encode()).hexdigest()]

    # Typed back with spaces, without dashes or in capitals, it still works; by email too.
    assert await dav_status(api, user.username, secret) == 207
    assert await dav_status(api, user.email, bare.upper()) == 207
    assert await dav_status(api, user.username, " ".join(secret.split("-"))) == 207

    listed = await api.client.get("/v1/app-passwords", headers=user.headers)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert set(item) == {"id", "name", "created_at", "last_used_at"}
    assert item["last_used_at"] is not None

    other = await api.user()
    foreign = await api.client.delete(f"/v1/app-passwords/{item['id']}", headers=other.headers)
    assert foreign.status_code == 404
    revoked = await api.client.delete(f"/v1/app-passwords/{item['id']}", headers=user.headers)
    assert revoked.status_code == 204
    assert await dav_status(api, user.username, secret) == 401
    again = await api.client.delete(f"/v1/app-passwords/{item['id']}", headers=user.headers)
    assert again.status_code == 404
    assert (await api.client.get("/v1/app-passwords", headers=user.headers)).json()["items"] == []


async def test_only_app_passwords_open_carddav_and_they_open_nothing_else(api: Api) -> None:
    user = await api.user()
    secret = (await create_app_password(api, user))["password"]

    anonymous = await api.client.request("PROPFIND", "/dav/", headers={"Depth": "0"})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith('Basic realm="B.Ca"')
    bearer = await api.client.request("PROPFIND", "/dav/", headers=user.headers | {"Depth": "0"})
    assert bearer.status_code == 401
    assert await dav_status(api, user.username, user.password) == 401
    assert await dav_status(api, "nobody", secret) == 401
    other = await api.user()
    assert await dav_status(api, other.username, secret) == 401

    signin = await api.client.post(
        "/v1/auth/signin", json={"login": user.username, "password": secret}
    )
    assert signin.status_code == 401
    as_bearer = await api.client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert as_bearer.status_code == 401


@pytest.mark.parametrize("event", ["password_change", "signout_all", "lock", "deactivate"])
async def test_revocation_rules_of_sessions_apply_at_once(api: Api, event: str) -> None:
    user = await api.user()
    secret = (await create_app_password(api, user))["password"]
    assert await dav_status(api, user.username, secret) == 207
    if event == "password_change":
        response = await api.client.post(
            "/v1/auth/password/change",
            json={"current_password": user.password, "new_password": "another long secret"},
            headers=user.headers,
        )
    elif event == "signout_all":
        response = await api.client.post("/v1/auth/signout-all", headers=user.headers)
    elif event == "lock":
        admin = await api.user(admin=True)
        response = await api.client.post(
            f"/v1/admin/users/{user.id}/lock", json={"locked": True}, headers=admin.headers
        )
    else:
        response = await api.client.request(
            "DELETE", "/v1/me", json={"password": user.password}, headers=user.headers
        )
    assert response.status_code == 204, response.text
    assert await dav_status(api, user.username, secret) == 401
    if event == "password_change":
        # The device that changed it keeps its session and can make a new app password.
        fresh = await create_app_password(api, user)
        assert await dav_status(api, user.username, fresh["password"]) == 207


async def test_failures_count_towards_the_sign_in_lockout(api: Api) -> None:
    user = await api.user()
    secret = (await create_app_password(api, user))["password"]
    for _ in range(5):
        assert await dav_status(api, user.username, "wrong-wrong-wrong") == 401
    assert await dav_status(api, user.username, secret) == 429
    signin = await api.signin(user)
    assert signin.status_code == 429
    assert signin.json()["code"] == "rate_limited"


async def test_at_most_fifty_live_app_passwords(api: Api) -> None:
    user = await api.user()
    for index in range(50):
        await create_app_password(api, user, name=f"device {index}")
    over = await api.client.post(
        "/v1/app-passwords", json={"name": "one more"}, headers=user.headers
    )
    assert over.status_code == 409
    assert over.json()["code"] == "limit_reached"
    page = await api.client.get("/v1/app-passwords", params={"limit": 20}, headers=user.headers)
    assert len(page.json()["items"]) == 20
    assert page.json()["next_cursor"]
    blank = await api.client.post("/v1/app-passwords", json={"name": "  "}, headers=user.headers)
    assert blank.status_code == 422


async def test_the_limit_holds_under_concurrent_creations(api: Api, backends: Backends) -> None:
    """80 creations at once leave exactly 50 live ones (issue 22, item 7)."""
    user = await api.user()
    responses = await asyncio.gather(
        *(
            api.client.post(
                "/v1/app-passwords", json={"name": f"device {index}"}, headers=user.headers
            )
            for index in range(80)
        )
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 50, 409: 30}, statuses
    async with backends.database.transaction() as session:
        live = await session.scalar(
            select(func.count())
            .select_from(AppPassword)
            .where(AppPassword.user_id == uuid.UUID(user.id), AppPassword.revoked_at.is_(None))
        )
    assert live == 50


async def test_setup_says_the_address_and_username_for_a_contacts_app(api: Api) -> None:
    user = await api.user()
    setup = await api.client.get("/v1/app-passwords/setup", headers=user.headers)
    assert setup.status_code == 200
    assert setup.json() == {
        "server_url": "https://bca.test/dav/",
        "username": user.username,
        "email": user.email,
    }
    created = await create_app_password(api, user)
    assert created["server_url"] == setup.json()["server_url"]
    assert (await api.client.get("/v1/app-passwords/setup")).status_code == 401
