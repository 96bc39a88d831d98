"""A training run packed to travel to a lent GPU machine, and its result brought back.

A lent machine receives at most 64 MiB of files and returns at most 8 files of 16 MiB. The
multilingual base is 449 MB in fp32 (117.5M parameters, 96M of them a 250k-piece embedding
table), yet training reads far less of it:
- the recipe freezes the word embeddings, and only the rows of pieces that the training and
  held-out texts use are ever read. The pack's base keeps only those pieces; its renumbered
  tokenizer cuts those texts into the same pieces as the full one (a Unigram model's best path
  survives when every piece on it is kept), and `pack` checks that on a sample;
- that base was made from a 4-bit (Q4_0: 32 values share one fp16 scale) file, so its linear
  weights and embedding rows travel as 4-bit codes and scales, exactly (each tensor is checked;
  one that is not exactly 4-bit travels as fp32);
- the windows are built here (single-threaded Python, minutes) and travel xz-compressed;
- the held-out curve reads only calibration-bucket articles, so only those travel.
The result is every trained tensor except a frozen embedding table, fp16, in chunks; `merge`
puts it on the full-vocabulary base (as `init_weights` does for the warm start) and writes the
run's `final/`, so `build_model` continues (prune, export, calibrate, evaluate, card) here.

A recipe that trains its word embeddings (the English one) needs every row, so its vocabulary is
not cut; its fp32 base (90 MB for MiniLM-L6) does not fit what travels, so `--base-fp16` sends it
rounded to fp16 (45 MB), and the plan and the card say so. Several variants of one pack can
train side by side on one GPU (one `train --result DIR` each); `keep-best` returns the best few,
ranked on one held-out sample (the confirmation questions, the same for every variant).

    python -m qa_desktop.training.device_bundle pack --recipe multilingual --data-root ../shared/data \\
        --base runs/e5-base --out gpu-pack
    (on the GPU machine) python -m qa_desktop.training.device_bundle train gpu-pack --result $OUT --minutes 7
    python -m qa_desktop.training.device_bundle merge RESULT_DIR --pack gpu-pack --base runs/e5-base \\
        --work runs/e5-multilingual
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np

from qa_desktop.training.recipes import Recipe

QK = 32  # values per Q4_0 block
BASE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def q4_encode(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(packed 4-bit codes, fp16 scales) that decode to exactly `weight`, or None.

    The scale is read back from each block's largest value, whose code is -8 in Q4_0 (or ±7 or 8
    in symmetric variants: each is tried, and only an exact round trip is accepted)."""
    if weight.ndim != 2 or weight.shape[1] % QK or weight.dtype != np.float32:
        return None
    blocks = weight.reshape(weight.shape[0], -1, QK)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=2)[..., None], axis=2)[..., 0]
    chosen = np.full(peak.shape, np.nan, dtype=np.float32)
    for divisor in (-8.0, 7.0, -7.0, 8.0):
        scale = (peak / np.float32(divisor)).astype(np.float16).astype(np.float32)
        safe = np.where(scale == 0, np.float32(1), scale)
        codes = np.rint(blocks / safe[..., None])
        exact = ((codes >= -8) & (codes <= 7) & (codes * scale[..., None] == blocks)).all(axis=2)
        chosen = np.where(np.isnan(chosen) & exact, scale, chosen)
    if np.isnan(chosen).any():
        return None
    safe = np.where(chosen == 0, np.float32(1), chosen)
    codes = (np.rint(blocks / safe[..., None]) + 8).astype(np.uint8).reshape(weight.shape[0], -1)
    return codes[:, 0::2] | (codes[:, 1::2] << 4), chosen.astype(np.float16)


def q4_decode(packed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    codes = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.float32)
    codes[:, 0::2] = packed & 0x0F
    codes[:, 1::2] = packed >> 4
    blocks = (codes - 8).reshape(packed.shape[0], -1, QK) * scales.astype(np.float32)[..., None]
    return blocks.reshape(packed.shape[0], -1)


def _xz(src: Path, dest: Path) -> None:
    with open(src, "rb") as f_in, lzma.open(dest, "wb", preset=6) as f_out:
        shutil.copyfileobj(f_in, f_out, 2**22)


