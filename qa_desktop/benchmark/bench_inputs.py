"""What the benchmark asks: a short pair, a long document, and the answer-agreement sample.

Source, in order: the `--data` SQuAD-format file; ../shared/data/squad-v1.1/train-v1.1.json
when it is beside the checkout (not in --quick runs); otherwise the built-in passages. From a
SQuAD file the questions come from the articles training holds out (ArticleSplit "eval") when
there are enough of them, so the sample is text the model did not train on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_desktop.engine.errors import InputError

SHORT_TOKENS = (120, 200)  # a SQuAD-sized paragraph
LONG_QUESTION_AT = 0.6  # where in the long document the asked-about paragraph sits


@dataclass(frozen=True)
class QAItem:
    id: str
    title: str
    question: str
    context: str
    answers: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"id": self.id, "question": self.question, "context": self.context}


@dataclass(frozen=True)
class Workload:
    short: QAItem
    short_tokens: int
    long: QAItem
    long_tokens: int
    long_paragraphs: int
    sample: tuple[QAItem, ...]
    source: str
    held_out: bool  # the sample comes from articles held out of training
    dropped_long_questions: int  # questions longer than the model's max_question_len


def default_data_file() -> Path | None:
    checkout = Path(__file__).resolve().parents[2]  # qa_desktop/benchmark/ → the checkout
    candidates = [checkout.parent / "shared", Path.cwd().parent / "shared", Path.cwd() / "shared"]
    for root in candidates:
        path = root / "data" / "squad-v1.1" / "train-v1.1.json"
        if path.is_file():
            return path
    return None


def read_items(path: str | Path) -> list[QAItem]:
    from qa_desktop.engine.squad_evaluation import read_questions

    items = [QAItem(q.id, q.title, q.question, q.context, q.answers) for q in read_questions(path)]
    if not items:
        raise InputError(f"{path} has no questions.")
    return items


def builtin_items() -> list[QAItem]:
    from qa_desktop.benchmark.builtin_passages import PASSAGES

    items = []
    for p, (title, context, qas) in enumerate(PASSAGES):
        for q, (question, answer) in enumerate(qas):
            if answer not in context:
                raise ValueError(f"built-in passage {title!r}: {answer!r} is not in the paragraph")
            items.append(QAItem(f"builtin-{p}-{q}", title, question, context, (answer,)))
    return items


def _held_out(items: list[QAItem], need: int) -> tuple[list[QAItem], bool]:
    from qa_desktop.engine.squad_articles import ArticleSplit

    split = ArticleSplit()
    held = [it for it in items if split.bucket(it.title) == "eval"]
    if len(held) >= max(need, 50):
        return held, True
    return items, False


def _distinct_paragraphs(items: list[QAItem]) -> list[tuple[str, list[QAItem]]]:
    order: dict[str, list[QAItem]] = {}
    for it in items:
        order.setdefault(it.context, []).append(it)
    return list(order.items())


def build_workload(items: list[QAItem], source: str, count_tokens: Callable[[list[str]], list[int]],
                   sample: int, long_tokens: int, max_question_len: int, held_out_first: bool,
                   seed: int = 0) -> Workload:
    """`count_tokens(texts)` gives each text's length in the model's tokens (no special tokens)."""
    pool, held = _held_out(items, sample) if held_out_first else (items, False)
    q_lengths = count_tokens([it.question for it in pool])
    usable = [it for it, n in zip(pool, q_lengths) if 0 < n <= max_question_len]
    dropped = len(pool) - len(usable)
    if not usable:
        raise InputError(f"No question in {source} fits the model's {max_question_len} question tokens.")

    paragraphs = _distinct_paragraphs(usable)
    p_lengths = count_tokens([text for text, _ in paragraphs])

    # Short: the first paragraph (in a seeded order) of SQuAD size; else the nearest to it.
    rng = random.Random(seed)
    order = list(range(len(paragraphs)))
    rng.shuffle(order)
    lo, hi = SHORT_TOKENS
    pick = next((i for i in order if lo <= p_lengths[i] <= hi), None)
    if pick is None:
        pick = min(order, key=lambda i: abs(p_lengths[i] - (lo + hi) // 2))
    short = paragraphs[pick][1][0]

    # Long: paragraphs in document order until long_tokens; a question about one ~60% in.
    texts, total, sizes = [], 0, []
    k = 0
    while total < long_tokens:
        text, _ = paragraphs[k % len(paragraphs)]
        if k >= len(paragraphs):  # ran out of distinct paragraphs: repeat them, numbered
            text = f"Part {k // len(paragraphs) + 1}. {text}"
        texts.append(text)
        sizes.append(p_lengths[k % len(paragraphs)])
        total += sizes[-1]
        k += 1
    target = min(int(len(texts) * LONG_QUESTION_AT), len(paragraphs) - 1, len(texts) - 1)
    asked = paragraphs[target][1][0]
    document = "\n\n".join(texts)
    long_item = QAItem(f"long-{asked.id}", asked.title, asked.question, document, asked.answers)
    long_count = count_tokens([document])[0]

    chosen = usable if len(usable) <= sample else random.Random(seed).sample(usable, sample)
    return Workload(
        short=short, short_tokens=p_lengths[pick], long=long_item, long_tokens=long_count,
        long_paragraphs=len(texts), sample=tuple(chosen), source=source, held_out=held,
        dropped_long_questions=dropped,
    )
