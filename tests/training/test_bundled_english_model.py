"""The bundled English model: answers questions about passages written here (not SQuAD), abstains
when the passage cannot answer, and `qa-desktop eval --limit` reproduces its model card."""

from __future__ import annotations

import json

import pytest

from conftest import bundled_default_model, shared_file
from qa_desktop.cli import main
from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.squad_metric import exact_match, f1

LIGHTHOUSE = (
    "The Skerry Point lighthouse was built in 1874 by the engineer Margaret Dunlop. Its lamp was "
    "first lit with paraffin, and in 1931 it was converted to electricity. The tower is 42 metres "
    "tall and painted with red and white bands. Since 1995 the light has been automatic, and the "
    "former keepers' cottages now house a small museum about shipwrecks on the coast."
)
BAKERY = (
    "Tomas opened his bakery on Elm Street in March 2019. He bakes sourdough bread every morning at "
    "four o'clock, using a starter that his grandmother gave him in Lisbon. The most popular item is a "
    "cardamom bun, which sells out before nine. On Sundays the bakery is closed so that Tomas can "
    "visit his daughter in Porto."
)

QUESTIONS = [
    (LIGHTHOUSE, "Who built the Skerry Point lighthouse?", "Margaret Dunlop"),
    (LIGHTHOUSE, "When was the lighthouse converted to electricity?", "1931"),
    (LIGHTHOUSE, "How tall is the tower?", "42 metres"),
    (LIGHTHOUSE, "What do the former keepers' cottages house?", "a small museum about shipwrecks"),
    (BAKERY, "Where did Tomas open his bakery?", "Elm Street"),
    (BAKERY, "What is the most popular item?", "a cardamom bun"),
    (BAKERY, "Who gave Tomas the starter?", "his grandmother"),
    (BAKERY, "Which city does his daughter live in?", "Porto"),
]


@pytest.fixture(scope="module")
def english():
    return QuestionAnswerer.load(bundled_default_model())


def test_manifest_describes_a_calibrated_abstaining_int8_model():
    manifest = ModelManifest.read(bundled_default_model())
    assert manifest.default and manifest.can_abstain and manifest.quantization == "int8"
    assert manifest.temperature > 0 and manifest.eval["squad"]["int8"]["answerable"] > 1000
    assert (bundled_default_model() / "MODEL_CARD.md").exists()
    assert (bundled_default_model() / "model.onnx").stat().st_size <= 25_000_000


@pytest.mark.parametrize("passage, question, expected", QUESTIONS)
def test_answers_questions_about_new_passages(english, passage, question, expected):
    prediction = english.answer(question, passage)
    assert prediction.answers, f"abstained on {question!r}"
    got = prediction.answers[0].text
    # Official SQuAD F1: most of the expected words, few others ("his grandmother" → "grandmother").
    assert f1(got, expected) >= 0.6, got
    assert got == passage[prediction.answers[0].start: prediction.answers[0].end]


def test_most_of_them_exactly(english):
    exact = sum(exact_match(english.answer(q, p).answers[0].text, e) for p, q, e in QUESTIONS)
    assert exact >= 6


@pytest.mark.parametrize("passage, question", [
    (LIGHTHOUSE, "What is the name of Tomas's bakery?"),
    (BAKERY, "Who designed the lighthouse at Skerry Point?"),
])
def test_abstains_when_the_passage_cannot_answer(english, passage, question):
    prediction = english.answer(question, passage)
    assert prediction.abstained, f"answered {prediction.best.text!r}"


def test_unrelated_text_appended_keeps_the_answer(english):
    before = english.answer("Who built the Skerry Point lighthouse?", LIGHTHOUSE)
    after = english.answer("Who built the Skerry Point lighthouse?", LIGHTHOUSE + "\n\n" + BAKERY * 6)
    assert after.best.text == before.best.text and after.best.start == before.best.start
    assert len(after.windows) > 1


def test_eval_limit_reproduces_the_model_card(tmp_path, capsys):
    from qa_desktop.training.squad_corpus import heldout_file

    squad = shared_file("data", "squad-v1.1", "train-v1.1.json")
    model = bundled_default_model()
    # The held-out file the build evaluated: eval-bucket articles, hard unanswerables (1 per 2).
    data = heldout_file([squad], tmp_path / "heldout-eval.json", "eval", negatives="hard")
    assert main(["eval", "--model", str(model), "--data", str(data), "--limit", "400", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    card = ModelManifest.read(model).eval["squad"]["int8"]
    assert report["total"] == 400
    # 400 questions drawn at random (the file is shuffled): within sampling noise of the card.
    assert abs(report["f1"] - card["all_f1_at_threshold"]) < 8.0
