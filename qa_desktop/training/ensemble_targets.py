"""Soft start/end targets from the mean of several trained runs, on the windows they trained on.

    python -m qa_desktop.training.ensemble_targets --windows WINDOWS.npz \\
        --model /tmp/t/w13/run/final --model /tmp/t/w42/run/final ... --out targets.npz \\
        [--join EARLIER_TARGETS.npz]   # the earlier file's teachers join the mean, one weight each

Why: runs whose `qa_outputs` heads started apart reach unrelated solutions, so their weights do
not average (`weight_soup` refuses them), yet the mean of their predictions is better than any
one of them. Distilling that mean into students whose heads share one seed gives soup
ingredients that learnt from the ensemble, and they still average.

Unlike `teacher_targets` (bundled ONNX models answering every training example through the
engine, character by character, hours on this CPU), this runs the runs' PyTorch weights on the
training windows themselves, batched (seconds on a GPU): per window, each model's start and end
softmax over the window's tokens (padding excluded) is averaged over the models, and the K
largest positions per side are kept and renormalized, in `teacher_targets`' format and keyed to
the windows file, so `train_reader --teacher-targets` reads it and refuses other windows.
Only windows that hold their example's answer get targets: a window labelled [CLS] (its answer
lies in another window, or the question is one of the hard unanswerables) trains on the gold
label alone, as in `teacher_targets`: a teacher fooled by a hard negative would teach the
student to answer it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from qa_desktop.training import teacher_targets, train_reader, window_cache
from qa_desktop.training.teacher_targets import TOP_K
from qa_desktop.training.training_features import padded_batch


def describe_model(model_dir: Path) -> str:
    """One line naming a teacher by what its training record says (seeds, steps, its F1)."""
    record = model_dir / "training_run.json"
    if not record.is_file():
        return str(model_dir)
    run = json.loads(record.read_text())
    hyper = run.get("hyperparameters", {})
    head = hyper.get("head_seed") if hyper.get("head_seed") is not None else run.get("seed")
    text = f"run seed {run.get('seed')}, head seed {head}, {run.get('final_step', run.get('steps'))} steps"
    f1 = train_reader.confirmation_f1(run)
    if f1 is None:
        return text
    return text + f", F1 {f1} on the {run['confirmation']['questions']} confirmation questions of its own seed"


def mean_probabilities(models: list, inputs: dict):
    """(start, end) probabilities per token, averaged over the models; padding gets none. Runs
    under the caller's autocast, if any."""
    import torch

    mask = inputs["attention_mask"].bool()
    start = end = 0.0
    with torch.no_grad():
        for model in models:
            out = model(**inputs)
            start = start + torch.softmax(out.start_logits.float().masked_fill(~mask, float("-inf")), dim=-1)
            end = end + torch.softmax(out.end_logits.float().masked_fill(~mask, float("-inf")), dim=-1)
    return start / len(models), end / len(models)


