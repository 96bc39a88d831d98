"""Hugging Face question-answering checkpoint → optimized ONNX model directory (+ int8).

Export uses eager attention so the graph has the MatMul/Softmax attention pattern that ONNX
Runtime's transformer optimizer fuses into Attention, SkipLayerNormalization and Gelu nodes
(an SDPA export is left unfused and loses to PyTorch on the CPU). Parity with PyTorch is
checked through the engine's own windows, padding and batching, and recorded in the manifest.
Needs the `export` extra (torch, transformers, onnx).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.model_directory import ModelDirectory
from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.onnx_session import OnnxReader, create_session
from qa_desktop.engine.windowed_features import WindowedFeatures

QUANTIZATIONS = (None, "int8")

# Real inputs for the parity check: short, multi-sentence, and long enough for several windows.
PARITY_PAIRS = (
    ("What does the QA head output?",
     "A BERT encoder turns the question and the passage into hidden vectors; a linear layer then "
     "gives every token a start logit and an end logit."),
    ("When was the bridge finished?",
     "Work on the bridge began in 1883. It was finished in 1890 after seven years, and it carried "
     "trains across the firth for more than a century."),
    ("Who wrote the report?",
     " ".join(f"Paragraph {i}: the committee met on day {i} and the minutes were kept by clerk "
              f"number {i % 7}; nothing else happened." for i in range(60))
     + " The report was written by Ada Lovelace."),
)


def _log(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _load_checkpoint(source: str):
    try:
        import torch
        from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer
    except ImportError:
        raise ModelError("Export needs PyTorch and transformers: pip install 'qa-desktop[export]'") from None
    local = Path(source).expanduser()
    if local.exists() and not local.is_dir():
        raise ModelError(f"{source} is a file; export takes a checkpoint directory or a hub id.")
    try:
        config = AutoConfig.from_pretrained(source)
        tokenizer = AutoTokenizer.from_pretrained(source, use_fast=True)
        torch.manual_seed(0)  # a checkpoint without a QA head gets the same fresh head every time
        model = AutoModelForQuestionAnswering.from_pretrained(source, attn_implementation="eager")
    except OSError as exc:
        raise ModelError(
            f"Cannot load the checkpoint {source!r} ({' '.join(str(exc).split())[:200]}). Give a local "
            "Hugging Face checkpoint directory, or a hub id with network access."
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{source} has no fast tokenizer (tokenizer.json); qa-desktop needs one.")
    model.eval()
    return config, tokenizer, model


def _start_end_module(model):
    """The HF model wrapped so the traced graph returns plain (start_logits, end_logits)."""
    import torch

    class StartEnd(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            out = self.inner(**kwargs)
            return out.start_logits, out.end_logits

    return StartEnd(model).eval()


def _uses_token_types(config) -> bool:
    return int(getattr(config, "type_vocab_size", 0) or 0) > 1


def _torch_export(model, config, path: Path, opset: int) -> None:
    import torch

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if _uses_token_types(config) else [])
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes.update({"start_logits": {0: "batch", 1: "sequence"}, "end_logits": {0: "batch", 1: "sequence"}})
    with torch.no_grad():
        torch.onnx.export(
            _start_end_module(model), dummy, str(path), input_names=names,
            output_names=["start_logits", "end_logits"], dynamic_axes=axes, opset_version=opset,
            do_constant_folding=True, dynamo=False,
        )


def _optimize(raw: Path, out: Path, config) -> dict:
    from onnxruntime.transformers.optimizer import optimize_model

    model_type = "bert"  # BERT, RoBERTa and XLM-R share the encoder pattern the fuser knows
    optimized = optimize_model(
        str(raw), model_type=model_type, num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size), opt_level=1, use_gpu=False, only_onnxruntime=False,
    )
    stats = {k: int(v) for k, v in optimized.get_fused_operator_statistics().items() if v}
    optimized.save_model_to_file(str(out), use_external_data_format=False)
    return stats


# int8 schemes (quantize_int8). u8s8: u8 activations, s8 weights (VNNI's vpdpbusd). On CPUs
# without VNNI, ONNX Runtime's u8s8 kernels use vpmaddubsw, whose 16-bit pair sums saturate;
# reduce_range (7-bit weights) or u8u8 avoid that. static_qdq: activation ranges calibrated
# ahead of time instead of measured at every run.
INT8_SCHEMES = ("u8s8", "u8s8_reduce_range", "u8u8", "static_qdq")
DEFAULT_INT8_SCHEME = "u8s8"


def quantize_int8(src: Path, dst: Path, scheme: str = DEFAULT_INT8_SCHEME, calibration=None,
                  smoothing_feeds: list[dict] | None = None) -> dict:
    """fp32 graph `src` → int8 graph `dst`. `calibration` (an onnxruntime CalibrationDataReader
    of real windows) is needed by static_qdq only. `smoothing_feeds` (real windows as the
    engine feeds them): SmoothQuant the dynamic schemes first (engine/smooth_quant.py).
    Returns what was done beyond the scheme itself, for the manifest."""
    import logging

    from onnx import TensorProto
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    if scheme not in INT8_SCHEMES:
        raise ModelError(f"Unknown int8 scheme {scheme!r}: use one of {', '.join(INT8_SCHEMES)}.")
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's "consider pre-processing" hint
    # Fused contrib ops defeat shape inference; their outputs are float.
    extra = {"DefaultTensorType": TensorProto.FLOAT}
    if scheme == "static_qdq":
        if calibration is None:
            raise ModelError("static int8 needs calibration windows.")
        # QDQ has no form for the fused Attention node: MatMul (the projections and the FFN).
        quantize_static(str(src), str(dst), calibration, quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["MatMul"], extra_options={**extra, "MatMulConstBOnly": True})
        return {"scheme": scheme}
    done: dict = {"scheme": scheme}
    with tempfile.TemporaryDirectory(prefix="qa-desktop-smooth-") as tmp:
        if smoothing_feeds:
            from qa_desktop.engine.smooth_quant import smooth_model

            smoothed = Path(tmp) / "smoothed.onnx"
            done["smoothing"] = {**smooth_model(src, smoothed, smoothing_feeds),
                                 "calibration_windows": len(smoothing_feeds)}
            src = smoothed
        # Dynamic int8 (weights per channel, activations u8 at run time): MatMul and the fused
        # Attention; Gather/EmbedLayerNormalization shrink the embedding table 4x.
        quantize_dynamic(
            str(src), str(dst), per_channel=True, reduce_range=scheme == "u8s8_reduce_range",
            weight_type=QuantType.QUInt8 if scheme == "u8u8" else QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Attention", "Gather", "EmbedLayerNormalization"],
            extra_options=extra,
        )
    return done


def engine_parts(directory: Path, manifest: ModelManifest, batch_size: int = 4):
    """The tokenizer, windows and reader the engine would use on this directory's graph."""
    md = ModelDirectory.open(directory)
    tokenizer = md.load_tokenizer()
    features = WindowedFeatures(tokenizer, manifest.max_seq_len, manifest.doc_stride, manifest.max_question_len)
    session, runtime = create_session(md.onnx_path, device="cpu")
    return features, OnnxReader(session, runtime, pad_id=md.pad_id(tokenizer), batch_size=batch_size)


