"""Soft start/end targets from teacher models, for distilling them into a run's training windows.

    python -m qa_desktop.training.teacher_targets --run runs/minilm-en-kd \\
        --teacher resources/models/minilm-l6-squad-en --teacher resources/models/e5-small-qa-multilingual

Why: on 600 held-out English questions the bundled English model scores F1 73.8, the
multilingual one 75.2, and the average of their character-level start/end probabilities 76.9
(they give the same text for only 61% of questions). A student trained toward that average, not
only toward the one gold span, can learn what neither learns alone.

Each teacher answers every answerable training example of the run (`args.json`, as
`train_reader` writes it before training) through the engine, as a user's question would be
answered. Its probabilities become character distributions: start mass at each token's first
character, end mass at its last, times (1 − its calibrated no-answer probability), plus that
no-answer probability at [CLS]. Teachers are averaged. Per student window, the mass of every
character is given to the window token that holds it (a character in a gap between tokens goes
to the next token for starts, the previous one for ends); mass outside the window goes to [CLS],
as the hard labels do. The K largest positions per side are kept and renormalized.
Unanswerable examples get no soft target (their windows train on the gold [CLS] alone): the
hard negatives are built to fool a model, and a teacher fooled by one would teach the student
to answer it.

Work is saved per chunk of examples under OUT.parts/, so a stopped run continues; the result is
one .npz keyed by the run's window key, which `train_reader --teacher-targets` checks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

TOP_K = 8
CHUNK = 2000


def character_distributions(prediction, length: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(start mass per character, end mass per character end (exclusive), no-answer mass);
    the two arrays have length + 1 entries and each sums, with the no-answer mass, to 1."""
    tokens = prediction.tokens
    answer_mass = 1.0 - float(prediction.no_answer_probability)
    starts = np.zeros(length + 1)
    ends = np.zeros(length + 1)
    if len(tokens):
        np.add.at(starts, tokens.start, tokens.start_prob * answer_mass)
        np.add.at(ends, tokens.end, tokens.end_prob * answer_mass)
    return starts, ends, 1.0 - answer_mass


def window_targets(offsets: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                   top_k: int = TOP_K) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start positions, start probabilities, end positions, end probabilities), top_k each,
    for one window whose tokens have these character offsets ((-1, -1): not passage). [CLS]
    gets what the characters inside the window do not: the no-answer mass and the rest."""
    passage = np.flatnonzero(offsets[:, 0] >= 0)
    if passage.size == 0:  # no passage token in the window: nothing but "no answer"
        only_null = (np.zeros(top_k, np.int16), np.eye(1, top_k, dtype=np.float16)[0])
        return only_null + only_null
    token_starts, token_ends = offsets[passage, 0], offsets[passage, 1]
    first, last = int(token_starts[0]), int(token_ends[-1])
    chars = np.arange(len(starts))

    def spread(mass: np.ndarray, for_starts: bool) -> np.ndarray:
        row = np.zeros(len(offsets))
        inside = (chars >= first) & (chars < last) if for_starts else (chars > first) & (chars <= last)
        where = chars[inside & (mass > 0)]
        if for_starts:  # the first token ending after the character
            owner = np.searchsorted(token_ends, where, side="right")
        else:  # the last token starting before the (exclusive) end
            owner = np.searchsorted(token_starts, where, side="left") - 1
        np.add.at(row, passage[owner], mass[where])
        row[0] = max(0.0, 1.0 - row.sum())  # no answer, and everything outside the window
        return row

    out = []
    for row in (spread(starts, True), spread(ends, False)):
        keep = np.argsort(-row, kind="stable")[:top_k]
        p = row[keep] / row[keep].sum()
        pad = top_k - len(keep)  # a window shorter than top_k: position 0 with no mass
        out += [np.pad(keep, (0, pad)).astype(np.int16), np.pad(p, (0, pad)).astype(np.float16)]
    return tuple(out)


def _run_args(run: Path) -> argparse.Namespace:
    saved = json.loads((run / "args.json").read_text())
    saved["data"] = [Path(p) for p in saved["data"]]
    saved["out"] = Path(saved["out"])
    return argparse.Namespace(**saved)


def build(run: Path, teachers: list[str], out: Path, top_k: int = TOP_K, log=print) -> Path:
    from transformers import AutoTokenizer

    from qa_desktop.engine.errors import QaDesktopError
    from qa_desktop.engine.question_answerer import QuestionAnswerer
    from qa_desktop.training import window_cache
    from qa_desktop.training.train_reader import load_training_examples, windows_key
    from qa_desktop.training.training_features import build_windows

    args = _run_args(run)
    key = windows_key(args, args.base)
    examples = load_training_examples(args)
    tokenizer = AutoTokenizer.from_pretrained(args.base)
    windows = build_windows(tokenizer, examples, args.max_seq_len, args.doc_stride, args.max_question_len,
                            keep_offsets=True)
    cached = window_cache.load(run / window_cache.CACHE_NAME, key)
    if cached is not None and any(not np.array_equal(a, b) for a, b in zip(cached[0].input_ids, windows.input_ids)):
        raise SystemExit("the rebuilt windows differ from the run's cached ones: targets would be misaligned")
    answerers = [QuestionAnswerer.load(t, threads=args.threads) for t in teachers]
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    by_example: dict[int, list[int]] = {}
    for w, e in enumerate(windows.example_index):
        by_example.setdefault(int(e), []).append(w)
    n = len(windows)
    for begin in range(0, len(examples), CHUNK):
        part = parts / f"{begin:07d}.npz"
        if part.exists():
            continue
        started = time.time()
        rows = {name: [] for name in ("window", "start_pos", "start_p", "end_pos", "end_p")}
        for e in range(begin, min(begin + CHUNK, len(examples))):
            ex = examples[e]
            if ex.is_impossible:
                continue
            try:
                predictions = [a.answer(ex.question, ex.context, top_k=1, windows_mode="all") for a in answerers]
            except QaDesktopError:
                continue  # a question a teacher cannot read: gold labels only
            dists = [character_distributions(p, len(ex.context)) for p in predictions]
            starts = np.mean([d[0] for d in dists], axis=0)
            ends = np.mean([d[1] for d in dists], axis=0)
            for w in by_example.get(e, []):
                sp, spp, ep, epp = window_targets(windows.offsets[w], starts, ends, top_k)
                for name, value in zip(rows, (w, sp, spp, ep, epp)):
                    rows[name].append(value)
        tmp = part.with_name(part.name + ".tmp")
        with open(tmp, "wb") as f:  # whole or absent: a stopped run redoes an unfinished chunk
            np.savez(f, **{k: np.array(v) for k, v in rows.items()})
        tmp.replace(part)
        log(f"examples {begin}-{min(begin + CHUNK, len(examples))} of {len(examples)}: "
            f"{len(rows['window'])} windows with targets, {time.time() - started:.0f}s")
    with_targets = assemble(parts, n, key, teachers, out, top_k)
    log(f"{out}: soft targets for {with_targets} of {n} windows from {len(teachers)} teacher(s)")
    return out


def assemble(parts: Path, windows: int, key: str, teachers: list[str], out: Path, top_k: int = TOP_K) -> int:
    """One targets file from the chunks in `parts` (windows in no chunk have none); returns how
    many windows have targets."""
    has = np.zeros(windows, dtype=bool)
    arrays = {"start_pos": np.zeros((windows, top_k), np.int16), "start_p": np.zeros((windows, top_k), np.float16),
              "end_pos": np.zeros((windows, top_k), np.int16), "end_p": np.zeros((windows, top_k), np.float16)}
    for part in sorted(parts.glob("*.npz")):
        with np.load(part) as chunk:
            if chunk["window"].size:
                has[chunk["window"]] = True
                for name in arrays:
                    arrays[name][chunk["window"]] = chunk[name]
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, key=np.array(key), teachers=np.array(json.dumps([str(t) for t in teachers])),
                 has_target=has, **arrays)
    tmp.replace(out)
    return int(has.sum())


def load(path: Path, key: str, windows: int) -> dict[str, np.ndarray]:
    """The targets for a run whose windows have `key`; SystemExit when they belong to other windows."""
    with np.load(path) as f:
        if str(f["key"]) != key or len(f["has_target"]) != windows:
            raise SystemExit(f"{path}: teacher targets for other training windows (rebuild them with "
                             "python -m qa_desktop.training.teacher_targets)")
        return {name: f[name] for name in ("has_target", "start_pos", "start_p", "end_pos", "end_p")}


def describe(path: Path) -> dict:
    """What a targets file says about itself, for the run's record and the model card."""
    with np.load(path) as f:
        scores = json.loads(str(f["scores"])) if "scores" in f.files else {}  # ensemble_targets' files
        return {"teachers": json.loads(str(f["teachers"])), "windows_with_targets": int(f["has_target"].sum()),
                "windows": len(f["has_target"]), **({"teacher_scores": scores} if scores else {})}


