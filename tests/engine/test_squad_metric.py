"""EM/F1 as the official SQuAD scripts, and character F1 as KorQuAD/JaQuAD's."""

from __future__ import annotations

import json

import pytest

from qa_desktop.engine.squad_metric import best_over_truths, default_f1_unit, exact_match, f1, normalize_answer


def test_normalization_matches_the_official_script():
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"
    assert normalize_answer("an apple, a pear") == "apple pear"
    assert normalize_answer("theatre") == "theatre"  # articles only as whole words


@pytest.mark.parametrize("prediction, truth, em, f", [
    ("Gustave Eiffel", "Gustave Eiffel", 1.0, 1.0),
    ("the Gustave Eiffel", "Gustave Eiffel.", 1.0, 1.0),
    ("engineer Gustave Eiffel", "Gustave Eiffel", 0.0, 0.8),
    ("Paris", "Lyon", 0.0, 0.0),
    ("", "", 1.0, 1.0),  # a correct abstention (SQuAD 2.0)
    ("Paris", "", 0.0, 0.0),
])
def test_word_metrics(prediction, truth, em, f):
    assert exact_match(prediction, truth) == em
    assert f1(prediction, truth) == pytest.approx(f)


def test_char_f1_for_languages_without_spaces():
    # "마크업 언어" vs "마크업": 3 of 5 characters (spaces removed), precision 1, recall 3/5.
    assert f1("마크업", "마크업 언어", unit="chars") == pytest.approx(2 * 1 * 0.6 / 1.6)
    assert f1("마크업", "마크업 언어", unit="words") == pytest.approx(2 / 3)  # 1 of 2 words
    assert f1("東京都", "東京", unit="chars") == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))


def test_best_over_several_truths():
    assert best_over_truths(f1, "Eiffel", ["Gustave Eiffel", "Eiffel"]) == 1.0


def test_unit_defaults_by_script():
    assert default_f1_unit(["The tower is in Paris."]) == "words"
    assert default_f1_unit(["위키는 간단한 마크업 언어와 웹 브라우저를 이용한다."]) == "chars"
    assert default_f1_unit(["東京は日本の首都です。"]) == "chars"


def test_eval_cli_scores_predictions_and_writes_the_official_file(tiny_bert_model, tmp_path, capsys):
    from qa_desktop.cli import main

    context = "Ada Lovelace wrote the first program."
    data = {"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"id": "q1", "question": "Who wrote it?", "answers": [{"text": "Ada Lovelace", "answer_start": 0}]},
        {"id": "q2", "question": "What is the capital of Peru?", "answers": [], "is_impossible": True},
    ]}]}]}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "pred.json"
    assert main(["eval", "--model", str(tiny_bert_model), "--data", str(path), "--predictions", str(out),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    predictions = json.loads(out.read_text())
    assert set(predictions) == {"q1", "q2"}
    # Recompute from the predictions file with the metric itself: the report must agree.
    em = [exact_match(predictions["q1"], "Ada Lovelace"), exact_match(predictions["q2"], "")]
    assert report["exact_match"] == pytest.approx(100 * sum(em) / 2)
    assert report["total"] == 2 and report["HasAns_total"] == 1 and report["NoAns_total"] == 1
    assert report["f1_unit"] == "words"


def test_eval_goes_on_past_a_question_the_model_cannot_read(tiny_bert_model, tmp_path, capsys):
    """A long question is read (with a warning); one the model cannot read at all (here an
    empty one) is scored as unanswered and counted, and the run goes on to the next."""
    from qa_desktop.cli import main

    context = "Ada Lovelace wrote the first program."
    data = {"version": "v1.1", "data": [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"id": "long", "question": "who " * 300 + "wrote it?", "answers": [{"text": "Ada", "answer_start": 0}]},
        {"id": "empty", "question": "   ", "answers": [{"text": "Ada", "answer_start": 0}]},
        {"id": "q3", "question": "Who wrote it?", "answers": [{"text": "Ada Lovelace", "answer_start": 0}]},
    ]}]}]}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "pred.json"
    assert main(["eval", "--model", str(tiny_bert_model), "--data", str(path), "--predictions", str(out),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    predictions = json.loads(out.read_text())
    assert set(predictions) == {"long", "empty", "q3"} and predictions["empty"] == ""
    assert report["total"] == 3 and report["unreadable"] == 1
    assert "empty" in report["unreadable_reason"]
    assert main(["eval", "--model", str(tiny_bert_model), "--data", str(path)]) == 0
    assert "1 question(s) the model could not read" in capsys.readouterr().out
