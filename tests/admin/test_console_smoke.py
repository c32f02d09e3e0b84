from __future__ import annotations

from tests.admin.console_client import Console
from tests.factories import Api


async def test_smoke(api: Api) -> None:
    admin = await api.user(admin=True)
    target = await api.user()
    console = await Console(api.client, admin).sign_in()
    for path in ["/admin/", "/admin/user/list", f"/admin/user/details/{target.id}", "/admin/audit-record/list", "/admin/auth-session/list", "/admin/chat/list", "/admin/change/list", "/admin/snapshot/list", "/admin/stored-file/list", "/admin/profile/list", "/admin/card/list"]:
        r = await api.client.get(path)
        assert r.status_code == 200, (path, r.text[-3000:])
    r = await console.act("user", target.id, "lock")
    assert r.status_code == 303, r.text
    assert (await api.client.get("/v1/me", headers=target.headers)).status_code == 401
