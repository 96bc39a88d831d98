"""Hard unanswerables: the question's own paragraph without its answer, or the question about a
near-miss fact the paragraph does not state."""

from __future__ import annotations

from collections import Counter

from qa_desktop.training.hard_negatives import (entity_swapped, hard_negatives, kind_of, sentence_removed,
                                                sentences)
from qa_desktop.training.squad_corpus import QAExample, answerable_examples

CONTEXT = ("The Forth Bridge was designed by John Fowler and Benjamin Baker. Construction began in 1882. "
           "The bridge was opened on 4 March 1890 by the Prince of Wales. It carries the railway across "
           "the Firth of Forth.")
ARTICLE = {"title": "Forth Bridge", "paragraphs": [
    {"context": CONTEXT, "qas": [
        {"id": "q1", "question": "When was the Forth Bridge opened?",
         "answers": [{"text": "4 March 1890", "answer_start": CONTEXT.index("4 March 1890")}]},
        {"id": "q2", "question": "Who designed the Forth Bridge?",
         "answers": [{"text": "John Fowler and Benjamin Baker", "answer_start": CONTEXT.index("John Fowler")}]},
        {"id": "q3", "question": "When did construction of the Forth Bridge begin in 1882?",
         "answers": [{"text": "1882", "answer_start": CONTEXT.index("1882")}]},
    ]},
    {"context": "The Tay Bridge disaster of 1879 shaped the design. Thomas Bouch had built the Tay Bridge.",
     "qas": [{"id": "q4", "question": "Who built the Tay Bridge?",
              "answers": [{"text": "Thomas Bouch", "answer_start": 52}]}]},
]}


def example(qid: str) -> QAExample:
    return next(e for e in answerable_examples([ARTICLE]) if e.id == qid)


def test_sentences_cover_the_text_and_split_cjk_full_stops():
    spans = sentences(CONTEXT)
    assert "".join(CONTEXT[b:e] for b, e in spans) == CONTEXT and len(spans) == 4
    assert len(sentences("東京は首都です。人口は多い。")) == 2


def test_sentence_removed_drops_the_answer_sentence_only():
    negative = sentence_removed(example("q1"))
    assert negative.is_impossible and negative.question == example("q1").question
    assert "4 March 1890" not in negative.context and "Prince of Wales" not in negative.context
    assert "John Fowler" in negative.context and "Firth of Forth" in negative.context


def test_entity_swap_changes_a_stated_term_for_one_the_paragraph_lacks():
    import random

    for seed in range(20):
        negative = entity_swapped(example("q2"), "\n".join(p["context"] for p in ARTICLE["paragraphs"]),
                                  random.Random(seed))
        assert negative is not None and negative.is_impossible and negative.context == CONTEXT
        changed = set(negative.question.split()) - set(example("q2").question.split())
        assert changed and not any(word.lower() in CONTEXT.lower() for word in changed)


def test_number_swap_gives_a_year_the_paragraph_does_not_hold():
    import random

    negative = entity_swapped(example("q3"), CONTEXT, random.Random(1))
    assert negative is not None
    year = [w.strip("?") for w in negative.question.split() if w.strip("?").isdigit()][0]
    assert year != "1882" and year not in CONTEXT


def test_mix_of_kinds_and_never_an_answer_left():
    answerable = answerable_examples([ARTICLE]) * 30
    negatives = hard_negatives([ARTICLE], answerable, fraction=1.0, seed=0)
    kinds = Counter(kind_of(n) for n in negatives)
    assert set(kinds) == {"sentence_removed", "entity_swapped", "other_paragraph"}
    for negative in negatives:
        source = next(e for e in answerable if negative.id.startswith(e.id))
        if kind_of(negative) != "entity_swapped":
            assert not any(a.lower() in negative.context.lower() for a in source.answer_texts)


def test_the_same_negatives_in_every_process():
    """Training resumes in a new process and the card promises a reproducible run: the draw must
    not depend on Python's per-process string hashing (a question naming several things the
    paragraph states is where it did)."""
    import os
    import subprocess
    import sys

    code = """
import json
from qa_desktop.training.hard_negatives import hard_negatives
from qa_desktop.training.squad_corpus import answerable_examples
context = ("John Fowler and Benjamin Baker designed the Forth Bridge in Scotland. The Tay Bridge "
           "fell in 1879. Thomas Bouch built it. Queensferry lies near Edinburgh and Fife.")
qa = {"id": "q", "question": "When did John Fowler and Benjamin Baker design the Forth Bridge in Scotland?",
      "answers": [{"text": "1879", "answer_start": context.index("1879")}]}
article = {"title": "Bridges", "paragraphs": [{"context": context, "qas": [qa]},
           {"context": "Robert Stevenson, Alan Brown and Mary Somerville visited Glasgow and Dundee.", "qas": []}]}
negatives = hard_negatives([article], answerable_examples([article]) * 30, 1.0, 0,
                           mix={"entity_swapped": 1.0})
print(json.dumps([n.question for n in negatives]))
"""
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(1, 6)}
    assert len(outputs) == 1, outputs
