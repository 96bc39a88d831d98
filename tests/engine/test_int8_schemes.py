"""The int8 schemes of onnx_export.quantize_int8 on the tiny model: each one loads, answers, and
stores the weights the scheme says (s8, s8 at 7 bits, u8; static QDQ with calibrated ranges)."""

from __future__ import annotations

import shutil

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.onnx_export import DEFAULT_INT8_SCHEME, INT8_SCHEMES, quantize_int8
from qa_desktop.engine.question_answerer import QuestionAnswerer

QUESTION, CONTEXT = "Who wrote the program?", "Ada Lovelace wrote the first program for the analytical engine."


class _Windows:
    def __init__(self, feeds):
        self._it = iter(feeds)

    def get_next(self):
        return next(self._it, None)


def _quantized_weights(path):
    """The int8 weight matrices the integer GEMMs multiply (MatMulInteger, QAttention, static
    QDQ's DequantizeLinear of a weight)."""
    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    found = []
    for node in model.graph.node:
        if node.op_type in ("MatMulInteger", "QAttention", "DequantizeLinear"):
            t = inits.get(node.input[1] if node.op_type != "DequantizeLinear" else node.input[0])
            if t is not None and len(t.dims) == 2:
                found.append(numpy_helper.to_array(t))
    return found


@pytest.mark.parametrize("scheme", INT8_SCHEMES)
def test_each_scheme_answers_and_stores_its_weight_type(scheme, tiny_bert_model, tmp_path):
    out = tmp_path / scheme
    shutil.copytree(tiny_bert_model, out)
    fp32 = QuestionAnswerer.load(tiny_bert_model, device="cpu", threads=1)
    calibration = None
    if scheme == "static_qdq":
        windows = fp32.features.build(QUESTION, fp32.features.tokenize_passage(CONTEXT))
        calibration = _Windows([fp32.reader.feed([w], w.seq_len) for w in windows])
    quantize_int8(tiny_bert_model / "model.onnx", out / "model.onnx", scheme=scheme, calibration=calibration)
    weights = _quantized_weights(out / "model.onnx")
    assert weights, "no int8 weight matrix in the graph"
    if scheme == "u8u8":
        assert all(w.dtype == np.uint8 for w in weights)
    else:
        assert any(w.dtype == np.int8 for w in weights)
    if scheme == "u8s8_reduce_range":
        # 7-bit weights: |w| ≤ 64, so vpmaddubsw's pair sums (≤ 2·255·64) cannot saturate int16.
        assert all(np.abs(w.astype(np.int32)).max() <= 64 for w in weights)
    if scheme == "u8s8":
        assert any(np.abs(w.astype(np.int32)).max() > 64 for w in weights)
    qa = QuestionAnswerer.load(out, device="cpu", threads=1)
    prediction = qa.answer(QUESTION, CONTEXT, top_k=1)
    reference = fp32.answer(QUESTION, CONTEXT, top_k=1)
    assert prediction.start_logits.shape == reference.start_logits.shape
    assert np.isfinite(prediction.start_logits[0, : prediction.windows[0].seq_len]).all()


def test_unknown_scheme_and_static_without_windows_are_refused(tiny_bert_model, tmp_path):
    with pytest.raises(ModelError, match="Unknown int8 scheme"):
        quantize_int8(tiny_bert_model / "model.onnx", tmp_path / "x.onnx", scheme="int4")
    with pytest.raises(ModelError, match="calibration"):
        quantize_int8(tiny_bert_model / "model.onnx", tmp_path / "x.onnx", scheme="static_qdq")
    assert DEFAULT_INT8_SCHEME in INT8_SCHEMES
