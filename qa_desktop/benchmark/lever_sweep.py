"""What each ONNX Runtime lever gives qa-desktop's engine on this machine.

    python -m qa_desktop.benchmark.lever_sweep --model DIR [--model DIR2] [--threads N] [--json]

Every configuration runs in a fresh process on the same inputs as `qa-desktop bench` (a short
SQuAD-sized paragraph, a long document): load time, short-passage median latency, long-document
time, RSS after load and after the long document. Levers: windows per batch, intra-op threads,
the CPU memory arena (off), thread spin-waiting, IO binding, and
loading a graph ONNX Runtime has already optimized and saved (so start-up does not redo it).

The engine is not edited: a configuration changes the session options the engine builds
(through QuestionAnswerer's configure_session hook) or the reader's batch size, and the table says
which. Use it to decide engine defaults; it is a measuring tool, not part of the app.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# name → what changes. "session" entries are SessionOptions attributes or config entries.
LEVERS: dict[str, dict] = {
    "engine defaults": {},
    "batch 1": {"batch_size": 1},
    "batch 2": {"batch_size": 2},
    "batch 4": {"batch_size": 4},
    "batch 16": {"batch_size": 16},
    "threads 1": {"threads": 1},
    "memory arena off": {"session": {"enable_cpu_mem_arena": False}},
    "no spin-waiting": {"config": {"session.intra_op.allow_spinning": "0"}},
    "IO binding": {"io_binding": True},
    "saved optimized graph": {"pre_optimized": True},
}
QUICK_LEVERS = ("engine defaults", "batch 1", "memory arena off", "IO binding", "saved optimized graph")


class _BoundSession:
    """An InferenceSession whose run() goes through IO binding (inputs bound as numpy arrays)."""

    def __init__(self, session):
        self._session = session

    def __getattr__(self, name):
        return getattr(self._session, name)

    def run(self, output_names, feed):
        binding = self._session.io_binding()
        for name, value in feed.items():
            binding.bind_cpu_input(name, value)
        for name in output_names:
            binding.bind_output(name, "cpu")
        self._session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()


def _pre_optimized_copy(model_dir: Path, threads: int, tmp: Path) -> Path:
    """A copy of the model directory whose model.onnx ONNX Runtime has optimized and saved."""
    import onnxruntime as ort

    out = tmp / f"{model_dir.name}-ort-optimized"
    out.mkdir()
    for item in model_dir.iterdir():
        if item.name != "model.onnx":
            (out / item.name).symlink_to(item.resolve())
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # EXTENDED, not ALL: the saved graph must not depend on this CPU's layout-specific kernels.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(out / "model.onnx")
    ort.InferenceSession(str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    return out


def _worker(spec: dict) -> dict:
    import gc

    import onnxruntime as ort

    from qa_desktop.benchmark.peer_worker import rss_bytes
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    lever = spec["lever"]

    def configure(o) -> None:  # the app's session options, then the lever's changes
        for key, value in lever.get("session", {}).items():
            setattr(o, key, value)
        for key, value in lever.get("config", {}).items():
            o.add_session_config_entry(key, value)
        if lever.get("pre_optimized"):
            o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL

    gc.collect()
    before = rss_bytes()
    t0 = time.perf_counter()
    qa = QuestionAnswerer.load(spec["model_dir"], device="cpu", threads=lever.get("threads", spec["threads"]),
                               batch_size=lever.get("batch_size", 8), configure_session=configure)
    load_ms = (time.perf_counter() - t0) * 1e3
    if lever.get("io_binding"):
        qa.reader.session = _BoundSession(qa.reader.session)
    gc.collect()
    after_load = rss_bytes()

    def ask(item):
        qa.forget_passage()  # cold, as in the bench
        t = time.perf_counter()
        prediction = qa.answer(item["question"], item["context"], top_k=1)
        return time.perf_counter() - t, prediction

    ask(spec["short"])
    short = [ask(spec["short"])[0] * 1e3 for _ in range(spec["repeats"])]
    long_times = []
    for _ in range(spec["long_repeats"]):
        dt, prediction = ask(spec["long"])
        long_times.append(dt)
    gc.collect()
    return {"load_ms": load_ms, "short_ms": statistics.median(short), "long_s": statistics.median(long_times),
            "windows": len(prediction.windows), "rss_before_mb": before / 2**20,
            "rss_load_mb": after_load / 2**20, "rss_long_mb": rss_bytes() / 2**20,
            "batch_size": qa.reader.batch_size}


def _run_config(spec: dict, timeout_s: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(spec, f)
    try:
        proc = subprocess.run([sys.executable, "-m", "qa_desktop.benchmark.lever_sweep", "--worker", f.name],
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout_s:.0f} s"}
    finally:
        os.unlink(f.name)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return {"error": f"exit code {proc.returncode}: {tail[-400:]}"}
    return json.loads(lines[-1])


def sweep(models: list[Path], threads: int, levers: list[str], short: dict, long_: dict,
          repeats: int, long_repeats: int, progress=None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-desktop-levers-") as tmp:
        for model in models:
            pre_optimized = None
            for name in levers:
                lever = LEVERS[name]
                model_dir = model
                if lever.get("pre_optimized"):
                    pre_optimized = pre_optimized or _pre_optimized_copy(model, threads, Path(tmp))
                    model_dir = pre_optimized
                if progress:
                    progress(f"{model.name}: {name}")
                spec = {"lever": lever, "model_dir": str(model_dir), "threads": threads, "short": short,
                        "long": long_, "repeats": repeats, "long_repeats": long_repeats}
                rows.append({"model": model.name, "lever": name, **_run_config(spec, 1800)})
    return rows


def table(rows: list[dict]) -> str:
    head = f"{'model':<24}{'lever':<26}{'load ms':>9}{'short ms':>10}{'long s':>9}{'RSS load':>10}{'RSS long':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['model'][:23]:<24}{r['lever']:<26}  error: {r['error']}")
            continue
        lines.append(f"{r['model'][:23]:<24}{r['lever']:<26}{r['load_ms']:>9.0f}{r['short_ms']:>10.1f}"
                     f"{r['long_s']:>9.3f}{r['rss_load_mb']:>10.0f}{r['rss_long_mb']:>10.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa_desktop.benchmark.lever_sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", help="model directory (repeat to compare, e.g. fp32 and int8)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--lever", action="append", choices=sorted(LEVERS), help="only these (repeatable)")
    p.add_argument("--long-tokens", type=int, default=20_000)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--data", default=None, help="SQuAD-format file for the passages")
    p.add_argument("--quick", action="store_true", help="a few levers, small inputs")
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(Path(args.worker).read_text(encoding="utf-8")))))
        return 0
    if not args.model:
        p.error("--model is required")

    from qa_desktop.benchmark import bench_inputs
    from qa_desktop.engine.model_directory import ModelDirectory
    from qa_desktop.engine.onnx_session import physical_cores

    models = [Path(m).expanduser().resolve() for m in args.model]
    md = ModelDirectory.open(models[0])
    tokenizer = md.load_tokenizer()
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if args.data:
        items = bench_inputs.read_items(args.data)
    elif not args.quick and bench_inputs.default_data_file():
        items = bench_inputs.read_items(bench_inputs.default_data_file())
    else:
        items = bench_inputs.builtin_items()
    long_tokens = min(args.long_tokens, 1500) if args.quick else args.long_tokens
    workload = bench_inputs.build_workload(
        items, "", lambda texts: [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)],
        sample=0, long_tokens=long_tokens, max_question_len=md.manifest.max_question_len,
        held_out_first=bool(args.data) or not args.quick)
    levers = args.lever or (list(QUICK_LEVERS) if args.quick else list(LEVERS))
    threads = args.threads or physical_cores()
    rows = sweep(models, threads, levers, workload.short.to_json(), workload.long.to_json(),
                 repeats=min(args.repeats, 3) if args.quick else args.repeats,
                 long_repeats=1 if args.quick else 3,
                 progress=lambda m: print(f"levers: {m}", file=sys.stderr, flush=True))
    result = {"threads": threads, "short_tokens": workload.short_tokens, "long_tokens": workload.long_tokens,
              "rows": rows}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{threads} threads; short passage {workload.short_tokens} tokens; long document "
              f"{workload.long_tokens:,} tokens")
        print(table(rows))
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
