"""int8 variants of one fp32 export, side by side: agreement with fp32, F1, and speed.

    python -m qa_desktop.benchmark.quantization_levers FP32_MODEL_DIR WORK_DIR [--questions 200]
        [--rounds 15] [--data train-v1.1.json] [--variants a,b,...] [--json]

Variants are built from FP32_MODEL_DIR's model.onnx (an optimized `qa-desktop export`):
SmoothQuant then dynamic U8S8 per channel (the export's int8), plain dynamic U8S8, U8S8 with
reduce_range (7-bit weights: no vpmaddubsw saturation on CPUs without VNNI), U8U8 (u8 weights,
the AVX2 kernels' own path), and static QDQ. SmoothQuant's channel ranges and static QDQ's
activation ranges are measured on windows of the "calibration" articles. Every variant and fp32
answer the same held-out questions (ArticleSplit "eval", one paragraph each);
agreement is the share of questions whose best span equals fp32's. Speed is the median time to
answer one SQuAD paragraph (tokenization included), variants interleaved round by round in one
process so a busy machine's drift hits all of them alike.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

VARIANTS = ("smoothquant_u8s8", "dynamic_u8s8", "dynamic_u8s8_reduce_range", "dynamic_u8u8", "static_qdq")


def _copy_directory(fp32: Path, out: Path, quantization: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for f in fp32.iterdir():
        if f.is_file() and f.suffix != ".onnx":
            shutil.copyfile(f, out / f.name)
    manifest = json.loads((out / "qa_desktop.json").read_text(encoding="utf-8"))
    manifest["quantization"] = quantization
    manifest["name"] = out.name
    (out / "qa_desktop.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


class _WindowReader:
    """Calibration windows as the engine feeds them (one window per run)."""

    def __init__(self, feeds: list[dict]):
        self._it = iter(feeds)

    def get_next(self):
        return next(self._it, None)


def build_variant(name: str, fp32: Path, work: Path, calibration: list[tuple[str, str]]) -> Path:
    from qa_desktop.engine.model_manifest import ModelManifest
    from qa_desktop.engine.onnx_export import calibration_feeds, engine_parts, quantize_int8

    out = work / name
    if (out / "model.onnx").exists():
        return out
    _copy_directory(fp32, out, "int8")
    src = fp32 / "model.onnx"
    if name in ("static_qdq", "smoothquant_u8s8"):
        feeds = calibration_feeds(engine_parts(fp32, ModelManifest.read(fp32)), calibration)
        if name == "static_qdq":
            quantize_int8(src, out / "model.onnx", scheme="static_qdq", calibration=_WindowReader(feeds))
        else:
            quantize_int8(src, out / "model.onnx", scheme="u8s8", smoothing_feeds=feeds)
    else:
        quantize_int8(src, out / "model.onnx", scheme=name.removeprefix("dynamic_"))
    return out


def held_out_questions(data: Path, bucket: str, count: int, seed: int = 0) -> list[tuple[str, str, tuple]]:
    from qa_desktop.engine.squad_articles import ArticleSplit, articles_in, read_squad

    items = [(qa["question"], p["context"], tuple(a["text"] for a in qa["answers"]))
             for article in articles_in(read_squad([data]), ArticleSplit(), bucket)
             for p in article["paragraphs"] for qa in p["qas"] if qa.get("answers")]
    return random.Random(seed).sample(items, min(count, len(items)))


def measure(models: dict[str, Path], questions, rounds: int, threads: int | None) -> dict:
    from qa_desktop.engine.question_answerer import QuestionAnswerer
    from qa_desktop.engine.squad_metric import best_over_truths, f1

    loaded = {name: QuestionAnswerer.load(path, device="cpu", threads=threads) for name, path in models.items()}
    answers = {name: [] for name in loaded}
    for question, context, truths in questions:
        for name, qa in loaded.items():
            best = qa.answer(question, context, top_k=1).best
            answers[name].append((best.start, best.end, best.text) if best else (0, 0, ""))
    # A SQuAD paragraph of ~159 tokens for the timing.
    short = min(questions, key=lambda q: abs(len(loaded["fp32"].features.tokenize_passage(q[1])) - 159))
    times = {name: [] for name in loaded}
    for qa in loaded.values():
        qa.answer(short[0], short[1])  # warm-up
    for _ in range(rounds):
        for name, qa in loaded.items():
            qa.forget_passage()
            t0 = time.perf_counter()
            qa.answer(short[0], short[1], top_k=1)
            times[name].append(time.perf_counter() - t0)
    ref = answers["fp32"]
    report = {"questions": len(questions), "short_tokens": len(loaded["fp32"].features.tokenize_passage(short[1])),
              "rounds": rounds}
    fp32_ms = statistics.median(times["fp32"]) * 1e3
    for name in loaded:
        got = answers[name]
        report[name] = {
            "agreement_with_fp32": 100 * sum(a[:2] == b[:2] for a, b in zip(got, ref)) / len(ref),
            "f1": 100 * statistics.fmean(best_over_truths(f1, a[2], list(q[2])) for a, q in zip(got, questions)),
            "short_ms_median": statistics.median(times[name]) * 1e3,
            "short_vs_fp32": statistics.median(times[name]) * 1e3 / fp32_ms,
            "onnx_mb": models[name].joinpath("model.onnx").stat().st_size / 1e6,
        }
    return report


def main(argv: list[str] | None = None) -> int:
    from qa_desktop.benchmark.bench_inputs import default_data_file

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fp32", type=Path)
    p.add_argument("work", type=Path)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--calibration", type=int, default=64)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    data = args.data or default_data_file()
    if data is None:
        print("quantization_levers: no SQuAD v1.1 train file (give --data)", file=sys.stderr)
        return 2
    calibration = [(q, c) for q, c, _ in held_out_questions(data, "calibration", args.calibration, seed=1)]
    models = {"fp32": args.fp32}
    for name in [v for v in args.variants.split(",") if v]:
        print(f"building {name} ...", file=sys.stderr, flush=True)
        models[name] = build_variant(name, args.fp32, args.work, calibration)
    report = measure(models, held_out_questions(data, "eval", args.questions), args.rounds, args.threads)
    print(json.dumps(report, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
