"""Which writing systems a passage uses, to pick the English or the multilingual model.

Counts letters by Unicode script from their character names (no dictionary, no spaces
assumed), so Hangul, Kana, Han, Arabic, Cyrillic, ... passages go to the multilingual model.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

# Scripts the English (uncased WordPiece) model reads; anything else is "other".
LATIN = "LATIN"
SAMPLE_CHARS = 20_000


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if name.startswith(("HANGUL",)):
        return "Hangul"
    if name.startswith(("HIRAGANA", "KATAKANA")):
        return "Kana"
    if name.startswith("CJK"):
        return "Han"
    first = name.split(" ")[0] if name else "UNKNOWN"
    return "Latin" if first == LATIN else first.title()


def script_counts(text: str) -> Counter:
    """Letters per script in (a sample of) the text."""
    sample = text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS // 2] + text[-SAMPLE_CHARS // 2:]
    return Counter(s for s in map(_script, sample) if s)


def dominant_script(text: str) -> str | None:
    counts = script_counts(text)
    return counts.most_common(1)[0][0] if counts else None


def needs_multilingual(text: str, share: float = 0.2) -> bool:
    """True when at least `share` of the letters are not Latin."""
    counts = script_counts(text)
    total = sum(counts.values())
    return total > 0 and (total - counts.get("Latin", 0)) / total >= share
