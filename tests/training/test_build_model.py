"""The one-command build (train → prune → export → calibrate → evaluate → card) on a tiny random
XLM-R model and a synthetic SQuAD file written here: every step runs, every step is skipped when
run again, and the card and manifest carry what the build measured."""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace

import pytest

from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.training.build_model import build
from qa_desktop.training.recipes import MULTILINGUAL, HeldoutSet
from qa_desktop.training.squad_corpus import ArticleSplit

NAMES = ["Margaret Dunlop", "Thomas Reyburn", "Ada Brown", "Kenji Sato", "Ines Duarte", "Omar Haddad"]
THINGS = ["bridge", "lighthouse", "library", "station", "museum", "tower"]


def synthetic_squad(path, articles: int = 48, seed: int = 0) -> None:
    """Articles whose titles fall in every ArticleSplit bucket, two paragraphs each."""
    rng = random.Random(seed)
    data, buckets, i = [], {"train": 0, "eval": 0, "calibration": 0}, 0
    while len(data) < articles or min(buckets.values()) < 2:
        title = f"Place {i}"
        i += 1
        bucket = ArticleSplit().bucket(title)
        if bucket == "train" and buckets["train"] >= articles:
            continue
        buckets[bucket] += 1
        paragraphs = []
        for _ in range(2):
            name, thing, year = rng.choice(NAMES), rng.choice(THINGS), rng.randint(1800, 1990)
            context = (f"The {thing} in {title} was built in {year} by {name}. "
                       f"It is {rng.randint(10, 90)} metres tall. Visitors come every summer.")
            paragraphs.append({"context": context, "qas": [
                {"id": f"{i}-{len(paragraphs)}-who", "question": f"Who built the {thing}?",
                 "answers": [{"text": name, "answer_start": context.index(name)}]},
                {"id": f"{i}-{len(paragraphs)}-when", "question": f"When was the {thing} built?",
                 "answers": [{"text": str(year), "answer_start": context.index(str(year))}]},
            ]})
        data.append({"title": title, "paragraphs": paragraphs})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "1.1", "data": data}))


def tiny_setup(root, **train_args):
    """(recipe, base): the multilingual recipe cut down to a tiny random XLM-R model and a
    synthetic SQuAD file under `root / "data"`."""
    from tiny_models import build_tiny_checkpoint

    synthetic_squad(root / "data" / "squad-v1.1" / "train-v1.1.json")
    base = build_tiny_checkpoint(root / "base", "xlmr")
    recipe = replace(
        MULTILINGUAL, name="tiny-multilingual", warm_start=None, prune_max_pieces=300,
        train_files=("squad-v1.1/train-v1.1.json",),
        heldout=(HeldoutSet("squad", ("squad-v1.1/train-v1.1.json",), "words"),),
        train_args={**MULTILINGUAL.train_args, "epochs": 1.0, "batch_size": 8, "threads": 1,
                    "curve_questions": 8, "max_seq_len": 64, "doc_stride": 32, "max_question_len": 16,
                    **train_args},
    )
    return recipe, base


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    recipe, base = tiny_setup(root)
    args = argparse.Namespace(
        data_root=root / "data", work=root / "run", out=root / "bundled", base=base, no_warm_start=False,
        device="cpu", limit=None, fp32_limit=None, seed=13, train_extra=None,
        repo=__import__("pathlib").Path(__file__).resolve().parents[2],
    )
    build(recipe, args)
    return recipe, args


def test_every_step_leaves_its_output(built):
    recipe, args = built
    work = args.work
    assert (work / "final" / "training_run.json").exists()
    assert json.loads((work / "pruned" / "vocabulary_pruning.json").read_text())["pieces_after"] <= 300
    for variant in ("int8", "fp32", "int8-unpruned"):
        assert (work / "export" / variant / "model.onnx").exists()
    calibration = json.loads((work / "calibration.json").read_text())
    assert calibration["questions"] > 0 and calibration["temperature"] > 0
    evals = {p.name for p in (work / "eval").glob("*.json")}
    assert {"squad-int8.json", "squad-fp32.json", "korean-handwritten-int8.json"} <= evals


def test_bundle_has_card_manifest_and_model(built):
    recipe, args = built
    out = args.out
    assert {"model.onnx", "tokenizer.json", "config.json", "qa_desktop.json", "MODEL_CARD.md"} <= {
        p.name for p in out.iterdir()}
    manifest = ModelManifest.read(out)
    assert manifest.can_abstain and manifest.languages == list(recipe.languages)
    calibration = json.loads((args.work / "calibration.json").read_text())
    assert manifest.null_threshold == calibration["threshold"]
    assert set(manifest.eval) == {"squad", "korean-handwritten"}
    squad = manifest.eval["squad"]["int8"]
    assert squad["answerable"] > 0 and squad["unanswerable"] > 0
    card = (out / "MODEL_CARD.md").read_text()
    run = json.loads((args.work / "final" / "training_run.json").read_text())
    assert run["data"][0]["sha256"][:16] in card
    assert "CPU, 1 threads" in card and "Vocabulary pruning" in card
    assert f"{squad['answerable_f1']:.1f}" in card
    # The card says which weights were kept and why.
    assert f"final weights from step {run['final_step']}" in card
    if run["chosen_by"] == "confirmation":
        check = run["confirmation"]
        assert f"F1 {check['curve_best_f1']} and {check['last_f1']}" in card
    # int8 was smoothed on held-out calibration windows, and the card says so.
    smoothing = manifest.quantization_method["smoothing"]
    assert smoothing["calibration_windows"] > 0 and smoothing["nodes"] > 0
    assert "SmoothQuant" in card and f"α {smoothing['alpha']}" in card


def test_a_second_run_skips_every_step(built, capsys):
    recipe, args = built
    before = {p: p.stat().st_mtime_ns for p in args.work.rglob("*.json") if "heldout" not in p.parts}
    build(recipe, args)
    printed = capsys.readouterr().out
    assert "[train] done earlier" in printed and "[prune] done earlier" in printed
    assert "[export] int8 done earlier" in printed and "[eval]" not in printed
    after = {p: p.stat().st_mtime_ns for p in before}
    assert before == after
