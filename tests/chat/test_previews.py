"""Link previews (issue 25, item 5): the worker fetches a message's first link and attaches a
preview, emitting ``message_preview``; whatever the SSRF rules refuse is skipped and the
message stays as posted. A local site (``tests/fixtures/pages.py``) is the only origin
allowed without the address checks (``BCA_LINK_PREVIEW_TEST_ORIGINS``), so a redirect from it
to anywhere else is judged like any link."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bca.backends import Backends, safe_fetch
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, events, new_chat, post
from tests.fixtures.pages import SECRET, PageServer


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    server = PageServer.start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(pages: PageServer, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The local site allowed as it is; a test adds settings with ``indirect=True``."""
    extra: dict[str, Any] = getattr(request, "param", {})
    return {"link_preview_test_origins": pages.origin, **extra}


async def two_in_a_chat(api: Api) -> tuple[TestUser, TestUser, str]:
    ann, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, ann, bob)
    return ann, bob, str(chat["id"])


async def posted_and_settled(
    api: Api, backends: Backends, user: TestUser, chat_id: str, body: str
) -> list[dict[str, Any]]:
    """Post, let the worker's task run, and return the chat's events from the message on."""
    message = await post(api.client, user, chat_id, body)
    for _ in range(2):  # what the outbox released, then anything it enqueued in turn
        await backends.tasks.drain()
        await asyncio.sleep(0.05)
    return await events(api.client, user, chat_id, after=message["index"] - 1)


def skipped_because(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "bca.chat.previews" and "skipped" in record.getMessage()
    ]


async def test_a_page_with_opengraph_tags_and_an_image_gets_a_preview(
    api: Api, backends: Backends, pages: PageServer
) -> None:
    ann, bob, chat_id = await two_in_a_chat(api)
    link = pages.url("/page")
    found = await posted_and_settled(api, backends, ann, chat_id, f"Look: {link}.")

    message, preview_event = found
    assert preview_event["type"] == "message_preview"
    assert preview_event["index"] == message["index"] + 1
    assert preview_event["target_index"] == message["index"]
    assert preview_event["profile_id"] == ann.profile_id
    preview = preview_event["preview"]
    assert preview["url"] == link
    assert preview["title"] == "Cards & chats"
    assert preview["description"] == "A messenger built around business cards."
    assert preview["site_name"] == "B.Ca test site"
    image = preview_event["file"]
    assert image["content_type"] == "image/png"
    assert preview["image"] == image["url"]
    assert image["url"].startswith("https://bca.test/v1/files/")
    assert message["preview"] == preview  # the message carries it from now on

    # The image is our own file, re-encoded (the text chunk is gone), shown to the chat.
    path = image["url"].removeprefix("https://bca.test")
    got = await api.client.get(path, headers=bob.headers)
    assert got.status_code == 200
    assert got.content != pages.image
    assert SECRET.encode() not in got.content
    stranger = await chat_user(api)
    assert (await api.client.get(path, headers=stranger.headers)).status_code == 404

    # Bob's reads see it too, and the message is listed with it.
    seen = await events(api.client, bob, chat_id, after=message["index"] - 1)
    assert seen[0]["preview"] == preview
    chats = (await api.client.get("/v1/chats", headers=bob.headers)).json()["items"]
    assert chats[0]["last_event"]["type"] == "message_preview"
    # Ann's own preview is no news to her: her read marker followed it; Bob has the message
    # unread (a preview is not a message to count).
    mine = (await api.client.get(f"/v1/chats/{chat_id}", headers=ann.headers)).json()
    assert mine["read_index"] == preview_event["index"]
    assert mine["unread_count"] == 0
    assert chats[0]["unread_count"] == 1


