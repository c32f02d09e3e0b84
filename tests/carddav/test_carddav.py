"""CardDAV with raw requests: discovery, PROPFIND, GET, REPORTs, sync tokens, unsafe XML, writes."""

from __future__ import annotations

import uuid

import pytest
import vobject

from bca.backends import Backends
from bca.sync import repository as sync_repository
from tests.factories.accounts import Api
from tests.factories.carddav import (
    CARD,
    CS,
    DAV,
    NAMESPACES,
    XML_HEAD,
    Found,
    basic,
    dav_client,
    error_of,
    multistatus,
    sync_token_of,
    wallet_with_cards,
)
from tests.factories.cards import (
    create_card,
    create_profile,
    first_profile_id,
    image_bytes,
    multipart,
    relate,
    share,
)


def multiget(hrefs: list[str], props: str = "<d:getetag/><card:address-data/>") -> str:
    listed = "".join(f"<d:href>{href}</d:href>" for href in hrefs)
    return (
        f'<card:addressbook-multiget xmlns:d="DAV:" {NAMESPACES}>'
        f"<d:prop>{props}</d:prop>{listed}</card:addressbook-multiget>"
    )


def query(filters: str, test: str = "anyof", limit: int | None = None) -> str:
    limited = f"<card:limit><card:nresults>{limit}</card:nresults></card:limit>" if limit else ""
    return (
        f'<card:addressbook-query xmlns:d="DAV:" {NAMESPACES}>'
        f'<d:prop><d:getetag/></d:prop><card:filter test="{test}">{filters}</card:filter>'
        f"{limited}</card:addressbook-query>"
    )


def card_ids(found: dict[str, Found]) -> set[str]:
    return {href.rsplit("/", 1)[1].removesuffix(".vcf") for href in found if href.endswith(".vcf")}


# --- discovery ---------------------------------------------------------------------------------


async def test_discovery_from_well_known_to_one_read_only_book_per_profile(api: Api) -> None:
    _owner, holder, me, cards = await wallet_with_cards(api)
    second = await create_profile(api, holder, name="Club me")
    dav = await dav_client(api, holder)

    for method in ("GET", "PROPFIND"):
        redirect = await api.client.request(method, "/.well-known/carddav")
        assert redirect.status_code == 301
        assert redirect.headers["location"] == "/dav/"

    root = multistatus(await dav.propfind("/dav/", "<d:current-user-principal/>"))
    principal = root["/dav/"].props[f"{DAV}current-user-principal"].findtext(f"{DAV}href")
    assert principal == f"/dav/principals/{holder.id}/"
    found = multistatus(await dav.propfind(principal, "<card:addressbook-home-set/><d:foo/>"))
    home = found[principal].props[f"{CARD}addressbook-home-set"].findtext(f"{DAV}href")
    assert home == dav.home
    assert found[principal].missing == {f"{DAV}foo"}

    listing = multistatus(
        await dav.propfind(
            home,
            "<d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/>"
            "<d:current-user-privilege-set/><card:supported-address-data/>",
            depth="1",
        )
    )
    books = {href: entry for href, entry in listing.items() if href != home}
    assert set(books) == {dav.book(me), dav.book(second["id"])}
    book = books[dav.book(me)]
    assert book.props[f"{DAV}resourcetype"].find(f"{CARD}addressbook") is not None
    assert book.props[f"{DAV}displayname"].text == holder.username
    assert books[dav.book(second["id"])].props[f"{DAV}displayname"].text == "Club me"
    assert book.props[f"{CS}getctag"].text == book.props[f"{DAV}sync-token"].text
    privileges = {
        child.tag
        for privilege in book.props[f"{DAV}current-user-privilege-set"]
        for child in privilege
    }
    assert privileges == {f"{DAV}read", f"{DAV}read-current-user-privilege-set"}
    versions = {node.get("version") for node in book.props[f"{CARD}supported-address-data"]}
    assert versions == {"3.0", "4.0"}

    members = multistatus(await dav.propfind(dav.book(me), "<d:getetag/>", depth="1"))
    assert card_ids(members) == {card["id"] for card in cards}
    infinite = await dav.propfind(dav.book(me), "<d:getetag/>", depth="infinity")
    assert infinite.status_code == 403
    assert error_of(infinite).find(f"{DAV}propfind-finite-depth") is not None
    allprop = multistatus(await dav.request("PROPFIND", dav.book(me), depth="0"))
    assert f"{DAV}sync-token" in allprop[dav.book(me)].props

    options = await api.client.options("/dav/")
    assert options.status_code == 200
    assert "addressbook" in options.headers["dav"]


