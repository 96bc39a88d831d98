"""The benchmark's results: ratios against the issue's targets, as a JSON object and as a table.

`build()` turns the raw worker outputs into one report dict (what `--json` prints); `table()`
renders it for a terminal. Nothing here measures anything.
"""

from __future__ import annotations

import math

from qa_desktop.benchmark.model_flops import EncoderShape

PEERS = ("ours", "pipeline_fp32", "pipeline_bf16", "optimum_fp32", "optimum_int8")
LABELS = {"ours": "qa-desktop", "pipeline_fp32": "pipeline fp32", "pipeline_bf16": "pipeline bf16",
          "optimum_fp32": "Optimum fp32", "optimum_int8": "Optimum int8"}
TORCH_PEERS = PEERS[:3]  # the main table's columns; Optimum has a block of its own
MB = 1024 * 1024

# (name, what, comparison, bound) — from the issue "Benchmarks side by side with the
# transformers pipeline": latency ratios are ours/peer, speed-ups peer/ours.
TARGETS = (
    ("short_latency_vs_fp32", "short passage: latency ÷ pipeline fp32", "<=", 0.5),
    ("short_latency_vs_bf16", "short passage: latency ÷ pipeline bf16", "<=", 0.8),
    ("long_speedup_vs_fp32", "long document: speed-up over pipeline fp32", ">=", 3.0),
    ("long_speedup_vs_bf16", "long document: speed-up over pipeline bf16", ">=", 1.5),
    ("startup_vs_bare_window", "start-up (launch → window shown) ÷ bare PySide6 window", "<=", 2.0),
    ("rss_after_load_vs_fp32", "RSS after load ÷ pipeline fp32", "<=", 0.5),
    ("rss_after_long_vs_fp32", "RSS after long document ÷ pipeline fp32", "<=", 0.5),
    ("agreement_vs_fp32_pct", "answers agree with pipeline fp32 (global-scoring differences set apart), %",
     ">=", 98.0),
    # Issue 13: 1.5× faster than Optimum's dynamic int8 on the same checkpoint.
    ("short_latency_vs_optimum_int8", "short passage: latency ÷ Optimum int8", "<=", 0.67),
    ("long_time_vs_optimum_int8", "long document: time ÷ Optimum int8", "<=", 0.67),
)


