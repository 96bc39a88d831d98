"""The Optimum peer: what an ONNX-savvy user gets from Hugging Face Optimum out of the box.

Optimum's own export of the reference checkpoint (`ORTModelForQuestionAnswering.from_pretrained(
..., export=True)`, as `optimum-cli export onnx --task question-answering` does), in fp32 or
quantized by `ORTQuantizer` with `AutoQuantizationConfig.<config>(is_static=False)` (dynamic
int8), answered by Optimum's question-answering pipeline. Needs the `bench` extra
(optimum-onnx[onnxruntime]); it pins transformers < 4.58, so it usually lives in an environment
of its own, named to the bench with --peer-python.
"""

from __future__ import annotations

import time
from pathlib import Path

from qa_desktop.benchmark.peer_pipeline import ForwardLog

PRECISIONS = ("fp32", "int8")
# Optimum's CPU presets: avx512_vnni is U8S8 (s8 weights), avx2 and avx512 are U8U8.
CONFIGS = ("avx512_vnni", "avx512", "avx2", "arm64")
INSTALL_HINT = ("pip install -c .ci/constraints.txt -e '.[bench]' (optimum-onnx[onnxruntime]; it pins "
                "transformers < 4.58, so install it into a separate environment and name its python "
                "with --peer-python)")


def missing(python: str) -> str | None:
    """None when `python` can import Optimum's ONNX Runtime models, else what is missing."""
    import subprocess

    probe = ("import importlib.util as u, sys\n"
             "names = ['optimum.onnxruntime', 'transformers', 'torch', 'onnxruntime']\n"
             "gone = []\n"
             "for n in names:\n"
             "    try:\n"
             "        ok = u.find_spec(n) is not None\n"
             "    except ModuleNotFoundError:\n"
             "        ok = False\n"
             "    if not ok: gone.append(n)\n"
             "print(','.join(gone))\n")
    try:
        proc = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {python} ({exc})"
    if proc.returncode != 0:
        return f"{python} failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}"
    gone = [n for n in proc.stdout.strip().split(",") if n]
    if gone:
        return f"{python} cannot import {', '.join(gone)}"
    return None


def build(reference: str | Path, out: Path, precision: str, config: str) -> Path:
    """Optimum's export (and quantization) of `reference` into `out`/<precision>; reused if there."""
    from optimum.onnxruntime import ORTModelForQuestionAnswering, ORTQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    from transformers import AutoTokenizer

    fp32 = out / "fp32"
    if not (fp32 / "model.onnx").exists():
        model = ORTModelForQuestionAnswering.from_pretrained(str(reference), export=True)
        model.save_pretrained(fp32)
        AutoTokenizer.from_pretrained(str(reference)).save_pretrained(fp32)
    if precision == "fp32":
        return fp32
    int8 = out / f"int8-{config}"
    if not any(int8.glob("*.onnx")):
        quantizer = ORTQuantizer.from_pretrained(fp32)
        qconfig = getattr(AutoQuantizationConfig, config)(is_static=False)
        quantizer.quantize(save_dir=int8, quantization_config=qconfig)
        AutoTokenizer.from_pretrained(str(fp32)).save_pretrained(int8)
    return int8


class OptimumPeer:
    """ORTModelForQuestionAnswering + Optimum's pipeline, timed like the other peers."""

    def __init__(self, reference: str | Path, build_dir: Path, precision: str = "int8",
                 config: str = "avx512_vnni", threads: int | None = None, max_seq_len: int = 384,
                 doc_stride: int = 128, max_answer_len: int = 30):
        import onnxruntime as ort
        from optimum.onnxruntime import ORTModelForQuestionAnswering
        from optimum.pipelines import pipeline
        from transformers import AutoTokenizer

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        if config not in CONFIGS:
            raise ValueError(f"config must be one of {CONFIGS}")
        started = time.perf_counter()
        directory = build(reference, Path(build_dir), precision, config)
        self.build_s = time.perf_counter() - started
        self.precision, self.config, self.directory = precision, config, directory
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        onnx_file = sorted(p.name for p in directory.glob("*.onnx"))[0]
        self.model = ORTModelForQuestionAnswering.from_pretrained(
            directory, file_name=onnx_file, session_options=options, provider="CPUExecutionProvider")
        self.tokenizer = AutoTokenizer.from_pretrained(str(directory))
        self.log = ForwardLog()
        self._time_forward()
        self.pipe = pipeline("question-answering", model=self.model, tokenizer=self.tokenizer)
        self.params = {"doc_stride": doc_stride, "max_answer_len": max_answer_len, "max_seq_len": max_seq_len}
        import optimum.version

        self.kind = f"optimum {optimum.version.__version__} pipeline, {onnx_file}"

    def _time_forward(self) -> None:
        forward, log = self.model.forward, self.log

        def timed(*args, **kwargs):
            mask = kwargs.get("attention_mask")
            if mask is not None:
                log.lengths.extend(int(x) for x in mask.sum(-1).tolist())
            t0 = time.perf_counter()
            out = forward(*args, **kwargs)
            log.seconds += time.perf_counter() - t0
            log.calls += 1
            return out

        self.model.forward = timed

    def answer(self, question: str, context: str) -> dict:
        result = self.pipe(question=question, context=context, top_k=1, **self.params)
        if isinstance(result, list):
            result = result[0]
        return {"answer": result["answer"], "start": int(result["start"]), "end": int(result["end"]),
                "score": float(result["score"])}

    def window_logits(self, question: str, context: str):
        enc = self.tokenizer(question, context, truncation="only_second", return_token_type_ids=True,
                             max_length=self.params["max_seq_len"], return_tensors="pt")
        out = self.model(**{k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc})
        return out.start_logits[0].float().numpy(), out.end_logits[0].float().numpy()


def main(argv: list[str]) -> int:
    """python -m qa_desktop.benchmark.optimum_peer REFERENCE OUT PRECISION CONFIG: build only, in
    a process of its own, so the timed peer's memory holds no export leftovers."""
    reference, out, precision, config = argv
    print(build(reference, Path(out), precision, config))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
