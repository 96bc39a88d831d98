"""`qa-desktop bench`: qa-desktop against the transformers question-answering pipeline, one run.

    qa-desktop bench [--model DIR] [--reference CHECKPOINT] [--threads N] [--quick] [--json]

Parts (each can be left out with --skip): short (one SQuAD-sized paragraph, median latency),
long (a ~20k-token document, time to answer), memory (RSS after load and after the long
document), efficiency (model GFLOP/s against this machine's faster large GEMM, bf16 or fp32, in the same run), startup
(launch → window shown with the model ready, against a bare PySide6 window) and agreement
(answers on a question sample, differences explained).

Contestants, each in a process of its own and one after another (never concurrently):
qa-desktop's engine on the ONNX model; the pipeline in fp32 with its defaults (batch 1), what
a user gets; the pipeline under bf16 autocast with qa-desktop's batch size, the best-tuned peer;
Optimum's own export of the same checkpoint in fp32 and dynamic int8 (optimum_peer), what an
ONNX-savvy user gets. All run with the same thread count. The peers run in --peer-python
(default: this python), which needs a transformers that still has the pipeline and Optimum
(peer_env); what it lacks, or a missing reference checkpoint, is said in one line and the rest
is measured. --quick shrinks every size for a smoke run in seconds.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from qa_desktop.engine.cpu_features import has_native_bf16
from qa_desktop.engine.errors import QaDesktopError

PARTS = ("short", "long", "startup", "memory", "efficiency", "agreement")
WORKER_MODULE = "qa_desktop.benchmark.peer_worker"
BUSY_PERCENT = 20.0


@dataclass(frozen=True)
class Plan:
    parts: frozenset
    quick: bool
    threads: int
    repeats: int
    long_tokens: int
    long_repeats: int
    sample: int
    launches: int
    startup_warmup: bool
    gemm_size: int
    gemm_seconds: float
    worker_timeout_s: float
    startup_timeout_s: float


def make_plan(args) -> Plan:
    from qa_desktop.engine.onnx_session import physical_cores

    skip = {s.strip() for s in (args.skip or "").split(",") if s.strip()}
    unknown = skip - set(PARTS)
    if unknown:
        raise QaDesktopError(f"--skip: unknown part(s) {', '.join(sorted(unknown))}; parts are {', '.join(PARTS)}.")
    if args.repeats < 1:
        raise QaDesktopError("--repeats must be at least 1.")
    if args.long_tokens < 1:
        raise QaDesktopError("--long-tokens must be at least 1.")
    if args.sample < 0:
        raise QaDesktopError("--sample must be 0 or more.")
    if args.threads is not None and args.threads < 1:
        raise QaDesktopError("--threads must be at least 1.")
    parts = set(PARTS) - skip
    if args.sample == 0:
        parts.discard("agreement")
    threads = args.threads or physical_cores()
    if args.quick:
        return Plan(parts=frozenset(parts), quick=True, threads=threads, repeats=min(args.repeats, 3),
                    long_tokens=min(args.long_tokens, 1500), long_repeats=1, sample=min(args.sample, 12),
                    launches=1, startup_warmup=False, gemm_size=256, gemm_seconds=0.05,
                    worker_timeout_s=300, startup_timeout_s=60)
    return Plan(parts=frozenset(parts), quick=False, threads=threads, repeats=args.repeats,
                long_tokens=args.long_tokens, long_repeats=3, sample=args.sample, launches=9,
                startup_warmup=True, gemm_size=2048, gemm_seconds=1.0,
                worker_timeout_s=3600, startup_timeout_s=120)


def _cpu_busy_percent() -> float | None:
    """How busy the CPU is before anything starts (other processes' load)."""
    try:
        import psutil
    except ImportError:
        return None
    return float(psutil.cpu_percent(interval=0.5))


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _worker_env(threads: int) -> dict:
    import os

    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("HF_HUB_OFFLINE", "1")  # the reference is a local directory: never download
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("OMP_NUM_THREADS", str(threads))
    return env


def run_worker(name: str, spec: dict, workdir: Path, timeout_s: float, threads: int,
               python: str | None = None) -> dict:
    """One contestant in its own process (`python`, default this one); its JSON output, or
    {"error": ...}."""
    import subprocess

    spec_path, out_path = workdir / f"{name}.spec.json", workdir / f"{name}.out.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    started = time.perf_counter()
    try:
        proc = subprocess.run([python or sys.executable, "-m", WORKER_MODULE, str(spec_path), str(out_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                              errors="replace", timeout=timeout_s, env=_worker_env(threads))
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout_s:.0f} s"}
    if proc.returncode != 0 or not out_path.exists():
        tail = [line for line in proc.stderr.strip().splitlines() if line.strip()][-3:]
        return {"error": f"exit code {proc.returncode}: " + " | ".join(tail)[-600:]}
    out = json.loads(out_path.read_text(encoding="utf-8"))
    out["wall_s"] = time.perf_counter() - started
    return out


def _inputs(args, plan: Plan, tokenizer, max_question_len: int):
    from qa_desktop.benchmark import bench_inputs

    def count_tokens(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    if args.data:
        items, source, held = bench_inputs.read_items(args.data), str(args.data), True
    elif not plan.quick and bench_inputs.default_data_file() is not None:
        path = bench_inputs.default_data_file()
        items, source, held = bench_inputs.read_items(path), str(path), True
    else:
        items, source, held = bench_inputs.builtin_items(), "built-in passages", False
    return bench_inputs.build_workload(items, source, count_tokens, sample=plan.sample,
                                       long_tokens=plan.long_tokens, max_question_len=max_question_len,
                                       held_out_first=held)


def _peers(args, model, abilities) -> tuple[object | None, str | None]:
    """The reference checkpoint when a peer can run, and why peers are not measured (one line)."""
    from qa_desktop.benchmark.reference_weights import find_reference
    from qa_desktop.engine.errors import ModelError

    wanted = ("pipeline",) + (() if args.no_optimum else ("optimum",))
    missing = abilities.missing_line(wanted)
    if not any(getattr(abilities, kind) is None for kind in wanted):
        return None, missing
    try:
        return find_reference(args.reference, model), missing
    except ModelError as exc:
        if args.reference:
            raise  # the user named it: a wrong --reference is an error
        return None, f"peers not measured: {exc}"


def _run_pipelines(plan: Plan, base_spec: dict, reference, python: str, device: str, batch: int,
                   workdir: Path, workers: dict, warnings: list[str]) -> None:
    """The pipeline in fp32 with its defaults (batch 1), and under bf16 autocast at qa-desktop's batch."""
    peers = [("pipeline_fp32", "fp32", 1), ("pipeline_bf16", "bf16", batch)]
    if device == "cpu" and not has_native_bf16():
        peers.pop()
        warnings.append("pipeline bf16 not run: this CPU has no native bf16 (avx512_bf16 or amx_bf16), "
                        "so PyTorch emulates it, far slower than fp32; no user would choose it here.")
    for name, precision, batch_size in peers:
        _say(f"{name.replace('_', ' ')} (batch {batch_size}) ...")
        spec = {**base_spec, "role": "pipeline", "reference": str(reference.path),
                "tokenizer_source": str(reference.tokenizer_source), "precision": precision,
                "device": device, "batch_size": batch_size}
        workers[name] = run_worker(name, spec, workdir, plan.worker_timeout_s, plan.threads, python)
        info = workers[name].get("info") or {}
        if info.get("model_uses_token_types") and not info.get("feeds_token_type_ids"):
            note = ("the checkpoint's tokenizer does not list token_type_ids among its model "
                    "inputs, so the pipeline runs the model without segment ids while qa-desktop "
                    "feeds them: their logits and answers differ for that reason alone.")
            if note not in warnings:
                warnings.append(note)


def run(args) -> int:
    from qa_desktop.benchmark import answer_agreement, bench_report, machine_info, peer_env, startup_probe
    from qa_desktop.engine import model_store
    from qa_desktop.engine.model_directory import ModelDirectory
    from qa_desktop.engine.squad_metric import default_f1_unit

    plan = make_plan(args)
    model = ModelDirectory.open(model_store.resolve(args.model, ""))
    m = model.manifest
    needs_workers = bool(plan.parts & {"short", "long", "memory", "efficiency", "agreement"})
    python = args.peer_python or sys.executable
    abilities = peer_env.probe(python) if needs_workers else None
    reference, missing_peers = _peers(args, model, abilities) if needs_workers else (None, None)
    if missing_peers:
        _say(missing_peers)
    tokenizer = model.load_tokenizer()
    tokenizer.no_truncation()
    tokenizer.no_padding()
    workload = _inputs(args, plan, tokenizer, m.max_question_len)
    settings = {"max_seq_len": m.max_seq_len, "doc_stride": m.doc_stride,
                "max_question_len": m.max_question_len, "max_answer_len": m.max_answer_len}
    _say(f"{model.name} ({m.quantization or 'fp32'})"
         + (f" vs the pipeline on {reference.path}" if reference else "")
         + f"; {plan.threads} thread{'s' if plan.threads != 1 else ''}; parts: "
         + ", ".join(p for p in PARTS if p in plan.parts))

    needs_long = bool(plan.parts & {"long", "memory", "efficiency"})
    base_spec = {
        "threads": plan.threads, "settings": settings,
        "short": ({"question": workload.short.question, "context": workload.short.context}
                  if "short" in plan.parts else None),
        "long": ({"question": workload.long.question, "context": workload.long.context} if needs_long else None),
        "repeats": plan.repeats, "long_repeats": plan.long_repeats,
        "agreement": ([q.to_json() for q in workload.sample] if "agreement" in plan.parts else None),
    }
    workers: dict[str, dict | None] = {}
    warnings: list[str] = []
    gemm = None
    busy = _cpu_busy_percent()
    if busy is not None and busy > BUSY_PERCENT:
        warnings.append(f"other processes kept the CPU {busy:.0f}% busy when the benchmark started: "
                        "timings are not reliable (thread pools that spin-wait suffer most).")
    with tempfile.TemporaryDirectory(prefix="qa-desktop-bench-") as tmp:
        workdir = Path(tmp)
        if needs_workers:
            _say("qa-desktop engine ...")
            ours = run_worker("ours", {**base_spec, "role": "ours", "model_dir": str(model.path),
                                       "device": args.device}, workdir, plan.worker_timeout_s, plan.threads)
            workers["ours"] = ours
            info = ours.get("info") or {}
            peer_device = "cuda" if info.get("device") == "CUDA" else "cpu"
            if info.get("fallback_reason"):
                warnings.append(info["fallback_reason"])
            if base_spec["agreement"] and _ok(ours):  # the peers decode qa-desktop's logits their way
                windows = ours["agreement"]["windows"]
                base_spec["agreement"] = [{**item, "ours_windows": windows.get(item["id"])}
                                          for item in base_spec["agreement"]]
            if reference is not None and abilities.pipeline is None:
                _run_pipelines(plan, base_spec, reference, python, peer_device,
                               int(info.get("batch_size") or 8), workdir, workers, warnings)
            if reference is not None and abilities.optimum is None and not args.no_optimum:
                _run_optimum(args, plan, base_spec, reference, python, peer_device, workdir, workers, warnings)
            if "efficiency" in plan.parts:
                _say("GEMM ceiling ...")
                # An emulated bf16 GEMM is no ceiling, and a 2048³ one takes minutes.
                dtypes = ("bf16", "fp32") if peer_device != "cpu" or has_native_bf16() else ("fp32",)
                gemm = run_worker("gemm", {"role": "gemm", "size": plan.gemm_size, "seconds": plan.gemm_seconds,
                                           "device": peer_device, "threads": plan.threads, "dtypes": dtypes},
                                  workdir, plan.worker_timeout_s, plan.threads)
                if "error" in gemm:
                    warnings.append(f"no GEMM ceiling (it needs torch): {gemm['error']}")

    startup = None
    if "startup" in plan.parts:
        _say("start-up ...")
        startup = startup_probe.measure(["--model", str(model.path), "--device", args.device],
                                        launches=plan.launches, warmup=plan.startup_warmup,
                                        timeout_s=plan.startup_timeout_s)

    agreement = None
    if "agreement" in plan.parts and _ok(workers.get("ours")):
        questions = {q.id: {"question": q.question, "answers": list(q.answers)} for q in workload.sample}
        unit = default_f1_unit([q.context for q in workload.sample[:200]])
        ours_answers = workers["ours"]["agreement"]["answers"]
        agreement = {"accuracy": {"ours": answer_agreement.accuracy(ours_answers, questions, unit)},
                     "abstained_by_ours": sum(bool(a.get("abstained")) for a in ours_answers)}
        for name in ("pipeline_fp32", "pipeline_bf16", *OPTIMUM_PEERS):
            if _ok(workers.get(name)):
                peer_answers = workers[name]["agreement"]["answers"]
                agreement[f"vs_{name}"] = answer_agreement.compare(ours_answers, peer_answers, questions)
                agreement["accuracy"][name] = answer_agreement.accuracy(peer_answers, questions, unit)

    report = bench_report.build(
        machine={**machine_info.describe(), "cpu_busy_pct_at_start": busy},
        model={"name": model.name, "path": str(model.path), "quantization": m.quantization,
               "onnx_mb": model.onnx_path.stat().st_size / 1024 / 1024},
        reference=({"path": str(reference.path), "found_by": reference.found_by,
                    "tokenizer": str(reference.tokenizer_source)} if reference else None),
        settings={**settings, **{k: v for k, v in asdict(plan).items() if k != "parts"},
                  "device": args.device},
        workload={"source": workload.source, "held_out": workload.held_out,
                  "short_tokens": workload.short_tokens, "short_question": workload.short.question,
                  "long_tokens": workload.long_tokens, "long_paragraphs": workload.long_paragraphs,
                  "long_question": workload.long.question, "sample": len(workload.sample),
                  "dropped_long_questions": workload.dropped_long_questions},
        workers=workers, gemm=(gemm or {}).get("gemm"), startup=startup, agreement=agreement,
        config=model.config,
        skipped=[p for p in PARTS if p not in plan.parts],
    )
    tokens = (report.get("weights_check") or {}).get("window_tokens") or {}
    if tokens.get("ours") and tokens.get("pipeline_fp32") and tokens["ours"] != tokens["pipeline_fp32"]:
        warnings.append(f"the short passage's window is {tokens['ours']} tokens for qa-desktop and "
                        f"{tokens['pipeline_fp32']} for the pipeline: {reference.tokenizer_source} holds "
                        f"another tokenizer than {model.path}, so the two read different inputs.")
    diff = (report.get("weights_check") or {}).get("max_abs_logit_diff_vs_fp32")
    limit = 0.5 if m.quantization is None else 3.0
    if diff is not None and diff > limit:
        warnings.append(f"qa-desktop's and the pipeline's logits differ by up to {diff:.2f} on the same "
                        f"window: {reference.path} may not be the checkpoint {model.name} was exported from.")
    if missing_peers:
        report["missing_peers"] = missing_peers
    if warnings:
        report["warnings"] = warnings
    if args.json:
        print(json.dumps(_finite(report), ensure_ascii=False, allow_nan=False))
    else:
        print(bench_report.table(report))
    return 1 if report["errors"] else 0


OPTIMUM_PEERS = ("optimum_fp32", "optimum_int8")


def default_optimum_config() -> str:
    """Optimum's preset for this CPU: avx512_vnni (U8S8) where VNNI exists, else avx2 (U8U8)."""
    from qa_desktop.benchmark.machine_info import _cpuinfo

    flags = _cpuinfo()[1]
    if "avx512_vnni" in flags or "avx512vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"


def _run_optimum(args, plan: Plan, base_spec: dict, reference, python: str, device: str, workdir: Path,
                 workers: dict, warnings: list[str]) -> None:
    """Optimum's fp32 and dynamic int8 peers: each built in a process of its own, then measured."""
    import subprocess

    if device != "cpu":
        warnings.append("Optimum peers skipped: they run on the CPU only here.")
        return
    config = args.optimum_config or default_optimum_config()
    build_dir = workdir / "optimum"
    for name in OPTIMUM_PEERS:
        precision = name.split("_")[1]
        _say(f"{name.replace('_', ' ')}{' (' + config + ')' if precision == 'int8' else ''}: building ...")
        built = subprocess.run(
            [python, "-m", "qa_desktop.benchmark.optimum_peer", str(reference.path), str(build_dir),
             precision, config], capture_output=True, text=True, timeout=plan.worker_timeout_s,
            env=_worker_env(plan.threads))
        if built.returncode != 0:
            tail = [line for line in built.stderr.strip().splitlines() if line.strip()][-3:]
            workers[name] = {"error": f"Optimum could not build it: {' | '.join(tail)[-600:]}"}
            continue
        _say(f"{name.replace('_', ' ')} ...")
        spec = {**base_spec, "role": "optimum", "reference": str(reference.path), "precision": precision,
                "quantization_config": config, "build_dir": str(build_dir)}
        workers[name] = run_worker(name, spec, workdir, plan.worker_timeout_s, plan.threads, python)


def _ok(out: dict | None) -> bool:
    return bool(out) and "error" not in out


def _finite(value):
    """JSON has no inf/NaN: such numbers (e.g. the score of an empty answer) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
