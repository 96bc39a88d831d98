"""The benchmark's parts that need no peer: the agreement classes, the workload builder, FLOP
counting, argument checks, the lever sweep and what the bench says about a peer python."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from qa_desktop.benchmark import answer_agreement, bench_inputs, peer_env
from qa_desktop.benchmark.bench_command import make_plan
from qa_desktop.benchmark.model_flops import EncoderShape
from qa_desktop.engine.errors import QaDesktopError

CHECKOUT = Path(__file__).resolve().parents[2]


def test_agreement_classes():
    peer = {"answer": "the Eiffel Tower", "start": 10, "end": 26}
    assert answer_agreement.classify({"answer": "Eiffel Tower", "start": 14, "end": 26}, peer) == "agree"
    # The pipeline, decoding qa-desktop's own logits, gives its own answer: only decoding differs.
    decoded = {**peer, "ours_decoded": {"answer": "the Eiffel Tower", "start": 10, "end": 26}}
    several = {"answer": "Paris", "start": 0, "end": 5, "windows": 3}
    assert answer_agreement.classify(several, decoded) == "global_scoring"
    assert answer_agreement.classify({**several, "windows": 1}, decoded) == "word_alignment"
    # Decoded the pipeline's way, qa-desktop's logits still give another answer: the logits differ.
    elsewhere = {**peer, "ours_decoded": {"answer": "Paris", "start": 0, "end": 5}}
    assert answer_agreement.classify(several, elsewhere) == "other"
    assert answer_agreement.classify(several, {**peer, "ours_decoded": None}) == "other"

    ours = [{"id": "a", **peer}, {"id": "b", **several}, {"id": "c", **several}]
    peers = [{"id": "a", **peer}, {"id": "b", **decoded}, {"id": "c", **peer, "ours_decoded": None}]
    summary = answer_agreement.compare(ours, peers, {"a": {"question": "?"}, "b": {"question": "where?"}})
    assert summary["agree"] == 1 and summary["differ"] == {"global_scoring": 1, "word_alignment": 0, "other": 1}
    assert summary["not_redecoded"] == 1
    assert summary["agreement_pct"] == pytest.approx(100 / 3)
    assert summary["agreement_or_global_scoring_pct"] == pytest.approx(200 / 3)
    assert summary["examples"]["global_scoring"][0]["question"] == "where?"
    assert summary["examples"]["global_scoring"][0]["ours_decoded_by_pipeline"] == "the Eiffel Tower"


def test_workload_from_builtin_passages():
    items = bench_inputs.builtin_items()
    count = lambda texts: [len(t.split()) for t in texts]  # noqa: E731 - words stand in for tokens
    w = bench_inputs.build_workload(items, "built-in", count, sample=7, long_tokens=3000,
                                    max_question_len=64, held_out_first=False)
    assert len(w.sample) == 7 and len({q.id for q in w.sample}) == 7
    assert w.long_tokens >= 3000 and w.long_paragraphs > len(bench_inputs.builtin_items()) // 4
    assert w.long.question in {i.question for i in items}
    assert all(a in w.long.context for a in w.long.answers)
    assert w.short.context in {i.context for i in items}
    short = bench_inputs.build_workload(items, "built-in", count, sample=100, long_tokens=10,
                                        max_question_len=5, held_out_first=False)
    assert short.dropped_long_questions > 0
    assert all(len(q.question.split()) <= 5 for q in short.sample)


def test_flops_of_minilm_window():
    shape = EncoderShape.from_config({"hidden_size": 384, "num_hidden_layers": 6, "intermediate_size": 1536})
    assert shape.flops(384) / 1e9 == pytest.approx(9.51, abs=0.01)
    assert shape.total_flops([384, 384]) == pytest.approx(2 * shape.flops(384))


def _args(**overrides):
    base = dict(skip="", repeats=20, long_tokens=20_000, sample=200, threads=None, quick=False)
    base.update(overrides)
    return argparse.Namespace(**base)


def test_plan_checks_arguments():
    plan = make_plan(_args(skip="startup,memory", quick=True))
    assert "startup" not in plan.parts and "short" in plan.parts
    assert plan.repeats <= 3 and plan.sample <= 12 and plan.threads >= 1
    assert "agreement" not in make_plan(_args(sample=0)).parts
    with pytest.raises(QaDesktopError, match="unknown part"):
        make_plan(_args(skip="shrt"))
    with pytest.raises(QaDesktopError):
        make_plan(_args(repeats=0))


def test_lever_sweep_runs_each_lever_in_its_own_process(tiny_bert_model, capsys):
    import json

    from qa_desktop.benchmark import lever_sweep

    code = lever_sweep.main(["--quick", "--threads", "1", "--model", str(tiny_bert_model), "--json",
                             "--lever", "engine defaults", "--lever", "batch 1",
                             "--lever", "saved optimized graph"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    rows = {r["lever"]: r for r in out["rows"]}
    assert set(rows) == {"engine defaults", "batch 1", "saved optimized graph"}
    assert rows["batch 1"]["batch_size"] == 1 and rows["engine defaults"]["batch_size"] > 1
    for r in rows.values():
        assert r["short_ms"] > 0 and r["long_s"] > 0 and r["rss_long_mb"] > 0 and r["windows"] > 1


def test_a_python_without_the_peers_is_told_what_is_missing_and_how_to_get_it(tmp_path):
    # A python without any site packages: neither torch nor transformers nor Optimum.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    bare = str(tmp_path / "bare" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python"))
    abilities = peer_env.probe(bare)
    assert "cannot import torch, transformers" in abilities.pipeline
    assert "cannot import optimum.onnxruntime" in abilities.optimum
    line = abilities.missing_line()
    assert "\n" not in line and line.startswith("peers not measured: the transformers pipeline")
    assert all(command in line for command in peer_env.PEER_ENV_COMMANDS)
    assert "Optimum" not in abilities.missing_line(("pipeline",))
    broken = peer_env.probe(str(tmp_path / "no-such-python"))
    assert broken.pipeline.startswith("cannot run") and broken.missing_line()


def test_this_python_says_why_it_has_no_pipeline():
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    abilities = peer_env.probe(sys.executable)
    if (major, minor) >= (5, 3):
        assert abilities.pipeline == (f"{sys.executable} has transformers {transformers.__version__}, which "
                                      "has no question-answering pipeline: it was removed in 5.3")
    else:
        assert abilities.pipeline is None


def test_readme_and_ci_make_the_peer_environment_the_bench_names():
    readme = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    performance = readme[readme.index("## Performance"):readme.index("## Training the bundled models")]
    ci = (CHECKOUT / ".ci" / "run").read_text(encoding="utf-8")
    for command in peer_env.PEER_ENV_COMMANDS:
        assert command in performance, command
        assert command in ci, command
    assert f"/{peer_env.PEER_ENV_DIR}/" in (CHECKOUT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_static_int8_variant_is_calibrated_on_windows_the_engine_feeds(tiny_bert_model, tmp_path):
    from qa_desktop.benchmark import quantization_levers
    from qa_desktop.engine.model_manifest import ModelManifest
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    calibration = [("Who wrote the first program?", "Ada Lovelace wrote the first program for the engine."),
                   ("What is the capital of France?", "Paris is the capital and largest city of France.")]
    out = quantization_levers.build_variant("static_qdq", tiny_bert_model, tmp_path, calibration)
    assert ModelManifest.read(out).quantization == "int8"
    answer = QuestionAnswerer.load(out, device="cpu").answer(*calibration[0])
    assert answer.windows and answer.passage == calibration[0][1]


def test_startup_probe_compiles_missing_or_stale_bytecode_once(tmp_path):
    import os

    from qa_desktop.benchmark.startup_probe import prepare_bytecode

    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "mod.py"
    module.write_text("X = 1\n")
    assert prepare_bytecode(package) == {"bytecode": "compiled", "modules": 1, "compiled": 1}
    assert prepare_bytecode(package) == {"bytecode": "present", "modules": 1}
    module.write_text("X = 2\n")
    stat = module.stat()
    os.utime(module, (stat.st_atime, stat.st_mtime + 10))  # an edit after the last compile
    assert prepare_bytecode(package)["compiled"] == 1
