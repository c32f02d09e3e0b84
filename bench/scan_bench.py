"""Business-card reading benchmark: per-field accuracy and time per scan on the generated set.

The cards come from ``tests/scans/cardset.py`` (deterministic; Korean and English layouts,
some rotated up to 10°, noisy, low-contrast or JPEG), drawn into a temporary folder; each is
read as the ``scans.read_card`` task reads it (decode, Otsu, deskew, Tesseract kor+eng, parse).

Run from the repository root:  .venv/bin/python bench/scan_bench.py [--cards 60] [--misses]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scans.accuracy import FIELDS, score
from tests.scans.cardset import write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=60)
    parser.add_argument("--misses", action="store_true", help="list every wrong field")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bca-cards-") as folder:
        started = time.perf_counter()
        written = write(Path(folder), arguments.cards)
        drawn = time.perf_counter() - started
        cards = [card for _, card in written]
        tally = score(cards)
    print(f"{len(cards)} cards drawn in {drawn:.1f} s")
    print("| field | right | of | accuracy |")
    print("|---|---:|---:|---:|")
    for name in FIELDS:
        print(f"| {name} | {tally.right[name]} | {tally.total[name]} | {tally.rate(name):.1%} |")
    seconds = sorted(tally.seconds)
    p95 = seconds[max(0, round(len(seconds) * 0.95) - 1)]
    print(
        f"\ntime per scan: mean {statistics.mean(seconds):.2f} s, "
        f"median {statistics.median(seconds):.2f} s, p95 {p95:.2f} s, max {seconds[-1]:.2f} s"
    )
    if arguments.misses:
        print("\n".join(tally.misses))


if __name__ == "__main__":
    main()
