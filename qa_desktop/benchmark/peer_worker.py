"""One contestant's whole measurement, in a process of its own.

    python -m qa_desktop.benchmark.peer_worker SPEC.json OUT.json

SPEC names the contestant ("ours": qa-desktop's engine; "pipeline": the transformers pipeline
in fp32 or bf16; "optimum": Optimum's export, fp32 or dynamic int8, through its pipeline;
"gemm": only the matrix-multiply ceiling) and the inputs; OUT receives the numbers. A process
per contestant keeps their memory, thread pools and imports apart: RSS is the contestant's
alone, and the qa-desktop process never imports torch, as the app does not. Order inside: load
→ RSS → warm-up → long document → RSS → short passage → weights check → agreement sample.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path


def rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def peak_rss_bytes() -> int | None:
    if sys.platform == "win32":
        import psutil

        return int(getattr(psutil.Process().memory_info(), "peak_wset", 0)) or None
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _memory_now() -> int:
    gc.collect()
    return rss_bytes()


class _Ours:
    """qa-desktop's engine: QuestionAnswerer on the ONNX model directory."""

    def __init__(self, spec: dict):
        from qa_desktop.engine.question_answerer import QuestionAnswerer

        options = {"device": spec["device"], "threads": spec["threads"]}
        if spec.get("batch_size"):
            options["batch_size"] = int(spec["batch_size"])
        self.qa = QuestionAnswerer.load(spec["model_dir"], **options)
        self.last = None

    def info(self) -> dict:
        m = self.qa.model.manifest
        return {"name": self.qa.name, "quantization": m.quantization, "device": self.qa.runtime.device,
                "providers": list(self.qa.runtime.providers),
                "fallback_reason": self.qa.runtime.fallback_reason,
                "batch_size": self.qa.reader.batch_size}

    def answer(self, question: str, context: str) -> dict:
        # Cold, as the pipeline is: the passage is tokenized again on every call (the engine
        # otherwise keeps the last passage's tokens for the next question).
        self.qa.forget_passage()
        prediction = self.qa.answer(question, context, top_k=1)
        self.last = prediction
        best = prediction.best
        return {"answer": best.text if best else "", "start": best.start if best else 0,
                "end": best.end if best else 0, "score": best.score if best else float("-inf"),
                "abstained": prediction.abstained}

    def forward_seconds(self) -> float:
        return self.last.timings.inference_ms / 1e3

    def window_lengths(self) -> list[int]:
        return [w.seq_len for w in self.last.windows]

    def explain(self, item: dict) -> dict:
        """The last answer's windows, with their ids and logits for the peers to decode."""
        p = self.last
        return {"windows": len(p.windows), "logits": [
            {"input_ids": [int(x) for x in w.input_ids],
             "start": [float(x) for x in p.start_logits[w.index, :w.seq_len]],
             "end": [float(x) for x in p.end_logits[w.index, :w.seq_len]]} for w in p.windows]}

    def window_logits(self, question: str, context: str):
        self.answer(question, context)
        n = self.last.windows[0].seq_len
        return self.last.start_logits[0, :n], self.last.end_logits[0, :n]


class _Peer:
    """A pipeline peer (peer_pipeline): transformers on the PyTorch weights, or Optimum's export."""

    def __init__(self, spec: dict):
        if spec["role"] == "optimum":
            from qa_desktop.benchmark.optimum_peer import optimum_peer

            self.peer = optimum_peer(spec["reference"], Path(spec["build_dir"]), spec["settings"],
                                     precision=spec["precision"],
                                     config=spec.get("quantization_config") or "avx512_vnni",
                                     threads=spec["threads"])
        else:
            from qa_desktop.benchmark.peer_pipeline import torch_peer

            self.peer = torch_peer(spec["reference"], spec["settings"], tokenizer_source=spec.get("tokenizer_source"),
                                   precision=spec["precision"], threads=spec["threads"], device=spec["device"],
                                   batch_size=spec.get("batch_size") or 1)

    def info(self) -> dict:
        import torch
        import transformers

        return {"kind": self.peer.kind, "precision": self.peer.precision, "device": self.peer.device,
                "batch_size": self.peer.batch_size, "torch": torch.__version__,
                "transformers": transformers.__version__, "torch_threads": torch.get_num_threads(),
                "feeds_token_type_ids": self.peer.feeds_token_type_ids,
                "model_uses_token_types": self.peer.model_uses_token_types, **self.peer.details}

    def answer(self, question: str, context: str) -> dict:
        return self.peer.answer(question, context)

    def forward_seconds(self) -> float:
        return self.peer.log.seconds

    def window_lengths(self) -> list[int]:
        return list(self.peer.log.lengths)

    def explain(self, item: dict) -> dict:
        """Windows read, and qa-desktop's logits for the question decoded by this pipeline."""
        out = {"windows": len(self.peer.log.lengths)}
        if item.get("ours_windows"):
            out["ours_decoded"] = self.peer.decode(item["question"], item["context"], item["ours_windows"])
        return out

    def window_logits(self, question: str, context: str):
        return self.peer.window_logits(question, context)


