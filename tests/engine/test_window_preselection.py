"""Window preselection: BM25 over a passage's segments picks the windows the model reads."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qa_desktop.cli import main
from qa_desktop.engine.errors import Cancelled, InputError
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.window_preselection import TOP_WINDOWS, WindowIndex, WindowPreselector

FACT = "The analytical engine program was composed by Ada Lovelace in 1843."


def filler(count: int, start: int = 0) -> str:
    return " ".join(f"Paragraph {i}: the committee met on day {i} and the minutes were kept by clerk "
                    f"number {i % 7}; nothing else happened." for i in range(start, start + count))


def long_passage() -> str:
    return filler(150) + " " + FACT + " " + filler(150, 150)


@pytest.fixture(scope="module")
def answerer(tiny_bert_model):
    return QuestionAnswerer.load(tiny_bert_model, device="cpu", threads=1, windows="auto")


def test_auto_reads_the_best_matching_windows_only(answerer):
    passage = long_passage()
    at = passage.index(FACT)
    prediction = answerer.answer("Who composed the analytical engine program?", passage, top_k=3)
    selection = prediction.selection
    assert selection.mode == "auto" and selection.preselected
    assert selection.total > 12 and 1 <= len(selection.read) <= TOP_WINDOWS < selection.total
    # The windows read are renumbered 0..k-1 (rows of the logits) and one holds the fact.
    assert [w.index for w in prediction.windows] == list(range(len(selection.read)))
    assert prediction.start_logits.shape[0] == len(selection.read)
    assert any(w.char_start <= at and at + len(FACT) <= w.char_end for w in prediction.windows)
    best = int(np.argmax(selection.scores))
    assert best in selection.read
    # Everything downstream still holds: spans inside the text, probabilities finite.
    for answer in prediction.candidates:
        assert answer.text == passage[answer.start: answer.end]
        assert np.isfinite(answer.probability)


def test_a_match_counts_more_in_the_middle_of_a_window_than_at_its_edge(answerer):
    passage = long_passage()
    question = "Who composed the analytical engine program?"
    tokens = answerer.tokenized(passage)
    index = WindowIndex(tokens)
    fact = int(np.searchsorted(tokens.offsets[:, 0], passage.index(FACT)))  # the fact's first token
    template = answerer.features.build(question, tokens)[0]
    width = 300
    centred = replace(template, passage_token_start=fact - width // 2, passage_token_end=fact + width // 2)
    at_edge = replace(template, passage_token_start=fact - width + 20, passage_token_end=fact + 20)
    far = replace(template, passage_token_start=0, passage_token_end=width)
    scores = index.window_scores(question, [centred, at_edge, far])
    assert scores[0] > scores[1] > 0  # both hold the fact; the one holding it mid-window wins
    assert scores[2] < scores[1]  # a window without the fact scores below both


def test_neighbours_add_the_windows_beside_each_best_one(answerer):
    passage = long_passage()
    question = "Who composed the analytical engine program?"
    tokens = answerer.tokenized(passage)
    windows = answerer.features.build(question, tokens)
    alone = WindowPreselector("auto", top=1).select(question, tokens, windows)
    with_neighbours = WindowPreselector("auto", top=1, neighbours=1).select(question, tokens, windows)
    (best,) = alone.read
    assert with_neighbours.read == (best - 1, best, best + 1)
    assert "neighbours" in with_neighbours.reason and "neighbours" not in alone.reason


def test_all_reads_every_window_and_short_passages_are_read_whole(answerer):
    passage = long_passage()
    prediction = answerer.answer("Who composed the analytical engine program?", passage, windows_mode="all")
    assert not prediction.selection.preselected
    assert len(prediction.windows) == prediction.selection.total > 12
    short = filler(3) + " " + FACT
    selection = answerer.answer("Who composed the program?", short).selection
    assert selection.total <= 12 and not selection.preselected


def test_the_index_is_built_once_per_passage(answerer):
    passage = long_passage()
    answerer.answer("Who composed the analytical engine program?", passage)
    index = answerer.preselector.index_for(answerer.tokenized(passage))
    answerer.answer("In which year was the program composed?", passage)
    assert answerer.preselector.index_for(answerer.tokenized(passage)) is index
    answerer.answer("Who composed the program?", passage + " One more sentence.")
    assert answerer.preselector.index_for(answerer.tokenized(passage + " One more sentence.")) is not index


def test_no_matching_word_reads_everything(answerer):
    passage = long_passage()
    selection = answerer.answer("Xylophone zebra quux?", passage).selection
    assert not selection.preselected and "no question word" in selection.reason


def test_progress_and_cancel_count_the_windows_read(answerer):
    passage = long_passage()
    seen = []
    prediction = answerer.answer("Who composed the analytical engine program?", passage,
                                 progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] == len(prediction.selection.read)
    with pytest.raises(Cancelled):
        answerer.answer("Who composed the analytical engine program?", passage, cancelled=lambda: True)


def test_segment_scores_match_cjk_bigrams_and_stems(tiny_bert_model):
    qa = QuestionAnswerer.load(tiny_bert_model, device="cpu", threads=1)
    text = "東京は日本の首都です。" * 3 + " The engines were designed in London. " + "人口は多い。" * 3
    index = WindowIndex(qa.features.tokenize_passage(text), segment_tokens=8)
    cjk = index.segment_scores("東京")
    stem = index.segment_scores("Which engine was designed?")
    assert cjk.max() > 0 and stem.max() > 0
    assert int(np.argmax(cjk)) < int(np.argmax(stem))  # 東京 comes first in the text
    assert index.segment_scores("???").max() == 0


def test_unknown_mode_is_a_clear_error(tiny_bert_model):
    with pytest.raises(InputError, match="all or auto"):
        WindowPreselector("some")


def _cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_ask_windows_flag(tiny_bert_model, tmp_path, capsys):
    path = tmp_path / "long.txt"
    path.write_text(long_passage(), encoding="utf-8")
    question = "Who composed the analytical engine program?"
    common = ("ask", "--model", str(tiny_bert_model), "--question", question, "--file", str(path), "--json")
    code, out, err = _cli(capsys, *common, "--windows", "all")
    assert code == 0, err
    full = json.loads(out)
    assert full["windows_read"] == full["windows_total"] == full["windows"] > 12
    code, out, err = _cli(capsys, *common)  # auto is the default
    assert code == 0, err
    auto = json.loads(out)
    assert auto["windows_total"] == full["windows_total"]
    assert auto["windows_read"] == auto["windows"] < full["windows_total"]
    code, _, err = _cli(capsys, *common[:-1], "--windows", "auto")
    assert code == 0 and f"of {full['windows_total']} windows read" in err
    with pytest.raises(SystemExit):
        _cli(capsys, *common, "--windows", "some")


def test_cli_eval_windows_flag(tiny_bert_model, tmp_path, capsys):
    passage = long_passage()
    data = {"data": [{"title": "t", "paragraphs": [{"context": passage, "qas": [
        {"id": "1", "question": "Who composed the analytical engine program?",
         "answers": [{"text": "Ada Lovelace", "answer_start": passage.index("Ada Lovelace")}]}]}]}]}
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    for mode in ("all", "auto"):
        code, out, err = _cli(capsys, "eval", "--model", str(tiny_bert_model), "--data", str(path),
                              "--windows", mode, "--json")
        assert code == 0, err
        assert json.loads(out)["total"] == 1
