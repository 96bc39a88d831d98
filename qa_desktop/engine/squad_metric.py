"""SQuAD exact match and F1, as the official v1.1/v2.0 evaluation scripts compute them.

Word F1 normalizes like the official script (lower case, drop punctuation and the articles
a/an/the, fold white space). Character F1 is what the KorQuAD and JaQuAD scripts use for
languages written without spaces: the normalized answer's characters, spaces removed.
"""

from __future__ import annotations

import re
import string
from collections import Counter

from qa_desktop.engine.passage_script import script_counts

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)
# Scripts whose official metrics count characters.
CHAR_SCRIPTS = ("Hangul", "Kana", "Han", "Thai")


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _units(text: str, unit: str) -> list[str]:
    normalized = normalize_answer(text)
    if unit == "chars":
        return [ch for ch in normalized if not ch.isspace()]
    return normalized.split()


def exact_match(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def f1(prediction: str, truth: str, unit: str = "words") -> float:
    pred, gold = _units(prediction, unit), _units(truth, unit)
    if not pred or not gold:
        # SQuAD 2.0: both empty (correct abstention) is 1, one empty is 0.
        return float(pred == gold)
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def best_over_truths(metric, prediction: str, truths: list[str], **kwargs) -> float:
    """Max over the gold answers; an unanswerable question's only truth is ""."""
    return max(metric(prediction, truth, **kwargs) for truth in (truths or [""]))


def default_f1_unit(texts: list[str]) -> str:
    """"chars" when the data is mostly Korean, Japanese, Chinese or Thai, else "words"."""
    counts = Counter()
    for text in texts:
        counts.update(script_counts(text))
    total = sum(counts.values())
    char_letters = sum(counts[s] for s in CHAR_SCRIPTS)
    return "chars" if total and char_letters / total >= 0.3 else "words"