def _unxz(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(src, "rb") as f_in, open(dest, "wb") as f_out:
        shutil.copyfileobj(f_in, f_out, 2**22)


def _reader_args(data: list[Path], flags: list[str]) -> argparse.Namespace:
    from qa_desktop.training import train_reader

    return train_reader.parse_args(["--data", *map(str, data), "--out", "unused", *flags])


def _check_same_windows(full_dir: Path, compact_dir: Path, keep: list[int], examples, settings) -> int:
    """Windows built by the compact tokenizer equal the full tokenizer's, renumbered."""
    from transformers import AutoTokenizer

    from qa_desktop.training.training_features import build_windows

    sample = random.Random(0).sample(examples, min(len(examples), 500))
    full = build_windows(AutoTokenizer.from_pretrained(full_dir), sample, *settings)
    compact = build_windows(AutoTokenizer.from_pretrained(compact_dir), sample, *settings)
    old = np.asarray(keep)
    for a, b in zip(full.input_ids, compact.input_ids):
        if len(a) != len(b) or not np.array_equal(a, old[b]):
            raise SystemExit("the compact tokenizer cuts the training text differently: not packed")
    if not (np.array_equal(full.start_positions, compact.start_positions)
            and np.array_equal(full.end_positions, compact.end_positions)):
        raise SystemExit("the compact tokenizer moves answer labels: not packed")
    return len(sample)


def pack(recipe_name: str | Recipe, data_root: Path, base: Path, out: Path, limit: int | None = None,
         base_fp16: bool = False) -> dict:
    """Write `out`: the compact base, the windows and the curve's articles, with plan.json.
    The vocabulary is cut only when the recipe freezes the word embeddings: trained rows all travel."""
    from qa_desktop.training import prune_vocabulary as pv
    from qa_desktop.training import train_reader, window_cache
    from qa_desktop.training.build_model import expand, recipe_flags
    from qa_desktop.training.recipes import recipe
    from qa_desktop.training.squad_corpus import file_sha256
    from qa_desktop.training.training_features import build_windows

    r = recipe(recipe_name) if isinstance(recipe_name, str) else recipe_name
    flags = recipe_flags(r)
    files = expand(data_root, r.train_files)
    args = _reader_args(files, flags)
    examples = train_reader.load_training_examples(args)
    if limit:
        examples = random.Random(args.seed).sample(examples, min(limit, len(examples)))
    out.mkdir(parents=True, exist_ok=True)
    curve_files = _pack_curve_articles(files, data_root, out)
    texts = pv.corpus_texts([out / "data" / rel for rel in curve_files])
    texts += [ex.context for ex in examples] + [ex.question for ex in examples]
    spec = json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))
    settings = (args.max_seq_len, args.doc_stride, args.max_question_len)
    with tempfile.TemporaryDirectory() as tmp:
        if args.freeze_word_embeddings:
            special = {t["id"] for t in spec.get("added_tokens", [])} | {spec["model"].get("unk_id", 0)}
            keep = sorted(pv.used_piece_ids(base / "tokenizer.json", texts) | special)
            compact = Path(tmp) / "compact"
            pv.prune_checkpoint(base, compact, keep)
            checked = _check_same_windows(base, compact, keep, examples, settings)
        else:
            compact, keep, checked = base, range(len(spec["model"]["vocab"])), 0
        from transformers import AutoTokenizer

        windows = build_windows(AutoTokenizer.from_pretrained(compact), examples, *settings)
        summary = {"examples": len(examples), "unanswerable": sum(ex.is_impossible for ex in examples)}
        window_cache.save(Path(tmp) / "windows.npz", "device-pack", windows, summary)
        _xz(Path(tmp) / "windows.npz", out / "windows.npz.xz")
        (out / "base").mkdir(exist_ok=True)
        for name in BASE_FILES:
            if (compact / name).is_file():
                _xz(compact / name, out / "base" / (name + ".xz"))
        stored = _pack_weights(compact, out / "base" / "weights.safetensors", base_fp16)
    plan = {
        "recipe": r.name, "flags": flags, "curve_files": curve_files,
        "data": [{"file": p.name, "sha256": file_sha256(p)} for p in files],
        "base": str(base), "pieces_kept": len(keep), "pieces_in_base": len(spec["model"]["vocab"]),
        "windows": len(windows), **summary, "examples_limited_to": limit,
        "windows_checked_against_full_tokenizer": checked, "weights": stored,
        "note": "trained from the base alone: " + (
            "its fp32 weights travelled rounded to fp16 (those not exactly 4-bit)" if base_fp16
            else "the warm start's bf16 encoder does not fit what travels"),
    }
    (out / "plan.json").write_text(json.dumps(plan, indent=2))
    return plan


