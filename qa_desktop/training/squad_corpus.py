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
from pathlib import Path

# The articles, their split and the answerable questions live in the engine (eval and the
# benchmarks use them too); training adds unanswerables and held-out files.
from qa_desktop.engine.squad_articles import (ArticleSplit, QAExample, answerable_examples,  # noqa: F401
                                              articles_in, read_squad)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
