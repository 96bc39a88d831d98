"""`qa-desktop bench --quick` end to end on the tiny model: with a peer python, every peer and
part runs; without the pipeline, the bench says so in one line and measures the rest. The JSON
has the report's shape and its numbers are finite and positive. No timing is asserted."""

from __future__ import annotations

import json
import math
import sys

import pytest
from bench_peer import peer_python

from qa_desktop import cli
from qa_desktop.benchmark import bench_report, peer_env
from qa_desktop.benchmark.builtin_passages import PASSAGES
from qa_desktop.engine.cpu_features import has_native_bf16

# The bf16 pipeline runs only where the CPU has bf16 in hardware (emulated, it is far slower).
BF16 = has_native_bf16()
PEERS = ("ours", "pipeline_fp32") + (("pipeline_bf16",) if BF16 else ())
OPTIMUM = ("optimum_fp32", "optimum_int8")


def _squad_file(path):
    """A small SQuAD-format file (from the built-in passages) for --data."""
    articles = []
    for p, (title, context, qas) in enumerate(PASSAGES[:4]):
        articles.append({"title": title, "paragraphs": [{"context": context, "qas": [
            {"id": f"q{p}-{i}", "question": q,
             "answers": [{"text": a, "answer_start": context.index(a)}]}
            for i, (q, a) in enumerate(qas)]}]})
    path.write_text(json.dumps({"version": "1.1", "data": articles}), encoding="utf-8")
    return path


def _positive(value, where: str) -> None:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: {value!r}"
    assert math.isfinite(value) and value > 0, f"{where}: {value!r}"


