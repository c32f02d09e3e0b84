"""A generated set of business-card images with their ground truth, for the scan tests and
``bench/scan_bench.py``.

Deterministic (one seed), drawn at test time with Pillow and Debian's fonts (Noto Sans CJK for
Korean, DejaVu for Latin-only cards), never committed as images. Layouts: Korean left-aligned,
Korean centred, English left-aligned, English two-column, bilingual; some cards are rotated
(up to 10°), some noisy, some printed in low contrast, some as JPEG.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import phonenumbers
from PIL import Image, ImageDraw, ImageFont

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CJK_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NOTO_KOREAN_INDEX = 1
WIDTH, HEIGHT = 1050, 600

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN_SYLLABLES = "민서준지현우예은도윤하진수영태성경미선혜동규"
FIRST_NAMES = [
    "James",
    "Emily",
    "Daniel",
    "Sarah",
    "Michael",
    "Laura",
    "David",
    "Olivia",
    "Thomas",
    "Grace",
    "Peter",
    "Hannah",
    "Robert",
    "Chloe",
    "Andrew",
    "Julia",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Miller",
    "Walker",
    "Carter",
    "Bennett",
    "Foster",
    "Hughes",
    "Porter",
    "Reed",
    "Turner",
    "Hayes",
    "Collins",
    "Morgan",
    "Parker",
    "Brooks",
]
KOREAN_TITLES = ["대표", "이사", "부장", "과장", "팀장", "차장", "대리", "실장"]
ENGLISH_TITLES = [
    "CEO",
    "Manager",
    "Engineer",
    "Sales Manager",
    "Software Engineer",
    "Director",
    "Product Manager",
    "Designer",
]
KOREAN_ORG_STEMS = [
    "한빛소프트",
    "미래테크",
    "푸른바다",
    "새솔전자",
    "다온물산",
    "누리시스템",
    "하늘정보",
]
ENGLISH_ORG_STEMS = ["Acme", "Blue River", "Northwind", "Bright Path", "Silver Oak", "Redwood"]
ENGLISH_ORG_SUFFIXES = ["Inc.", "Corp.", "Ltd.", "Co., Ltd."]
DOMAINS = ["example.com", "example.co.kr", "hanbit.kr", "acme.io", "mirae.net"]
KOREAN_STREETS = [
    "서울특별시 강남구 테헤란로 123",
    "경기도 성남시 분당구 판교로 45",
    "서울시 마포구 월드컵북로 7",
]
ENGLISH_STREETS = [
    "120 Market Street, San Francisco",
    "45 King Street, London",
    "9 Pine Road, Boston",
]


@dataclass(frozen=True)
class Truth:
    name: str
    organization: str
    title: str
    phones: list[str]
    emails: list[str]
    url: str | None = None


@dataclass(frozen=True)
class SampleCard:
    """One generated card: its image bytes, its ground truth and how it was made."""

    index: int
    image: bytes
    truth: Truth
    layout: str
    effects: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"card-{self.index:03d}.{'jpg' if 'jpeg' in self.effects else 'png'}"


@functools.cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    index = NOTO_KOREAN_INDEX if path.suffix == ".ttc" else 0
    return ImageFont.truetype(str(path), size, index=index)


def _korean_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN_SYLLABLES, 2))


def _english_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _kr_mobile(rng: random.Random) -> tuple[str, str]:
    middle, last = rng.randint(2000, 9999), rng.randint(1000, 9999)
    return f"010-{middle}-{last}", f"+8210{middle}{last}"


def _kr_landline(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(["02", "031", "051"])
    middle, last = rng.randint(2000, 8999), rng.randint(1000, 9999)
    return f"{area}-{middle}-{last}", f"+82{area[1:]}{middle}{last}"


def _us_phone(rng: random.Random) -> tuple[str, str]:
    while True:
        area = rng.choice(["415", "212", "617"])
        exchange, line = rng.randint(201, 989), rng.randint(1000, 9999)
        number = phonenumbers.parse(f"+1{area}{exchange}{line}")
        if phonenumbers.is_valid_number(number):
            return f"+1 {area}-{exchange}-{line}", f"+1{area}{exchange}{line}"


def _email(rng: random.Random, local: str) -> str:
    return f"{local}@{rng.choice(DOMAINS)}"


def _romanised(rng: random.Random) -> str:
    return rng.choice(["minsu", "jiwoo", "seoyeon", "dohyun", "haeun", "taeho", "yuna"]) + str(
        rng.randint(1, 99)
    )


Draw = Callable[[ImageDraw.ImageDraw, random.Random, tuple[int, int, int]], Truth]


def _korean_left(draw: ImageDraw.ImageDraw, rng: random.Random, ink: tuple[int, int, int]) -> Truth:
    name, title = _korean_name(rng), rng.choice(KOREAN_TITLES)
    org = rng.choice(["주식회사 ", "(주)"]) + rng.choice(KOREAN_ORG_STEMS)
    (office, office_e164), (mobile, mobile_e164) = _kr_landline(rng), _kr_mobile(rng)
    email = _email(rng, _romanised(rng))
    draw.text((70, 60), org, font=_font(NOTO_CJK_BOLD, 40), fill=ink)
    draw.text((70, 170), f"{name}  {title}", font=_font(NOTO_CJK_BOLD, 58), fill=ink)
    small = _font(NOTO_CJK, 30)
    draw.text((70, 300), rng.choice(KOREAN_STREETS), font=small, fill=ink)
    draw.text((70, 360), f"T. {office}", font=small, fill=ink)
    draw.text((70, 410), f"M. {mobile}", font=small, fill=ink)
    draw.text((70, 460), f"E. {email}", font=small, fill=ink)
    return Truth(name, org, title, [office_e164, mobile_e164], [email])


def _korean_centered(
    draw: ImageDraw.ImageDraw, rng: random.Random, ink: tuple[int, int, int]
) -> Truth:
    name, title = _korean_name(rng), rng.choice(KOREAN_TITLES)
    org = rng.choice(KOREAN_ORG_STEMS) + rng.choice([" 주식회사", "(주)"])
    mobile, mobile_e164 = _kr_mobile(rng)
    email = _email(rng, _romanised(rng))
    url = f"www.{rng.choice(DOMAINS)}"

    def centred(y: int, text: str, font: ImageFont.FreeTypeFont) -> None:
        width = draw.textlength(text, font=font)
        draw.text(((WIDTH - width) / 2, y), text, font=font, fill=ink)

    centred(90, name, _font(NOTO_CJK_BOLD, 64))
    centred(185, title, _font(NOTO_CJK, 34))
    small = _font(NOTO_CJK, 30)
    centred(300, f"휴대폰 {mobile}", small)
    centred(350, email, small)
    centred(400, url, small)
    centred(480, org, _font(NOTO_CJK_BOLD, 38))
    return Truth(name, org, title, [mobile_e164], [email], url)


def _english_left(
    draw: ImageDraw.ImageDraw, rng: random.Random, ink: tuple[int, int, int]
) -> Truth:
    name, title = _english_name(rng), rng.choice(ENGLISH_TITLES)
    org = f"{rng.choice(ENGLISH_ORG_STEMS)} {rng.choice(ENGLISH_ORG_SUFFIXES)}"
    phone, phone_e164 = _us_phone(rng)
    local = name.split()[0].lower() + "." + name.split()[1].lower()
    email = _email(rng, local)
    url = f"https://www.{rng.choice(DOMAINS)}"
    draw.text((70, 60), name, font=_font(DEJAVU_BOLD, 56), fill=ink)
    draw.text((70, 140), title, font=_font(DEJAVU, 32), fill=ink)
    draw.text((70, 200), org, font=_font(DEJAVU_BOLD, 36), fill=ink)
    small = _font(DEJAVU, 28)
    draw.text((70, 330), rng.choice(ENGLISH_STREETS), font=small, fill=ink)
    draw.text((70, 380), f"Tel: {phone}", font=small, fill=ink)
    draw.text((70, 430), f"Email: {email}", font=small, fill=ink)
    draw.text((70, 480), url, font=small, fill=ink)
    return Truth(name, org, title, [phone_e164], [email], url)


def _english_columns(
    draw: ImageDraw.ImageDraw, rng: random.Random, ink: tuple[int, int, int]
) -> Truth:
    name, title = _english_name(rng), rng.choice(ENGLISH_TITLES)
    org = f"{rng.choice(ENGLISH_ORG_STEMS)} {rng.choice(ENGLISH_ORG_SUFFIXES)}"
    (office, office_e164), (mobile, mobile_e164) = _us_phone(rng), _us_phone(rng)
    email = _email(rng, name.split()[1].lower())
    draw.text((60, 60), org, font=_font(DEJAVU_BOLD, 40), fill=ink)
    draw.text((60, 330), name, font=_font(DEJAVU_BOLD, 50), fill=ink)
    draw.text((60, 400), title, font=_font(DEJAVU, 30), fill=ink)
    small = _font(DEJAVU, 26)
    draw.text((560, 330), f"T {office}", font=small, fill=ink)
    draw.text((560, 375), f"M {mobile}", font=small, fill=ink)
    draw.text((560, 420), email, font=small, fill=ink)
    return Truth(name, org, title, [office_e164, mobile_e164], [email])


def _bilingual(draw: ImageDraw.ImageDraw, rng: random.Random, ink: tuple[int, int, int]) -> Truth:
    name, title = _korean_name(rng), rng.choice(KOREAN_TITLES)
    org = "(주)" + rng.choice(KOREAN_ORG_STEMS)
    mobile, mobile_e164 = _kr_mobile(rng)
    office, office_e164 = _kr_landline(rng)
    email = _email(rng, _romanised(rng))
    draw.text((70, 60), name, font=_font(NOTO_CJK_BOLD, 60), fill=ink)
    draw.text(
        (70, 150), f"{title} / {rng.choice(ENGLISH_TITLES)}", font=_font(NOTO_CJK, 32), fill=ink
    )
    draw.text((70, 230), org, font=_font(NOTO_CJK_BOLD, 38), fill=ink)
    small = _font(NOTO_CJK, 28)
    draw.text((70, 360), f"Mobile +82 {mobile[1:]}", font=small, fill=ink)
    draw.text((70, 405), f"Office +82 {office[1:]}", font=small, fill=ink)
    draw.text((70, 450), f"Email {email}", font=small, fill=ink)
    return Truth(name, org, title, [mobile_e164, office_e164], [email])


LAYOUTS: dict[str, Draw] = {
    "korean-left": _korean_left,
    "korean-centred": _korean_centered,
    "english-left": _english_left,
    "english-columns": _english_columns,
    "bilingual": _bilingual,
}


def _effects(index: int, rng: random.Random) -> list[str]:
    effects: list[str] = []
    if index % 3 == 1:
        effects.append("rotated")
    if index % 4 == 2:
        effects.append("noisy")
    if index % 5 == 3:
        effects.append("low-contrast")
    if index % 7 == 4:
        effects.append("jpeg")
    rng.random()
    return effects


def _render(index: int, layout: str, rng: random.Random) -> SampleCard:
    effects = _effects(index, rng)
    low = "low-contrast" in effects
    paper = (200, 198, 192) if low else (250, 250, 246)
    ink = (120, 120, 125) if low else (25, 25, 30)
    image = Image.new("RGB", (WIDTH, HEIGHT), paper)
    truth = LAYOUTS[layout](ImageDraw.Draw(image), rng, ink)
    if "rotated" in effects:
        angle = rng.uniform(-10, 10)
        effects[effects.index("rotated")] = f"rotated {angle:+.1f}°"
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=paper)
    if "noisy" in effects:
        pixels = np.asarray(image, dtype=np.int16)
        noise = np.random.default_rng(index).normal(0, 18, pixels.shape)
        speckle = np.random.default_rng(index + 1).random(pixels.shape[:2]) < 0.004
        noisy = np.clip(pixels + noise, 0, 255)
        noisy[speckle] = 0
        image = Image.fromarray(noisy.astype(np.uint8))
    buffer = io.BytesIO()
    if "jpeg" in effects:
        image.save(buffer, format="JPEG", quality=80)
    else:
        image.save(buffer, format="PNG", compress_level=1)
    return SampleCard(index, buffer.getvalue(), truth, layout, effects)


def generate(count: int = 60, *, seed: int = 14) -> Iterator[SampleCard]:
    """``count`` cards, the layouts taking turns; the same cards for the same seed."""
    rng = random.Random(seed)
    names = list(LAYOUTS)
    for index in range(count):
        yield _render(index, names[index % len(names)], rng)


def write(directory: Path, count: int = 60, *, seed: int = 14) -> list[tuple[Path, SampleCard]]:
    """Write the cards into ``directory`` (a test's tmp folder) and return them."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, SampleCard]] = []
    for card in generate(count, seed=seed):
        path = directory / card.filename
        path.write_bytes(card.image)
        written.append((path, card))
    return written