def _pack_curve_articles(files: list[Path], data_root: Path, out: Path) -> list[str]:
    """Only the calibration-bucket articles travel: the curve and the confirmation read nothing else."""
    from qa_desktop.training.squad_corpus import ArticleSplit, articles_in, read_squad

    curve_files = []
    for path in files:
        calibration = articles_in(read_squad([path]), ArticleSplit(), "calibration")
        rel = path.relative_to(data_root)
        (out / "data" / rel.parent).mkdir(parents=True, exist_ok=True)
        (out / "data" / rel).write_text(json.dumps({"version": "pack", "data": calibration}, ensure_ascii=False),
                                        encoding="utf-8")
        curve_files.append(str(rel))
    return curve_files


# The settings a prepared run's args.json holds that decide how it trains (paths and devices not).
RUN_SETTINGS = ("epochs", "lr", "warmup", "weight_decay", "batch_size", "max_seq_len", "doc_stride",
                "max_question_len", "pad_multiple", "unanswerable_fraction", "negatives",
                "freeze_word_embeddings", "curve_questions", "confirm_questions", "distill_weight", "seed")


def pack_run(run: Path, init: Path, out: Path, targets: Path | None = None,
             init_description: str | None = None) -> dict:
    """Write `out` for a run prepared here with `train_reader --windows-only` (its args.json and
    window cache travel as they are, so its teacher targets still fit them): it trains from the
    complete checkpoint `init` (sent as fp16), with `targets` from `teacher_targets` if given."""
    from qa_desktop.training import window_cache
    from qa_desktop.training.build_model import settings_flags
    from qa_desktop.training.squad_corpus import file_sha256

    saved = json.loads((run / "args.json").read_text())
    files = [Path(p) for p in saved["data"]]
    cache = run / window_cache.CACHE_NAME
    key = window_cache.stored_key(cache)
    with np.load(cache) as f:
        windows = len(f["start_positions"])
    distillation = None
    if targets is not None:
        from qa_desktop.training import teacher_targets

        loaded = teacher_targets.load(targets, key, windows)  # refuses targets made for other windows
        with np.load(targets) as f:
            teachers = json.loads(str(f["teachers"]))
        distillation = {"teachers": teachers, "windows_with_targets": int(loaded["has_target"].sum()),
                        "windows": windows}
    out.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.commonpath([p.parent.parent for p in files]))
    curve_files = _pack_curve_articles(files, root, out)
    _xz(cache, out / "windows.npz.xz")
    if targets is not None:
        _xz(targets, out / "teacher-targets.npz.xz")
    (out / "base").mkdir(exist_ok=True)
    for name in BASE_FILES:
        if (init / name).is_file():
            _xz(init / name, out / "base" / (name + ".xz"))
    stored = _pack_weights(init, out / "base" / "weights.safetensors", fp16=True)
    settings = {k: saved[k] for k in RUN_SETTINGS if k in saved}
    plan = {
        "run": str(run), "flags": settings_flags(settings), "curve_files": curve_files,
        "data": [{"file": p.name, "sha256": file_sha256(p)} for p in files],
        "base": str(init), "init_weights": {"file": str(init / "model.safetensors"),
                                            "sha256": file_sha256(init / "model.safetensors"),
                                            **({"description": init_description} if init_description else {})},
        "windows": windows, "windows_key": key,
        "teacher_targets": "teacher-targets.npz.xz" if targets is not None else None, "distillation": distillation,
        "weights": stored, "note": f"continued from {init} (its weights travelled rounded to fp16)",
    }
    (out / "plan.json").write_text(json.dumps(plan, indent=2))
    return plan


def _pack_weights(model_dir: Path, dest: Path, fp16: bool = False) -> dict:
    from safetensors.numpy import load_file, save_file

    weights = load_file(str(model_dir / "model.safetensors"))
    packed, counts = {}, {"q4": 0, "fp16" if fp16 else "fp32": 0}
    for name, value in weights.items():
        q4 = q4_encode(value) if value.dtype == np.float32 else None
        if q4 is None:
            packed[name] = value.astype(np.float16) if fp16 and value.dtype == np.float32 else value
            counts["fp16" if fp16 else "fp32"] += 1
        else:
            packed[name + ".q4"], packed[name + ".q4scale"] = q4
            counts["q4"] += 1
    save_file(packed, str(dest))
    return counts


