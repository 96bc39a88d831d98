"""qa_outputs decomposed with the model's own numbers: h · w + b equals the logits, on our
exported fp32 graph, an Optimum-style plain export, int8 models, and the bundled model; the
answer path is unchanged; the 2-D view's geometry."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.head_decomposition import HeadExplainer
from qa_desktop.engine.head_graph import DYNAMIC_UINT8, NO_ACTIVATION_QUANTIZATION, find_head
from qa_desktop.engine.head_projection import project_window
from qa_desktop.engine.question_answerer import QuestionAnswerer

from conftest import bundled_default_model

QUESTION = "Who wrote the first program?"
PASSAGE = ("Ada Lovelace wrote the first program for the analytical engine. The quick brown fox jumps "
           "over the lazy dog near the river bank in 1890.")
LONG_PASSAGE = " ".join(f"Paragraph {i}: the committee met on day {i} and the minutes were kept by clerk "
                        f"number {i % 7}." for i in range(60)) + " The report was written by Ada Lovelace."


def _checkpoint_head(checkpoint: Path) -> tuple[np.ndarray, np.ndarray]:
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(checkpoint)
    return model.qa_outputs.weight.detach().numpy().T, model.qa_outputs.bias.detach().numpy()


def _every_token(explainer, prediction):
    states = explainer.hidden_states(prediction, list(range(len(prediction.windows))))
    for r, window in enumerate(states.windows):
        for position in range(int(states.seq_lens[r])):
            yield states, explainer.decompose(prediction, states, window, position)


@pytest.fixture(scope="module")
def optimum_style_model(tmp_path_factory, tiny_bert_checkpoint) -> Path:
    """A plain torch.onnx export laid out as `optimum-cli export onnx --task question-answering`
    writes it: model.onnx, tokenizer and config files, no qa_desktop.json, no graph optimizer."""
    import torch
    from transformers import AutoModelForQuestionAnswering

    out = tmp_path_factory.mktemp("optimum-style") / "model"
    out.mkdir()
    model = AutoModelForQuestionAnswering.from_pretrained(tiny_bert_checkpoint).eval()

    class StartEnd(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.start_logits, out.end_logits

    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names + ["start_logits", "end_logits"]}
    with torch.no_grad():
        torch.onnx.export(StartEnd(model), tuple(torch.ones((1, 8), dtype=torch.long) for _ in names),
                          str(out / "model.onnx"), input_names=names, output_names=["start_logits", "end_logits"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json"):
        if (tiny_bert_checkpoint / name).exists():
            shutil.copy(tiny_bert_checkpoint / name, out / name)
    return out


@pytest.fixture(scope="module")
def optimum_style_int8(tmp_path_factory, optimum_style_model) -> Path:
    """The Optimum-style model quantized by onnxruntime's dynamic int8, per channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = tmp_path_factory.mktemp("optimum-int8") / "model"
    shutil.copytree(optimum_style_model, out)
    quantize_dynamic(str(optimum_style_model / "model.onnx"), str(out / "model.onnx"),
                     weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    return out


@pytest.mark.parametrize("fixture", ["tiny_bert_model", "tiny_xlmr_model", "optimum_style_model"])
def test_fp32_sum_equals_the_model_logits_for_every_token(fixture, request, tmp_path):
    answerer = QuestionAnswerer.load(request.getfixturevalue(fixture), threads=1)
    prediction = answerer.answer(QUESTION, LONG_PASSAGE)
    assert len(prediction.windows) > 1
    explainer = HeadExplainer(answerer, cache_dir=tmp_path)
    weights = explainer.weights
    assert not weights.quantized and weights.activation_quantization == NO_ACTIVATION_QUANTIZATION
    checked = 0
    for states, d in _every_token(explainer, prediction):
        assert d.quantized_start_sum is None
        assert abs(d.start_sum - d.model_start_logit) <= 1e-4
        assert abs(d.end_sum - d.model_end_logit) <= 1e-4
        assert np.allclose(d.start_products, d.hidden.astype(np.float64) * weights.w_start)
        checked += 1
    assert checked == sum(w.seq_len for w in prediction.windows)
    # The explanation re-read exactly the prediction's batches: its logits are the prediction's.
    for r, w in enumerate(states.windows):
        n = int(states.seq_lens[r])
        assert np.abs(states.start_logits[r, :n] - prediction.start_logits[w, :n]).max() <= 1e-5
        assert np.abs(states.end_logits[r, :n] - prediction.end_logits[w, :n]).max() <= 1e-5


def test_fp32_head_weights_are_the_checkpoints(tiny_bert_model, tiny_bert_checkpoint, optimum_style_model):
    import onnx

    weight, bias = _checkpoint_head(tiny_bert_checkpoint)
    for model_dir in (tiny_bert_model, optimum_style_model):
        head = find_head(onnx.load(str(model_dir / "model.onnx")))
        assert head.weight.shape == (32, 2)
        np.testing.assert_allclose(head.weight, weight, atol=1e-6)
        np.testing.assert_allclose(head.bias, bias, atol=1e-6)


def test_int8_weights_dequantize_within_half_a_step_and_the_sum_is_explained(
        optimum_style_int8, tiny_bert_checkpoint, tmp_path):
    weight, bias = _checkpoint_head(tiny_bert_checkpoint)
    answerer = QuestionAnswerer.load(optimum_style_int8, threads=1)
    explainer = HeadExplainer(answerer, cache_dir=tmp_path)
    head = explainer.head
    assert head.quantized_weight and head.activation_quantization == DYNAMIC_UINT8
    assert head.weight_scale.shape == (2,)  # per channel: one scale per column
    assert np.all(np.abs(head.weight - weight) <= head.weight_scale / 2 + 1e-7)
    np.testing.assert_allclose(head.bias, bias, atol=1e-6)
    prediction = answerer.answer(QUESTION, LONG_PASSAGE)
    for _, d in _every_token(explainer, prediction):
        emulated = min(abs(d.quantized_start_sum - d.model_start_logit), abs(d.saturated_start_sum - d.model_start_logit))
        assert emulated <= 1e-4
        emulated = min(abs(d.quantized_end_sum - d.model_end_logit), abs(d.saturated_end_sum - d.model_end_logit))
        assert emulated <= 1e-4
    assert "quantizes h to uint8" in d.difference_explained()


def test_bundled_int8_model_decomposes_its_answer(tmp_path):
    answerer = QuestionAnswerer.load(bundled_default_model(), threads=1)
    passage = ("The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by the company "
               "of the engineer Gustave Eiffel and built for the 1889 World's Fair.")
    prediction = answerer.answer("Who designed the Eiffel Tower?", passage)
    explainer = HeadExplainer(answerer, cache_dir=tmp_path)
    weights = explainer.weights
    assert weights.quantized and weights.hidden_size == answerer.model.hidden_size
    assert -1 <= weights.cosine <= 1
    start, end = explainer.explain_answer(prediction)
    best = prediction.best
    assert start.passage_token == best.start_token and end.passage_token == best.end_token
    assert abs(start.model_start_logit + end.model_end_logit - best.score) <= 1e-4
    for d in (start, end):
        # Exact fp32 product vs the int8 model: close, and exactly explained by activation quantization.
        assert abs(d.start_sum - d.model_start_logit) < 0.1 and abs(d.end_sum - d.model_end_logit) < 0.1
        assert min(abs(d.quantized_start_sum - d.model_start_logit),
                   abs(d.saturated_start_sum - d.model_start_logit)) <= 1e-4
    # The largest contributions really are the largest.
    order = start.order("start")
    assert start.start_products[order[0]] == start.start_products.max()


def test_answer_path_unchanged_and_model_dir_untouched(tiny_bert_model, tmp_path):
    def snapshot(folder: Path) -> dict:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    before_files = snapshot(tiny_bert_model)
    answerer = QuestionAnswerer.load(tiny_bert_model, threads=1)
    before = answerer.answer(QUESTION, LONG_PASSAGE, top_k=3)
    explainer = HeadExplainer(answerer, cache_dir=tmp_path / "cache")
    explainer.hidden_states(before, [0, len(before.windows) - 1])
    after = answerer.answer(QUESTION, LONG_PASSAGE, top_k=3)
    assert [o.name for o in answerer.reader.session.get_outputs()] == ["start_logits", "end_logits"]
    np.testing.assert_array_equal(before.start_logits, after.start_logits)
    np.testing.assert_array_equal(before.end_logits, after.end_logits)
    assert [(a.text, a.score) for a in before.candidates] == [(a.text, a.score) for a in after.candidates]
    assert snapshot(tiny_bert_model) == before_files
    assert list((tmp_path / "cache" / "explain").iterdir())  # the surgery went to the cache


def test_second_load_reads_the_cache_without_graph_surgery(tiny_bert_model, tmp_path, monkeypatch):
    from qa_desktop.engine import head_model_cache

    answerer = QuestionAnswerer.load(tiny_bert_model, threads=1)
    first = HeadExplainer(answerer, cache_dir=tmp_path).weights

    def no_surgery(*_):
        raise AssertionError("the cached explanation graph was rebuilt")

    monkeypatch.setattr(head_model_cache, "_build", no_surgery)
    second = HeadExplainer(answerer, cache_dir=tmp_path).weights
    np.testing.assert_array_equal(first.w_start, second.w_start)
    assert first.b_end == second.b_end


def test_projection_geometry(tiny_bert_model, tmp_path):
    answerer = QuestionAnswerer.load(tiny_bert_model, threads=1)
    prediction = answerer.answer(QUESTION, PASSAGE)
    explainer = HeadExplainer(answerer, cache_dir=tmp_path)
    states = explainer.hidden_states(prediction)
    window = states.windows[0]
    projection = project_window(prediction, states, explainer.weights, window)
    w = prediction.windows[window]
    n = w.passage_token_end - w.passage_token_start
    assert projection.points.shape == (n, 2) and projection.basis.shape == (2, 32)
    np.testing.assert_allclose(projection.basis @ projection.basis.T, np.eye(2), atol=1e-8)
    np.testing.assert_allclose(projection.points.mean(axis=0), 0, atol=1e-6)
    assert 0 < projection.explained_variance.sum() <= 1 + 1e-9
    np.testing.assert_allclose(projection.start_arrow, projection.basis @ explainer.weights.w_start, rtol=1e-6)
    assert 0 <= projection.start_in_plane <= 1 and projection.cosine == pytest.approx(explainer.weights.cosine)
    assert projection.start_prob.sum() == pytest.approx(1.0)


def _graph_with_head(head_nodes, initializers, hidden=4):
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Relu", ["input_ids_float"], ["h"])] + head_nodes + [
        helper.make_node("Split", ["logits", "split"], ["s3", "e3"], axis=-1),
        helper.make_node("Squeeze", ["s3", "axes"], ["start_logits"]),
        helper.make_node("Squeeze", ["e3", "axes"], ["end_logits"]),
    ]
    inits = [helper.make_tensor("split", TensorProto.INT64, [2], [1, 1]),
             helper.make_tensor("axes", TensorProto.INT64, [1], [2])] + initializers
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("input_ids_float", TensorProto.FLOAT, ["b", "s", hidden])],
        [helper.make_tensor_value_info("start_logits", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("end_logits", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph)


def test_gemm_head_with_transposed_weight():
    from onnx import numpy_helper
    from onnx import helper

    w = np.arange(8, dtype=np.float32).reshape(2, 4)  # (out, in): torch's Linear layout, transB=1
    model = _graph_with_head([helper.make_node("Gemm", ["h", "W", "b"], ["logits"], transB=1, alpha=0.5)],
                             [numpy_helper.from_array(w, "W"), numpy_helper.from_array(np.array([1, 2], np.float32), "b")])
    head = find_head(model)
    np.testing.assert_allclose(head.weight, 0.5 * w.T)
    np.testing.assert_allclose(head.bias, [1, 2])
    assert head.hidden_name == "h"


def test_a_graph_without_a_linear_head_is_refused():
    from onnx import helper

    model = _graph_with_head([helper.make_node("Tanh", ["h"], ["logits"])], [])
    with pytest.raises(ModelError, match="Tanh"):
        find_head(model)