def mean_scores(scores: dict) -> str:
    """How a targets file's scores name the mean of its teachers (for the log and the model card)."""
    if scores.get("ensemble") is not None:
        return f"their mean {scores['ensemble']:.2f}"
    return (f"the mean of the earlier ones {scores['earlier_ensemble']:.2f}, of the later ones "
            f"{scores['new_ensemble']:.2f} (the mean of all was not scored: the earlier weights were not kept)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", type=Path, required=True, help="the student's run directory (its args.json)")
    p.add_argument("--teacher", action="append", required=True, help="a model directory (repeat to average)")
    p.add_argument("--out", type=Path, default=None, help="default: RUN/teacher-targets.npz")
    p.add_argument("--top-k", type=int, default=TOP_K)
    a = p.parse_args(argv)
    build(a.run, a.teacher, a.out or a.run / "teacher-targets.npz", a.top_k,
          log=lambda m: print(m, flush=True))
    return 0


def batch_targets(targets: dict[str, np.ndarray], members: np.ndarray) -> dict[str, np.ndarray]:
    """The rows of `targets` for one batch of windows."""
    return {name: values[members] for name, values in targets.items()}


def distillation_loss(start_logits, end_logits, start_positions, end_positions, batch: dict, weight: float):
    """Per window: (1 − weight) × the gold loss + weight × the cross-entropy against the teachers'
    soft targets, where the window has them; the gold loss alone where it does not. The gold
    loss is the seed's (mean of start and end cross-entropy over the padded row); the mean over
    the batch is returned."""
    import torch
    import torch.nn.functional as F

    def soft(logits, positions, probabilities):
        log_p = F.log_softmax(logits.float(), dim=-1)
        return -(probabilities * log_p.gather(1, positions)).sum(dim=1)

    device = start_logits.device
    has = torch.as_tensor(batch["has_target"], device=device).float()
    gold = (F.cross_entropy(start_logits.float(), start_positions, reduction="none")
            + F.cross_entropy(end_logits.float(), end_positions, reduction="none")) / 2
    teacher = (soft(start_logits, torch.as_tensor(batch["start_pos"], device=device).long(),
                    torch.as_tensor(batch["start_p"], device=device).float())
               + soft(end_logits, torch.as_tensor(batch["end_pos"], device=device).long(),
                      torch.as_tensor(batch["end_p"], device=device).float())) / 2
    return torch.mean(gold * (1 - weight * has) + weight * has * teacher)


if __name__ == "__main__":
    sys.exit(main())
