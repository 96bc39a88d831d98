"""SmoothQuant (engine/smooth_quant.py) on the tiny model: the rewritten fp32 graph means the same,
its activation channels come out more even, and the export records what it did."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.onnx_export import PARITY_PAIRS, calibration_feeds, engine_parts
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.smooth_quant import channel_maxima, smooth_model

QUESTION, CONTEXT = "Who wrote the program?", "Ada Lovelace wrote the first program for the analytical engine."


@pytest.fixture(scope="module")
def feeds(tiny_bert_model):
    return calibration_feeds(engine_parts(tiny_bert_model, ModelManifest.read(tiny_bert_model)), PARITY_PAIRS)


def _spread(maxima: dict[str, np.ndarray]) -> float:
    """The widest channel against the median one, worst over the smoothed nodes' inputs."""
    return max(float(m.max() / np.median(m)) for m in maxima.values())


@pytest.mark.parametrize("model_fixture", ["tiny_bert_model", "tiny_xlmr_model"])
def test_the_smoothed_graph_gives_the_same_logits(model_fixture, request, tmp_path):
    """BERT (WordPiece, token types) and XLM-R (the multilingual model's architecture)."""
    tiny_model = request.getfixturevalue(model_fixture)
    feeds = calibration_feeds(engine_parts(tiny_model, ModelManifest.read(tiny_model)), PARITY_PAIRS)
    out = tmp_path / "smoothed"
    out.mkdir()
    for f in tiny_model.iterdir():
        if f.is_file() and f.name != "model.onnx":
            (out / f.name).write_bytes(f.read_bytes())
    report = smooth_model(tiny_model / "model.onnx", out / "model.onnx", feeds, alpha=0.7)
    graph = onnx.load(str(out / "model.onnx")).graph
    muls = [n for n in graph.node if n.name.endswith("_smooth")]
    # Where the input is a fused Attention's output, 1/s went into its value weights, not a Mul.
    assert report["folded_into_attention"] > 0
    assert report["nodes"] - report["folded_into_attention"] == len(muls) > 0 and report["alpha"] == 0.7
    before = QuestionAnswerer.load(tiny_model, device="cpu", threads=1).answer(QUESTION, CONTEXT)
    after = QuestionAnswerer.load(out, device="cpu", threads=1).answer(QUESTION, CONTEXT)
    n = before.windows[0].seq_len
    np.testing.assert_allclose(after.start_logits[0, :n], before.start_logits[0, :n], atol=1e-4)
    np.testing.assert_allclose(after.end_logits[0, :n], before.end_logits[0, :n], atol=1e-4)


def test_activation_channels_come_out_more_even(tiny_bert_model, feeds, tmp_path):
    smoothed = tmp_path / "smoothed.onnx"
    smooth_model(tiny_bert_model / "model.onnx", smoothed, feeds, alpha=0.7)
    original, rewritten = onnx.load(str(tiny_bert_model / "model.onnx")), onnx.load(str(smoothed))
    consumers = [n for n in rewritten.graph.node if n.name.endswith("_smooth")]
    raw = channel_maxima(original, sorted({n.input[0] for n in consumers}), feeds)
    even = channel_maxima(rewritten, sorted({n.output[0] for n in consumers}), feeds)
    assert _spread(even) < _spread(raw)


def test_the_int8_export_smooths_and_says_so(tiny_bert_checkpoint, tmp_path):
    from qa_desktop.engine.onnx_export import export_model

    smoothed = export_model(str(tiny_bert_checkpoint), tmp_path / "a", quantize="int8", progress=None)
    plain = export_model(str(tiny_bert_checkpoint), tmp_path / "b", quantize="int8", progress=None,
                         smoothing=False)
    method = ModelManifest.read(tmp_path / "a").quantization_method
    assert method["smoothing"]["method"] == "SmoothQuant" and method["smoothing"]["calibration_windows"] > 0
    assert smoothed.quantization_method == method
    assert "smoothing" not in plain.quantization_method and plain.quantization_method["scheme"] == "u8s8"
    answer = QuestionAnswerer.load(tmp_path / "a", device="cpu", threads=1).answer(QUESTION, CONTEXT)
    assert np.isfinite(answer.start_logits[0, : answer.windows[0].seq_len]).all()