async def test_other_users_trees_and_unknown_paths_are_404(api: Api) -> None:
    owner, holder, me, _cards = await wallet_with_cards(api, count=1)
    dav = await dav_client(api, holder)
    owner_profile = await first_profile_id(api, owner)
    for path in (
        f"/dav/addressbooks/{owner.id}/",
        f"/dav/addressbooks/{holder.id}/{owner_profile}/",
        f"/dav/principals/{owner.id}/",
        dav.card(me, str(uuid.uuid4())),
        f"{dav.book(me)}not-a-card.txt",
        "/dav/elsewhere/",
    ):
        assert (await dav.propfind(path, "<d:getetag/>")).status_code == 404, path
    assert (await dav.request("GET", dav.card(me, str(uuid.uuid4())))).status_code == 404


# --- resources -----------------------------------------------------------------------------------


async def test_get_serves_the_api_vcard_or_3_0_with_one_strong_etag(api: Api) -> None:
    owner, holder, me, cards = await wallet_with_cards(api, count=1)
    card = cards[0]
    dav = await dav_client(api, holder)
    path = dav.card(me, card["id"])

    four = await dav.request("GET", path)
    assert four.status_code == 200
    assert four.headers["content-type"].startswith("text/vcard")
    exported = await api.client.get(f"/v1/cards/{card['id']}/vcard", headers=holder.headers)
    assert four.text == exported.text  # no photo: exactly the API's vCard 4.0
    etag = four.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")

    three = await dav.request("GET", path, headers={"Accept": "text/vcard; version=3.0"})
    assert "VERSION:3.0" in three.text
    assert three.headers["etag"] == etag
    parsed = vobject.readOne(three.text)
    assert parsed.fn.value == "Given0 Owner"
    assert parsed.email.value == "person0@example.com"

    cached = await dav.request("GET", path, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    head = await dav.request("HEAD", path)
    assert head.status_code == 200
    assert head.headers["etag"] == etag
    assert head.content == b""
    whole = await dav.request("GET", dav.book(me))
    assert whole.text == four.text
    listed = multistatus(await dav.propfind(path, "<d:getetag/><d:getcontentlength/>"))
    assert listed[path].props[f"{DAV}getetag"].text == etag
    assert listed[path].props[f"{DAV}getcontentlength"].text == str(len(four.content))

    # The ETag follows the card: an edit changes it, and so does the photo.
    await api.client.patch(
        f"/v1/cards/{card['id']}", json={"data": {"given_name": "Edited"}}, headers=owner.headers
    )
    edited = await dav.request("GET", path, headers={"If-None-Match": etag})
    assert edited.status_code == 200
    assert "FN:Edited" in edited.text
    owner_profile = await first_profile_id(api, owner)
    uploaded = await api.client.put(
        f"/v1/profiles/{owner_profile}/image",
        files=multipart(image_bytes()),
        headers=owner.headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    with_photo = await dav.request("GET", path)
    assert with_photo.headers["etag"] != edited.headers["etag"]
    photo_url = next(
        line.split(":", 1)[1] for line in with_photo.text.splitlines() if line.startswith("PHOTO")
    )
    assert photo_url.startswith("https://bca.test/dav/files/")
    photo = await dav.request("GET", photo_url.removeprefix("https://bca.test"))
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/png"
    unchanged = await dav.request(
        "GET", path, headers={"If-None-Match": with_photo.headers["etag"]}
    )
    assert unchanged.status_code == 304


# --- REPORTs -------------------------------------------------------------------------------------


async def test_multiget_returns_asked_cards_in_the_asked_version_and_404s(api: Api) -> None:
    _owner, holder, me, cards = await wallet_with_cards(api, count=3)
    dav = await dav_client(api, holder)
    wanted = [dav.card(me, cards[0]["id"]), dav.card(me, cards[2]["id"])]
    missing = dav.card(me, str(uuid.uuid4()))

    found = multistatus(await dav.report(dav.book(me), multiget([*wanted, missing])))
    assert set(found) == {*wanted, missing}
    assert found[missing].status == 404
    default = found[wanted[0]].props[f"{CARD}address-data"].text
    assert "VERSION:3.0" in default  # RFC 6352's default for address-data
    assert found[wanted[0]].props[f"{DAV}getetag"].text

    four = multistatus(
        await dav.report(
            dav.book(me),
            multiget(wanted, '<card:address-data content-type="text/vcard" version="4.0"/>'),
        )
    )
    exported = await api.client.get(f"/v1/cards/{cards[0]['id']}/vcard", headers=holder.headers)
    assert four[wanted[0]].props[f"{CARD}address-data"].text == exported.text.replace("\r\n", "\n")
    refused = await dav.report(
        dav.book(me), multiget(wanted, '<card:address-data content-type="application/json"/>')
    )
    assert refused.status_code == 403
    assert error_of(refused).find(f"{CARD}supported-address-data-conversion") is not None


async def test_addressbook_query_text_matches(api: Api) -> None:
    _owner, holder, me, cards = await wallet_with_cards(api, count=3)
    dav = await dav_client(api, holder)
    book = dav.book(me)

    def fn(text: str, match: str = "contains", negate: str = "no", collation: str = "") -> str:
        extra = f' collation="{collation}"' if collation else ""
        return (
            f'<card:prop-filter name="FN"><card:text-match match-type="{match}" '
            f'negate-condition="{negate}"{extra}>{text}</card:text-match></card:prop-filter>'
        )

    async def ids(body: str) -> set[str]:
        return card_ids(multistatus(await dav.report(book, body)))

    every = {card["id"] for card in cards}
    assert await ids(query(fn("given1"))) == {cards[1]["id"]}  # case-insensitive by default
    assert await ids(query(fn("given1", collation="i;octet"))) == set()
    assert await ids(query(fn("Given1 Owner", match="equals"))) == {cards[1]["id"]}
    assert await ids(query(fn("Given", match="starts-with"))) == every
    assert await ids(query(fn("given1", negate="yes"))) == every - {cards[1]["id"]}
    email = (
        '<card:prop-filter name="EMAIL" test="allof"><card:text-match match-type="equals">'
        "person2@example.com</card:text-match>"
        '<card:param-filter name="TYPE"><card:text-match>work</card:text-match></card:param-filter>'
        "</card:prop-filter>"
    )
    assert await ids(query(email)) == {cards[2]["id"]}
    both = fn("Given0", match="starts-with") + fn("Owner", match="ends-with")
    assert await ids(query(both, test="allof")) == {cards[0]["id"]}
    assert await ids(query(both)) == every
    assert await ids(query('<card:prop-filter name="NICKNAME"/>')) == set()
    assert (
        await ids(
            query('<card:prop-filter name="NICKNAME"><card:is-not-defined/></card:prop-filter>')
        )
        == every
    )
    assert await ids(query("")) == every

    limited = multistatus(await dav.report(book, query(fn("Owner"), limit=2)))
    assert len(card_ids(limited)) == 2
    assert limited[book].status == 507

    bad = await dav.report(book, query(fn("x", collation="i;klingon")))
    assert bad.status_code == 403
    assert error_of(bad).find(f"{CARD}supported-collation") is not None


async def test_sync_collection_reports_only_what_changed(api: Api) -> None:
    owner, holder, me, cards = await wallet_with_cards(api, count=3)
    dav = await dav_client(api, holder)

    first = await dav.sync(me)
    assert card_ids(multistatus(first)) == {card["id"] for card in cards}
    token = sync_token_of(first)

    nothing = await dav.sync(me, token)
    assert multistatus(nothing) == {}
    assert sync_token_of(nothing) == token

    # Activity elsewhere in the user's view (a new card of a profile they hold) adds no member.
    await create_card(api, owner)
    await api.client.patch(
        f"/v1/cards/{cards[1]['id']}", json={"data": {"given_name": "New"}}, headers=owner.headers
    )
    changed = await dav.sync(me, token)
    found = multistatus(changed)
    assert card_ids(found) == {cards[1]["id"]}
    assert found[dav.card(me, cards[1]["id"])].status is None
    token = sync_token_of(changed)

    # The owner makes a card private: holders without the link lose it (a delete, 404).
    await api.client.patch(
        f"/v1/cards/{cards[0]['id']}", json={"private": True}, headers=owner.headers
    )
    gone = multistatus(await dav.sync(me, token))
    assert gone[dav.card(me, cards[0]["id"])].status == 404
    assert len(gone) == 1

    # The owner blocks the holder: every card of that profile leaves the address book.
    owner_profile = await first_profile_id(api, owner)
    assert (await relate(api, owner, owner_profile, me, "block")).status_code == 200
    blocked = multistatus(await dav.sync(me, token))
    assert {href for href, entry in blocked.items() if entry.status == 404} == {
        dav.card(me, card["id"]) for card in cards
    }


async def test_sync_collection_follows_the_profile_image_and_keeps_linked_private_cards(
    api: Api,
) -> None:
    owner, holder, me, cards = await wallet_with_cards(api, count=1)
    linked = await create_card(api, owner, private=True)
    link = await share(api, owner, linked["id"])
    held = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{linked['id']}",
        params={"share_token": link["token"]},
        headers=holder.headers,
    )
    assert held.status_code == 201
    dav = await dav_client(api, holder)
    token = sync_token_of(await dav.sync(me))

    owner_profile = await first_profile_id(api, owner)
    await api.client.put(
        f"/v1/profiles/{owner_profile}/image", files=multipart(image_bytes()), headers=owner.headers
    )
    photo = multistatus(await dav.sync(me, token, props="<d:getetag/><card:address-data/>"))
    assert card_ids(photo) == {cards[0]["id"], linked["id"]}
    assert all(
        "PHOTO;VALUE=uri:https://bca.test/dav/files/" in entry.props[f"{CARD}address-data"].text
        for entry in photo.values()
    )


async def test_unknown_foreign_and_expired_sync_tokens_answer_valid_sync_token(
    api: Api, backends: Backends
) -> None:
    owner, holder, me, cards = await wallet_with_cards(api, count=1)
    other_book = await create_profile(api, holder)
    dav = await dav_client(api, holder)
    token = sync_token_of(await dav.sync(me))
    seq = int(token.rsplit(":", 1)[1])

    for bad in (
        "garbage",
        f"urn:x-bca:sync:{other_book['id']}:{seq}",
        token.replace(f":{seq}", f":{seq + 1000}"),
    ):
        answer = await dav.sync(me, bad)
        assert answer.status_code == 403, bad
        assert error_of(answer).find(f"{DAV}valid-sync-token") is not None

    await api.client.patch(
        f"/v1/cards/{cards[0]['id']}", json={"name": "moved on"}, headers=owner.headers
    )
    async with backends.database.transaction() as session:
        counter = await sync_repository.get_counter(session, uuid.UUID(holder.id))
        assert counter is not None
        assert counter.last_seq > seq
        await sync_repository.compact(session, uuid.UUID(holder.id), through=counter.last_seq)
    expired = await dav.sync(me, token)
    assert expired.status_code == 403
    assert error_of(expired).find(f"{DAV}valid-sync-token") is not None
    # A fresh initial sync still works and gives a token that is valid again.
    fresh = await dav.sync(me)
    assert card_ids(multistatus(fresh)) == {cards[0]["id"]}
    assert (await dav.sync(me, sync_token_of(fresh))).status_code == 207


async def test_sync_collection_is_truncated_with_507_past_its_page(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bca.carddav import sync_tokens

    owner, holder, me, cards = await wallet_with_cards(api, count=3)
    dav = await dav_client(api, holder)
    token = sync_token_of(await dav.sync(me))
    for card in cards:
        await api.client.patch(
            f"/v1/cards/{card['id']}", json={"name": "edited"}, headers=owner.headers
        )
    monkeypatch.setattr(sync_tokens, "MAX_LOG_ENTRIES", 1)
    seen: set[str] = set()
    for _ in range(10):
        page = await dav.sync(me, token)
        found = multistatus(page)
        seen |= card_ids(found)
        token = sync_token_of(page)
        if dav.book(me) not in found:
            break
        assert found[dav.book(me)].status == 507
    assert seen == {card["id"] for card in cards}


# --- unsafe and malformed XML --------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + ']><d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&lol9;</d:displayname></d:prop>'
    "</d:propfind>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<d:sync-collection xmlns:d="DAV:"><d:sync-token>&xxe;</d:sync-token>'
    "<d:prop><d:getetag/></d:prop></d:sync-collection>"
)


async def test_malformed_bombs_and_external_entities_are_400_and_never_expanded(api: Api) -> None:
    _owner, holder, me, _cards = await wallet_with_cards(api, count=1)
    dav = await dav_client(api, holder)
    book = dav.book(me)
    for method, body in (
        ("PROPFIND", "<d:propfind xmlns:d='DAV:'><d:prop>"),
        ("REPORT", "not xml at all"),
        ("PROPFIND", BILLION_LAUGHS),
        ("REPORT", EXTERNAL_ENTITY),
        ("REPORT", b"\xff\xfe<bad encoding"),
    ):
        answer = await dav.request(method, book, body, depth="1")
        assert answer.status_code == 400, (method, body)
        assert "root:" not in answer.text
        assert "lollol" not in answer.text
    unknown = await dav.report(book, '<d:expand-property xmlns:d="DAV:"/>')
    assert unknown.status_code == 403
    assert error_of(unknown).find(f"{DAV}supported-report") is not None
    huge = await dav.request("REPORT", book, b"<a>" + b"x" * (1024 * 1024 + 10) + b"</a>")
    assert huge.status_code == 413


async def test_odd_encodings_sync_tokens_and_limits_are_400_or_403_never_500(api: Api) -> None:
    """Issue 22, item 6: an unknown XML encoding, a sync token of 5,000 digits or ending in a
    non-ASCII digit, and such a limit were 500s."""
    _owner, holder, me, _cards = await wallet_with_cards(api, count=1)
    dav = await dav_client(api, holder)
    book = dav.book(me)
    unknown_encoding = '<?xml version="1.0" encoding="x-nonexistent"?><d:propfind xmlns:d="DAV:"/>'
    for method in ("PROPFIND", "REPORT"):
        answer = await dav.request(method, book, unknown_encoding, depth="1")
        assert answer.status_code == 400, (method, answer.text)

    prefix = f"urn:x-bca:sync:{me}:"
    for bad in (prefix + "1" * 5000, prefix + "1\u00b2", prefix + "\u0661", prefix + "9" * 30):
        answer = await dav.sync(me, bad)
        assert answer.status_code == 403, (bad[:60], answer.text)
        assert error_of(answer).find(f"{DAV}valid-sync-token") is not None

    for limit in ("1" * 5000, "\u00b2", "-1", "2.5"):
        body = (
            f'<card:addressbook-query xmlns:d="DAV:" {NAMESPACES}><d:prop><d:getetag/></d:prop>'
            f"<card:limit><card:nresults>{limit}</card:nresults></card:limit>"
            "</card:addressbook-query>"
        )
        answer = await dav.report(book, body)
        assert answer.status_code == 400, (limit[:20], answer.text)


async def test_every_401_names_its_realm(api: Api) -> None:
    user = await api.user()
    for method, path, headers in (
        ("PROPFIND", "/dav/", {}),
        ("PROPFIND", "/dav/", basic(user.username, "wrong")),
        ("GET", "/v1/me", {}),
        ("GET", "/v1/me", {"Authorization": "Bearer nope"}),
    ):
        answer = await api.client.request(method, path, headers=headers)
        assert answer.status_code == 401, (method, path)
        assert 'realm="B.Ca"' in answer.headers["WWW-Authenticate"], (method, path)


# --- writes --------------------------------------------------------------------------------------


async def test_writes_answer_403_need_privileges(api: Api) -> None:
    owner, holder, me, cards = await wallet_with_cards(api, count=1)
    dav = await dav_client(api, holder)
    book = dav.book(me)
    existing = dav.card(me, cards[0]["id"])
    new = dav.card(me, str(uuid.uuid4()))
    vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nN:;X;;;\r\nEND:VCARD\r\n"
    for method, path, body, on, privilege in (
        ("PUT", existing, vcard, existing, "write-content"),
        ("PUT", new, vcard, book, "bind"),
        ("DELETE", existing, None, book, "unbind"),
        (
            "PROPPATCH",
            book,
            f'{XML_HEAD}<d:propertyupdate xmlns:d="DAV:"/>',
            book,
            "write-properties",
        ),
        ("MKCOL", f"{dav.home}{uuid.uuid4()}/", None, dav.home, "bind"),
        ("DELETE", book, None, dav.home, "unbind"),
    ):
        answer = await dav.request(method, path, body)
        assert answer.status_code == 403, (method, path, answer.text)
        resource = error_of(answer).find(f"{DAV}need-privileges/{DAV}resource")
        assert resource.findtext(f"{DAV}href") == on
        assert resource.find(f"{DAV}privilege/{DAV}{privilege}") is not None
    still = await dav.request("GET", existing)
    assert still.status_code == 200
    outsider = await dav.request("PUT", f"/dav/addressbooks/{owner.id}/x/y.vcf", vcard)
    assert outsider.status_code == 404
