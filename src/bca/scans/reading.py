"""From a photo of a paper card to lines of text: clean the image, straighten it, read it.

Tesseract (Debian's ``tesseract-ocr`` with the ``kor`` and ``eng`` data) reads the card,
called through ``pytesseract``, which runs the ``tesseract`` program: its ``timeout`` kills
the program when a card takes too long, which a library binding running in our own thread
could not do. Before reading, the image is

- decoded with OpenCV and brought to a working size (Tesseract reads text 20-40 px high
  best; a phone photo is larger, a thumbnail smaller);
- median-filtered against speckle noise, stretched to the full grey range (low-contrast
  prints), and binarised with Otsu's threshold (dark text on a light ground; light text on
  a dark card is inverted);
- deskewed: the angle whose horizontal projection profile has the sharpest rows (text
  lines line up with pixel rows) is searched from -15° to 15°, coarse then fine, on a
  reduced copy, and the image is rotated back by it.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import pytesseract
from numpy.typing import NDArray

from bca.scans.parsing import Line

LANGUAGES = "kor+eng"


@functools.cache
def ocr_problem() -> str | None:
    """Why this process cannot read cards (None: it can): Tesseract missing, not running, or
    without its Korean or English data. Checked once per process (``cache_clear`` to redo)."""
    try:
        available = set(pytesseract.get_languages(config=""))
    except pytesseract.TesseractNotFoundError:
        return (
            "tesseract is not installed, so card scans fail "
            "(Debian: apt-get install tesseract-ocr tesseract-ocr-kor)"
        )
    except (pytesseract.TesseractError, OSError) as error:
        return f"tesseract does not run, so card scans fail: {error}"
    missing = [language for language in LANGUAGES.split("+") if language not in available]
    if missing:
        return (
            f"tesseract has no data for {', '.join(missing)}, so card scans fail "
            "(Debian: apt-get install tesseract-ocr-kor tesseract-ocr-eng)"
        )
    return None


WORKING_WIDTH = 1600
MIN_SIDE = 60
MAX_SKEW_DEGREES = 15.0
_PROFILE_WIDTH = 800
ROW_GAP_HEIGHTS = 2.0
"""Fragments of one row closer than this many line heights are one line (a company name
with a wide space); farther apart they are separate columns."""
_BRACKETED_JU = re.compile(r"\(\s*주\s*\)")
_SYLLABLE = re.compile(r"^[\uac00-\ud7a3]$")
_HANGUL_START = re.compile(r"^[\uac00-\ud7a3]")


def _joined(words: list[str]) -> str:
    """Tesseract's Korean model often returns a word's syllables as words of their own
    ("김 민 수", "임 서현"): a single Hangul syllable is joined to the Hangul that follows."""
    text = ""
    previous_single = False
    for word in words:
        text += word if (previous_single and _HANGUL_START.match(word)) else f" {word}"
        previous_single = bool(_SYLLABLE.match(word))
    return text.strip()


Image = NDArray[np.uint8]


class UnreadableImage(Exception):
    """The bytes are no image, or one too small or too empty to hold a card's text."""


def decode(data: bytes) -> Image:
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise UnreadableImage("The image could not be decoded.")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise UnreadableImage("The image is too small to read a card from.")
    return np.asarray(image, dtype=np.uint8)


def _resize(image: Image) -> Image:
    height, width = image.shape[:2]
    scale = WORKING_WIDTH / max(width, height)
    if abs(scale - 1) < 0.05:
        return image
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    return np.asarray(resized, dtype=np.uint8)


