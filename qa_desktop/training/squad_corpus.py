"""SQuAD-format corpora split by article, with synthetic unanswerable questions.

Validation holds out whole articles (never questions of a paragraph seen in training), chosen
by a hash of the title so the split is the same on every machine and in every test.
Unanswerables pair a question with another paragraph of the same article: same topic and
vocabulary, but not the answer, which is what a user's "is it in this text?" looks like.
"""

from __future__ import annotations

import hashlib
import json
import random
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


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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


def unanswerable_examples(articles: list[dict], fraction: float, seed: int) -> list[QAExample]:
    """For about `fraction` of the questions, the question paired with another paragraph of its
    article that does not contain any of its answers (checked case-insensitively)."""
    rng = random.Random(seed)
    examples = []
    for article in articles:
        contexts = [p["context"] for p in article["paragraphs"]]
        if len(contexts) < 2:
            continue
        for index, paragraph in enumerate(article["paragraphs"]):
            for qa in paragraph["qas"]:
                if rng.random() >= fraction:
                    continue
                answers = [a["text"].lower() for a in qa.get("answers", []) if a["text"]]
                for _ in range(5):
                    other = rng.randrange(len(contexts))
                    if other == index:
                        continue
                    lowered = contexts[other].lower()
                    if any(answer in lowered for answer in answers):
                        continue
                    examples.append(
                        QAExample(
                            id=f"{qa['id']}-neg",
                            title=article["title"],
                            context=contexts[other],
                            question=qa["question"],
                            answer_texts=(),
                            answer_starts=(),
                        )
                    )
                    break
    return examples


def write_squad_v2(examples: list[QAExample], path: Path) -> None:
    """SQuAD 2.0 layout (one paragraph entry per example), readable by `qa-desktop eval`."""
    data = []
    for ex in examples:
        qa = {
            "id": ex.id,
            "question": ex.question,
            "is_impossible": ex.is_impossible,
            "answers": [
                {"text": t, "answer_start": s} for t, s in zip(ex.answer_texts, ex.answer_starts)
            ],
        }
        data.append({"title": ex.title, "paragraphs": [{"context": ex.context, "qas": [qa]}]})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"version": "v2.0", "data": data}, handle, ensure_ascii=False)


def heldout_file(
    squad_paths: list[Path], out: Path, bucket: str = "eval", split: ArticleSplit = ArticleSplit(),
    unanswerable_fraction: float = 0.5, seed: int = 13, negatives: str = "other-paragraph"
) -> Path:
    """Write the held-out `bucket` articles (answerables + synthetic unanswerables) to `out`.
    `negatives`: "other-paragraph" (a question paired with another paragraph of its article) or
    "hard" (training/hard_negatives.py: the recipe the bundled models are trained with)."""
    articles = articles_in(read_squad(squad_paths), split, bucket)
    answerable = answerable_examples(articles)
    if negatives == "hard":
        from qa_desktop.training.hard_negatives import hard_negatives

        unanswerable = hard_negatives(articles, answerable, unanswerable_fraction, seed)
    else:
        unanswerable = unanswerable_examples(articles, unanswerable_fraction, seed)
    examples = answerable + unanswerable
    # Shuffled, so the first N questions (`qa-desktop eval --limit N`) are a fair sample.
    random.Random(seed).shuffle(examples)
    write_squad_v2(examples, out)
    return out