def ensemble_module(models: list):
    """The models as one: its start/end logits are the logs of their mean probabilities, so
    `heldout_f1` scores the ensemble the students are taught by."""
    from types import SimpleNamespace

    import torch

    class MeanOfModels(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.members = torch.nn.ModuleList(models)

        def forward(self, **inputs):
            start, end = mean_probabilities(list(self.members), inputs)
            return SimpleNamespace(start_logits=torch.log(start), end_logits=torch.log(end))

    return MeanOfModels()


def confirmation_scores(models: list, tokenizer, pack: Path, device, autocast_dtype=None) -> dict:
    """F1 of each model and of their mean on the confirmation questions a run of `pack` draws
    with the pack's own settings and seed (the same questions for every teacher); {} when the
    pack's articles leave none."""
    from qa_desktop.training.device_bundle import _reader_args
    from qa_desktop.training.heldout_curve import heldout_f1

    plan = json.loads((pack / "plan.json").read_text())
    args = _reader_args([pack / "data" / rel for rel in plan["curve_files"]], plan["flags"])
    _curve, confirm = train_reader.held_out_samples(args)
    if not confirm:
        return {}
    score = lambda model: round(heldout_f1(model, tokenizer, confirm, device, autocast_dtype), 2)  # noqa: E731
    return {"questions": len(confirm), "seed": args.seed, "models": [score(m) for m in models],
            "ensemble": score(ensemble_module(models))}


def top_k(probabilities, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions int16, probabilities float16 renormalized to sum to 1), the k largest per row."""
    import torch

    values, positions = torch.topk(probabilities, min(k, probabilities.shape[1]), dim=1)
    values = values / values.sum(dim=1, keepdim=True).clamp_min(1e-12)
    if positions.shape[1] < k:  # a window shorter than k: pad with zero mass at [CLS]
        pad = k - positions.shape[1]
        positions = torch.nn.functional.pad(positions, (0, pad))
        values = torch.nn.functional.pad(values, (0, pad))
    return positions.cpu().numpy().astype(np.int16), values.cpu().numpy().astype(np.float16)


def joined_scores(earlier: dict, new: dict) -> dict:
    """Scores of a joined ensemble: every member's F1 where all were scored on the same questions;
    the joined mean itself cannot be scored (the earlier members' weights are not here), so the
    mean recorded is the new members' and the earlier members' means, each named as such."""
    if not earlier or (earlier.get("questions"), earlier.get("seed")) != (new["questions"], new["seed"]):
        return {}
    return {"questions": new["questions"], "seed": new["seed"], "models": earlier["models"] + new["models"],
            "ensemble": None, "earlier_ensemble": earlier["ensemble"], "new_ensemble": new["ensemble"]}


def joined(new_mean, positions: np.ndarray, probabilities: np.ndarray, earlier: int, new: int):
    """The mean over `earlier` + `new` teachers, where the earlier ones are known only by their
    mean's K largest positions per window (as a targets file keeps them, renormalized): their mass
    outside those K counts as zero."""
    import torch

    dense = torch.zeros_like(new_mean)
    dense.scatter_add_(1, torch.from_numpy(positions.astype(np.int64)).to(dense.device),
                       torch.from_numpy(probabilities.astype(np.float32)).to(dense.device))
    return (earlier * dense + new * new_mean) / (earlier + new)


def build(models: list[Path], windows_file: Path, out: Path, device: str = "cuda", batch_size: int = 256,
          k: int = TOP_K, score_pack: Path | None = None, log=lambda message: None, join: Path | None = None) -> int:
    """Write the targets file; returns how many windows have targets. With `score_pack`, the
    file also records each model's and the ensemble's F1 on that pack's confirmation questions.
    With `join` (an earlier targets file of the same windows), its teachers join the ensemble,
    each weighing as much as one of `models`: the way to add teachers whose predecessors' weights
    were not kept (a lent machine sends back targets, not teachers)."""
    import torch
    from transformers import AutoModelForQuestionAnswering

    found = window_cache.load(windows_file, key=None)
    if found is None:
        raise SystemExit(f"{windows_file}: not a windows file")
    windows, _summary = found
    key = window_cache.stored_key(windows_file)
    earlier = teacher_targets.load(join, key, len(windows)) if join else None
    earlier_described = teacher_targets.describe(join) if join else {"teachers": []}
    n_earlier = len(earlier_described["teachers"])
    target = torch.device(device)
    autocast_dtype = train_reader.pick_precision("auto", target)  # the rule training uses: bf16 where native
    loaded = [AutoModelForQuestionAnswering.from_pretrained(m, attn_implementation="sdpa").to(target).eval()
              for m in models]
    pad_id = loaded[0].config.pad_token_id or 0
    has = windows.start_positions > 0
    chosen = np.flatnonzero(has)
    chosen = chosen[np.argsort(windows.lengths[chosen], kind="stable")]  # similar lengths share a batch
    arrays = {"start_pos": np.zeros((len(windows), k), np.int16), "start_p": np.zeros((len(windows), k), np.float16),
              "end_pos": np.zeros((len(windows), k), np.int16), "end_p": np.zeros((len(windows), k), np.float16)}
    started = time.time()
    for begin in range(0, len(chosen), batch_size):
        members = chosen[begin:begin + batch_size]
        inputs = {name: torch.from_numpy(value).to(target)
                  for name, value in padded_batch(windows, members, 64, pad_id).items()}
        with torch.autocast(target.type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None):
            start, end = mean_probabilities(loaded, inputs)
        if earlier is not None:
            start = joined(start, earlier["start_pos"][members], earlier["start_p"][members], n_earlier, len(loaded))
            end = joined(end, earlier["end_pos"][members], earlier["end_p"][members], n_earlier, len(loaded))
        arrays["start_pos"][members], arrays["start_p"][members] = top_k(start, k)
        arrays["end_pos"][members], arrays["end_p"][members] = top_k(end, k)
    log(f"targets for {len(chosen):,} of {len(windows):,} windows from {len(models) + n_earlier} models "
        f"in {time.time() - started:.0f}s")
    scores = {}
    if score_pack:
        from transformers import AutoTokenizer

        scores = confirmation_scores(loaded, AutoTokenizer.from_pretrained(models[0]), score_pack, target,
                                     autocast_dtype)
    if scores and join:
        scores = joined_scores(earlier_described.get("teacher_scores", {}), scores)
    if scores:
        log(f"F1 on {scores['questions']} confirmation questions: models {scores['models']}, "
            + teacher_targets.mean_scores(scores))
    teachers = earlier_described["teachers"] + [describe_model(m) for m in models]
    tmp = out.with_name(out.name + ".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as f:
        np.savez(f, key=np.array(key), teachers=np.array(json.dumps(teachers)), has_target=has,
                 scores=np.array(json.dumps(scores)), **arrays)
    tmp.replace(out)
    return len(chosen)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--windows", type=Path, required=True,
                   help="the windows file the students train on (a pack's, or a run's windows-cache.npz)")
    p.add_argument("--model", type=Path, action="append", required=True, help="a trained run's final/ (repeat)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--top-k", type=int, default=TOP_K)
    p.add_argument("--join", type=Path, default=None,
                   help="an earlier targets file of the same windows: its teachers join these models' mean")
    p.add_argument("--score-pack", type=Path, default=None,
                   help="score the models and their mean on this pack's confirmation questions")
    a = p.parse_args(argv)
    build(a.model, a.windows, a.out, a.device, a.batch_size, a.top_k, a.score_pack,
          log=lambda m: print(m, flush=True), join=a.join)
    return 0


if __name__ == "__main__":
    sys.exit(main())
