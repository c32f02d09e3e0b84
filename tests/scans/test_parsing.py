"""The rules that turn read lines into a contact's fields, without Tesseract (fast)."""

from __future__ import annotations

from bca.scans.parsing import Line, parse


def _lines(*texts: str, tallest: int = 0) -> list[Line]:
    return [
        Line(text, 0.9, 80 if index == tallest else 30, index * 50)
        for index, text in enumerate(texts)
    ]


def test_korean_card() -> None:
    proposal = parse(
        _lines(
            "(주)한빛소프트",
            "김민수 부장",
            "서울특별시 강남구 테헤란로 123",
            "T. 02-1234-5678  F. 02-1234-5679",
            "M. 010-2345-6789",
            "E. minsu9l@example.co.kr",
            "www.hanbit.co.kr",
            tallest=1,
        ),
        region="KR",
    )
    assert proposal.name == ("김민수", 0.9)
    assert proposal.organization is not None
    assert proposal.organization[0] == "(주)한빛소프트"
    assert proposal.title is not None
    assert proposal.title[0] == "부장"
    assert [entry for entry, _ in proposal.phones] == [
        {"value": "+82212345678", "type": "work"},
        {"value": "+82212345679", "type": "fax"},
        {"value": "+821023456789", "type": "cell"},
    ]
    # A 1 read as l beside a digit is a 1 in an address's local part.
    assert [entry for entry, _ in proposal.emails] == [{"value": "minsu91@example.co.kr"}]
    assert [url for url, _ in proposal.urls] == ["www.hanbit.co.kr"]
    assert proposal.address is not None
    assert proposal.address[0].startswith("서울특별시")


def test_western_card_and_region() -> None:
    proposal = parse(
        _lines(
            "Grace Hopper",
            "Senior Software Engineer",
            "Navy Labs Inc.",
            "Tel: (415) 867-5309",
            "Email: grace @ navy.example.com",
        ),
        region="US",
    )
    assert proposal.name is not None
    assert proposal.name[0] == "Grace Hopper"
    assert proposal.title is not None
    assert proposal.title[0] == "Senior Software Engineer"
    assert proposal.organization is not None
    assert proposal.organization[0] == "Navy Labs Inc."
    assert [entry["value"] for entry, _ in proposal.phones] == ["+14158675309"]
    assert [entry["value"] for entry, _ in proposal.emails] == ["grace@navy.example.com"]


def test_name_ending_like_an_address_word_is_still_a_name() -> None:
    proposal = parse(_lines("장경도", "(주)미래테크", tallest=0), region="KR")
    assert proposal.name is not None
    assert proposal.name[0] == "장경도"
    assert proposal.address is None


def test_nothing_to_propose() -> None:
    proposal = parse(_lines("~~~", "1234"), region="KR")
    assert proposal.as_json() == {
        "name": None,
        "organization": None,
        "title": None,
        "phones": [],
        "emails": [],
        "urls": [],
        "address": None,
    }