def _unpack_base(pack_dir: Path, dest: Path) -> Path:
    from safetensors.numpy import load_file, save_file

    dest.mkdir(parents=True, exist_ok=True)
    for name in BASE_FILES:
        if (pack_dir / "base" / (name + ".xz")).is_file():
            _unxz(pack_dir / "base" / (name + ".xz"), dest / name)
    packed = load_file(str(pack_dir / "base" / "weights.safetensors"))
    weights = {}
    for name, value in packed.items():
        if name.endswith(".q4"):
            weights[name[:-3]] = q4_decode(value, packed[name + "scale"])
        elif not name.endswith(".q4scale"):
            weights[name] = value.astype(np.float32) if value.dtype == np.float16 else value
    save_file(weights, str(dest / "model.safetensors"))
    return dest


def add_windows(pack_dir: Path, run: Path) -> dict:
    """Add a run's windows to the pack as windows-sSEED.npz.xz (for `train --windows-seed SEED`):
    built here with the pack's settings, data and base but another seed, so other unanswerable
    questions, for soup ingredients that differ in more than their batch order. Refuses a run whose
    windows differ from the pack's in anything else."""
    from qa_desktop.training import train_reader, window_cache
    from qa_desktop.training.squad_corpus import file_sha256

    plan = json.loads((pack_dir / "plan.json").read_text())
    saved = json.loads((run / "args.json").read_text())
    files = [Path(p) for p in saved["data"]]
    if sorted((p.name, file_sha256(p)) for p in files) != sorted((d["file"], d["sha256"]) for d in plan["data"]):
        raise SystemExit(f"{run} trained on other data than the pack: its windows do not fit it")
    args = _reader_args(files, plan["flags"])
    args.seed = saved["seed"]
    cache = run / window_cache.CACHE_NAME
    if window_cache.stored_key(cache) != train_reader.windows_key(args, plan["base"]):
        raise SystemExit(f"{cache}: not the pack's windows with seed {args.seed} (other settings, base or code)")
    with np.load(cache) as f:
        summary = {"windows": len(f["start_positions"]), **json.loads(str(f["summary"]))}
    name = f"windows-s{args.seed}.npz.xz"
    _xz(cache, pack_dir / name)
    plan.setdefault("more_windows", {})[str(args.seed)] = {"file": name, **summary}
    (pack_dir / "plan.json").write_text(json.dumps(plan, indent=2))
    return plan["more_windows"][str(args.seed)]


def pack_seed(plan: dict) -> int | None:
    """The seed the pack's own windows were drawn with (its recipe's)."""
    flags = plan["flags"]
    return int(flags[flags.index("--seed") + 1]) if "--seed" in flags else None


