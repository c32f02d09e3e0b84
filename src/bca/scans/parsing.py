"""From the lines read off a card to a contact's proposed fields, each with a confidence.

What is looked for:

- **Phones**: ``phonenumbers`` finds numbers in each line (a region for numbers written
  without a country code: the request's, else ``BCA_SCAN_DEFAULT_REGION``) and normalises
  them to E.164; a label before the number (``M``, ``Mobile``, ``휴대폰``, ``T``, ``Tel``,
  ``F``, ``Fax``...) gives its type. Letters OCR confuses with digits (``O``, ``l``, ``I``)
  are read as digits inside runs of digits first.
- **Emails** and **URLs** by pattern, after closing the gaps OCR leaves around ``@`` and dots.
- **Organisation**: the line carrying a company marker (주식회사, (주), ㈜, Inc, Corp, Ltd,
  Co., LLC, GmbH...).
- **Title**: a known title (대표, 이사, 부장, 과장, 팀장, CEO, Manager, Engineer...), on a line
  of its own or beside the name.
- **Name**: Korean, 2 to 4 Hangul syllables that are no title, company or address word;
  Western, two or three capitalised words of letters only. The tallest such line wins
  (names are printed largest).
- **Address**: a line with Korean address words (시, 구, 로, 길, 동) or a Western street line.

A field's confidence is Tesseract's confidence in the line it came from, lowered when the
rule that found it is a weak one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers


@dataclass(frozen=True)
class Line:
    """One line of text as read (``bca.scans.reading``), with Tesseract's confidence (0..1)
    and its height in px: what parsing reads, without the scan stack that produced it."""

    text: str
    confidence: float
    height: int
    top: int
    left: int = 0
    right: int = 0


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(
    r"(?:(?:https?://)?(?:www\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:/[^\s]*)?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_STRAY_STROKE = re.compile(r"(?<=[A-Za-z0-9])[/\\](?=[A-Za-z0-9][^\s@]*@)")
_GAPS = re.compile(r"\s*([@.])\s*")
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_HANGUL_NAME = re.compile(r"^[\uac00-\ud7a3]{2,4}$")
_WESTERN_NAME = re.compile(r"^[A-Za-z][a-z]+(?:[ -][A-Z][a-z]+){1,2}$")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
_DIGITISH = re.compile(r"[\dOolI|][\dOolI|\s().\-]{5,}[\dOolI|]")

KOREAN_TITLES = (
    "대표이사",
    "대표",
    "부사장",
    "사장",
    "전무",
    "상무",
    "이사",
    "본부장",
    "실장",
    "부장",
    "차장",
    "과장",
    "팀장",
    "대리",
    "주임",
    "사원",
    "연구원",
    "수석",
    "책임",
    "선임",
    "매니저",
)
ENGLISH_TITLES = (
    "CEO",
    "CTO",
    "CFO",
    "COO",
    "President",
    "Vice President",
    "VP",
    "Director",
    "Manager",
    "Engineer",
    "Developer",
    "Designer",
    "Consultant",
    "Founder",
    "Partner",
    "Head",
    "Lead",
    "Officer",
    "Specialist",
    "Analyst",
    "Architect",
    "Representative",
    "Sales",
)
ORGANIZATION_MARKERS = (
    "주식회사",
    "(주)",
    "㈜",
    "유한회사",
    "그룹",
    "재단",
    "협회",
    "연구소",
    "Inc",
    "Corp",
    "Ltd",
    "Co.",
    "LLC",
    "GmbH",
    "Company",
    "Group",
    "Corporation",
    "Limited",
    "S.A.",
    "AG",
)
KOREAN_ADDRESS_PART = re.compile(r"[가-힣]+(?:특별시|광역시|시|도|구|군|읍|면|동|로|길)(?=\s|\d|$)")
WESTERN_ADDRESS = re.compile(
    r"\d+\s+[A-Za-z ]+\b(Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Way"
    r"|Drive|Suite|Floor)\b",
    re.IGNORECASE,
)
_PHONE_LABELS = (
    (re.compile(r"(휴대폰|핸드폰|휴대전화|mobile|cell|\bhp\b|\bm\b)", re.IGNORECASE), "cell"),
    (re.compile(r"(팩스|fax|\bf\b)", re.IGNORECASE), "fax"),
    (re.compile(r"(전화|tel|phone|office|direct|\bt\b|\bo\b|\bd\b)", re.IGNORECASE), "work"),
)
_LABEL_PREFIX = re.compile(
    r"^(?:e-?mail|email|이메일|메일|e|tel|t|m|f|mobile|office|fax|web|url|homepage|h|w)\s*[.:]?\s+",
    re.IGNORECASE,
)


@dataclass
class Proposal:
    """The proposed fields; each value with a confidence from 0 to 1."""

    name: tuple[str, float] | None = None
    organization: tuple[str, float] | None = None
    title: tuple[str, float] | None = None
    phones: list[tuple[dict[str, str], float]] = field(default_factory=list)
    emails: list[tuple[dict[str, str], float]] = field(default_factory=list)
    urls: list[tuple[str, float]] = field(default_factory=list)
    address: tuple[str, float] | None = None

    def as_json(self) -> dict[str, Any]:
        def one(found: tuple[str, float] | None) -> dict[str, Any] | None:
            return None if found is None else {"value": found[0], "confidence": round(found[1], 2)}

        def many(found: list[tuple[Any, float]]) -> list[dict[str, Any]]:
            return [{"value": value, "confidence": round(score, 2)} for value, score in found]

        return {
            "name": one(self.name),
            "organization": one(self.organization),
            "title": one(self.title),
            "phones": many(self.phones),
            "emails": many(self.emails),
            "urls": many(self.urls),
            "address": one(self.address),
        }


def _phone_type(prefix: str) -> str | None:
    for pattern, kind in _PHONE_LABELS:
        if pattern.search(prefix):
            return kind
    return None


def _digits_fixed(text: str) -> str:
    return _DIGITISH.sub(lambda match: match.group(0).translate(_DIGIT_LOOKALIKES), text)


def find_phones(line: Line, region: str) -> list[tuple[dict[str, str], float]]:
    text = _digits_fixed(line.text)
    found: list[tuple[dict[str, str], float]] = []
    for match in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID
    ):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        entry = {"value": e164}
        kind = _phone_type(text[: match.start])
        if kind is None and phonenumbers.number_type(match.number) == (
            phonenumbers.PhoneNumberType.MOBILE
        ):
            kind = "cell"
        if kind is not None:
            entry["type"] = kind
        found.append((entry, line.confidence))
    return found


def _closed(text: str) -> str:
    return _GAPS.sub(r"\1", text)


_EMAIL_LABEL = re.compile(r"^(?:e-?mail|이메일|메일|e)\s*[.:]?\s+", re.IGNORECASE)
_ONE_BESIDE_DIGIT = re.compile(r"(?<=\d)[lIi|]|[lIi|](?=\d)")
_ZERO_BETWEEN_DIGITS = re.compile(r"(?<=\d)[Oo](?=\d)")


def _local_part_fixed(address: str) -> str:
    """OCR reads a 1 beside other digits as l or I (and a 0 between digits as O): in the
    part before the @, digits beside digits are far likelier than those letters."""
    local, _, domain = address.partition("@")
    local = _ZERO_BETWEEN_DIGITS.sub("0", _ONE_BESIDE_DIGIT.sub("1", local))
    return f"{local}@{domain}"


def find_emails(line: Line) -> list[tuple[dict[str, str], float]]:
    text = _closed(_EMAIL_LABEL.sub("", line.text.strip()))
    # A stroke OCR saw between two characters of an address ("yuna/76@..."): never meant.
    text = _STRAY_STROKE.sub("", text)
    if "@" in text and not _EMAIL.search(text):
        # A space OCR put inside the domain ("yuna15@exa mple.com"): domains have none.
        local, _, domain = text.partition("@")
        text = local + "@" + _SPACES.sub("", domain)
    return [
        ({"value": _local_part_fixed(match).lower()}, line.confidence)
        for match in _EMAIL.findall(text)
    ]


def find_urls(line: Line) -> list[tuple[str, float]]:
    text = _EMAIL.sub(" ", _closed(line.text))
    return [(match, line.confidence * 0.9) for match in _URL.findall(text)]


def _title_in(text: str) -> str | None:
    for title in KOREAN_TITLES:
        if title in text:
            return title
    for title in sorted(ENGLISH_TITLES, key=len, reverse=True):
        match = re.search(rf"\b{re.escape(title)}\b", text)
        if match:
            # The whole English title phrase: "Senior Software Engineer".
            phrase = re.search(
                rf"((?:[A-Z][A-Za-z&]+ ){{0,3}}{re.escape(title)}(?: [A-Z][A-Za-z&]+){{0,2}})",
                text,
            )
            return phrase.group(1) if phrase else title
    return None


def _is_organization(text: str) -> bool:
    folded = text.replace(" ", "")
    return any(
        marker.replace(" ", "") in folded
        if not marker.isascii()
        else re.search(rf"(?<![A-Za-z]){re.escape(marker)}(?![a-z])", text) is not None
        for marker in ORGANIZATION_MARKERS
    )


def _is_contact_line(text: str) -> bool:
    return bool(
        _EMAIL.search(_closed(text)) or _URL.search(text) or sum(c.isdigit() for c in text) >= 6
    )


def _is_address(text: str) -> bool:
    """Two Korean address parts (서울시 강남구, 판교로 45...) or a Western street line: one
    part alone is as likely a name (장경도) or a company (한국도시)."""
    return len(KOREAN_ADDRESS_PART.findall(text)) >= 2 or bool(WESTERN_ADDRESS.search(text))


def _korean_name(text: str) -> str | None:
    for word in _HANGUL.findall(text):
        candidate: str = word
        for title in KOREAN_TITLES:
            if candidate.endswith(title) and len(candidate) > len(title):
                candidate = candidate[: -len(title)]
        if _HANGUL_NAME.match(candidate) and candidate not in KOREAN_TITLES:
            if any(
                marker in candidate for marker in ("주식", "회사", "휴대", "전화", "팩스", "메일")
            ):
                continue
            return candidate
    return None


def _western_name(text: str) -> str | None:
    cleaned = text.strip(" .,;:")
    if _WESTERN_NAME.match(cleaned) and _title_in(cleaned) is None:
        # OCR reads a capital J or I as lower case now and then.
        return cleaned[0].upper() + cleaned[1:]
    return None


def parse(lines: list[Line], *, region: str) -> Proposal:
    proposal = Proposal()
    names: list[tuple[str, float, int]] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        proposal.phones += [
            p for p in find_phones(line, region) if p[0] not in [q[0] for q in proposal.phones]
        ]
        proposal.emails += [
            e for e in find_emails(line) if e[0] not in [q[0] for q in proposal.emails]
        ]
        proposal.urls += [u for u in find_urls(line) if u[0] not in [q[0] for q in proposal.urls]]
        if _is_contact_line(text):
            continue
        if proposal.organization is None and _is_organization(text):
            proposal.organization = (text, line.confidence)
            continue
        if proposal.address is None and _is_address(text):
            proposal.address = (_LABEL_PREFIX.sub("", text), line.confidence * 0.8)
            continue
        title = _title_in(text)
        if title is not None and proposal.title is None:
            proposal.title = (title, line.confidence * (0.9 if title != text else 1.0))
        korean = _korean_name(text)
        if korean is not None:
            names.append((korean, line.confidence, line.height + 1000))
            continue
        western = _western_name(text)
        if western is not None:
            names.append((western, line.confidence * 0.9, line.height))
    if names:
        # Names are printed largest; Hangul names rank above Latin ones on bilingual cards.
        name, confidence, _ = max(names, key=lambda found: found[2])
        proposal.name = (name, confidence)
    return proposal
