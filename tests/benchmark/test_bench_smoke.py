"""`qa-desktop bench --quick` end to end on the tiny model: every part runs, the JSON has the
report's shape and its numbers are finite and positive. No timing is asserted."""

from __future__ import annotations

import json
import math

from qa_desktop import cli
from qa_desktop.benchmark import bench_report
from qa_desktop.benchmark.builtin_passages import PASSAGES

PEERS = ("ours", "pipeline_fp32", "pipeline_bf16")


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
    data = _squad_file(tmp_path / "sample.json")
    code = cli.main(["bench", "--quick", "--model", str(tiny_bert_model), "--reference",
                     str(tiny_bert_checkpoint), "--threads", "1", "--data", str(data), "--json",
                     "--no-optimum"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)

    assert report["errors"] == {}
    assert report["settings"]["quick"] is True and report["settings"]["threads"] == 1
    assert report["inputs"]["source"] == str(data)
    assert set(report["contestants"]) == set(PEERS)
    assert "QuestionAnsweringPipeline" in report["contestants"]["pipeline_fp32"]["kind"]
    assert report["contestants"]["pipeline_bf16"]["precision"] == "bf16"

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
    for dtype in ("bf16", "fp32"):
        _positive(eff["gemm"][dtype]["gflops"], f"gemm.{dtype}")
    for peer in PEERS:
        _positive(eff["achieved_gflops"][peer], f"achieved_gflops.{peer}")
        _positive(eff["pct_of_bf16_gemm"][peer], f"pct_of_bf16_gemm.{peer}")

    for name, value in report["ratios"].items():
        assert value is not None and math.isfinite(value) and value >= 0, (name, value)
    names = {t["name"] for t in report["targets"]}
    assert {"short_latency_vs_fp32", "long_speedup_vs_bf16", "rss_after_long_vs_fp32",
            "agreement_vs_fp32_pct"} <= names
    assert all(isinstance(t["met"], bool) for t in report["targets"])

    # The weights check ran. (The fixtures build the checkpoint's tokenizer anew, and WordPiece
    # training may break ties differently, so the two sides can read different token ids.)
    check = report["weights_check"]
    tokens = check["window_tokens"]
    if tokens["ours"] == tokens["pipeline_fp32"]:
        assert 0 <= check["max_abs_logit_diff_vs_fp32"] < math.inf
    else:
        assert any("another tokenizer" in w for w in report["warnings"])

    sample = report["inputs"]["sample"]
    assert sample == 12
    for peer in ("pipeline_fp32", "pipeline_bf16"):
        a = report["agreement"][f"vs_{peer}"]
        assert a["questions"] == sample
        assert a["agree"] + sum(a["differ"].values()) == sample
        assert 0 <= a["agreement_pct"] <= a["agreement_or_global_scoring_pct"] <= 100

    startup = report["startup"]
    _positive(startup["bare_window_s"], "startup.bare_window_s")
    if startup["qa_desktop_s"] is not None:
        _positive(startup["qa_desktop_s"], "startup.qa_desktop_s")
        _positive(report["ratios"]["startup_vs_bare_window"], "startup ratio")
    else:  # no window to launch (yet), or it failed: the report says why
        assert startup["unavailable"] or startup["errors"]

    # The same report renders as the terminal table.
    text = bench_report.table(report)
    for row in ("short passage", "long document", "RSS after model load", "model GFLOP/s",
                "start-up", "answers vs pipeline fp32", "targets met"):
        assert row in text, row


def test_bench_says_what_is_missing_when_optimum_is_not_installed(tiny_bert_model, tiny_bert_checkpoint,
                                                                  tmp_path, capsys):
    import subprocess
    import sys

    # A python without any site packages: Optimum (and everything else) cannot be imported.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    bare = tmp_path / "bare" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    code = cli.main(["bench", "--quick", "--model", str(tiny_bert_model), "--reference",
                     str(tiny_bert_checkpoint), "--threads", "1", "--skip",
                     "long,memory,efficiency,startup,agreement", "--peer-python", str(bare)])
    captured = capsys.readouterr()
    assert code == 0, captured.err  # a missing optional peer is not an error
    assert "Optimum peers not measured" in captured.err
    assert "cannot import optimum.onnxruntime" in captured.err and ".[bench]" in captured.err
    assert "Optimum peers: not measured" in captured.out
    assert "optimum" not in " ".join(line for line in captured.out.splitlines() if "targets met" in line)