def binarize(image: Image) -> Image:
    """Dark text (0) on white (255), whatever the print's contrast and polarity."""
    smoothed = cv2.medianBlur(image, 3)
    stretched = np.asarray(
        cv2.normalize(smoothed, np.empty_like(smoothed), 0, 255, cv2.NORM_MINMAX), dtype=np.uint8
    )
    if int(stretched.max()) - int(stretched.min()) < 16:
        raise UnreadableImage("The image holds no text (it is one flat colour).")
    _, binary = cv2.threshold(stretched, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if np.count_nonzero(binary) < binary.size / 2:
        binary = cv2.bitwise_not(binary)
    return np.asarray(binary, dtype=np.uint8)


def _rotate(image: Image, degrees: float, *, fill: int = 255) -> Image:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    rotated = cv2.warpAffine(
        image,
        matrix,
        (width, height),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return np.asarray(rotated, dtype=np.uint8)


def _sharpness(ink: Image, degrees: float) -> float:
    rows = _rotate(ink, degrees, fill=0).sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(binary: Image) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal."""
    ink = np.asarray(255 - binary, dtype=np.uint8)
    scale = _PROFILE_WIDTH / ink.shape[1]
    if scale < 1:
        ink = np.asarray(
            cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.5)
    best = max(coarse, key=lambda angle: _sharpness(ink, float(angle)))
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    return float(max(fine, key=lambda angle: _sharpness(ink, float(angle))))


def prepare(data: bytes) -> Image:
    """The card, binarised and straightened, ready for Tesseract."""
    binary = binarize(_resize(decode(data)))
    angle = skew_angle(binary)
    straight = _rotate(binary, angle) if abs(angle) >= 0.2 else binary
    # A margin: Tesseract misses text that touches the border.
    return np.asarray(
        cv2.copyMakeBorder(straight, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255),
        dtype=np.uint8,
    )


def read_lines(image: Image, *, timeout: float) -> list[Line]:
    """Tesseract's lines, top to bottom. ``RuntimeError`` when the time limit passed."""
    data = pytesseract.image_to_data(
        image,
        lang=LANGUAGES,
        # Sparse text: a card is fields scattered over the card, not a page of paragraphs.
        # No inverted second pass: the image is already dark text on white.
        config="--oem 1 --psm 11 -c tessedit_do_invert=0",
        output_type=pytesseract.Output.DICT,
        timeout=timeout,
    )
    words: dict[tuple[int, int, int], list[int]] = {}
    for index, text in enumerate(data["text"]):
        if str(text).strip() and float(data["conf"][index]) >= 0:
            key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
            words.setdefault(key, []).append(index)
    lines: list[Line] = []
    for grouped in words.values():
        for indexes in _split_at_gaps(data, grouped):
            lines.append(_line(data, indexes))
    merged = _merge_rows(sorted(lines, key=lambda line: (line.top, line.left)))
    return [replace(line, text=_BRACKETED_JU.sub("(주)", line.text)) for line in merged]


def _split_at_gaps(data: dict[str, list[Any]], indexes: list[int]) -> list[list[int]]:
    """Tesseract sometimes makes one line of two columns ("Julia Morgan      T +1 212...");
    words farther apart than ``ROW_GAP_HEIGHTS`` line heights start a new fragment."""
    indexes = sorted(indexes, key=lambda i: data["left"][i])
    fragments: list[list[int]] = [[indexes[0]]]
    for previous, index in itertools.pairwise(indexes):
        gap = int(data["left"][index]) - (
            int(data["left"][previous]) + int(data["width"][previous])
        )
        height = max(int(data["height"][previous]), int(data["height"][index]))
        if gap > ROW_GAP_HEIGHTS * height:
            fragments.append([index])
        else:
            fragments[-1].append(index)
    return fragments


def _line(data: dict[str, list[Any]], indexes: list[int]) -> Line:
    text = _joined([str(data["text"][i]).strip() for i in indexes])
    confidence = sum(float(data["conf"][i]) for i in indexes) / len(indexes) / 100
    height = max(int(data["height"][i]) for i in indexes)
    top = min(int(data["top"][i]) for i in indexes)
    left = min(int(data["left"][i]) for i in indexes)
    right = max(int(data["left"][i]) + int(data["width"][i]) for i in indexes)
    return Line(text, confidence, height, top, left, right)


def _same_row(first: Line, second: Line) -> bool:
    overlap = min(first.top + first.height, second.top + second.height) - max(first.top, second.top)
    gap = second.left - first.right
    height = max(first.height, second.height)
    return overlap > 0.5 * min(first.height, second.height) and 0 <= gap < ROW_GAP_HEIGHTS * height


def _merge_rows(lines: list[Line]) -> list[Line]:
    """Sparse-text mode splits a row at wide spaces ("하늘정보   주식회사"): fragments that
    share a row and stand close are joined; distant ones (two columns) stay apart."""
    merged: list[Line] = []
    for line in sorted(lines, key=lambda found: (found.left, found.top)):
        for index, kept in enumerate(merged):
            if _same_row(kept, line):
                words = len(kept.text.split()) + len(line.text.split())
                merged[index] = Line(
                    f"{kept.text} {line.text}",
                    (
                        kept.confidence * len(kept.text.split())
                        + line.confidence * len(line.text.split())
                    )
                    / words,
                    max(kept.height, line.height),
                    min(kept.top, line.top),
                    kept.left,
                    line.right,
                )
                break
        else:
            merged.append(line)
    return sorted(merged, key=lambda line: (line.top, line.left))


def read_card(data: bytes, *, timeout: float) -> list[Line]:
    return read_lines(prepare(data), timeout=timeout)