def test_quick_bench_json(tiny_bert_model, tiny_bert_checkpoint, tmp_path, capsys):
    python = peer_python()
    data = _squad_file(tmp_path / "sample.json")
    code = cli.main(["bench", "--quick", "--model", str(tiny_bert_model), "--reference",
                     str(tiny_bert_checkpoint), "--threads", "1", "--data", str(data), "--json",
                     "--peer-python", python, "--optimum-config", "avx2", "--skip", "startup"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)

    assert report["errors"] == {}
    assert "missing_peers" not in report
    assert report["settings"]["quick"] is True and report["settings"]["threads"] == 1
    assert report["inputs"]["source"] == str(data)
    assert set(report["contestants"]) == set(PEERS + OPTIMUM)
    # The real pipeline of the peer python's transformers, not a copy of it.
    assert report["contestants"]["pipeline_fp32"]["kind"].startswith("transformers 4.")
    assert "QuestionAnsweringPipeline" in report["contestants"]["pipeline_fp32"]["kind"]
    if BF16:
        assert report["contestants"]["pipeline_bf16"]["precision"] == "bf16"
    else:
        assert any("pipeline bf16 not run" in w for w in report["warnings"])
    assert report["contestants"]["optimum_int8"]["quantization_config"] == "avx2"
    for peer in OPTIMUM:
        _positive(report["short"]["median_ms"][peer], f"short.median_ms.{peer}")
        _positive(report["long"]["median_s"][peer], f"long.median_s.{peer}")
    _positive(report["ratios"]["short_latency_vs_optimum_int8"], "short_latency_vs_optimum_int8")

    for part in ("short", "long"):
        key = "median_ms" if part == "short" else "median_s"
        for peer in PEERS:
            _positive(report[part][key][peer], f"{part}.{key}.{peer}")
            _positive(report[part]["forward_" + key.split("_")[1]][peer], f"{part}.forward.{peer}")
            _positive(report[part]["windows"][peer], f"{part}.windows.{peer}")
    # Same windowing in the engine and the pipeline.
    assert len({report["long"]["windows"][peer] for peer in PEERS}) == 1
    assert report["long"]["windows"]["ours"] > 1

    for moment in ("after_import", "after_load", "after_long", "peak_after_long"):
        for peer in PEERS:
            _positive(report["memory_mb"][moment][peer], f"memory_mb.{moment}.{peer}")

    eff = report["efficiency"]
    _positive(eff["gflop_per_384_window"], "gflop_per_384_window")
    for dtype in ("bf16", "fp32") if BF16 else ("fp32",):
        _positive(eff["gemm"][dtype]["gflops"], f"gemm.{dtype}")
    for peer in PEERS:
        _positive(eff["achieved_gflops"][peer], f"achieved_gflops.{peer}")
        _positive(eff["pct_of_gemm_ceiling"][peer], f"pct_of_gemm_ceiling.{peer}")
    assert eff["ceiling_dtype"] == max(eff["gemm"], key=lambda d: eff["gemm"][d]["gflops"])

    for name, value in report["ratios"].items():
        assert value is not None and math.isfinite(value) and value >= 0, (name, value)
    names = {t["name"] for t in report["targets"]}
    assert {"short_latency_vs_fp32", "rss_after_long_vs_fp32",
            "agreement_vs_fp32_pct"} <= names
    assert all(isinstance(t["met"], bool) for t in report["targets"])

    # The weights check ran: one tokenizer (tests/tiny_models.py makes it deterministically), so
    # both sides read the same token ids.
    check = report["weights_check"]
    tokens = check["window_tokens"]
    assert tokens["ours"] == tokens["pipeline_fp32"]
    assert 0 <= check["max_abs_logit_diff_vs_fp32"] < math.inf

    sample = report["inputs"]["sample"]
    assert sample == 12
    for peer in (*PEERS[1:], *OPTIMUM):
        a = report["agreement"][f"vs_{peer}"]
        assert a["questions"] == sample
        assert a["agree"] + sum(a["differ"].values()) == sample
        assert 0 <= a["agreement_pct"] <= a["agreement_or_global_scoring_pct"] <= 100
        if tokens["ours"] == tokens["pipeline_fp32"]:
            # Same tokenizer, so the same windows: the pipeline decoded qa-desktop's logits for
            # every question that differs.
            assert a["not_redecoded"] == 0, a

    # The same report renders as the terminal table.
    text = bench_report.table(report)
    for row in ("short passage", "long document", "RSS after model load", "model GFLOP/s",
                "Optimum int8", "answers vs pipeline fp32", "targets met"):
        assert row in text, row


def test_quick_bench_without_the_pipeline_measures_the_rest(tiny_bert_model, tmp_path, capsys):
    """This python's transformers (5.3 or later) has no question-answering pipeline: the bench
    says so in one line, with the commands that make a peer environment, and measures everything
    else; it needs no reference checkpoint for that."""
    missing = peer_env.probe(sys.executable).pipeline
    if missing is None:
        pytest.skip("this python's transformers still has the question-answering pipeline")
    data = _squad_file(tmp_path / "sample.json")
    code = cli.main(["bench", "--quick", "--model", str(tiny_bert_model), "--threads", "1", "--data",
                     str(data), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    said = [line for line in captured.err.splitlines() if "not measured" in line]
    assert len(said) == 1, captured.err
    assert "no question-answering pipeline: it was removed in 5.3" in said[0]
    assert all(command in said[0] for command in peer_env.PEER_ENV_COMMANDS)
    report = json.loads(captured.out)

    assert report["errors"] == {} and report["reference"] is None
    assert report["missing_peers"] == said[0].removeprefix("bench: ")
    assert set(report["contestants"]) == {"ours"}
    _positive(report["short"]["median_ms"]["ours"], "short.median_ms.ours")
    _positive(report["long"]["median_s"]["ours"], "long.median_s.ours")
    for moment in ("after_load", "after_long"):
        _positive(report["memory_mb"][moment]["ours"], f"memory_mb.{moment}.ours")
    _positive(report["efficiency"]["achieved_gflops"]["ours"], "achieved_gflops.ours")
    _positive(report["efficiency"]["gemm"]["bf16" if BF16 else "fp32"]["gflops"], "gemm ceiling")
    assert report["agreement"]["accuracy"]["ours"]["questions"] == report["inputs"]["sample"]
    # Only ratios whose both sides were measured.
    assert all(value is not None for value in report["ratios"].values())
    assert not any("pipeline" in name or "optimum" in name for name in report["ratios"])

    startup = report["startup"]
    _positive(startup["bare_window_s"], "startup.bare_window_s")
    if startup["qa_desktop_s"] is not None:
        _positive(startup["qa_desktop_s"], "startup.qa_desktop_s")
        _positive(report["ratios"]["startup_vs_bare_window"], "startup ratio")
        _positive(report["ratios"]["model_ready_vs_bare_window"], "model-ready ratio")
        # The window is shown no later than its model is ready, and the target is on the window.
        assert startup["qa_desktop_window_shown_s"] <= startup["qa_desktop_model_ready_s"]
        assert report["ratios"]["startup_vs_bare_window"] == pytest.approx(
            startup["qa_desktop_window_shown_s"] / startup["bare_window_s"])
        assert startup["bytecode"] in ("present", "compiled")
    else:  # no window to launch (yet), or it failed: the report says why
        assert startup["unavailable"] or startup["errors"]

    text = bench_report.table(report)
    for row in ("short passage", "long document", "RSS after model load", "start-up", said[0].removeprefix("bench: ")):
        assert row in text, row
