"""The relevance set: a generated corpus (Korean, English and mixed: contacts, cards, messages
with names, companies, titles, topics, phones and e-mails) and more than 200 queries, each
with the documents it should find, known from how the corpus was generated.

Queries come in the forms people type: whole words, words with particles (김민수님께, 삼성전자와),
parts of compounds (영업 in 영업팀장), two-syllable words (결제), initial consonants (ㄱㅁㅅ),
Latin in any case and without accents, 4 or more digits of a phone number, e-mail local parts
and domains. Typos are left out on purpose: no index here corrects them.

Ground truth by concept: each document records the concepts it was made from (a person, a
company and its brand, a department and a role, a topic); a query of a concept expects every
document holding it. Digit queries expect every document whose digits hold them (any phone
number with those digits is a right answer). Used by ``tests/search/test_relevance.py`` (the
tokens on both databases) and ``bench/search_bench.py`` (against plain ``simple`` tsvector and
``pg_trgm``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

SURNAMES = [
    "김",
    "이",
    "박",
    "최",
    "정",
    "강",
    "조",
    "윤",
    "장",
    "임",
    "한",
    "오",
    "서",
    "신",
    "권",
]
GIVEN = [
    "민수", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지아", "현우", "유진",
    "준호", "채원", "성민", "다은", "태현", "소율", "건우", "나연", "재원", "혜린",
]  # fmt: skip
ROMAN = {"김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang",
         "조": "cho", "윤": "yoon", "장": "jang", "임": "lim", "한": "han", "오": "oh",
         "서": "seo", "신": "shin", "권": "kwon"}  # fmt: skip
GIVEN_ROMAN = {
    "민수": "minsu", "서연": "seoyeon", "지훈": "jihoon", "하은": "haeun", "도윤": "doyoon",
    "수빈": "subin", "예준": "yejun", "지아": "jia", "현우": "hyunwoo", "유진": "yujin",
    "준호": "junho", "채원": "chaewon", "성민": "sungmin", "다은": "daeun", "태현": "taehyun",
    "소율": "soyul", "건우": "gunwoo", "나연": "nayeon", "재원": "jaewon", "혜린": "hyerin",
}  # fmt: skip
# (name, brand, sector, domain)
COMPANIES = [
    ("삼성전자", "삼성", "전자", "samsung.co.kr"),
    ("삼성물산", "삼성", "물산", "samsungcnt.co.kr"),
    ("현대자동차", "현대", "자동차", "hyundai.co.kr"),
    ("현대건설", "현대", "건설", "hdec.co.kr"),
    ("한화솔루션", "한화", "솔루션", "hanwha.co.kr"),
    ("카카오뱅크", "카카오", "뱅크", "kakaobank.com"),
    ("네이버클라우드", "네이버", "클라우드", "navercloud.com"),
    ("롯데마트", "롯데", "마트", "lottemart.com"),
    ("신한은행", "신한", "은행", "shinhan.com"),
    ("포스코홀딩스", "포스코", "홀딩스", "posco.com"),
]
DEPARTMENTS = ["영업", "마케팅", "인사", "재무", "구매", "법무"]
ROLES = ["팀장", "부장", "과장", "대리", "이사"]
TOPICS = ["결제", "견적", "출장", "예산", "발주", "납품", "세금계산서", "회식", "채용", "보안"]
PARTICLES = [
    ("과", "와"), ("이", "가"), ("을", "를"), ("은", "는"), ("에서", "에서"),
    ("께서", "께서"), ("님께", "님께"), ("의", "의"), ("한테", "한테"), ("으로", "로"),
]  # fmt: skip


def with_particle(word: str, k: int) -> str:
    """``word`` with the ``k``-th particle, in the form its last syllable takes (과/와 ...)."""
    after_consonant, after_vowel = PARTICLES[k % len(PARTICLES)]
    last = word[-1]
    final = (ord(last) - 0xAC00) % 28 if "\uac00" <= last <= "\ud7a3" else 0
    return word + (after_consonant if final else after_vowel)


ENGLISH_PEOPLE = [
    ("John Smith", "john.smith"),
    ("Émilie Dubois", "emilie.dubois"),
    ("Jürgen Müller", "juergen.mueller"),
    ("Ana López", "ana.lopez"),
    ("Chloé Martin", "chloe.martin"),
    ("Søren Nielsen", "soren.nielsen"),
]
ENGLISH_COMPANIES = [("Acme Corp", "acme"), ("Globex", "globex"), ("Initech", "initech")]
ENGLISH_TOPICS = ["invoice", "budget", "roadmap", "contract", "shipment"]

MESSAGE_TEMPLATES = [
    "{company}{dept}팀장과 {topic} 건으로 회의했습니다",
    "{person}님께서 {topic} 자료를 보내주셨어요",
    "내일 {company} {person} {role}님과 {topic} 미팅 가능할까요?",
    "{topic} 관련해서 {company}에 다시 연락드리겠습니다",
    "{person} {role}님 연락처는 {phone} 입니다",
    "{company} {dept}팀에서 {topic} 요청이 왔어요",
    "{english_company} {english_topic} review with {english_person} at B.Ca팀",
    "{english_person} sent the {english_topic} for {company} sales",
    "메일 주소는 {email} 입니다. {topic} 확인 부탁드려요",
]


@dataclass
class Document:
    """One text of the corpus: ``kind`` contact, card or message."""

    id: int
    kind: str
    text: str
    concepts: set[str] = field(default_factory=set)


@dataclass
class Case:
    """A query and what it should find."""

    query: str
    family: str
    expected: set[int]


@dataclass
class RelevanceSet:
    documents: list[Document]
    cases: list[Case]


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def build(seed: int = 24) -> RelevanceSet:
    rng = random.Random(seed)
    people: list[tuple[str, str, str]] = []  # (name, email local, phone)
    seen_names: set[str] = set()
    while len(people) < 40:
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        name = surname + given
        if name in seen_names:
            continue
        seen_names.add(name)
        local = f"{GIVEN_ROMAN[given]}.{ROMAN[surname]}"
        phone = f"010-{rng.randint(2000, 9999)}-{rng.randint(1000, 9999)}"
        people.append((name, local, phone))

    documents: list[Document] = []

    def add(kind: str, text: str, concepts: set[str]) -> None:
        documents.append(Document(len(documents), kind, text, concepts))

    # Contacts and cards: one person each, at a company, with a title, phone and e-mail.
    for i, (name, local, phone) in enumerate(people):
        company, brand, sector, domain = COMPANIES[i % len(COMPANIES)]
        dept, role = DEPARTMENTS[i % len(DEPARTMENTS)], ROLES[(i // 2) % len(ROLES)]
        email = f"{local}@{domain}"
        concepts = {
            f"person:{name}",
            f"company:{company}",
            f"brand:{brand}",
            f"sector:{sector}",
            f"dept:{dept}",
            f"role:{role}",
            f"email:{email}",
            f"local:{local}",
            f"domain:{domain}",
        }
        text = f"{name}\n{company}\n{dept}팀 {role}\n{phone}\n{email}"
        add("contact" if i % 2 else "card", text, concepts)
    for name, local in ENGLISH_PEOPLE:
        company, short = rng.choice(ENGLISH_COMPANIES)
        add(
            "contact",
            f"{name}\n{company}\nSales Manager\n{local}@{short}.com",
            {f"eperson:{name}", f"ecompany:{company}", f"local:{local}", f"domain:{short}.com"},
        )

    # Messages from the templates.
    for _ in range(260):
        name, local, phone = rng.choice(people)
        company, brand, sector, domain = rng.choice(COMPANIES)
        dept, role, topic = rng.choice(DEPARTMENTS), rng.choice(ROLES), rng.choice(TOPICS)
        english_person = rng.choice(ENGLISH_PEOPLE)[0]
        english_company = rng.choice(ENGLISH_COMPANIES)[0]
        english_topic = rng.choice(ENGLISH_TOPICS)
        template = rng.choice(MESSAGE_TEMPLATES)
        email = f"{local}@{domain}"
        values = {
            "person": name,
            "company": company,
            "dept": dept,
            "role": role,
            "topic": topic,
            "phone": phone,
            "email": email,
            "english_person": english_person,
            "english_company": english_company,
            "english_topic": english_topic,
        }
        text = template.format(**values)
        concepts = set()
        if "팀장과" in template:
            concepts.add("role:팀장")
        for slot, prefix in (
            ("person", "person"),
            ("dept", "dept"),
            ("role", "role"),
            ("topic", "topic"),
            ("english_person", "eperson"),
            ("english_company", "ecompany"),
            ("english_topic", "etopic"),
        ):
            if "{" + slot + "}" in template:
                concepts.add(f"{prefix}:{values[slot]}")
        if "{company}" in template:
            concepts |= {f"company:{company}", f"brand:{brand}", f"sector:{sector}"}
        if "{email}" in template:
            concepts |= {f"email:{email}", f"local:{local}", f"domain:{domain}"}
        if "B.Ca팀" in template:
            concepts.add("team:bca")
        add("message", text, concepts)

    cases: list[Case] = []

    def expect(query: str, family: str, concept: str) -> None:
        hits = {doc.id for doc in documents if concept in doc.concepts}
        if hits:
            cases.append(Case(query, family, hits))

    phone_digits = {doc.id: _digits_of_phones(doc.text) for doc in documents}

    def expect_digits(query: str) -> None:
        wanted = _digits(query)
        hits = {doc.id for doc in documents if wanted in phone_digits[doc.id]}
        cases.append(Case(query, "digits", hits))

    for i, (name, local, phone) in enumerate(people):
        expect(name, "name", f"person:{name}")
        expect(with_particle(name, i), "particle", f"person:{name}")
        if i % 3 == 0:
            initials = "".join(_choseong(char) for char in name)
            # Every person with these initials is a right answer.
            namesakes = {
                f"person:{other}"
                for other, _, _ in people
                if "".join(_choseong(char) for char in other) == initials
            }
            cases.append(
                Case(
                    initials,
                    "choseong",
                    {doc.id for doc in documents if doc.concepts & namesakes},
                )
            )
        if i % 2 == 0:
            expect_digits(phone[-4:])
        else:
            expect_digits(phone[4:])
        expect(local, "email", f"local:{local}")
    for j, (company, brand, _, domain) in enumerate(COMPANIES):
        expect(company, "compound", f"company:{company}")
        expect(with_particle(company, j), "particle", f"company:{company}")
        expect(brand, "part", f"brand:{brand}")
        expect(domain, "email", f"domain:{domain}")
        if j % 2 == 0:
            expect(company + "에", "particle", f"company:{company}")
    for dept in DEPARTMENTS:
        expect(dept, "part", f"dept:{dept}")
        expect(dept + "팀", "compound", f"dept:{dept}")
    for r, role in enumerate(ROLES):
        expect(role, "two-syllable", f"role:{role}")
        expect(with_particle(role + "님", r), "particle", f"role:{role}")
    for k, topic in enumerate(TOPICS):
        expect(topic, "two-syllable" if len(topic) == 2 else "compound", f"topic:{topic}")
        expect(with_particle(topic, k), "particle", f"topic:{topic}")
    expect("계산서", "part", "topic:세금계산서")
    for name, _ in ENGLISH_PEOPLE:
        first, last = name.split()
        expect(name, "latin", f"eperson:{name}")
        expect(_strip_accents(last).upper(), "latin", f"eperson:{name}")
        expect(first.lower(), "latin", f"eperson:{name}")
    for company, _ in ENGLISH_COMPANIES:
        expect(company.lower(), "latin", f"ecompany:{company}")
    for topic in ENGLISH_TOPICS:
        expect(topic.capitalize(), "latin", f"etopic:{topic}")
    expect("B.Ca", "mixed", "team:bca")
    expect("B.Ca팀", "mixed", "team:bca")
    return RelevanceSet(documents, cases)


def _digits_of_phones(text: str) -> str:
    """The digits of each phone number in ``text``, joined by a separator no query spans."""
    return "|".join(_digits(found) for found in re.findall(r"\d[\d-]{6,}\d", text))


CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"


def _choseong(char: str) -> str:
    return CHOSEONG[(ord(char) - 0xAC00) // 588]


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass
class Score:
    recall: float
    precision: float
    by_family: dict[str, tuple[float, float]]
    misses: list[tuple[str, int, int, int]]


def score(cases: list[Case], results: list[set[int]]) -> Score:
    """Micro-averaged recall and precision (and per family); ``misses``: (query, expected,
    found, right) of the cases that were not perfect."""
    expected = found = right = 0
    families: dict[str, list[int]] = {}
    misses = []
    for case, result in zip(cases, results, strict=True):
        hit = len(case.expected & result)
        expected, found, right = expected + len(case.expected), found + len(result), right + hit
        counts = families.setdefault(case.family, [0, 0, 0])
        counts[0] += len(case.expected)
        counts[1] += len(result)
        counts[2] += hit
        if hit != len(case.expected) or hit != len(result):
            misses.append((case.query, len(case.expected), len(result), hit))
    return Score(
        recall=right / expected if expected else 1.0,
        precision=right / found if found else 1.0,
        by_family={
            family: (c[2] / c[0] if c[0] else 1.0, c[2] / c[1] if c[1] else 1.0)
            for family, c in families.items()
        },
        misses=misses,
    )
