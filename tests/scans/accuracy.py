"""Field accuracy of the card reader on the generated set: shared by the test and the bench."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bca.scans.parsing import parse
from bca.scans.reading import read_card
from tests.scans.cardset import SampleCard

FIELDS = ("name", "organization", "title", "phones", "emails")


@dataclass
class Tally:
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def rate(self, name: str) -> float:
        return self.right[name] / self.total[name] if self.total[name] else 1.0


def _folded(text: str) -> str:
    """Spaces and trailing punctuation do not make another name ("Acme Ltd" is "Acme Ltd.")."""
    return text.replace(" ", "").rstrip(".,")


def score(cards: list[SampleCard], *, region: str = "KR", timeout: float = 60) -> Tally:
    """Read every card; a phone or email counts once per value (exact E.164 / address),
    name, organisation and title once per card (exact, spaces ignored)."""
    tally = Tally()
    for card in cards:
        started = time.perf_counter()
        proposal = parse(read_card(card.image, timeout=timeout), region=region)
        tally.seconds.append(time.perf_counter() - started)
        truth = card.truth
        read_phones = {entry["value"] for entry, _ in proposal.phones}
        read_emails = {entry["value"] for entry, _ in proposal.emails}
        checks = {
            "name": [(truth.name, proposal.name[0] if proposal.name else None)],
            "organization": [
                (truth.organization, proposal.organization[0] if proposal.organization else None)
            ],
            "title": [(truth.title, proposal.title[0] if proposal.title else None)],
            "phones": [(phone, phone if phone in read_phones else None) for phone in truth.phones],
            "emails": [(email, email if email in read_emails else None) for email in truth.emails],
        }
        for name, pairs in checks.items():
            for expected, got in pairs:
                tally.total[name] += 1
                same = got is not None and _folded(got) == _folded(expected)
                if same:
                    tally.right[name] += 1
                else:
                    tally.misses.append(
                        f"{card.filename} {card.layout} {card.effects}: {name} "
                        f"{expected!r} read as {got!r}"
                    )
    return tally
