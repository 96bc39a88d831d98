"""`qa-desktop explain`: the JSON it prints, the text report, and user errors (one line, exit 2)."""

from __future__ import annotations

import json

import pytest

from qa_desktop.cli import main

CONTEXT = "Ada Lovelace wrote the first program. The engine was designed by Babbage in 1837."


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_json_shape(tiny_bert_model, capsys):
    code, out, err = run_cli(capsys, "explain", "--model", str(tiny_bert_model), "--question", "Who wrote it?",
                             "--context", CONTEXT, "--words", "--json", "--top", "3")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) >= {"answer", "head", "tokens", "words", "model"}
    assert result["head"]["hidden_size"] == 32 and result["head"]["quantized"] is False
    assert [t["role"] for t in result["tokens"]] == ["start", "end"]
    start = result["tokens"][0]
    assert start["passage_token"] == result["answer"]["start_token"]
    for which in ("start", "end"):
        logit = start[which]
        assert abs(logit["sum"] - logit["model_logit"]) <= 1e-4
        assert abs(logit["products_sum"] + logit["bias"] - logit["sum"]) <= 1e-5
        assert 3 <= len(logit["top_dimensions"]) <= 6
        assert set(logit["top_dimensions"][0]) == {"dim", "h", "w", "product"}
    words = result["words"]
    assert words["extra_windows"] == len(words["words"]) + 1
    drops = [w["drop"] for w in words["words"]]
    assert drops == sorted(drops, reverse=True)
    for w in words["words"]:
        source = "Who wrote it?" if w["side"] == "question" else CONTEXT
        assert source[w["start"]: w["end"]] == w["text"]


def test_explain_one_token_as_text(tiny_bert_model, capsys):
    code, out, err = run_cli(capsys, "explain", "--model", str(tiny_bert_model), "--question", "Who wrote it?",
                             "--context", CONTEXT, "--token", "2")
    assert code == 0, err
    assert "qa_outputs: Linear(32 → 2)" in out
    assert "token token 2" in out and "start logit = h·w_start + b_start" in out


@pytest.mark.parametrize("extra, message", [
    (["--token", "100000"], "--token must be between 0 and"),
    (["--token", "-1"], "--token must be between 0 and"),
    (["--top", "0"], "--top must be at least 1"),
])
def test_explain_user_errors(tiny_bert_model, capsys, extra, message):
    code, out, err = run_cli(capsys, "explain", "--model", str(tiny_bert_model), "--question", "Who wrote it?",
                             "--context", CONTEXT, *extra)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_explain_empty_question_and_missing_model(tiny_bert_model, tmp_path, capsys):
    code, _, err = run_cli(capsys, "explain", "--model", str(tiny_bert_model), "--question", " ", "--context", CONTEXT)
    assert code == 2 and "question is empty" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "explain", "--model", str(tmp_path / "nowhere"), "--question", "Who?",
                           "--context", CONTEXT)
    assert code == 2 and err.startswith("qa-desktop: ") and err.count("\n") == 1
