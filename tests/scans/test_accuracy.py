"""Reading accuracy on 60 generated cards (Korean and English layouts, some rotated up to
10°, noisy, low-contrast or JPEG).

Marked slow: it runs Tesseract on every card, 2-5 s a card on this machine's 2 cores (about
4.5 minutes in all while other suites shared them; `bench/scan_bench.py` gives the figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scans.accuracy import score
from tests.scans.cardset import write

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_field_accuracy_on_the_generated_set(tmp_path: Path) -> None:
    written = write(tmp_path / "cards", 60)
    assert len(written) == 60
    assert all(path.stat().st_size > 0 for path, _ in written)
    cards = [card for _, card in written]
    assert sum(1 for card in cards if any(e.startswith("rotated") for e in card.effects)) >= 15
    tally = score(cards)
    report = "\n".join(tally.misses)
    assert tally.rate("emails") >= 0.95, report
    assert tally.rate("phones") >= 0.95, report
    assert tally.rate("name") >= 0.85, report
    assert tally.rate("organization") >= 0.85, report
