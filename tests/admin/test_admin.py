from __future__ import annotations

from tests.factories.accounts import Api


async def test_admin_endpoints_do_not_exist_for_users(api: Api) -> None:
    user = await api.user()
    other = await api.user()
    for method, path in [
        ("GET", "/v1/admin/users"),
        ("POST", f"/v1/admin/users/{other.id}/revoke-sessions"),
    ]:
        response = await api.client.request(method, path, headers=user.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    lock = await api.client.post(
        f"/v1/admin/users/{other.id}/lock", headers=user.headers, json={"locked": True}
    )
    assert lock.status_code == 404
    assert (await api.client.get("/v1/me", headers=other.headers)).status_code == 200


async def test_admin_lists_and_searches_users(api: Api) -> None:
    admin = await api.user(admin=True)
    target = await api.user(nickname="Findable Person")
    listed = await api.client.get(
        "/v1/admin/users", headers=admin.headers, params={"q": "findable"}
    )
    assert listed.status_code == 200
    [found] = listed.json()["items"]
    assert found["id"] == target.id
    assert found["locked"] is False
    assert found["deactivated"] is False

    pages, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (
            await api.client.get("/v1/admin/users", headers=admin.headers, params=params)
        ).json()
        pages += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert {item["id"] for item in pages} == {admin.id, target.id}
    wildcard = await api.client.get("/v1/admin/users", headers=admin.headers, params={"q": "%"})
    assert wildcard.json()["items"] == []


async def test_lock_revokes_at_once_and_blocks_sign_in(api: Api) -> None:
    admin = await api.user(admin=True)
    target = await api.user()
    locked = await api.client.post(
        f"/v1/admin/users/{target.id}/lock", headers=admin.headers, json={"locked": True}
    )
    assert locked.status_code == 204
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 401
    signin = await api.signin(target)
    assert signin.status_code == 423
    assert signin.json()["code"] == "account_locked"
    wrong = await api.client.post(
        "/v1/auth/signin", json={"login": target.username, "password": "wrong password"}
    )
    assert wrong.status_code == 401, "the lock is only revealed to someone knowing the password"

    await api.client.post(
        f"/v1/admin/users/{target.id}/lock", headers=admin.headers, json={"locked": False}
    )
    assert (await api.signin(target)).status_code == 200


async def test_admin_revokes_sessions(api: Api) -> None:
    admin = await api.user(admin=True)
    target = await api.user()
    response = await api.client.post(
        f"/v1/admin/users/{target.id}/revoke-sessions", headers=admin.headers
    )
    assert response.status_code == 204
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 401
    missing = await api.client.post(
        "/v1/admin/users/00000000-0000-0000-0000-000000000000/revoke-sessions",
        headers=admin.headers,
    )
    assert missing.status_code == 404