def calibration_feeds(parts, pairs, max_windows: int = 64) -> list[dict]:
    """Real windows of (question, passage) pairs, one per run, as the engine feeds them.
    `parts`: engine_parts of the graph the feeds are for (only its inputs matter)."""
    features, reader = parts
    feeds = []
    for question, passage in pairs:
        # At most 4 windows a passage, so one long passage cannot fill the whole sample.
        for w in features.build(question, features.tokenize_passage(passage))[:4]:
            feeds.append(reader.feed([w], w.seq_len))
            if len(feeds) >= max_windows:
                return feeds
    return feeds


def parity(model, parts) -> dict:
    """Max |Δ logit| between PyTorch (fp32, one window at a time) and the exported graph run
    through the engine (batched, padded; `parts`: its engine_parts), on PARITY_PAIRS."""
    import torch

    features, reader = parts
    worst, windows_seen = 0.0, 0
    for question, passage in PARITY_PAIRS:
        windows = features.build(question, features.tokenize_passage(passage))
        start, end = reader.run(windows)
        for w in windows:
            kwargs = {"input_ids": torch.from_numpy(w.input_ids)[None],
                      "attention_mask": torch.ones((1, w.seq_len), dtype=torch.long)}
            if "token_type_ids" in reader.input_names:
                kwargs["token_type_ids"] = torch.from_numpy(w.token_type_ids)[None]
            with torch.no_grad():
                out = model(**kwargs)
            diff = max(
                float(np.abs(out.start_logits[0].numpy() - start[w.index, : w.seq_len]).max()),
                float(np.abs(out.end_logits[0].numpy() - end[w.index, : w.seq_len]).max()),
            )
            worst = max(worst, diff)
            windows_seen += 1
    return {"max_abs_logit_diff": worst, "pairs": len(PARITY_PAIRS), "windows": windows_seen}


