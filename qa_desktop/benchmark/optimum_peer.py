"""The Optimum peer: what an ONNX-savvy user gets from Hugging Face Optimum out of the box.

Optimum's own export of the reference checkpoint (`ORTModelForQuestionAnswering.from_pretrained(
..., export=True)`, as `optimum-cli export onnx --task question-answering` does), in fp32 or
quantized by `ORTQuantizer` with `AutoQuantizationConfig.<config>(is_static=False)` (dynamic
int8), answered by Optimum's question-answering pipeline (timed as peer_pipeline times the
transformers one). It runs in the peer python (peer_env: optimum-onnx pins transformers < 4.58).
"""

from __future__ import annotations

import time
from pathlib import Path

PRECISIONS = ("fp32", "int8")
# Optimum's CPU presets: avx512_vnni is U8S8 (s8 weights), avx2 and avx512 are U8U8.
CONFIGS = ("avx512_vnni", "avx512", "avx2", "arm64")


def build(reference: str | Path, out: Path, precision: str, config: str) -> Path:
    """Optimum's export (and quantization) of `reference` into `out`/<precision>; reused if there."""
    from optimum.onnxruntime import ORTModelForQuestionAnswering, ORTQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    from transformers import AutoConfig

    from qa_desktop.benchmark.peer_pipeline import load_tokenizer

    fp32 = out / "fp32"
    if not (fp32 / "model.onnx").exists():
        model = ORTModelForQuestionAnswering.from_pretrained(str(reference), export=True)
        model.save_pretrained(fp32)
        load_tokenizer(reference, model.config).save_pretrained(fp32)
    if precision == "fp32":
        return fp32
    int8 = out / f"int8-{config}"
    if not any(int8.glob("*.onnx")):
        quantizer = ORTQuantizer.from_pretrained(fp32)
        qconfig = getattr(AutoQuantizationConfig, config)(is_static=False)
        quantizer.quantize(save_dir=int8, quantization_config=qconfig)
        load_tokenizer(fp32, AutoConfig.from_pretrained(fp32)).save_pretrained(int8)
    return int8


def optimum_peer(reference: str | Path, build_dir: Path, settings: dict, precision: str = "int8",
                 config: str = "avx512_vnni", threads: int | None = None):
    """Optimum's ORTModelForQuestionAnswering (built from `reference` first) in Optimum's pipeline."""
    import onnxruntime as ort
    import optimum.version
    from optimum.onnxruntime import ORTModelForQuestionAnswering
    from optimum.pipelines import pipeline

    from qa_desktop.benchmark.peer_pipeline import PipelinePeer, load_tokenizer

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    if config not in CONFIGS:
        raise ValueError(f"config must be one of {CONFIGS}")
    started = time.perf_counter()
    directory = build(reference, Path(build_dir), precision, config)
    build_s = time.perf_counter() - started
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    onnx_file = sorted(p.name for p in directory.glob("*.onnx"))[0]
    model = ORTModelForQuestionAnswering.from_pretrained(
        directory, file_name=onnx_file, session_options=options, provider="CPUExecutionProvider")
    pipe = pipeline("question-answering", model=model, tokenizer=load_tokenizer(directory, model.config))
    return PipelinePeer(pipe, f"optimum {optimum.version.__version__} pipeline, {onnx_file}", precision,
                        settings, details={"quantization_config": config if precision == "int8" else None,
                                           "directory": str(directory), "build_s": build_s,
                                           "onnxruntime": ort.__version__})


def main(argv: list[str]) -> int:
    """python -m qa_desktop.benchmark.optimum_peer REFERENCE OUT PRECISION CONFIG: build only, in
    a process of its own, so the timed peer's memory holds no export leftovers."""
    reference, out, precision, config = argv
    print(build(reference, Path(out), precision, config))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
