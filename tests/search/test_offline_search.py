"""Searching offline: the snapshot file's search table (``bca.search.offline``) queried the way
the app queries it, with the tokens the app can make (no Kiwi: ``query_terms(...,
morphemes=False)``, the app's ``queryTerms``; when the words as typed find nothing, a second try
without its trailing particles, as the app's search screen does).

The relevance set's cards and contacts go into a snapshot file's search table through the
searchable entities' own terms; its queries that can find a card or a contact are asked
through FTS5 (``search_entries_fts MATCH``). Messages are not in the snapshot (the app asks the
server for them), so the cases are those of the relevance set restricted to cards and
contacts.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from bca.domains import DOMAINS, assemble
from bca.search.offline import card_terms, contact_terms, profile_terms
from bca.search.tokens import TRAILING_PARTICLES, query_terms
from bca.sync.snapshot_search import write_search_row
from bca.sync.snapshots import schema, upsert_row
from tests.search.relevance import Case, build, score

FIXTURES = Path(__file__).with_name("offline_fixtures.json")
"""Rows and the terms their search entries hold: ``web/tests/unit/search-rows.test.ts``
checks that the app makes the same (write it again with ``BCA_WRITE_TOKEN_FIXTURES=1``)."""
RECALL = 0.95
PRECISION = 0.90

FIND = (
    "SELECT search_entries.entity, search_entries.id FROM search_entries_fts "
    "JOIN search_entries ON search_entries.entry = search_entries_fts.rowid "
    "WHERE search_entries_fts MATCH ? ORDER BY bm25(search_entries_fts)"
)


@pytest.fixture(autouse=True)
def _assembled() -> None:
    assemble(DOMAINS)


def snapshot_file() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(schema())
    return db


def client_match(text: str, *, strip_particle: bool) -> str | None:
    """The FTS5 MATCH the app writes for ``text`` (``fts5Match(queryTerms(text, ...))``)."""
    if strip_particle:
        text = re.sub(r"[\uac00-\ud7a3]+", _without_particle, text)
    query = query_terms(text, morphemes=False)
    parts = [f'"{term}"' for term in query.required] + [f'"{term}"*' for term in query.prefixes]
    return " ".join(parts) or None


def _without_particle(match: re.Match[str]) -> str:
    """Up to two trailing particles off (팀장님과 → 팀장), two syllables left at least."""
    word = match.group()
    for _ in range(2):
        particle = next(
            (p for p in TRAILING_PARTICLES if word.endswith(p) and len(word) - len(p) >= 2), None
        )
        if particle is None:
            break
        word = word[: -len(particle)]
    return word


def client_search(db: sqlite3.Connection, text: str) -> list[tuple[str, str]]:
    """The search screen's local query: as typed, then without a trailing particle."""
    for strip in (False, True):
        match = client_match(text, strip_particle=strip)
        if match is None:
            return []
        found = [(str(row[0]), str(row[1])) for row in db.execute(FIND, (match,))]
        if found:
            return found
    return []


def test_the_relevance_set_is_found_offline_with_the_apps_tokens() -> None:
    relevance = build()
    db = snapshot_file()
    documents = {doc.id: doc for doc in relevance.documents if doc.kind != "message"}
    for doc in documents.values():
        if doc.kind == "card":
            write_search_row(db, "card", str(doc.id), {"name": "", "data": {"text": doc.text}})
        else:
            write_search_row(db, "contact", str(doc.id), {"name": doc.text, "phones": []})
    cases = [
        Case(case.query, case.family, case.expected & set(documents))
        for case in relevance.cases
        if case.expected & set(documents)
    ]
    assert len(cases) >= 150
    results = [{int(id_) for _, id_ in client_search(db, case.query)} for case in cases]
    measured = score(cases, results)
    print(
        f"offline: {len(cases)} queries, {len(documents)} cards and contacts: "
        f"recall {measured.recall:.3f} precision {measured.precision:.3f}"
    )
    for family, (recall, precision) in sorted(measured.by_family.items()):
        print(f"  {family}: recall {recall:.3f} precision {precision:.3f}")
    for miss in measured.misses:
        print("  not exact:", miss)
    assert measured.recall >= RECALL
    assert measured.precision >= PRECISION


