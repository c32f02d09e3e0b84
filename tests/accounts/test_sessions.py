"""Refresh rotation, reuse detection, and revocation taking effect at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bca.accounts.models import AuthSession, RefreshToken
from bca.accounts.sessions import REFRESH_GRACE
from bca.backends import Backends
from tests.factories.accounts import Api


async def _age_spent_tokens(backends: Backends, seconds: float) -> None:
    """Move every spending time back, as if the client repeated its token that much later."""
    async with backends.database.transaction() as session:
        rows = (await session.scalars(select(RefreshToken))).all()
        for row in rows:
            if row.spent_at is not None:
                row.spent_at -= timedelta(seconds=seconds)


async def test_refresh_token_reuse_revokes_the_session(api: Api, backends: Backends) -> None:
    user = await api.user()
    first = user.refresh_token
    rotated = await api.client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()
    second_headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await api.client.get("/v1/me", headers=second_headers)).status_code == 200

    # Past the grace window a repeat is reuse.
    await _age_spent_tokens(backends, REFRESH_GRACE.total_seconds() + 1)
    replay = await api.client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    assert replay.json()["code"] == "token_reused"
    assert replay.headers["WWW-Authenticate"] == 'Bearer realm="B.Ca"'

    newer = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert newer.status_code == 401
    assert newer.json()["code"] == "invalid_token"
    assert (await api.client.get("/v1/me", headers=second_headers)).status_code == 401
    assert (await api.client.get("/v1/me", headers=user.headers)).status_code == 401


async def test_concurrent_refreshes_of_one_token_all_get_the_same_new_pair(api: Api) -> None:
    """Two tabs, or a retry after a lost answer: within the grace window a repeat of the
    just-rotated token gets the same pair, and the session lives on (issue 22, item 10)."""
    user = await api.user()
    responses = await asyncio.gather(
        *(
            api.client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
            for _ in range(10)
        )
    )
    assert [response.status_code for response in responses] == [200] * 10, [
        response.text for response in responses
    ]
    pairs = {(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}
    assert len(pairs) == 1, pairs
    access, refresh = pairs.pop()
    assert refresh != user.refresh_token
    headers = {"Authorization": f"Bearer {access}"}
    assert (await api.client.get("/v1/me", headers=headers)).status_code == 200
    # The new token rotates as usual, once.
    onward = await api.client.post("/v1/auth/refresh", json={"refresh_token": refresh})
    assert onward.status_code == 200
    assert onward.json()["refresh_token"] not in {refresh, user.refresh_token}


async def test_a_repeat_after_the_successor_was_used_is_reuse(api: Api) -> None:
    """The grace covers the just-rotated token only: once its successor was spent, a repeat of
    it is reuse even within the window."""
    user = await api.user()
    first = await api.client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    second = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": first.json()["refresh_token"]}
    )
    assert second.status_code == 200
    replay = await api.client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert replay.status_code == 401
    assert replay.json()["code"] == "token_reused"
    latest = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert (await api.client.get("/v1/me", headers=latest)).status_code == 401


async def test_unknown_refresh_token(api: Api) -> None:
    response = await api.client.post("/v1/auth/refresh", json={"refresh_token": "nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_password_change_revokes_other_sessions_only(api: Api) -> None:
    user = await api.user()
    phone = await api.signin(user, device_name="phone")
    phone_headers = {"Authorization": f"Bearer {phone.json()['access_token']}"}

    wrong = await api.client.post(
        "/v1/auth/password/change",
        headers=user.headers,
        json={"current_password": "not it at all", "new_password": "brand new secret"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    assert (await api.client.get("/v1/me", headers=phone_headers)).status_code == 200

    changed = await api.client.post(
        "/v1/auth/password/change",
        headers=user.headers,
        json={"current_password": user.password, "new_password": "brand new secret"},
    )
    assert changed.status_code == 204
    assert (await api.client.get("/v1/me", headers=phone_headers)).status_code == 401
    assert (await api.client.get("/v1/me", headers=user.headers)).status_code == 200
    phone_refresh = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": phone.json()["refresh_token"]}
    )
    assert phone_refresh.status_code == 401


async def test_signout_all_and_session_delete(api: Api) -> None:
    user = await api.user()
    tablet = (await api.signin(user, device_name="tablet")).json()
    tablet_headers = {"Authorization": f"Bearer {tablet['access_token']}"}

    listed = (await api.client.get("/v1/sessions", headers=user.headers)).json()["items"]
    assert {item["device_name"] for item in listed} == {None, "tablet"}
    assert [item["current"] for item in listed].count(True) == 1

    stranger = await api.user()
    foreign = await api.client.delete(
        f"/v1/sessions/{tablet['session_id']}", headers=stranger.headers
    )
    assert foreign.status_code == 404
    assert (await api.client.get("/v1/me", headers=tablet_headers)).status_code == 200

    deleted = await api.client.delete(f"/v1/sessions/{tablet['session_id']}", headers=user.headers)
    assert deleted.status_code == 204
    assert (await api.client.get("/v1/me", headers=tablet_headers)).status_code == 401
    again = await api.client.delete(f"/v1/sessions/{tablet['session_id']}", headers=user.headers)
    assert again.status_code == 404

    laptop = (await api.signin(user, device_name="laptop")).json()
    assert (await api.client.post("/v1/auth/signout-all", headers=user.headers)).status_code == 204
    for headers in (user.headers, {"Authorization": f"Bearer {laptop['access_token']}"}):
        assert (await api.client.get("/v1/me", headers=headers)).status_code == 401


async def test_session_list_paginates(api: Api) -> None:
    user = await api.user()
    for number in range(4):
        await api.signin(user, device_name=f"device {number}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.client.get("/v1/sessions", headers=user.headers, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    bad = await api.client.get("/v1/sessions", headers=user.headers, params={"cursor": "%%%"})
    assert bad.status_code == 422


async def test_push_token_moves_between_sessions_of_one_device(api: Api) -> None:
    user = await api.user()
    body = {"token": "device-token-1", "platform": "android"}
    assert (
        await api.client.put("/v1/sessions/current/push", headers=user.headers, json=body)
    ).status_code == 204
    second = await api.sign_in_as(await api.user())
    assert (
        await api.client.put("/v1/sessions/current/push", headers=second.headers, json=body)
    ).status_code == 204
    async with api.backends.database.transaction() as session:
        holders = (
            await session.scalars(
                select(AuthSession.user_id).where(AuthSession.push_token == "device-token-1")
            )
        ).all()
    assert [str(holder) for holder in holders] == [second.id]

    bad = await api.client.put(
        "/v1/sessions/current/push",
        headers=user.headers,
        json={"token": "x", "platform": "symbian"},
    )
    assert bad.status_code == 422
    assert (
        await api.client.delete("/v1/sessions/current/push", headers=second.headers)
    ).status_code == 204


async def test_deactivation_revokes_and_blocks_sign_in(api: Api) -> None:
    """Only the password brings a deleted account back, within the grace period (issue 27;
    tests/rights/test_erasure.py); anything else is refused as an unknown login is."""
    user = await api.user()
    wrong = await api.client.request(
        "DELETE", "/v1/me", headers=user.headers, json={"password": "wrong password"}
    )
    assert wrong.status_code == 401
    gone = await api.client.request(
        "DELETE", "/v1/me", headers=user.headers, json={"password": user.password}
    )
    assert gone.status_code == 204
    assert (await api.client.get("/v1/me", headers=user.headers)).status_code == 401
    signin = await api.signin(user, password="not the password")
    assert signin.status_code == 401
    assert signin.json()["code"] == "invalid_credentials"


async def test_me_update(api: Api) -> None:
    user = await api.user()
    patched = await api.client.patch("/v1/me", headers=user.headers, json={"nickname": "  Ada  "})
    assert patched.status_code == 200
    assert patched.json()["nickname"] == "Ada"
    unknown = await api.client.patch("/v1/me", headers=user.headers, json={"role": "admin"})
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "validation_error"
