"""The search index's tokens: what a text is indexed by, and what a query asks for.

Both sides produce words of one alphabet (Hangul syllables, compatibility jamo, ``a-z``,
``0-9``), joined by spaces: PostgreSQL stores them as a ``tsvector`` (``array_to_tsvector``:
no parser, no dictionary between us and the index) and SQLite's FTS5 splits them on spaces
(``unicode61``), so both databases index exactly what this module wrote.

The families a text is indexed by:

- **Hangul syllable bigrams** of every run of Hangul syllables (삼성전자영업팀장과 → 삼성, 성전,
  전자, 자영, ...), and the last syllable of each run alone: any part of a compound, any
  two-syllable word, a name nobody's dictionary knows, found with no morphology at all;
- **morphemes** (``kiwipiepy``): the content morphemes of the text (nouns, roots, foreign
  words), particles and endings left out. They raise the rank of a text that has the query's
  word as a word (rather than as letters across two words);
- **initial consonants** (choseong) of each run of Hangul syllables (홍길동 → ㅎㄱㄷ), for
  names;
- **Latin words**, lowercased and accent-folded (``Müller`` → ``muller``); e-mail addresses
  fall apart into their local part's words and their domain's labels;
- **digits**: a run of 4 or more digits (separators ``-``, ``.``, spaces and brackets inside
  a phone number joined) by each of its 4-digit windows, so any 4 or more consecutive digits
  of a phone number find it; a shorter run by itself.

A query asks for every token of its words (all must match) in the same families: each Hangul
word's content morphemes (particles stripped by Kiwi) as bigrams, a single syllable as a prefix,
a word of initial consonants as a prefix of the choseong family, Latin words exactly, digits by
their 4-digit windows. The client's tokenizer (``web/src/data/search-tokens.ts``) makes the same
tokens without Kiwi (no particle stripping): a subset of what the server asks.

Kiwi loads once per process, when first needed (about a second and 250 MB): never at import.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JAMO_CONSONANTS = frozenset("ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")

# Kiwi's tags of the morphemes worth indexing: nouns, numerals, pronouns, roots, foreign words,
# Chinese characters, and the stems of verbs and adjectives (when they are the surface).
CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "XR", "SL", "SH", "VV", "VA", "MAG"})
TRAILING_PARTICLES = (
    "에서", "께서", "님께", "한테", "에게", "으로", "처럼", "까지", "부터",
    "의", "이", "가", "을", "를", "은", "는", "과", "와", "에", "로", "도", "만", "님",
)  # fmt: skip
MAX_TEXT = 20_000
"""Characters of a text that are indexed (a message is at most 10,000)."""

_SEGMENT = re.compile(
    r"(?P<hangul>[\uac00-\ud7a3]+)"
    r"|(?P<jamo>[\u3131-\u314e]+)"
    r"|(?P<digits>\d(?:[\d]|[-. ()](?=[\d(]))*\d|\d)"
    r"|(?P<latin>[^\W\d_\uac00-\ud7a3\u3131-\u318e]+)"
)


def is_hangul(char: str) -> bool:
    return HANGUL_FIRST <= ord(char) <= HANGUL_LAST


def choseong(word: str) -> str:
    """The initial consonants of a run of Hangul syllables (홍길동 → ㅎㄱㄷ)."""
    return "".join(CHOSEONG[(ord(char) - HANGUL_FIRST) // 588] for char in word)


def fold_latin(word: str) -> str:
    """Lowercase, without accents (``Ünïcödé`` → ``unicode``); letters of other scripts kept."""
    out: list[str] = []
    for char in word.casefold():
        if is_hangul(char):
            out.append(char)
            continue
        out.extend(
            part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
        )
    return "".join(out)


def bigrams(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)]


def digit_windows(digits: str) -> list[str]:
    if len(digits) < 4:
        return [digits]
    return [digits[i : i + 4] for i in range(len(digits) - 3)]


@dataclass(frozen=True)
class Segment:
    """A run of one script in a text: its family, its characters (digits without their
    separators, Latin folded) and where it is (code point offsets)."""

    family: str
    value: str
    start: int
    end: int


def segments(text: str) -> Iterator[Segment]:
    for match in _SEGMENT.finditer(unicodedata.normalize("NFC", text[:MAX_TEXT])):
        family = match.lastgroup or ""
        raw = match.group()
        if family == "digits":
            value = "".join(char for char in raw if char.isdigit())
            value = unicodedata.normalize("NFKD", value)
            value = "".join(char for char in value if "0" <= char <= "9")
            if not value:
                continue
        elif family == "latin":
            value = fold_latin(raw)
            value = "".join(char for char in value if char.isalnum())
            if not value:
                continue
        else:
            value = raw
        yield Segment(family, value, match.start(), match.end())


# --- Kiwi, once per process, when first needed ----------------------------------------------

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()


def kiwi() -> Kiwi:
    """The process's Kiwi (loaded at the first call; thread-safe)."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


def _content_morphemes(word: str) -> list[tuple[int, int]]:
    """(start, end) of the content morphemes of a Hangul word, as they appear in it."""
    spans: list[tuple[int, int]] = []
    for token in kiwi().tokenize(word):
        tag = str(token.tag).split("-")[0]
        start, end = int(token.start), int(token.start) + int(token.len)
        if tag in CONTENT_TAGS and word[start:end] == token.form.replace(" ", ""):
            spans.append((start, end))
    return spans