def export_model(
    source: str, out: str | Path, quantize: str | None = None, opset: int = 17,
    name: str | None = None, languages: list[str] | None = None,
    progress: Callable[[str], None] | None = print, overwrite: bool = False,
    calibration_pairs: Sequence[tuple[str, str]] | None = None, smoothing: bool = True,
) -> ModelManifest:
    """`calibration_pairs` ((question, passage), e.g. held-out training questions): the windows
    SmoothQuant measures before int8; PARITY_PAIRS when not given. `smoothing=False`: plain
    dynamic int8."""
    if quantize not in QUANTIZATIONS:
        raise ModelError(f"Unknown quantization {quantize!r}: use int8 or leave it out.")
    out = Path(out).expanduser()
    if out.exists() and any(out.iterdir()) and not overwrite:
        if not (out / "model.onnx").exists():
            raise ModelError(f"{out} exists and is not empty; choose a new directory.")
    started = time.perf_counter()
    _log(progress, f"[1/5] loading {source}")
    config, tokenizer, model = _load_checkpoint(str(source))
    max_positions = int(getattr(config, "max_position_embeddings", 512) or 512)
    if getattr(config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        max_positions -= 2  # RoBERTa-style positions start after the padding index
    manifest = ModelManifest(
        name=name or out.name,
        languages=languages or ["en"],
        max_seq_len=min(384, max_positions, int(getattr(tokenizer, "model_max_length", 10**6))),
        quantization=quantize,
        source=str(source),
    )
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qa-desktop-export-") as tmp:
        raw = Path(tmp) / "raw.onnx"
        fp32 = Path(tmp) / "model_fp32.onnx"
        _log(progress, f"[2/5] exporting to ONNX (opset {opset}, eager attention)")
        _torch_export(model, config, raw, opset)
        _log(progress, "[3/5] optimizing with the ONNX Runtime transformer optimizer")
        fused = _optimize(raw, fp32, config)
        _log(progress, "      fused: " + (", ".join(f"{k} {v}" for k, v in sorted(fused.items())) or "nothing"))
        # The engine cuts its own windows. A base's own settings (all-MiniLM-L6-v2 truncates and pads
        # to 128) saved into the model directory would cut passages short for anyone loading it elsewhere.
        tokenizer.backend_tokenizer.no_truncation()
        tokenizer.backend_tokenizer.no_padding()
        tokenizer.save_pretrained(out)
        config.save_pretrained(out)
        for stale in out.glob("*.onnx*"):
            stale.unlink()
        shutil.copyfile(fp32, out / "model.onnx")
        manifest.quantization = None
        manifest.write(out)
        _log(progress, "[4/5] checking parity with PyTorch")
        fp32_parts = engine_parts(out, manifest)  # one session: the parity check, SmoothQuant's windows
        fp32_parity = parity(model, fp32_parts)
        manifest.parity = {"fp32": fp32_parity, "fused_operators": fused}
        _log(progress, f"      fp32 max |Δ logit| = {fp32_parity['max_abs_logit_diff']:.2e}")
        if quantize == "int8":
            how = "dynamic, per channel" + (", SmoothQuant" if smoothing else "")
            _log(progress, f"[5/5] quantizing to int8 ({how})")
            feeds = calibration_feeds(fp32_parts, calibration_pairs or PARITY_PAIRS) if smoothing else None
            manifest.quantization_method = quantize_int8(fp32, out / "model.onnx", smoothing_feeds=feeds)
            manifest.quantization = "int8"
            manifest.write(out)
            manifest.parity["int8"] = parity(model, engine_parts(out, manifest))
            _log(progress, f"      int8 max |Δ logit| = {manifest.parity['int8']['max_abs_logit_diff']:.2e}")
        else:
            _log(progress, "[5/5] no quantization asked for")
    for leftover in ("vocab.txt", "merges.txt", "sentencepiece.bpe.model", "vocab.json"):
        # tokenizer.json says everything these do; keeping one would only add size.
        (out / leftover).unlink(missing_ok=True)
    manifest.write(out)
    size = (out / "model.onnx").stat().st_size / 1e6
    _log(progress, f"done in {time.perf_counter() - started:.0f}s: {out} ({size:.1f} MB model.onnx)")
    return manifest
