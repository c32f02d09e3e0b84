"""The tokenizer (``bca.search.tokens``) on its own, and the fixtures it shares with the app's
tokenizer (``web/src/data/search-tokens.ts``, checked by ``web/tests/unit/search-tokens.test.ts``).

``tokens_fixtures.json`` is the server's output without Kiwi (what the app can make) for a set
of texts; when the tokenizer changes on purpose, write it again with
``BCA_WRITE_TOKEN_FIXTURES=1 .venv/bin/pytest tests/search/test_tokens.py``, and the app's
tokenizer must follow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bca.search.tokens import index_terms, matched_ranges, query_terms
from tests.search.relevance import build

FIXTURES = Path(__file__).with_name("tokens_fixtures.json")

TEXTS = [
    "삼성전자영업팀장과 회의했습니다",
    "B.Ca팀 sales 담당 김민수",
    "삼성전자 sales",
    "홍길동 010-1234-5678",
    "Tel. +82 (2) 555-0199 ext 12",
    "kim.minsu@samsung.co.kr",
    "Émilie Dubois, Jürgen Müller, Straße",
    "\uff26\uff35\uff2c\uff2c \uff11\uff12\uff13\uff14\uff15",  # full-width letters, digits
    "ㅎㄱㄷ",
    "ㅎ",
    "결제",
    "팀",
    "영업팀장님께",
    "2026년 12월 7일 오후 3시",
    "emoji 🙂 and 한글🙂섞인 text",
    "   ",
    "",
    "a_b-c.d",
    "Ω omega ΣΊΣΥΦΟΣ",
    "x" * 5 + "12",
]


def fixture_cases() -> list[dict[str, Any]]:
    relevance = build()
    texts = TEXTS + [doc.text for doc in relevance.documents[::7]]
    queries = TEXTS + [case.query for case in relevance.cases[::3]]
    return [{"text": text, "index": index_terms(text, morphemes=False)} for text in texts] + [
        {"query": query, **_query(query)} for query in queries
    ]


def _query(text: str) -> dict[str, list[str]]:
    terms = query_terms(text, morphemes=False)
    return {"required": terms.required, "prefixes": terms.prefixes}


def test_the_fixtures_shared_with_the_app_are_the_tokenizers_output() -> None:
    cases = fixture_cases()
    if os.environ.get("BCA_WRITE_TOKEN_FIXTURES"):
        FIXTURES.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
    assert json.loads(FIXTURES.read_text()) == cases


def test_index_tokens_of_each_family() -> None:
    assert index_terms("삼성전자영업팀장과", morphemes=False) == [
        "삼성", "성전", "전자", "자영", "영업", "업팀", "팀장", "장과", "과", "ㅅㅅㅈㅈㅇㅇㅌㅈㄱ"
    ]  # fmt: skip
    assert "삼성전자" in index_terms("삼성전자영업팀장과")  # a morpheme, whole
    assert index_terms("010-1234-5678") == [
        "0101", "1012", "0123", "1234", "2345", "3456", "4567", "5678"
    ]  # fmt: skip
    assert index_terms("Émilie kim.minsu@samsung.co.kr") == [
        "emilie", "kim", "minsu", "samsung", "co", "kr"
    ]  # fmt: skip
    assert index_terms("홍길동", morphemes=False) == ["홍길", "길동", "동", "ㅎㄱㄷ"]


def test_query_tokens_strip_particles_and_keep_families_apart() -> None:
    assert query_terms("영업팀장님께").required == ["영업", "업팀", "팀장"]
    assert query_terms("삼성전자와").required == ["삼성", "성전", "전자"]
    assert query_terms("김서연의").required == ["김서", "서연"]  # a name Kiwi does not know
    assert query_terms("ㅎㄱ").prefixes == ["ㅎㄱ"]
    assert query_terms("팀").prefixes == ["팀"]
    assert query_terms("1234-5678").required == ["1234", "2345", "3456", "4567", "5678"]
    assert query_terms("MÜLLER").required == ["muller"]
    assert query_terms("!!!").empty


def test_matched_ranges_are_code_point_offsets_in_the_original_text() -> None:
    text = "삼성전자영업팀장 Müller 010-1234-5678"
    assert matched_ranges(text, query_terms("muller 영업 12345678")) == [
        (4, 6), (9, 15), (20, 29)
    ]  # fmt: skip
    assert matched_ranges("홍길동 부장", query_terms("ㅎㄱ")) == [(0, 2)]
    assert matched_ranges("", query_terms("x")) == []
