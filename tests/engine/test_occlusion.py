"""Which words moved the answer: masking the answer's own words lowers its score; words come
from the tokenizer (Korean without a space rule); progress, cancel and the stated cost."""

from __future__ import annotations

import numpy as np
import pytest

from qa_desktop.engine.errors import Cancelled
from qa_desktop.engine.occlusion import PASSAGE, QUESTION, plan_occlusion, run_occlusion, word_units
from qa_desktop.engine.question_answerer import QuestionAnswerer

from conftest import bundled_default_model

# Passages written for this test; each answer is a name the passage states once.
CASES = (
    ("Who designed the Eiffel Tower?",
     "The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by the company of the "
     "engineer Gustave Eiffel and built for the 1889 World's Fair. It is 330 metres tall.",
     "Gustave Eiffel"),
    ("Which city hosts the annual lantern festival?",
     "Every spring the riverside city of Marbury hosts the annual lantern festival. Visitors arrive by "
     "ferry, and the lanterns are released after sunset from the old stone bridge.",
     "Marbury"),
)


@pytest.fixture(scope="module")
def bundled_answerer():
    return QuestionAnswerer.load(bundled_default_model(), threads=1)


@pytest.mark.parametrize("question, passage, expected", CASES)
def test_masking_the_answers_own_words_lowers_its_score(bundled_answerer, question, passage, expected):
    prediction = bundled_answerer.answer(question, passage)
    best = prediction.best
    assert expected in best.text
    plan = plan_occlusion(bundled_answerer, prediction)
    seen = []
    occlusion = run_occlusion(bundled_answerer, prediction, plan, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (plan.extra_windows, plan.extra_windows) == (len(plan.texts) + 1,) * 2
    assert occlusion.base_score == pytest.approx(best.score, abs=1e-3)
    own = [i for i in range(len(plan.texts))
           if plan.side[i] == PASSAGE and plan.char_start[i] < best.end and plan.char_end[i] > best.start]
    assert own
    # One word masked at a time: the answer's words matter more than most (a single one of a
    # two-word name may not, as "Eiffel" in "Gustave Eiffel" stays guessable from the question).
    assert occlusion.drop[own].mean() > 0, [(plan.texts[i], occlusion.drop[i]) for i in own]
    assert occlusion.drop[own].max() > np.median(occlusion.drop)
    # Columns are consistent: the text is the characters named, on its side.
    for i in range(len(plan.texts)):
        source = prediction.question if plan.side[i] == QUESTION else passage
        assert source[plan.char_start[i]: plan.char_end[i]] == plan.texts[i]
    ranked = occlusion.ranked()
    assert np.all(np.diff(occlusion.drop[ranked]) <= 0)
    as_json = occlusion.to_json(prediction.question, passage)
    assert as_json["extra_windows"] == plan.extra_windows and len(as_json["words"]) == len(plan.texts)


def test_cancel_stops_occlusion(bundled_answerer):
    question, passage, _ = CASES[0]
    prediction = bundled_answerer.answer(question, passage)
    plan = plan_occlusion(bundled_answerer, prediction)
    with pytest.raises(Cancelled):
        run_occlusion(bundled_answerer, prediction, plan, cancelled=lambda: True)


@pytest.mark.parametrize("fixture", ["tiny_bert_model", "tiny_xlmr_model"])
def test_korean_words_come_from_the_tokenizer(fixture, request):
    answerer = QuestionAnswerer.load(request.getfixturevalue(fixture), threads=1)
    question = "위키는 어떤 언어를 이용하는가?"
    passage = "위키는 간단한 마크업 언어와 웹 브라우저를 이용한다."
    prediction = answerer.answer(question, passage)
    plan = plan_occlusion(answerer, prediction)
    passage_words = [t for t, s in zip(plan.texts, plan.side) if s == PASSAGE]
    question_words = [t for t, s in zip(plan.texts, plan.side) if s == QUESTION]
    # Every eojeol is one unit (never split into pieces, never joined across a space).
    for word in ("위키는", "간단한", "마크업", "브라우저를"):
        assert word in passage_words, passage_words
    assert "언어를" in question_words and "위키는" in question_words
    assert all(" " not in w for w in plan.texts)
    assert "".join(passage_words) == passage.replace(" ", "")
    assert plan.extra_windows == len(plan.texts) + 1


def test_unspaced_scripts_are_masked_piece_by_piece():
    text = "東京は日本 of"
    offsets = np.array([[0, 2], [2, 3], [3, 5], [6, 8]])
    # A tokenizer that calls the whole Japanese clause one word: its pieces become the units.
    assert word_units([0, 0, 0, 1], offsets, text) == [[0], [1], [2], [3]]
    # Latin words keep their pieces together; a piece outside any word is its own unit.
    assert word_units([0, 0, None], np.array([[0, 2], [2, 4], [5, 6]]), "abcd e") == [[0, 1], [2]]
