"""The admin operations behind `bca admin users` (and the web console), on both stacks.

The CLI tests run them through real `bca` processes on SQLite; these check what the other
users see afterwards, on PostgreSQL too.
"""

from __future__ import annotations

import uuid

import pytest

from bca.accounts import administration as service
from bca.accounts.errors import UserNotFound
from tests.factories.accounts import Api


async def test_deactivate_hides_the_profiles_and_restore_brings_them_back(api: Api) -> None:
    owner = await api.user()
    viewer = await api.user()
    profile = (await api.client.get("/v1/profiles", headers=owner.headers)).json()["items"][0]
    path = f"/v1/profiles/{profile['id']}"
    assert (await api.client.get(path, headers=viewer.headers)).status_code == 200

    async with api.backends.database.transaction() as session:
        await service.admin_deactivate(session, api.backends, user_id=uuid.UUID(owner.id))
    assert (await api.client.get(path, headers=viewer.headers)).status_code == 404
    assert (await api.client.get("/v1/me", headers=owner.headers)).status_code == 401
    assert (await api.signin(owner)).status_code == 401

    async with api.backends.database.transaction() as session:
        await service.restore(session, user_id=uuid.UUID(owner.id))
    assert (await api.client.get(path, headers=viewer.headers)).status_code == 200
    assert (await api.signin(owner)).status_code == 200


async def test_verify_and_roles(api: Api) -> None:
    response = await api.signup()
    user_id = uuid.UUID(response.json()["id"])
    login = {"login": response.json()["username"], "password": "correct horse battery"}
    assert (await api.client.post("/v1/auth/signin", json=login)).status_code == 403
    async with api.backends.database.transaction() as session:
        await service.admin_verify_email(session, user_id=user_id)
        await service.set_role(session, user_id=user_id, role="admin")
    signin = await api.client.post("/v1/auth/signin", json=login)
    assert signin.status_code == 200
    headers = {"Authorization": f"Bearer {signin.json()['access_token']}"}
    assert (await api.client.get("/v1/admin/users", headers=headers)).status_code == 200
    async with api.backends.database.transaction() as session:
        await service.set_role(session, user_id=user_id, role="user")
    assert (await api.client.get("/v1/admin/users", headers=headers)).status_code == 404


async def test_operators_name_accounts_by_id_email_or_username(api: Api) -> None:
    hexadecimal = uuid.uuid4().hex  # a valid username that also parses as an id
    user = await api.user(username=hexadecimal)
    async with api.backends.database.transaction() as session:
        for identifier in (user.id, user.email.upper(), user.username, hexadecimal):
            assert str((await service.find_user(session, identifier=identifier)).id) == user.id
        for identifier, message in (
            (str(uuid.UUID(int=3)), f"no user with id {uuid.UUID(int=3)}"),
            ("ghost@example.com", "no user with email ghost@example.com"),
            ("ghost", "no user with username ghost"),
        ):
            with pytest.raises(UserNotFound, match=message):
                await service.find_user(session, identifier=identifier)
