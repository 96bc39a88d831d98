"""An answer's edges: punctuation, a number's sign and units, glued Japanese and Korean particles."""

from __future__ import annotations

import pytest

from qa_desktop.engine.answer_edges import trimmed


@pytest.mark.parametrize("text, expected", [
    ("Thomas Reyburn,", "Thomas Reyburn"),
    ("“Forth Bridge Red”", "“Forth Bridge Red”"),
    ("(1841–1910)", "(1841–1910)"),
    ("Edward VII (1841–1910).", "Edward VII (1841–1910)"),
    ("the U.S.", "the U.S."),
    ("Sir John Fowler.", "Sir John Fowler"),
    ("), 1890", "1890"),
    # A number's sign, decimal point and units stay.
    ("-3.4°C", "-3.4°C"),
    (", .5 mm", ".5 mm"),
    ("about 50%,", "about 50%"),
    ("6′ 2″.", "6′ 2″"),
    ("- 3", "3"),
    (",;", ""),
    # Japanese particles glued to the answer's last word by the tokenizer's pieces.
    ("1911年に", "1911年"),
    ("400種以上の", "400種以上"),
    ("『カングカ』の", "『カングカ』"),
    ("2018年9月7日に、", "2018年9月7日"),
    ("パターン人では", "パターン人"),
    ("마크업 언어와,", "마크업 언어"),
    ("2013년에", "2013년"),
    ("제주도는", "제주도"),
    ("서울에서", "서울"),
    # Kept: a range's から…まで, particles after hiragana (part of a word), a lone particle,
    # Korean endings that nouns and names share with particles (회의, 김정은).
    ("1916年から1921年まで", "1916年から1921年まで"),
    ("ひらがなの", "ひらがなの"),
    ("の", "の"),
    ("회의", "회의"),
    ("김정은", "김정은"),
    ("에", "에"),
])
def test_punctuation_and_glued_particles_around_an_answer_are_trimmed(text, expected):
    start, end = trimmed(text, 0, len(text))
    assert text[start:end] == expected