CONTESTANTS = {"ours": _Ours, "pipeline": _Peer, "optimum": _Peer}


def _timed(contestant, item: dict, repeats: int) -> tuple[dict, list[float], list[float]]:
    """The last answer, and each repeat's seconds in all and inside the model's forward."""
    seconds, forward = [], []
    for _ in range(max(1, int(repeats))):
        t0 = time.perf_counter()
        result = contestant.answer(item["question"], item["context"])
        seconds.append(time.perf_counter() - t0)
        forward.append(contestant.forward_seconds())
    return result, seconds, forward


def run(spec: dict) -> dict:
    out: dict = {"role": spec["role"]}
    if spec["role"] == "gemm":
        from qa_desktop.benchmark.gemm_ceiling import measure

        out["gemm"] = [measure(spec["size"], dtype, spec["device"], spec["seconds"], spec["threads"])
                       for dtype in spec.get("dtypes", ("bf16", "fp32"))]
        return out
    t0 = time.perf_counter()
    if spec["role"] == "ours":
        import numpy  # noqa: F401 - what the engine needs before the model: the baseline
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    else:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    out["import_s"] = time.perf_counter() - t0
    rss = {"after_import": _memory_now()}
    t0 = time.perf_counter()
    contestant = CONTESTANTS[spec["role"]](spec)
    out["load_s"] = time.perf_counter() - t0
    rss["after_load"] = _memory_now()
    out["info"] = contestant.info()

    short, long_ = spec.get("short"), spec.get("long")
    warm = short or long_
    if warm:
        _timed(contestant, warm, 1)

    if long_:
        result, times, forward = _timed(contestant, long_, spec.get("long_repeats", 1))
        out["long"] = {"seconds": times, "median_s": statistics.median(times),
                       "forward_s": statistics.median(forward), "window_lengths": contestant.window_lengths(),
                       "answer": result}
        rss["after_long"] = _memory_now()
        peak = peak_rss_bytes()
        # The two counters come from different sources (getrusage vs /proc): keep peak ≥ now.
        rss["peak_after_long"] = max(peak or 0, rss["after_long"])

    if short:
        result, times, forward = _timed(contestant, short, spec.get("repeats", 1))
        out["short"] = {"ms": [t * 1e3 for t in times], "median_ms": statistics.median(times) * 1e3,
                        "forward_ms": statistics.median(forward) * 1e3,
                        "window_lengths": contestant.window_lengths(), "answer": result}
        start, end = contestant.window_logits(short["question"], short["context"])
        out["short"]["logits"] = {"start": [float(x) for x in start], "end": [float(x) for x in end]}

    if spec.get("agreement"):
        answers, windows, t0 = [], {}, time.perf_counter()
        for item in spec["agreement"]:
            result = contestant.answer(item["question"], item["context"])
            result.update(contestant.explain(item))
            if "logits" in result:  # qa-desktop's windows go to the peers, not into its answers
                windows[item["id"]] = result.pop("logits")
            result["id"] = item["id"]
            answers.append(result)
        out["agreement"] = {"answers": answers, "windows": windows, "seconds": time.perf_counter() - t0}

    out["rss"] = rss
    return out


def main(argv: list[str]) -> int:
    spec_path, out_path = Path(argv[0]), Path(argv[1])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = run(spec)
    out_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
