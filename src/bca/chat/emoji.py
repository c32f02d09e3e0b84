"""What counts as an emoji for a reaction: one emoji as Unicode writes it (UTS #51), never
arbitrary text.

Accepted: a pictographic character with an optional presentation selector (U+FE0F) and skin
tone (U+1F3FB..U+1F3FF), several of them joined by ZWJ (U+200D; families, professions), a
keycap (``1️⃣``), a flag (two regional indicators), or a subdivision flag (a black flag and tag
characters). The pictographic ranges are Unicode's Extended_Pictographic blocks; a character
assigned later inside them is accepted, plain letters, digits and punctuation never are.
"""

from __future__ import annotations

import re

MAX_CODE_POINTS = 32

_PICTOGRAPHIC = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f0ff\U0001f10d-\U0001f10f\U0001f12f\U0001f16c-\U0001f171\U0001f17e"
    "\U0001f17f\U0001f18e\U0001f191-\U0001f19a\U0001f1ad-\U0001f1e5\U0001f201-\U0001f20f"
    "\U0001f21a\U0001f22f\U0001f232-\U0001f23a\U0001f23c-\U0001f23f\U0001f249-\U0001f3fa"
    "\U0001f400-\U0001f53d\U0001f546-\U0001f64f\U0001f680-\U0001f6ff\U0001f774-\U0001f77f"
    "\U0001f7d5-\U0001f7ff\U0001f80c-\U0001f80f\U0001f848-\U0001f84f\U0001f85a-\U0001f85f"
    "\U0001f888-\U0001f88f\U0001f8ae-\U0001f8ff\U0001f90c-\U0001f93a\U0001f93c-\U0001f945"
    "\U0001f947-\U0001faff\U0001fc00-\U0001fffd"
)
_ELEMENT = f"[{_PICTOGRAPHIC}]\ufe0f?[\U0001f3fb-\U0001f3ff]?\ufe0f?"
_EMOJI = re.compile(
    "(?:"
    f"{_ELEMENT}(?:\u200d{_ELEMENT})*"  # one emoji, or a ZWJ sequence of them
    "|[0-9#*]\ufe0f?\u20e3"  # a keycap
    "|[\U0001f1e6-\U0001f1ff]{2}"  # a flag
    "|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"  # a subdivision flag
    ")"
)


def is_emoji(text: str) -> bool:
    """Whether ``text`` is exactly one emoji."""
    return 0 < len(text) <= MAX_CODE_POINTS and _EMOJI.fullmatch(text) is not None
