"""Where an answer's characters begin and end: what the model's span covers, less what a reader
would not call part of the answer.

The model's span is whole tokens; the characters shown are trimmed of punctuation and spaces at
either edge ("Thomas Reyburn," → "Thomas Reyburn"), keeping what belongs to the answer (a
bracket it opens, an abbreviation's dot, a number's sign and units), and of a Japanese or Korean
particle that the tokenizer glued to the answer's last word ("1911年に" → "1911年").
"""

from __future__ import annotations

import unicodedata

# Closing marks kept at an answer's end when the answer opens them ("(1841–1910)").
_PAIRS = {")": "(", "]": "[", "}": "{", "”": "“", "’": "‘", "»": "«", "」": "「", "』": "『", "）": "（"}


def _is_punctuation(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


# Particles that XLM-R's pieces glue to the word before them ("▁1911" "年に", "以上の",
# "▁2013" "년에", "▁제주" "도는"): the model cannot end a span inside a piece, and an answer
# almost never ends with one. Japanese: 33 of JaQuAD's 31,748 training answers end with one of
# these after a character that is not hiragana, 24 of them with から/まで, which close ranges and
# are not trimmed. Korean has no training data here; only particles that common nouns and given
# names do not end with are trimmed (not 이/가/의/도/로/과/은/을: 나이, 국가, 회의, 지도, 도로,
# 결과, 정은, 마을). Longest first.
_JAPANESE_PARTICLES = ("からの", "までの", "には", "では", "とは", "との", "への", "での", "にも", "より",
                       "の", "に", "で", "を", "は", "が", "と", "へ", "も", "や")
_KOREAN_PARTICLES = ("에서", "에게", "에는", "으로", "에", "는", "를", "와")


def _is_hiragana(char: str) -> bool:
    return "\u3040" <= char <= "\u309f"


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def _without_glued_particle(text: str, start: int, end: int) -> int:
    """`end`, moved before a particle glued to the answer's last word."""
    for particle in _JAPANESE_PARTICLES:
        cut = end - len(particle)
        if cut > start and text[cut: end] == particle and not _is_hiragana(text[cut - 1]):
            return cut
    for particle in _KOREAN_PARTICLES:
        cut = end - len(particle)
        if cut > start and text[cut: end] == particle and (_is_hangul(text[cut - 1]) or text[cut - 1].isdigit()):
            return cut
    return end


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without leading or trailing punctuation and spaces, nor a Japanese or Korean
    particle glued to the answer's last word ("1911年に" → "1911年", "2013년에" → "2013년");
    kept: a closing bracket or quote whose opener is inside, an abbreviation's final dot ("U.S.")."""
    start, end = _without_punctuation(text, start, end)
    cut = _without_glued_particle(text, start, end)
    return (start, end) if cut == end else _without_punctuation(text, start, cut)


# Punctuation that belongs to a number: a sign or decimal point before it ("-3.4°C", ".5"), a
# unit after it ("50%", "5′ 11″").
_NUMBER_PREFIXES = "-."
_NUMBER_SUFFIXES = "%‰′″"


def _without_punctuation(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and _is_punctuation(text[start]):
        if text[start] in _PAIRS.values() and _opener_closed(text, start, end):
            break
        if text[start] in _NUMBER_PREFIXES and start + 1 < end and text[start + 1].isdigit():
            break
        start += 1
    while end > start and _is_punctuation(text[end - 1]):
        char = text[end - 1]
        if char in _PAIRS and _PAIRS[char] in text[start: end - 1]:
            break
        if char == "." and _abbreviation(text[start: end - 1]):
            break
        if char in _NUMBER_SUFFIXES and end - 1 > start and text[end - 2].isdigit():
            break
        end -= 1
    return start, end


def _opener_closed(text: str, start: int, end: int) -> bool:
    """The opener at `start` is closed inside [start, end)."""
    closer = next(c for c, o in _PAIRS.items() if o == text[start])
    return closer in text[start + 1: end]


def _abbreviation(before_dot: str) -> bool:
    word = before_dot.split()[-1] if before_dot.split() else ""
    return (len(word) == 1 and word.isalpha()) or "." in word