def _ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def _get(d: dict | None, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _mb(value):
    return None if value is None else value / MB


def _max_logit_diff(ours: dict | None, peer: dict | None) -> float | None:
    a, b = _get(ours, "short", "logits"), _get(peer, "short", "logits")
    if not a or not b:
        return None
    worst = 0.0
    for key in ("start", "end"):
        n = min(len(a[key]), len(b[key]))
        if n == 0 or len(a[key]) != len(b[key]):
            return None  # different windows: the tokenizers differ
        worst = max(worst, max(abs(x - y) for x, y in zip(a[key][:n], b[key][:n])))
    return worst


def _timings(ok: dict, part: str, unit: str, all_key: str) -> dict:
    """One part's times, windows and answers per contestant (None where it was not measured)."""
    def each(*keys):
        return {p: _get(ok.get(p), part, *keys) for p in PEERS}

    return {f"median_{unit}": each(f"median_{unit}"), f"forward_{unit}": each(f"forward_{unit}"),
            f"all_{unit}": each(all_key),
            "windows": {p: len(lengths or []) or None for p, lengths in each("window_lengths").items()},
            "answers": each("answer", "answer")}


def build(*, machine: dict, model: dict, reference: dict, settings: dict, workload: dict,
          workers: dict[str, dict | None], gemm: list[dict] | None, startup: dict | None,
          agreement: dict | None, config: dict, skipped: list[str]) -> dict:
    """workers: {name in PEERS: worker output or {"error": ...}}; gemm: the GEMM worker's rows."""
    report: dict = {"machine": machine, "model": model, "reference": reference, "settings": settings,
                    "inputs": workload, "skipped": skipped, "errors": {}}
    for name, out in workers.items():
        if out and "error" in out:
            report["errors"][name] = out["error"]
    ok = {name: out for name, out in workers.items() if out and "error" not in out}
    report["contestants"] = {name: out.get("info") for name, out in ok.items()}
    ratios: dict = {}

    if "short" not in skipped and any(_get(o, "short") for o in ok.values()):
        report["short"] = _timings(ok, "short", "ms", "ms")
        ms = report["short"]["median_ms"]
        ratios["short_latency_vs_fp32"] = _ratio(ms["ours"], ms["pipeline_fp32"])
        ratios["short_latency_vs_bf16"] = _ratio(ms["ours"], ms["pipeline_bf16"])
        ratios["short_latency_vs_optimum_int8"] = _ratio(ms["ours"], ms["optimum_int8"])
        ratios["short_latency_vs_optimum_fp32"] = _ratio(ms["ours"], ms["optimum_fp32"])
        report["weights_check"] = {
            "max_abs_logit_diff_vs_fp32": _max_logit_diff(ok.get("ours"), ok.get("pipeline_fp32")),
            "max_abs_logit_diff_vs_bf16": _max_logit_diff(ok.get("ours"), ok.get("pipeline_bf16")),
            "window_tokens": {p: len(_get(ok.get(p), "short", "logits", "start") or []) or None for p in PEERS},
        }

    if "long" not in skipped and any(_get(o, "long") for o in ok.values()):
        report["long"] = _timings(ok, "long", "s", "seconds")
        s = report["long"]["median_s"]
        ratios["long_speedup_vs_fp32"] = _ratio(s["pipeline_fp32"], s["ours"])
        ratios["long_speedup_vs_bf16"] = _ratio(s["pipeline_bf16"], s["ours"])
        ratios["long_time_vs_optimum_int8"] = _ratio(s["ours"], s["optimum_int8"])
        ratios["long_time_vs_optimum_fp32"] = _ratio(s["ours"], s["optimum_fp32"])

    if "memory" not in skipped and any(_get(o, "rss") for o in ok.values()):
        mem = {key: {p: _mb(_get(ok.get(p), "rss", key)) for p in PEERS}
               for key in ("after_import", "after_load", "after_long", "peak_after_long")}
        report["memory_mb"] = mem
        ratios["rss_after_load_vs_fp32"] = _ratio(mem["after_load"]["ours"], mem["after_load"]["pipeline_fp32"])
        ratios["rss_after_long_vs_fp32"] = _ratio(mem["after_long"]["ours"], mem["after_long"]["pipeline_fp32"])
        ratios["rss_after_load_vs_bf16"] = _ratio(mem["after_load"]["ours"], mem["after_load"]["pipeline_bf16"])
        ratios["rss_after_long_vs_bf16"] = _ratio(mem["after_long"]["ours"], mem["after_long"]["pipeline_bf16"])
        ratios["rss_after_long_vs_optimum_int8"] = _ratio(mem["after_long"]["ours"], mem["after_long"]["optimum_int8"])

    if "efficiency" not in skipped:
        report["efficiency"] = _efficiency(ok, gemm, config)

    if startup is not None:
        bare, app = _get(startup, "bare", "median_s"), _get(startup, "app", "median_s")
        report["startup"] = {
            "bare_window_s": bare, "qa_desktop_s": app,
            "qa_desktop_window_shown_s": _get(startup, "app", "median_window_s"),
            "qa_desktop_model_ready_s": _get(startup, "app", "median_model_s"),
            "platform": startup.get("platform"), "launches": startup.get("launches"),
            "unavailable": _get(startup, "app", "unavailable"),
            "errors": {k: startup[k]["error"] for k in ("bare", "app") if _get(startup, k, "error")},
            "bytecode": startup.get("bytecode"),  # as installed: see startup_probe.prepare_bytecode
        }
        # The target is the window a user can type into (issue 11: a light window first, the
        # runtime after the first paint); when its model is ready is reported beside it.
        ratios["startup_vs_bare_window"] = _ratio(_get(startup, "app", "median_window_s"), bare)
        ratios["model_ready_vs_bare_window"] = _ratio(_get(startup, "app", "median_model_s"), bare)

    if agreement is not None:
        report["agreement"] = agreement
        ratios["agreement_vs_fp32_pct"] = _get(agreement, "vs_pipeline_fp32", "agreement_or_global_scoring_pct")
        ratios["agreement_exact_vs_fp32_pct"] = _get(agreement, "vs_pipeline_fp32", "agreement_pct")

    # Every peer is optional (the peer python may lack it): a ratio only where both sides were measured.
    ratios = {k: v for k, v in ratios.items() if v is not None}
    report["ratios"] = ratios
    report["targets"] = []
    for name, what, op, bound in TARGETS:
        value = ratios.get(name)
        if value is None:
            continue
        met = value <= bound if op == "<=" else value >= bound
        report["targets"].append({"name": name, "what": what, "value": value, "target": f"{op} {bound:g}",
                                  "met": bool(met)})
    return report


def _efficiency(ok: dict, gemm_rows: list[dict] | None, config: dict) -> dict:
    try:
        shape = EncoderShape.from_config(config)
    except ValueError as exc:
        return {"error": str(exc)}
    gemm = {g["dtype"]: g for g in gemm_rows} if gemm_rows else None
    basis = "long" if any(_get(o, "long") for o in ok.values()) else "short"
    achieved, seconds, gflop = {}, {}, {}
    for p in PEERS:
        part = _get(ok.get(p), basis)
        if not part or not part.get("window_lengths"):
            achieved[p] = None
            continue
        flops = shape.total_flops(part["window_lengths"])
        t = part["forward_s"] if basis == "long" else part["forward_ms"] / 1e3
        gflop[p] = flops / 1e9
        seconds[p] = t
        achieved[p] = flops / t / 1e9 if t > 0 else None
    # The faster of the two GEMMs is the ceiling: bf16 where the CPU has it natively, fp32 where
    # bf16 is emulated (AVX2-only CPUs run a bf16 matmul far slower than an fp32 one).
    rates = {dtype: _get(gemm, dtype, "gflops") for dtype in ("bf16", "fp32")}
    ceiling_dtype = max((d for d in rates if rates[d]), key=lambda d: rates[d], default=None)
    ceiling = rates.get(ceiling_dtype) if ceiling_dtype else None
    return {
        "basis": f"{basis} run, model forward time only, FLOPs of the unpadded windows",
        "encoder": {"layers": shape.layers, "hidden": shape.hidden, "intermediate": shape.intermediate},
        "gflop_per_384_window": shape.flops(384) / 1e9,
        "gflop": gflop, "forward_s": seconds, "achieved_gflops": achieved,
        "gemm": gemm,
        "ceiling_dtype": ceiling_dtype,
        "pct_of_gemm_ceiling": {p: (100.0 * v / ceiling if v is not None and ceiling else None)
                                for p, v in achieved.items()},
    }


# -- text ------------------------------------------------------------------------------------
def _f(value, fmt: str = "{:.1f}", none: str = "—") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return none
    return fmt.format(value)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _row(label: str, cells: list[str], extra: str = "") -> str:
    return f"{label:<34}" + "".join(f"{c:>15}" for c in cells) + (f"   {extra}" if extra else "")


def _met(report: dict, *names: str) -> str:
    by = {t["name"]: t for t in report.get("targets", [])}
    marks = [("met" if by[n]["met"] else "MISSED") for n in names if n in by]
    return " / ".join(marks)


def _optimum_block(report: dict) -> list[str]:
    """Optimum's peers beside qa-desktop: times, RSS and ours ÷ theirs (issue 13's target)."""
    c, r = report.get("contestants", {}), report.get("ratios", {})
    if not (c.get("optimum_fp32") or c.get("optimum_int8")):
        return []
    short, long_, mem = report.get("short") or {}, report.get("long") or {}, report.get("memory_mb") or {}
    config = (c.get("optimum_int8") or {}).get("quantization_config")
    lines = ["", _row("", ["qa-desktop", "Optimum fp32", "Optimum int8", "÷ Optimum int8"], "target")]
    names = ("ours", "optimum_fp32", "optimum_int8")
    if short:
        lines.append(_row("short passage, median ms", [_f(short["median_ms"].get(p)) for p in names]
                          + [_f(r.get("short_latency_vs_optimum_int8"), "{:.2f}×")],
                          "≤0.67× " + _met(report, "short_latency_vs_optimum_int8")))
    if long_:
        lines.append(_row("long document, s", [_f(long_["median_s"].get(p), "{:.3f}") for p in names]
                          + [_f(r.get("long_time_vs_optimum_int8"), "{:.2f}×")],
                          "≤0.67× " + _met(report, "long_time_vs_optimum_int8")))
    if mem:
        lines.append(_row("RSS after long document, MB", [_f(mem["after_long"].get(p), "{:.0f}") for p in names]
                          + [_f(r.get("rss_after_long_vs_optimum_int8"), "{:.2f}×")]))
    lines.append(f"  Optimum int8: ORTQuantizer, AutoQuantizationConfig.{config}(is_static=False); "
                 f"{(c.get('optimum_int8') or c.get('optimum_fp32') or {}).get('kind')}")
    return lines


def table(report: dict) -> str:
    lines = []
    m, model, ref, inputs = report["machine"], report["model"], report["reference"], report["inputs"]
    c = report.get("contestants", {})
    ours = c.get("ours") or {}
    threads = report["settings"]["threads"]
    lines.append(f"qa-desktop bench: {model['name']} ({model.get('quantization') or 'fp32'} ONNX)"
                 + (f" on {ours['device']}, batch {ours['batch_size']}" if ours else "")
                 + f", {threads} thread{'s' if threads != 1 else ''}")
    peer = c.get("pipeline_fp32") or c.get("pipeline_bf16") or {}
    if peer and ref:
        lines.append(f"peer: {peer.get('kind')}; torch {peer.get('torch')}, weights {ref['path']}")
    lines.append(f"machine: {m.get('cpu')}; {m.get('physical_cores')} physical / {m.get('logical_cores')} "
                 f"logical cores; {m.get('cpu_features') or 'no bf16/AMX/VNNI flags seen'}; "
                 f"onnxruntime {m.get('onnxruntime')}")
    lines.append(f"inputs: {inputs['source']}; short {inputs['short_tokens']} tokens; long "
                 f"{inputs['long_tokens']:,} tokens ({inputs['long_paragraphs']} paragraphs); sample "
                 f"{inputs['sample']} questions{' (held-out articles)' if inputs.get('held_out') else ''}")
    if report["settings"].get("quick"):
        lines.append("QUICK smoke run: tiny sizes, numbers are not a benchmark")
    if report.get("missing_peers"):
        lines.append(report["missing_peers"])
    lines.append("")
    r = report.get("ratios", {})
    if any(report.get(k) for k in ("short", "long", "memory_mb")):
        lines.append(_row("", ["qa-desktop", "pipeline fp32", "pipeline bf16", "vs fp32", "vs bf16"], "target"))
    short = report.get("short")
    if short:
        ms = short["median_ms"]
        lines.append(_row(f"short passage, median ms (×{report['settings']['repeats']})",
                          [_f(ms[p]) for p in TORCH_PEERS] +
                          [_f(r.get("short_latency_vs_fp32"), "{:.2f}×"), _f(r.get("short_latency_vs_bf16"), "{:.2f}×")],
                          "≤0.5× / ≤0.8× " + _met(report, "short_latency_vs_fp32", "short_latency_vs_bf16")))
        fm = short["forward_ms"]
        lines.append(_row("  of which model forward, ms", [_f(fm[p]) for p in TORCH_PEERS]))
    long_ = report.get("long")
    if long_:
        s, w = long_["median_s"], long_["windows"]
        lines.append(_row(f"long document, s ({_f(w.get('ours'), '{}')} windows)",
                          [_f(s[p], "{:.3f}") for p in TORCH_PEERS] +
                          [_f(r.get("long_speedup_vs_fp32"), "{:.2f}× faster"),
                           _f(r.get("long_speedup_vs_bf16"), "{:.2f}× faster")],
                          "≥3× / ≥1.5× " + _met(report, "long_speedup_vs_fp32", "long_speedup_vs_bf16")))
        fs = long_["forward_s"]
        lines.append(_row("  of which model forward, s", [_f(fs[p], "{:.3f}") for p in TORCH_PEERS]))
    mem = report.get("memory_mb")
    if mem:
        lines.append(_row("RSS after model load, MB", [_f(mem["after_load"][p], "{:.0f}") for p in TORCH_PEERS] +
                          [_f(r.get("rss_after_load_vs_fp32"), "{:.2f}×"), _f(r.get("rss_after_load_vs_bf16"), "{:.2f}×")],
                          "≤0.5× " + _met(report, "rss_after_load_vs_fp32")))
        lines.append(_row("RSS after long document, MB", [_f(mem["after_long"][p], "{:.0f}") for p in TORCH_PEERS] +
                          [_f(r.get("rss_after_long_vs_fp32"), "{:.2f}×"), _f(r.get("rss_after_long_vs_bf16"), "{:.2f}×")],
                          "≤0.5× " + _met(report, "rss_after_long_vs_fp32")))
        lines.append(_row("  peak RSS, MB", [_f(mem["peak_after_long"][p], "{:.0f}") for p in TORCH_PEERS]))
        lines.append(_row("  interpreter + libraries, MB", [_f(mem["after_import"][p], "{:.0f}") for p in TORCH_PEERS]))
    lines.extend(_optimum_block(report))
    eff = report.get("efficiency")
    if eff and "error" not in eff and any(v is not None for v in eff["achieved_gflops"].values()):
        dtype = eff.get("ceiling_dtype")
        ceiling = _get(eff, "gemm", dtype, "gflops") if dtype else None
        lines.append(_row("model GFLOP/s (forward only)",
                          [_f(eff["achieved_gflops"].get(p), "{:.1f}") for p in TORCH_PEERS] + ["", ""],
                          f"{eff['gflop_per_384_window']:.2f} GFLOP per 384-token window"))
        lines.append(_row(f"  % of the {dtype or '?'} GEMM ({_f(ceiling, '{:.0f}')} GFLOP/s)",
                          [_f(eff["pct_of_gemm_ceiling"].get(p), "{:.0f}%") for p in TORCH_PEERS] + ["", ""],
                          "bf16 {} / fp32 {} GFLOP/s".format(_f(_get(eff, 'gemm', 'bf16', 'gflops'), '{:.0f}'),
                                                             _f(_get(eff, 'gemm', 'fp32', 'gflops'), '{:.0f}'))))
    st = report.get("startup")
    if st:
        lines.append("")
        if st.get("qa_desktop_s") is not None:
            lines.append(f"start-up: qa-desktop window shown {_f(st.get('qa_desktop_window_shown_s'), '{:.2f}')} s, "
                         f"model ready {_f(st.get('qa_desktop_model_ready_s'), '{:.2f}')} s; bare PySide6 window "
                         f"{_f(st['bare_window_s'], '{:.2f}')} s → window {_f(r.get('startup_vs_bare_window'), '{:.2f}×')}"
                         f" (target ≤2× {_met(report, 'startup_vs_bare_window')}), model "
                         f"{_f(r.get('model_ready_vs_bare_window'), '{:.2f}×')}  [{st['platform']}; "
                         f"bytecode {st.get('bytecode') or '?'}]")
        else:
            why = st.get("unavailable") or "; ".join(f"{k}: {v}" for k, v in st.get("errors", {}).items())
            lines.append(f"start-up: bare PySide6 window {_f(st['bare_window_s'], '{:.2f}')} s; qa-desktop "
                         f"not measured ({why})  [{st['platform']}]")
    ag = report.get("agreement")
    if ag:
        lines.append("")
        for peer_name in ("pipeline_fp32", "pipeline_bf16", "optimum_fp32", "optimum_int8"):
            a = ag.get(f"vs_{peer_name}")
            if not a or not a["questions"]:
                continue
            d = a["differ"]
            lines.append(f"answers vs {LABELS[peer_name]}: {a['agree']}/{a['questions']} agree "
                         f"({_f(a['agreement_pct'])}%, {a['same_span']} same span); differ by global "
                         f"scoring {d['global_scoring']}, word alignment {d['word_alignment']}, other "
                         f"{d['other']} ({a['not_redecoded']} of them cut into other windows by the pipeline) → "
                         f"{_f(a['agreement_or_global_scoring_pct'])}% agree or global-scoring"
                         + (f"   target ≥98% {_met(report, 'agreement_vs_fp32_pct')}" if peer_name == "pipeline_fp32" else ""))
            for kind, examples in a.get("examples", {}).items():
                for e in examples[:2]:
                    lines.append(f"    {kind}: {_clip(e['question'], 70)!r} ({e['windows']} window"
                                 f"{'s' if e['windows'] != 1 else ''})")
                    lines.append(f"        qa-desktop {_clip(e['ours'], 80)!r}")
                    lines.append(f"        pipeline   {_clip(e['pipeline'], 80)!r}")
        acc = ag.get("accuracy") or {}
        if any(acc.values()):
            lines.append("accuracy on the sample (EM / F1): " + "; ".join(
                f"{LABELS[p]} {_f(v['exact_match'])} / {_f(v['f1'])}" for p, v in acc.items() if v))
    wc = report.get("weights_check")
    if wc and wc.get("max_abs_logit_diff_vs_fp32") is not None:
        lines.append(f"same weights? max |Δ logit| qa-desktop vs pipeline fp32 on the short window: "
                     f"{wc['max_abs_logit_diff_vs_fp32']:.3g}"
                     + (f" (vs bf16 {wc['max_abs_logit_diff_vs_bf16']:.3g})"
                        if wc.get("max_abs_logit_diff_vs_bf16") is not None else ""))
    if report.get("warnings"):
        lines.append("")
        lines.extend(f"warning: {w}" for w in report["warnings"])
    if report.get("errors"):
        lines.append("")
        lines.extend(f"error in {k}: {v}" for k, v in report["errors"].items())
    targets = report.get("targets", [])
    if targets:
        met = sum(t["met"] for t in targets)
        lines.append("")
        lines.append(f"targets met: {met} of {len(targets)}"
                     + ("" if met == len(targets) else "; missed: " + ", ".join(
                         t["name"] for t in targets if not t["met"])))
    if report.get("skipped"):
        lines.append(f"skipped: {', '.join(report['skipped'])}")
    return "\n".join(lines)