async def test_a_page_without_opengraph_uses_its_title_and_meta_description(
    api: Api, backends: Backends, pages: PageServer
) -> None:
    ann, _, chat_id = await two_in_a_chat(api)
    found = await posted_and_settled(api, backends, ann, chat_id, pages.url("/plain"))
    preview = found[1]["preview"]
    assert preview["title"] == "Plain page"
    assert preview["description"] == "Only a title and a description."
    assert preview["site_name"] == "127.0.0.1"
    assert preview["image"] is None
    assert found[1]["file"] is None


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1/", "the host is not a public address"),
        ("http://[::1]/", "the host is not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "the host is not a public address"),
        ("http://10.0.0.1/", "the host is not a public address"),
        ("http://[fd00::1]/", "the host is not a public address"),
        ("http://internal.example/", "the host is not a public address"),
        ("http://93.184.216.34:8080/", "port 8080 is not allowed"),
        ("gopher://93.184.216.34/", "not an http or https URL"),
    ],
)
async def test_a_redirect_to_a_place_the_server_must_not_reach_is_refused(
    api: Api,
    backends: Backends,
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    target: str,
    reason: str,
) -> None:
    resolved: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        resolved.append(host)
        return {"internal.example": ["93.184.216.34", "10.9.8.7"]}.get(host, ["93.184.216.34"])

    monkeypatch.setattr(safe_fetch, "resolve", resolve)  # the network edge: names only
    caplog.set_level(logging.INFO, logger="bca.chat.previews")
    ann, _, chat_id = await two_in_a_chat(api)
    link = pages.url("/redirect?to=" + quote(target, safe=""))
    found = await posted_and_settled(api, backends, ann, chat_id, f"see {link}")
    assert [event["type"] for event in found] == ["message"]
    assert found[0]["preview"] is None
    assert found[0]["body"] == f"see {link}"
    assert skipped_because(caplog) == [f"link preview skipped: {reason}"]
    if target == "http://internal.example/":
        assert resolved == ["internal.example"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/text", "link preview skipped: not an accepted type (text/plain)"),
        ("/slow", "link preview skipped: took too long"),
        ("/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/redirect%25253Fto%25253D/page", None),
    ],
)
async def test_non_html_a_page_that_never_finishes_and_too_many_redirects_are_skipped(
    api: Api,
    backends: Backends,
    pages: PageServer,
    caplog: pytest.LogCaptureFixture,
    path: str,
    reason: str | None,
) -> None:
    caplog.set_level(logging.INFO, logger="bca.chat.previews")
    ann, _, chat_id = await two_in_a_chat(api)
    found = await posted_and_settled(api, backends, ann, chat_id, pages.url(path))
    assert [event["type"] for event in found] == ["message"]
    assert skipped_because(caplog) == [reason or "link preview skipped: too many redirects"]


