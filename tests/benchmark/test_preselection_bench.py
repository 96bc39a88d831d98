"""The preselection bench's own pieces: whole articles with answer positions, and recall."""

from __future__ import annotations

import pytest

from qa_desktop.benchmark.preselection_bench import answer_window_recall, whole_article
from qa_desktop.engine.question_answerer import QuestionAnswerer

CITIES = ("Aberdeen", "Bergen", "Cadiz", "Dresden", "Esbjerg", "Faro", "Gdansk", "Hull", "Izmir", "Jena",
          "Kiel", "Lund", "Malmo", "Nantes", "Oulu", "Porto", "Quimper", "Riga", "Split", "Turku")


def article() -> dict:
    paragraphs = []
    for i, city in enumerate(CITIES):
        filler = " ".join(f"Clerk {j} kept the minutes and nothing else happened that day." for j in range(12))
        context = f"{filler} The harbour of {city} was rebuilt by engineer number {i + 100}. {filler}"
        answer = f"engineer number {i + 100}"
        paragraphs.append({"context": context, "qas": [
            {"question": f"Who rebuilt {city}?",
             "answers": [{"text": answer, "answer_start": context.index(answer)}]}]})
    return {"title": "Harbours", "paragraphs": paragraphs}


def test_whole_article_places_every_answer_in_the_joined_text():
    text, questions = whole_article(article())
    assert len(questions) == len(CITIES)
    for q in questions:
        assert text[q.start: q.start + len(q.answers[0])] == q.answers[0]


@pytest.fixture(scope="module")
def answerer(tiny_bert_model):
    return QuestionAnswerer.load(tiny_bert_model, device="cpu", threads=1, windows="auto")


def test_recall_finds_the_answer_window_when_the_question_names_its_paragraph(answerer):
    report = answer_window_recall(answerer, [article()], choices=((1, 0), (4, 1)))
    assert report["questions"] == len(CITIES)
    for choice in report["choices"]:
        # Each city occurs in one paragraph only, so its best window holds the answer...
        assert choice["recall"] == 1.0
        # ...and far fewer windows than the article has are read.
        assert 0 < choice["windows_read_share"] < 0.5
    one, four_and_neighbours = report["choices"]
    assert one["windows_read_share"] < four_and_neighbours["windows_read_share"]
