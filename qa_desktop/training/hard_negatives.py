"""Unanswerable questions that look answerable: the ones a user really asks.

A question paired with another paragraph of its article (`squad_corpus.unanswerable_examples`)
is easy to refuse: the paragraph is about something else. Users ask about the passage in front
of them, so the negatives here keep the question's own paragraph (or the question's own topic)
and take the answer away:

- ``sentence_removed``: the question's own paragraph without the sentence that holds the answer
  (and with no copy of any reference answer left anywhere in it);
- ``entity_swapped``: the question with its key name or number (one the paragraph mentions) swapped
  for one of the same kind from elsewhere in the article (or, for a number, a nearby number) that
  the paragraph never mentions: a near-miss fact the paragraph does not state;
- ``other_paragraph``: the question with another paragraph of its article (the old recipe), kept
  as a minority so refusing off-topic text is not forgotten.

The held-out negatives the model card reports are built by the same recipe from held-out
articles, so they measure how well the model learned this recipe, not every way a question can
be unanswerable.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from qa_desktop.training.squad_corpus import QAExample

KINDS = ("sentence_removed", "entity_swapped", "other_paragraph")
DEFAULT_MIX = {"sentence_removed": 0.4, "entity_swapped": 0.4, "other_paragraph": 0.2}

# Sentence ends in English and CJK text; CJK full stops need no space after them.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])|(?<=[。！？])")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
# A run of capitalized words (with inner "of"/"de"/"the"), e.g. "Duke of Wellington".
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:(?:of|de|the|and|von|van)\s+)?[A-Z][\w'’-]+)*")
_QUESTION_WORDS = {"What", "Who", "Whom", "Whose", "When", "Where", "Which", "Why", "How", "In",
                   "On", "At", "The", "A", "An", "Is", "Are", "Was", "Were", "Did", "Do", "Does",
                   "By", "For", "From", "To", "Of", "According", "After", "Before", "During", "If",
                   "Along", "Besides", "Other", "Name", "As", "With", "Since", "Under", "Can"}


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (spans cover the text without gaps)."""
    spans, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > begin:
            spans.append((begin, match.end()))
            begin = match.end()
    if begin < len(text):
        spans.append((begin, len(text)))
    return spans


def _mentions(text: str, phrase: str) -> bool:
    return phrase.lower() in text.lower()


def sentence_removed(example: QAExample) -> QAExample | None:
    spans = sentences(example.context)
    if len(spans) < 2:
        return None
    start = example.answer_starts[0]
    end = start + len(example.answer_texts[0])
    kept = [(b, e) for b, e in spans if e <= start or b >= end]
    if len(kept) == len(spans) or not kept:
        return None
    context = "".join(example.context[b:e] for b, e in kept).strip()
    if len(context) < 60 or any(_mentions(context, a) for a in example.answer_texts):
        return None
    return replace(example, id=f"{example.id}-sentence-removed", context=context,
                   answer_texts=(), answer_starts=())


def _names(text: str) -> set[str]:
    found = set()
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        while words and words[0] in _QUESTION_WORDS:
            words = words[1:]
        if words:
            found.add(" ".join(words))
    return found


def _swap_number(number: str, rng: random.Random) -> str:
    digits = number.replace(",", "")
    if "." in digits:
        value = float(digits)
        return f"{value + rng.choice([-1, 1]) * max(1.0, round(value * rng.uniform(0.1, 0.5), 1)):.1f}"
    value = int(digits)
    if 1000 <= value <= 2100:  # a year: another year near it
        return str(value + rng.choice([-1, 1]) * rng.randint(2, 40))
    changed = value + rng.choice([-1, 1]) * max(1, int(value * rng.uniform(0.2, 0.6)))
    return f"{abs(changed) or value + 1:,}" if "," in number else str(abs(changed) or value + 1)


def entity_swapped(example: QAExample, article_text: str, rng: random.Random) -> QAExample | None:
    question, context = example.question, example.context
    answers = [a.lower() for a in example.answer_texts]
    # Only a key term the paragraph states: swapping it makes the question ask about a fact
    # the paragraph does not hold. Terms inside the answer are left alone.
    numbers = [m.group(0) for m in _NUMBER.finditer(question) if m.group(0) in context]
    # Sorted: a set's order follows the per-process string hash, and the draw must not.
    names = sorted(n for n in _names(question) if n in context and not any(n.lower() in a for a in answers))
    choices = [("number", n) for n in numbers] + [("name", n) for n in names]
    rng.shuffle(choices)
    for kind, term in choices:
        if kind == "number":
            candidates = [_swap_number(term, rng) for _ in range(4)]
        else:
            pool = sorted(n for n in _names(article_text)
                          if len(n.split()) == len(term.split()) and n != term)
            candidates = rng.sample(pool, min(6, len(pool)))
        for candidate in candidates:
            if candidate == term or _mentions(context, candidate):
                continue
            swapped = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", candidate, question, count=1)
            if swapped != question:
                return replace(example, id=f"{example.id}-entity-swapped", question=swapped,
                               answer_texts=(), answer_starts=())
    return None


def other_paragraph(example: QAExample, contexts: list[str], rng: random.Random) -> QAExample | None:
    answers = [a.lower() for a in example.answer_texts]
    for _ in range(5):
        context = contexts[rng.randrange(len(contexts))]
        if context == example.context or any(a in context.lower() for a in answers):
            continue
        return replace(example, id=f"{example.id}-other-paragraph", context=context,
                       answer_texts=(), answer_starts=())
    return None


def hard_negatives(articles: list[dict], answerable: list[QAExample], fraction: float, seed: int,
                   mix: dict[str, float] | None = None) -> list[QAExample]:
    """About `fraction` unanswerable examples per answerable one, of the kinds in `mix` (a kind
    that cannot be built for a question falls back to the next one)."""
    mix = mix or DEFAULT_MIX
    rng = random.Random(seed)
    by_title = {a["title"]: a for a in articles}
    contexts = {t: [p["context"] for p in a["paragraphs"]] for t, a in by_title.items()}
    texts = {t: "\n".join(c) for t, c in contexts.items()}
    kinds, weights = list(mix), list(mix.values())
    out = []
    for example in answerable:
        if rng.random() >= fraction or example.title not in by_title:
            continue
        first = rng.choices(kinds, weights)[0]
        for kind in [first] + [k for k in KINDS if k != first and k in mix]:
            if kind == "sentence_removed":
                negative = sentence_removed(example)
            elif kind == "entity_swapped":
                negative = entity_swapped(example, texts[example.title], rng)
            else:
                negative = other_paragraph(example, contexts[example.title], rng)
            if negative is not None:
                out.append(negative)
                break
    return out


def kind_of(example: QAExample) -> str:
    """Which recipe made a negative, from its id."""
    for kind in KINDS:
        if example.id.endswith(kind.replace("_", "-")):
            return kind
    return "other_paragraph" if example.id.endswith("-neg") else "answerable"
