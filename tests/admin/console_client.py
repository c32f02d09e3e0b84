"""Drives the admin console over HTTP as a browser without JavaScript would."""

from __future__ import annotations

import html
import re

import httpx

from tests.factories.accounts import TestUser

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return html.unescape(match.group(1))


def another_browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A second browser (its own cookies) on the same app."""
    return httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))


async def console_signin(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    form = await client.get("/admin/login")
    assert form.status_code == 200, form.text
    return await client.post(
        "/admin/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(form.text)},
    )


class Console:
    """A signed-in admin's browser: its cookie jar and the CSRF token of its session."""

    def __init__(self, client: httpx.AsyncClient, admin: TestUser) -> None:
        self.client = client
        self.admin = admin
        self.token = ""

    async def sign_in(self) -> Console:
        response = await console_signin(self.client, self.admin.username, self.admin.password)
        assert response.status_code == 303, response.text
        dashboard = await self.client.get("/admin/")
        assert dashboard.status_code == 200, dashboard.text
        self.token = csrf_of((await self.client.get("/admin/logout")).text)
        return self

    async def act(
        self, target_type: str, target_id: str, action: str, *, reason: str | None = None
    ) -> httpx.Response:
        data = {"csrf_token": self.token} | ({"reason": reason} if reason is not None else {})
        return await self.client.post(f"/admin/act/{target_type}/{target_id}/{action}", data=data)