# --- the index's side ------------------------------------------------------------------------


def index_terms(text: str, *, morphemes: bool = True) -> list[str]:
    """The distinct tokens ``text`` is indexed by, in order of first appearance."""
    terms: dict[str, None] = {}
    for segment in segments(text):
        _index_segment(segment, terms, morphemes=morphemes)
    return list(terms)


def index_terms_of(texts: Iterable[str | None], *, morphemes: bool = True) -> str:
    """The tokens of several texts, as stored (space-separated)."""
    terms: dict[str, None] = {}
    for text in texts:
        if text:
            for term in index_terms(text, morphemes=morphemes):
                terms[term] = None
    return " ".join(terms)


def _index_segment(segment: Segment, terms: dict[str, None], *, morphemes: bool) -> None:
    value = segment.value
    if segment.family == "hangul":
        for gram in bigrams(value):
            terms[gram] = None
        terms[value[-1]] = None
        terms[choseong(value)] = None
        if morphemes and len(value) > 2:
            for start, end in _content_morphemes(value):
                if end - start > 2:
                    terms[value[start:end]] = None
    elif segment.family == "jamo":
        terms[value] = None
    elif segment.family == "digits":
        for window in digit_windows(value):
            terms[window] = None
    else:
        terms[value] = None


# --- the query's side ------------------------------------------------------------------------


@dataclass
class Query:
    """What a query asks: every one of ``required`` (``prefixes`` match as prefixes) and,
    for the rank, ``words`` (the morphemes the index may hold whole). ``pieces`` are what
    the matched ranges are looked for in a text."""

    required: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    pieces: list[Segment] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.required and not self.prefixes


def query_terms(text: str, *, morphemes: bool = True) -> Query:
    """The tokens a query asks for (see the module's docstring)."""
    query = Query()
    required: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for segment in segments(text):
        value = segment.value
        if segment.family == "hangul":
            part = _stem(value) if morphemes else value
            query.pieces.append(Segment("hangul", part, 0, 0))
            if len(part) == 1:
                prefixes[part] = None
                continue
            for gram in bigrams(part):
                required[gram] = None
            if morphemes:
                query.words += [
                    value[start:end] for start, end in _content_morphemes(part) if end - start > 2
                ]
        elif segment.family == "jamo":
            prefixes[value] = None
            query.pieces.append(segment)
        elif segment.family == "digits":
            for window in digit_windows(value):
                required[window] = None
            query.pieces.append(segment)
        else:
            required[value] = None
            query.pieces.append(segment)
    query.required = list(required)
    query.prefixes = [prefix for prefix in prefixes if prefix not in required]
    return query


def _stem(word: str) -> str:
    """A query word without what follows its last content morpheme (particles, endings,
    suffixes such as 님): 영업팀장님께 → 영업팀장, 삼성전자와 → 삼성전자. The word itself when
    Kiwi finds no content in it."""
    spans = _content_morphemes(word)
    if spans == [(0, len(word))]:
        # One word Kiwi does not know (a name, often): a particle it would have told apart
        # from a known word is taken off here.
        for particle in TRAILING_PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                return word[: -len(particle)]
    return word[: spans[-1][1]] if spans else word


# --- matched ranges --------------------------------------------------------------------------


def matched_ranges(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the query's pieces appear in ``text``: ``[start, end)`` code point offsets,
    sorted and merged (case and accents ignored; a phone number's separators skipped)."""
    if not text:
        return []
    found: list[tuple[int, int]] = []
    folded, positions = _folded_with_positions(text)
    digits_only = [(i, char) for i, char in enumerate(text) if "0" <= char <= "9"]
    digit_string = "".join(char for _, char in digits_only)
    for piece in query.pieces:
        if piece.family == "digits":
            for start in _find_all(digit_string, piece.value):
                found.append(
                    (digits_only[start][0], digits_only[start + len(piece.value) - 1][0] + 1)
                )
        elif piece.family == "jamo":
            for segment in segments(text):
                if segment.family == "hangul" and choseong(segment.value).startswith(piece.value):
                    found.append((segment.start, segment.start + len(piece.value)))
        else:
            for start in _find_all(folded, piece.value):
                found.append((positions[start], positions[start + len(piece.value) - 1] + 1))
    return _merge(found)


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    chars: list[str] = []
    positions: list[int] = []
    for i, char in enumerate(text):
        for folded in fold_latin(char):
            chars.append(folded)
            positions.append(i)
    return "".join(chars), positions


def _find_all(haystack: str, needle: str) -> Iterator[int]:
    if not needle:
        return
    start = haystack.find(needle)
    while start >= 0:
        yield start
        start = haystack.find(needle, start + 1)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def describe(value: Any) -> str:
    """A searchable text of a JSON value (a card's data): its strings and numbers, one per
    line, labels left out (the ``type`` of a phone or an e-mail: "work" is not its content)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, bool) or node is None:
            return
        elif isinstance(node, int | float):
            out.append(str(node))
        elif isinstance(node, dict):
            for key, item in node.items():
                if key != "type":
                    walk(item)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(value)
    return "\n".join(out)
