"""Helpers for the CardDAV tests: app passwords, raw WebDAV requests and multistatus reading."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET
import httpx

from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card, first_profile_id

DAV = "{DAV:}"
CARD = "{urn:ietf:params:xml:ns:carddav}"
CS = "{http://calendarserver.org/ns/}"
XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
NAMESPACES = 'xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"'


async def create_app_password(api: Api, user: TestUser, name: str = "Phone") -> dict[str, Any]:
    response = await api.client.post("/v1/app-passwords", json={"name": name}, headers=user.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def basic(login: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Dav:
    """One user's CardDAV client over the test app."""

    api: Api
    user: TestUser
    secret: str

    @property
    def home(self) -> str:
        return f"/dav/addressbooks/{self.user.id}/"

    def book(self, profile_id: str) -> str:
        return f"{self.home}{profile_id}/"

    def card(self, profile_id: str, card_id: str) -> str:
        return f"{self.book(profile_id)}{card_id}.vcf"

    async def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        *,
        depth: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = basic(self.user.username, self.secret) | (headers or {})
        if depth is not None:
            sent["Depth"] = depth
        if body is not None:
            sent.setdefault("Content-Type", "application/xml; charset=utf-8")
        return await self.api.client.request(method, path, content=body, headers=sent)

    async def propfind(self, path: str, props: str, depth: str = "0") -> httpx.Response:
        body = (
            f'{XML_HEAD}<d:propfind xmlns:d="DAV:" {NAMESPACES}>'
            f"<d:prop>{props}</d:prop></d:propfind>"
        )
        return await self.request("PROPFIND", path, body, depth=depth)

    async def report(self, path: str, body: str) -> httpx.Response:
        return await self.request("REPORT", path, XML_HEAD + body, depth="1")

    async def sync(
        self, profile_id: str, token: str = "", props: str = "<d:getetag/>"
    ) -> httpx.Response:
        return await self.report(
            self.book(profile_id),
            f'<d:sync-collection xmlns:d="DAV:" {NAMESPACES}>'
            f"<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
            f"<d:prop>{props}</d:prop></d:sync-collection>",
        )


async def dav_client(api: Api, user: TestUser) -> Dav:
    created = await create_app_password(api, user)
    return Dav(api, user, created["password"])


@dataclass
class Found:
    """A multistatus ``response``: its status (bare) or its found and missing properties."""

    href: str
    status: int | None
    props: dict[str, Any]
    missing: set[str]


def multistatus(response: httpx.Response) -> dict[str, Found]:
    assert response.status_code == 207, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = SafeET.fromstring(response.content)
    assert root.tag == f"{DAV}multistatus"
    found: dict[str, Found] = {}
    for node in root.findall(f"{DAV}response"):
        href = node.findtext(f"{DAV}href")
        assert href is not None, "every response names its resource"
        status_text = node.findtext(f"{DAV}status")
        entry = Found(href, int(status_text.split()[1]) if status_text else None, {}, set())
        for propstat in node.findall(f"{DAV}propstat"):
            propstat_status = propstat.findtext(f"{DAV}status")
            props = propstat.find(f"{DAV}prop")
            assert propstat_status is not None, "every propstat has a status"
            assert props is not None, "every propstat has a prop"
            code = int(propstat_status.split()[1])
            for prop in props:
                if code == 200:
                    entry.props[prop.tag] = prop
                else:
                    entry.missing.add(prop.tag)
        found[href] = entry
    return found


def sync_token_of(response: httpx.Response) -> str:
    token = SafeET.fromstring(response.content).findtext(f"{DAV}sync-token")
    assert token
    return token


def error_of(response: httpx.Response) -> Any:
    """The ``DAV:error`` document of a 4xx/5xx answer."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = SafeET.fromstring(response.content)
    assert root.tag == f"{DAV}error"
    return root


async def wallet_with_cards(
    api: Api, count: int = 2, **card_fields: Any
) -> tuple[TestUser, TestUser, str, list[dict[str, Any]]]:
    """An owner with ``count`` public cards, all held in a holder's first profile's wallet."""
    owner = await api.user()
    holder = await api.user()
    me = await first_profile_id(api, holder)
    cards = []
    for index in range(count):
        data = {
            "given_name": f"Given{index}",
            "family_name": "Owner",
            "emails": [{"value": f"person{index}@example.com", "type": "work"}],
        }
        card = await create_card(api, owner, data=data, **card_fields)
        subscribed = await api.client.put(
            f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
        )
        assert subscribed.status_code == 201, subscribed.text
        cards.append(card)
    return owner, holder, me, cards
