"""SQuAD-format articles and the held-out split every part of qa-desktop agrees on.

Validation holds out whole articles (never questions of a paragraph seen in training), chosen by a
hash of the title, so training, `qa-desktop eval` and the benchmarks pick the same held-out
articles on every machine. Reading data only: no PyTorch, no training.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QAExample:
    id: str
    title: str
    context: str
    question: str
    answer_texts: tuple[str, ...]
    answer_starts: tuple[int, ...]

    @property
    def is_impossible(self) -> bool:
        return not self.answer_texts


@dataclass(frozen=True)
class ArticleSplit:
    """Which held-out bucket an article title falls into, by a stable hash."""

    eval_percent: float = 5.0
    calibration_percent: float = 2.0

    def bucket(self, title: str) -> str:
        digest = hashlib.sha256(title.encode("utf-8")).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * 100.0
        if point < self.eval_percent:
            return "eval"
        if point < self.eval_percent + self.calibration_percent:
            return "calibration"
        return "train"



def read_squad(paths: list[Path]) -> list[dict]:
    """The `data` articles of one or more SQuAD-format files, in file order."""
    articles: list[dict] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            articles.extend(json.load(handle)["data"])
    return articles


def articles_in(articles: list[dict], split: ArticleSplit, bucket: str) -> list[dict]:
    return [a for a in articles if split.bucket(a["title"]) == bucket]


def answerable_examples(articles: list[dict]) -> list[QAExample]:
    examples = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [a for a in qa.get("answers", []) if a["text"]]
                if qa.get("is_impossible") or not answers:
                    continue
                examples.append(
                    QAExample(
                        id=qa["id"],
                        title=article["title"],
                        context=paragraph["context"],
                        question=qa["question"],
                        answer_texts=tuple(a["text"] for a in answers),
                        answer_starts=tuple(int(a["answer_start"]) for a in answers),
                    )
                )
    return examples
