"""What comes back from a lent GPU: chunks no larger than a returned file may be, joined exactly;
an English-style pack (trained word embeddings, fp16 base, whole vocabulary) whose result holds
the embedding table; a prepared run packed with its teacher targets; and the best variants kept."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from qa_desktop.training.device_bundle import pack_run, train
from qa_desktop.training.device_result import chunked, keep_best, merge, read_returned


def test_chunks_respect_the_limit_and_join_exactly(tmp_path):
    state = {"big": torch.randn(37, 8).half(), "bias": torch.randn(5).half(), "scalar": torch.tensor(2.0).half(),
             "small": torch.randn(3, 8).half()}
    limit = 100  # bytes: "big" (592 bytes) must be cut by rows
    chunks = chunked(state, limit)
    sizes = [sum(v.numel() * v.element_size() for v in c.values()) for c in chunks]
    assert max(sizes) <= limit
    total = sum(v.numel() * v.element_size() for v in state.values())
    assert len(chunks) <= math.ceil(total / limit) + 1  # rows are never split, so at most one chunk more
    assert any("@" in name for c in chunks for name in c)
    files = []
    for i, chunk in enumerate(chunks):
        files.append(tmp_path / f"weights-{i:02d}.safetensors")
        save_file(chunk, str(files[-1]))
    joined = read_returned(files)
    assert sorted(joined) == sorted(state)
    assert all(torch.equal(joined[k], state[k]) for k in state)


def test_an_english_style_pack_keeps_every_piece_and_sends_fp16(english_style):
    root, base, plan = english_style
    assert plan["pieces_kept"] == plan["pieces_in_base"]
    assert plan["weights"]["q4"] == 0 and plan["weights"]["fp16"] > 0
    assert "fp16" in plan["note"]


def test_its_result_brings_back_the_trained_embedding_table(english_style):
    from transformers import AutoModelForQuestionAnswering

    root, base, _plan = english_style
    returned = read_returned(sorted((root / "result").glob("weights-*.safetensors")))
    assert any(k.endswith("word_embeddings.weight") for k in returned)
    final = root / "merged" / "final"
    trained = AutoModelForQuestionAnswering.from_pretrained(root / "work" / "run" / "final").state_dict()
    merged = AutoModelForQuestionAnswering.from_pretrained(final).state_dict()
    key = next(k for k in trained if k.endswith("word_embeddings.weight"))
    np.testing.assert_allclose(trained[key].numpy(), merged[key].numpy(), atol=2e-3)  # fp16 on the way back
    run = json.loads((root / "result" / "training_run.json").read_text())
    assert run["selection"]["questions"] > 0 and 0 <= run["selection"]["confirmation_f1"] <= 100


def test_a_prepared_run_travels_with_its_teacher_targets(english_style, tmp_path):
    from qa_desktop.training import teacher_targets, train_reader

    root, base, _plan = english_style
    run = tmp_path / "run"
    data = root / "data" / "squad-v1.1" / "train-v1.1.json"
    train_reader.main(["--data", str(data), "--out", str(run), "--base", str(base), "--epochs", "1.0",
                       "--batch-size", "4", "--max-seq-len", "64", "--doc-stride", "32", "--max-question-len", "16",
                       "--threads", "1", "--curve-questions", "6", "--confirm-questions", "6", "--seed", "5",
                       "--windows-only"])
    args = teacher_targets._run_args(run)
    key = train_reader.windows_key(args, args.base)
    with np.load(run / "windows-cache.npz") as f:
        n = len(f["start_positions"])
    targets = tmp_path / "targets.npz"
    parts = tmp_path / "parts"
    parts.mkdir()
    top = np.zeros((n, 8), np.int16)
    np.savez(parts / "0000000.npz", window=np.arange(n), start_pos=top, start_p=np.eye(1, 8, dtype=np.float16)
             .repeat(n, 0), end_pos=top, end_p=np.eye(1, 8, dtype=np.float16).repeat(n, 0))
    teacher_targets.assemble(parts, n, key, ["teacher"], targets)
    plan = pack_run(run, root / "merged" / "final", tmp_path / "pack", targets)
    assert plan["windows"] == n and plan["teacher_targets"] and "--seed" in plan["flags"]
    assert plan["init_weights"]["sha256"]

    wrong = tmp_path / "wrong.npz"
    teacher_targets.assemble(parts, n, "another key", ["teacher"], wrong)
    with pytest.raises(SystemExit):
        pack_run(run, root / "merged" / "final", tmp_path / "pack-wrong", wrong)

    results = []
    for name, with_targets in (("distilled", True), ("gold", False)):
        results.append(tmp_path / "results" / name)
        train(tmp_path / "pack", results[-1], minutes=30, device="cpu", work=tmp_path / f"work-{name}",
              with_targets=with_targets)
    distilled, gold = (json.loads((r / "training_run.json").read_text()) for r in results)
    assert distilled["hyperparameters"]["teacher_targets"] and not gold["hyperparameters"]["teacher_targets"]
    assert distilled["hyperparameters"]["seed"] == 5

    kept = keep_best(results + [tmp_path / "results" / "never-finished"], tmp_path / "out", keep=1)
    best = max(results, key=lambda r: json.loads((r / "training_run.json").read_text())["selection"]["confirmation_f1"])
    assert [k.name for k in kept] == [best.name]
    assert len(list((tmp_path / "out" / best.name).glob("weights-*.safetensors"))) >= 1

    merged = json.loads((merge(results[0], tmp_path / "pack", root / "merged" / "final", tmp_path / "m")
                         / "training_run.json").read_text())
    assert merged["init_weights"] == plan["init_weights"]
    assert merged["device_pack"]["teacher_targets"] == plan["teacher_targets"]