def test_cards_contacts_and_profiles_are_found_by_what_the_app_types() -> None:
    db = snapshot_file()
    card, contact, profile = (str(uuid.uuid4()) for _ in range(3))
    write_search_row(
        db,
        "card",
        card,
        {
            "name": "홍길동",
            "data": {
                "company": "삼성전자 영업팀",
                "phones": [{"value": "010-1234-5678", "type": "work"}],
                "email": "gil.dong@samsung.co.kr",
            },
        },
    )
    write_search_row(
        db, "contact", contact, {"name": "Zoë Müller", "organization": "카카오뱅크", "phones": []}
    )
    write_search_row(db, "profile", profile, {"name": "이서준", "team_name": "B.Ca 마케팅팀"})
    expectations = {
        "전자": [("card", card)],  # a part of a compound
        "영업팀장": [],  # every bigram must be there
        "ㅎㄱㄷ": [("card", card)],  # initial consonants
        "ㅎㄱ": [("card", card)],  # a prefix of them
        "5678": [("card", card)],
        "12345678": [("card", card)],
        "gil": [("card", card)],
        "samsung.co.kr": [("card", card)],
        "ZOE muller": [("contact", contact)],
        "뱅크": [("contact", contact)],
        "카카오뱅크에서": [("contact", contact)],  # the second try, without the particle
        "마케팅": [("profile", profile)],
        "B.Ca": [("profile", profile)],
        "서준": [("profile", profile)],
        "type": [],  # a phone's label is not its content
        "work": [],
    }
    assert {query: client_search(db, query) for query in expectations} == expectations


def test_an_entry_follows_its_row_through_upserts_and_deletes() -> None:
    db = snapshot_file()
    contact = str(uuid.uuid4())
    row = {
        "profile_id": str(uuid.uuid4()),
        "name": "김민지",
        "phones": [],
        "emails": [],
        "urls": [],
        "version": 1,
        "created_at": "2026-12-07T00:00:00Z",
        "updated_at": "2026-12-07T00:00:00Z",
    }
    upsert_row(db, "contact", contact, row)
    assert client_search(db, "민지") == [("contact", contact)]
    upsert_row(db, "contact", contact, row | {"name": "박서연", "version": 2})
    assert client_search(db, "민지") == []
    assert client_search(db, "서연") == [("contact", contact)]
    db.execute("DELETE FROM contacts WHERE id = ?", (contact,))
    write_search_row(db, "contact", contact, None)
    assert client_search(db, "서연") == []
    assert db.execute("SELECT count(*) FROM search_entries").fetchone() == (0,)
    # Not searchable: no entry.
    write_search_row(db, "relation", "a:b", {"status": "follow"})
    assert db.execute("SELECT count(*) FROM search_entries").fetchone() == (0,)


def test_the_terms_are_the_same_whatever_the_order_of_the_fields() -> None:
    data = {"name": "Ann", "data": {"b": "삼성전자", "a": "010-1234-5678", "2": "x"}}
    shuffled = {"data": {"2": "x", "a": "010-1234-5678", "b": "삼성전자"}, "name": "Ann"}
    first, second = snapshot_file(), snapshot_file()
    write_search_row(first, "card", "c", data)
    write_search_row(second, "card", "c", shuffled)
    assert first.execute("SELECT terms FROM search_entries").fetchall() == (
        second.execute("SELECT terms FROM search_entries").fetchall()
    )
    assert set(card_terms(data)) == set(card_terms(shuffled))
    assert profile_terms({"name": "A", "email": None}) == ["a"]
    assert contact_terms({"name": "A", "phones": [{"value": "1234", "type": "mobile"}]}) == [
        "a",
        "1234",
    ]


FIXTURE_ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "card",
        {
            "name": "홍길동",
            "data": {
                "company": "삼성전자 영업팀",
                "title": "팀장",
                "phones": [{"value": "+82 (10) 1234-5678", "type": "work"}],
                "emails": [{"value": "Gil.Dong@Samsung.co.kr", "type": "work"}],
                "2": "숫자 키",
                "count": 42,
                "shown": True,
                "none": None,
            },
        },
    ),
    ("card", {"name": "Zoë O\u2019Brien", "data": {}}),
    (
        "contact",
        {
            "name": "이서준 \U0001f600",
            "organization": "B.Ca",
            "title": "CTO",
            "phones": [{"value": "010-9876-5432", "type": "mobile"}],
            "emails": [{"value": "seojun@bca.example", "type": "home"}],
            "urls": ["https://example.com/ü"],
            "address": "서울특별시 강남구 테헤란로 1",
            "note": "메모: 카카오뱅크에서 만남 ㄱㄴ",
        },
    ),
    ("contact", {"name": "Ann", "phones": [], "emails": [], "urls": []}),
    (
        "profile",
        {
            "name": "Müller & Søn",
            "team_name": "마케팅팀",
            "description": "Straße \U0001d518 ß ς",  # an astral letter
            "email": "mueller@example.de",
            "phone": "02-123-4567",
            "address": None,
            "sns": {"x": "ignored"},
        },
    ),
    ("profile", {"name": "김민지", "private": True}),
]


def test_the_fixtures_shared_with_the_app_are_the_rows_terms() -> None:
    cases = []
    for entity, data in FIXTURE_ROWS:
        db = snapshot_file()
        write_search_row(db, entity, "x", data)
        terms = db.execute("SELECT terms FROM search_entries").fetchone()
        cases.append({"entity": entity, "data": data, "terms": terms[0] if terms else None})
    if os.environ.get("BCA_WRITE_TOKEN_FIXTURES"):
        FIXTURES.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
    assert json.loads(FIXTURES.read_text()) == cases
