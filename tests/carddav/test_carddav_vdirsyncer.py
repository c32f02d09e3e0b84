"""A CardDAV client we did not write, against a real ``bca serve``: vdirsyncer.

vdirsyncer (pinned in the test extra; it installs beside our pins without conflict) discovers
the address books from the server root, syncs the holder's wallet into a folder of ``.vcf``
files, fetches only the card its owner edited on the next run, and deletes the files of cards
the holder may no longer see after their owner blocked them. Cost: about 10 s (a server
start and five vdirsyncer runs).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.servers import Server

VDIRSYNCER = str(Path(sys.executable).with_name("vdirsyncer"))
PASSWORD = "correct horse battery"


def account(http: httpx.Client, name: str) -> dict[str, Any]:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    assert http.post("/v1/auth/signup", json=body).status_code == 201
    signed = http.post("/v1/auth/signin", json={"login": name, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    profile = http.get("/v1/profiles", headers=headers).json()["items"][0]["id"]
    return {"headers": headers, "profile": profile, "id": signed.json()["user"]["id"]}


def card(http: httpx.Client, owner: dict[str, Any], given: str) -> str:
    data = {"given_name": given, "family_name": "Example", "title": "Engineer"}
    created = http.post(
        f"/v1/profiles/{owner['profile']}/cards",
        json={"name": given, "data": data},
        headers=owner["headers"],
    )
    assert created.status_code == 201, created.text
    card_id: str = created.json()["id"]
    return card_id


def vdirsyncer(config: Path, *args: str, answer: str = "") -> str:
    result = subprocess.run(
        [VDIRSYNCER, "-c", str(config), "-v", "debug", *args],
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def cards_on_disk(folder: Path) -> dict[str, str]:
    """UID → file text of every .vcf file vdirsyncer wrote."""
    found = {}
    for path in folder.rglob("*.vcf"):
        text = path.read_text()
        uid = re.search(r"^UID:urn:uuid:(\S+)", text, re.MULTILINE)
        assert uid, text
        found[uid.group(1)] = text
    return found


def requests(log: str) -> list[str]:
    """The methods of the HTTP requests vdirsyncer made, in order (from its debug log)."""
    return re.findall(r"^debug: ([A-Z]+) http", log, re.MULTILINE)


def multiget_hrefs(log: str) -> list[str]:
    """The hrefs vdirsyncer asked for in addressbook-multiget REPORTs (from its debug log)."""
    hrefs: list[str] = []
    for body in re.findall(r"addressbook-multiget.*?</\w*:?addressbook-multiget>", log, re.S):
        hrefs += re.findall(r"<\w*:?href>([^<]+)</\w*:?href>", body)
    return hrefs


def test_vdirsyncer_syncs_the_wallet_and_follows_edits_and_blocks(
    tmp_path: Path, bca_server: Callable[..., Server]
) -> None:
    server = bca_server(
        {
            "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
            "BCA_RATE_LIMIT_ENABLED": "false",
            "BCA_PASSWORD_HASH_TIME_COST": "1",
            "BCA_PASSWORD_HASH_MEMORY_KIB": "1024",
        }
    )
    with httpx.Client(base_url=server.url, timeout=10) as http:
        alice, bob, holder = (account(http, name) for name in ("alice", "bob", "holder"))
        alice_cards = [card(http, alice, "Ada"), card(http, alice, "Alan")]
        bob_card = card(http, bob, "Barbara")
        for card_id in [*alice_cards, bob_card]:
            held = http.put(
                f"/v1/profiles/{holder['profile']}/subscriptions/{card_id}",
                headers=holder["headers"],
            )
            assert held.status_code == 201, held.text
        created = http.post(
            "/v1/app-passwords", json={"name": "vdirsyncer"}, headers=holder["headers"]
        )
        assert created.status_code == 201, created.text
        secret = created.json()["password"]

        contacts = tmp_path / "contacts"
        config = tmp_path / "vdirsyncer.conf"
        config.write_text(
            f"""
[general]
status_path = "{tmp_path / "status"}/"

[pair wallet]
a = "bca"
b = "local"
collections = ["from a"]

[storage bca]
type = "carddav"
url = "{server.url}/"
username = "holder"
password = "{secret}"

[storage local]
type = "filesystem"
path = "{contacts}/"
fileext = ".vcf"
"""
        )
        # Discovery starts at the bare server URL: .well-known, principal, home, books.
        discovered = vdirsyncer(config, "discover", "wallet", answer="y\n" * 5)
        assert holder["profile"] in discovered
        vdirsyncer(config, "sync")
        synced = cards_on_disk(contacts)
        assert set(synced) == {*alice_cards, bob_card}
        assert "FN:Ada Example" in synced[alice_cards[0]]

        edited = http.patch(
            f"/v1/cards/{alice_cards[0]}",
            json={"data": {"given_name": "Ada", "family_name": "Lovelace"}},
            headers=alice["headers"],
        )
        assert edited.status_code == 200
        log = vdirsyncer(config, "sync")
        # One listing of ETags, then one multiget of exactly the edited card.
        assert requests(log) == ["PROPFIND", "REPORT"], log
        assert multiget_hrefs(log) == [
            f"/dav/addressbooks/{holder['id']}/{holder['profile']}/{alice_cards[0]}.vcf"
        ]
        after_edit = cards_on_disk(contacts)
        assert "FN:Ada Lovelace" in after_edit[alice_cards[0]]
        assert after_edit[alice_cards[1]] == synced[alice_cards[1]]
        assert after_edit[bob_card] == synced[bob_card]

        # Nothing changed: the next run fetches no card at all.
        assert multiget_hrefs(vdirsyncer(config, "sync")) == []

        blocked = http.put(
            f"/v1/profiles/{alice['profile']}/relations/{holder['profile']}",
            json={"status": "block"},
            headers=alice["headers"],
        )
        assert blocked.status_code == 200, blocked.text
        vdirsyncer(config, "sync")
        assert set(cards_on_disk(contacts)) == {bob_card}