async def test_a_10_mb_page_is_cut_at_1_mb(
    api: Api, backends: Backends, pages: PageServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bca.chat.previews")
    ann, _, chat_id = await two_in_a_chat(api)
    found = await posted_and_settled(api, backends, ann, chat_id, pages.url("/big"))
    assert len(found) == 2, skipped_because(caplog)
    assert found[1]["preview"]["title"] == "Big page"  # the head was in the first megabyte

    # What was read: the first megabyte, and no more (a whole body, as an image is, refused).
    policy = safe_fetch.FetchPolicy(test_origins=frozenset({pages.origin}))
    async with safe_fetch.new_client(policy) as client:
        page = await safe_fetch.fetch(
            client, pages.url("/big"), policy=policy, accept=["text/html"]
        )
        assert len(page.body) == 1_000_000
        assert page.cut
        with pytest.raises(safe_fetch.FetchRefused, match="too large"):
            await safe_fetch.fetch(
                client, pages.url("/big"), policy=policy, accept=["text/html"], whole=True
            )


async def test_the_address_checked_is_the_address_connected_to() -> None:
    """No second lookup: the request goes to the address just checked, the name kept for
    ``Host`` and TLS, and every hop is looked up once."""
    seen: list[httpx.Request] = []
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["93.184.216.34"] if len(lookups) == 1 else ["10.0.0.1"]  # re-pointed later

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(302, headers={"Location": "https://cards.example/next"})
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<title>x")

    original = safe_fetch.resolve
    safe_fetch.resolve = resolve
    try:
        policy = safe_fetch.FetchPolicy()
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            with pytest.raises(safe_fetch.FetchRefused, match="not a public address"):
                await safe_fetch.fetch(
                    client, "https://cards.example/a?k=1", policy=policy, accept=("text/html",)
                )
    finally:
        safe_fetch.resolve = original
    assert lookups == ["cards.example", "cards.example"]  # once per hop, never again in between
    assert len(seen) == 1
    assert seen[0].url.host == "93.184.216.34"
    assert seen[0].headers["Host"] == "cards.example"
    assert seen[0].extensions["sni_hostname"] == "cards.example"


@pytest.mark.parametrize("settings_overrides", [{"link_previews": False}], indirect=True)
async def test_previews_can_be_turned_off(api: Api, backends: Backends, pages: PageServer) -> None:
    ann, _, chat_id = await two_in_a_chat(api)
    asked = len(pages.requests)
    found = await posted_and_settled(api, backends, ann, chat_id, pages.url("/page"))
    assert [event["type"] for event in found] == ["message"]
    assert len(pages.requests) == asked


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "rate_limit_enabled": True,
            "link_previews_per_user_per_minute": 2,
            "link_previews_per_chat_per_minute": 3,
        }
    ],
    indirect=True,
)
async def test_previews_have_a_rate_per_user_and_per_chat(
    api: Api, backends: Backends, pages: PageServer
) -> None:
    ann, bob, chat_id = await two_in_a_chat(api)
    link = pages.url("/plain")
    kinds = []
    for user in (ann, ann, ann, bob, bob):
        found = await posted_and_settled(api, backends, user, chat_id, link)
        kinds.append(len(found))
    # Ann: two previews, then none (her rate); Bob: one more, then the chat's rate is spent.
    assert kinds == [2, 2, 1, 2, 1]


async def test_a_deleted_message_takes_its_preview_with_it(
    api: Api, backends: Backends, pages: PageServer
) -> None:
    ann, bob, chat_id = await two_in_a_chat(api)
    message, preview_event = await posted_and_settled(
        api, backends, ann, chat_id, pages.url("/page")
    )
    path = preview_event["file"]["url"].removeprefix("https://bca.test")
    deleted = await api.client.delete(
        f"/v1/chats/{chat_id}/messages/{message['index']}", headers=ann.headers
    )
    assert deleted.status_code == 204
    message_now, event_now, _ = await events(api.client, bob, chat_id, after=message["index"] - 1)
    assert message_now["preview"] is None
    assert message_now["deleted_at"] is not None
    assert event_now["preview"] is None
    assert event_now["file"] is None
    assert (await api.client.get(path, headers=bob.headers)).status_code == 404


async def test_an_edit_that_adds_the_first_link_gets_a_preview(
    api: Api, backends: Backends, pages: PageServer
) -> None:
    ann, bob, chat_id = await two_in_a_chat(api)
    (message,) = await posted_and_settled(api, backends, ann, chat_id, "no link yet")
    edited = await api.client.patch(
        f"/v1/chats/{chat_id}/messages/{message['index']}",
        json={"body": f"here it is: {pages.url('/page')}"},
        headers=ann.headers,
    )
    assert edited.status_code == 200, edited.text
    for _ in range(2):
        await backends.tasks.drain()
        await asyncio.sleep(0.05)
    seen = await events(api.client, bob, chat_id, after=message["index"] - 1)
    assert [event["type"] for event in seen] == ["message", "message_edited", "message_preview"]
    assert seen[0]["preview"]["url"] == pages.url("/page")
    assert seen[2]["target_index"] == message["index"]