def train(pack_dir: Path, result: Path, minutes: float, device: str = "cuda", work: Path | None = None,
          curve_points: int = 12, extra: list[str] | None = None, with_targets: bool = True,
          windows_seed: int | None = None) -> Path:
    """Unpack, train with train_reader within `minutes`, and write the result files into `result`.
    `windows_seed`: train on the windows `add_windows` packed for that seed instead of the pack's own."""
    from qa_desktop.training import train_reader
    from qa_desktop.training.device_result import record_confirmation_f1, write_result

    plan = json.loads((pack_dir / "plan.json").read_text())
    windows = {"seed": pack_seed(plan), "file": "windows.npz.xz",
               **{k: plan[k] for k in ("windows", "examples", "unanswerable") if k in plan}}
    if windows_seed is not None and windows_seed != windows["seed"]:
        if str(windows_seed) not in plan.get("more_windows", {}):
            raise SystemExit(f"{pack_dir} has no windows for seed {windows_seed} (device_bundle add-windows)")
        if plan.get("teacher_targets") and with_targets:
            raise SystemExit("the teacher targets fit the pack's own windows only")
        windows = {"seed": windows_seed, **plan["more_windows"][str(windows_seed)]}
    work = work or Path(tempfile.mkdtemp(prefix="qa-train-"))
    base = _unpack_base(pack_dir, work / "base")
    _unxz(pack_dir / windows["file"], work / "windows.npz")
    data = []
    for rel in plan["curve_files"]:
        (work / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pack_dir / "data" / rel, work / "data" / rel)
        data.append(work / "data" / rel)
    args = _reader_args(data, plan["flags"])
    if plan.get("teacher_targets") and with_targets:
        _unxz(pack_dir / plan["teacher_targets"], work / "teacher-targets.npz")
        extra = ["--teacher-targets", str(work / "teacher-targets.npz"), *(extra or [])]
    steps = int(round(args.epochs * -(-windows["windows"] // args.batch_size)))
    argv = ["--data", *map(str, data), "--out", str(work / "run"), "--base", str(base), "--device", device,
            *plan["flags"], "--prebuilt-windows", str(work / "windows.npz"),
            "--time-budget-minutes", str(minutes), "--checkpoint-steps", str(max(50, steps // curve_points)),
            "--checkpoint-minutes", "1000", *(extra or [])]
    final = work / "run" / "final"
    try:
        train_reader.main(argv)
    finally:
        if (final / "training_run.json").is_file():
            # Which unanswerable questions it saw: with a pack's windows, not the run's own --seed.
            record = json.loads((final / "training_run.json").read_text())
            (final / "training_run.json").write_text(json.dumps({**record, "device_windows": windows}, indent=2))
        write_result(work / "run", result)
    if final.is_dir():
        record_confirmation_f1(final, argv, result / "training_run.json", device)
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pack")
    a.add_argument("--recipe", required=True)
    a.add_argument("--data-root", type=Path, required=True)
    a.add_argument("--base", type=Path, required=True)
    a.add_argument("--out", type=Path, required=True)
    a.add_argument("--limit", type=int, default=None, help="training examples (a dry run)")
    a.add_argument("--base-fp16", action="store_true",
                   help="send the tensors that are not exactly 4-bit as fp16 (an fp32 base too large to travel)")
    b = sub.add_parser("train")
    b.add_argument("pack", type=Path)
    b.add_argument("--result", type=Path, required=True)
    b.add_argument("--minutes", type=float, required=True)
    b.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    b.add_argument("--work", type=Path, default=None,
                   help="where the run trains (default: a new temporary folder); its run/final can go into a soup")
    b.add_argument("--without-teacher-targets", action="store_true",
                   help="train on the gold labels alone (a control for a pack that has teacher targets)")
    b.add_argument("--windows-seed", type=int, default=None,
                   help="train on the windows add-windows packed for this seed (default: the pack's own)")
    b.add_argument("--extra", nargs=argparse.REMAINDER, help="more train_reader arguments (they win)")
    w = sub.add_parser("add-windows")
    w.add_argument("pack", type=Path)
    w.add_argument("--run", type=Path, required=True,
                   help="a run made here with the pack's settings and another --seed (train_reader --windows-only)")
    r = sub.add_parser("pack-run")
    r.add_argument("run", type=Path, help="prepared with train_reader --windows-only")
    r.add_argument("--init", type=Path, required=True, help="a complete checkpoint to continue from")
    r.add_argument("--teacher-targets", type=Path, default=None)
    r.add_argument("--init-description", default=None, help="what the starting weights are, for the model card")
    r.add_argument("--out", type=Path, required=True)
    k = sub.add_parser("keep-best")
    k.add_argument("results", type=Path, nargs="+")
    k.add_argument("--out", type=Path, required=True)
    k.add_argument("--keep", type=int, default=2)
    c = sub.add_parser("merge")
    c.add_argument("result", type=Path)
    c.add_argument("--pack", type=Path, required=True)
    c.add_argument("--base", type=Path, required=True)
    c.add_argument("--work", type=Path, required=True)
    args = p.parse_args(argv)
    from qa_desktop.training.device_result import keep_best, merge

    if args.command == "pack":
        print(json.dumps(pack(args.recipe, args.data_root, args.base, args.out, args.limit, args.base_fp16),
                         indent=2))
    elif args.command == "train":
        train(args.pack, args.result, args.minutes, args.device, work=args.work, extra=args.extra,
              with_targets=not args.without_teacher_targets, windows_seed=args.windows_seed)
    elif args.command == "add-windows":
        print(json.dumps(add_windows(args.pack, args.run), indent=2))
    elif args.command == "pack-run":
        print(json.dumps(pack_run(args.run, args.init, args.out, args.teacher_targets, args.init_description),
                         indent=2))
    elif args.command == "keep-best":
        print(keep_best(args.results, args.out, args.keep))
    else:
        print(merge(args.result, args.pack, args.base, args.work))


if __name__ == "__main__":
    main()
