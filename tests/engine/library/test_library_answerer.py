"""Asking the library: BM25 passages read by the one QuestionAnswerer, ranked across documents."""

from __future__ import annotations

import pytest

from conftest import bundled_default_model
from qa_desktop.engine.errors import InputError
from qa_desktop.engine.library.library_answerer import ask_library, find_passages, reading_ranges
from qa_desktop.engine.library.library_index import PassageHit
from qa_desktop.engine.library.library_sync import Library
from qa_desktop.engine.question_answerer import QuestionAnswerer

BRIDGE = ("The Golden Gate Bridge is a suspension bridge spanning the Golden Gate strait. "
          "It was designed by the engineer Joseph Strauss and opened to traffic in 1937.")
TOWER = "The Eiffel Tower is a lattice tower in Paris. It was designed by Gustave Eiffel's company."


@pytest.fixture(scope="module")
def answerer():
    return QuestionAnswerer.load(bundled_default_model(), threads=1)


@pytest.fixture
def library(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    filler = "\n\n".join(f"Paragraph {i} is about gardening, soil and the weather in spring." for i in range(30))
    # The bridge paragraph sits deep in a long document: its offsets must map back.
    (docs / "bridges.md").write_text(filler + "\n\n" + BRIDGE + "\n\n" + filler, encoding="utf-8")
    (docs / "tower.txt").write_text(TOWER, encoding="utf-8")
    with Library(tmp_path / "lib") as opened:
        opened.add([docs])
        yield opened


def test_answers_carry_their_document_and_offsets(library, answerer):
    prediction = ask_library(library.index, answerer, "Who designed the Golden Gate Bridge?", top_k=3)
    best = prediction.answers[0]
    assert best.document.endswith("bridges.md") and best.text == "Joseph Strauss"
    for answer in prediction.answers:
        assert library.index.document_text(answer.document)[answer.start:answer.end] == answer.text
    scores = [a.score for a in prediction.answers]
    assert scores == sorted(scores, reverse=True)
    tower = ask_library(library.index, answerer, "Who designed the Eiffel Tower?", top_k=1).answers[0]
    assert tower.document.endswith("tower.txt") and "Eiffel" in tower.text


def test_the_same_answerer_and_decoder_read_each_passage(library, answerer):
    """Each range is read exactly as QuestionAnswerer.answer reads that text alone."""
    question = "When did the bridge open to traffic?"
    prediction = ask_library(library.index, answerer, question, top_k=5)
    for r in prediction.ranges:
        alone = answerer.answer(question, library.index.text_range(r.document_id, r.start, r.end), top_k=5)
        mine = [a for a in prediction.answers if a.document == r.document and r.start <= a.start < r.end]
        by_offset = {(c.start + r.start, c.end + r.start): c.score for c in alone.candidates}
        for a in mine:
            assert by_offset[(a.start, a.end)] == pytest.approx(a.score, abs=1e-4)
    assert prediction.answers[0].text == "1937"


def test_user_errors(library, answerer, tmp_path):
    with pytest.raises(InputError, match="question is empty"):
        ask_library(library.index, answerer, "   ")
    with pytest.raises(InputError, match="top-k"):
        ask_library(library.index, answerer, "Who?", top_k=0)
    nothing = ask_library(library.index, answerer, "zzzqqq xylophones?")
    assert nothing.answers == () and nothing.ranges == ()
    with Library(tmp_path / "empty") as empty, pytest.raises(InputError, match="no documents"):
        find_passages(empty.index, "Who designed it?")


def test_neighbouring_passages_are_read_as_one_range():
    hits = [PassageHit(1, 7, "a", 100, 200, -3.0), PassageHit(2, 9, "b", 0, 50, -2.0),
            PassageHit(3, 7, "a", 202, 300, -1.0), PassageHit(4, 7, "a", 500, 600, -0.5)]
    ranges = reading_ranges(hits)
    assert [(r.document, r.start, r.end, r.rank) for r in ranges] == [
        ("a", 100, 300, 1), ("b", 0, 50, 2), ("a", 500, 600, 4)]
