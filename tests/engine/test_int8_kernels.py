"""int8 weights re-expressed as uint8 for CPUs whose U8S8 kernel saturates: same numbers, a
cached copy outside the model directory, used only where it helps."""

from __future__ import annotations

import numpy as np
import pytest

from qa_desktop.engine import int8_kernels
from qa_desktop.engine.int8_kernels import cpu_model_path, rewrite_to_u8u8


@pytest.fixture(scope="module")
def tiny_int8(tiny_bert_checkpoint, tmp_path_factory):
    """Made the way the bundled models are: the exporter's own dynamic int8."""
    from qa_desktop.engine.onnx_export import export_model

    out = tmp_path_factory.mktemp("tiny-int8") / "int8"
    export_model(str(tiny_bert_checkpoint), out, quantize="int8", progress=None)
    return out / "model.onnx"


def test_rewrite_keeps_every_weight_minus_zero_point(tiny_int8):
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load(str(tiny_int8))
    before = {i.name: numpy_helper.to_array(i).astype(np.int32) for i in model.graph.initializer}
    assert rewrite_to_u8u8(model) > 0
    after = {i.name: numpy_helper.to_array(i).astype(np.int32) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "MatMulInteger":
            w, zp = node.input[1], node.input[3]
            old_zp = before.get(zp, np.zeros(1, np.int32)) if not zp.endswith("__zero_point_u8") else 0
            np.testing.assert_array_equal(after[w] - after[zp], before[w] - old_zp)
    assert not [i.name for i in model.graph.initializer
                if i.data_type == TensorProto.INT8 and any(i.name == n.input[1] for n in model.graph.node
                                                           if n.op_type == "MatMulInteger")]


def _matmul_integer_graph(path, weights, zero_point):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node("MatMulInteger", ["a", "w", "a_zp", "w_zp"], ["y"])
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, weights.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [None, weights.shape[1]])],
        [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(zero_point, "w_zp"),
         numpy_helper.from_array(np.array(0, np.uint8), "a_zp")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_rewritten_matmul_is_exact_where_u8s8_may_saturate(tmp_path, monkeypatch):
    """Products of large activations and large same-sign weights: exact int32 sums from the
    uint8 copy on every CPU (the int8 original saturates on AVX2-only CPUs)."""
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    weights = rng.choice(np.array([-128, -127, 120, 127], np.int8), size=(64, 16))
    zero_point = np.zeros(16, np.int8)
    original = _matmul_integer_graph(tmp_path / "model.onnx", weights, zero_point)
    monkeypatch.setenv("QA_DESKTOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(int8_kernels.OVERRIDE, "u8u8")
    rewritten = cpu_model_path(original)
    assert rewritten != original and rewritten.is_relative_to(tmp_path / "cache")
    activations = rng.integers(200, 256, size=(8, 64)).astype(np.uint8)
    exact = activations.astype(np.int64) @ weights.astype(np.int64)
    session = ort.InferenceSession(str(rewritten), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(session.run(None, {"a": activations})[0], exact)


def test_copy_is_cached_and_only_made_where_it_helps(tiny_int8, tiny_bert_model, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_DESKTOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(int8_kernels.OVERRIDE, "u8s8")
    assert cpu_model_path(tiny_int8) == tiny_int8
    monkeypatch.setenv(int8_kernels.OVERRIDE, "u8u8")
    first = cpu_model_path(tiny_int8)
    stamp = first.stat().st_mtime_ns
    assert cpu_model_path(tiny_int8) == first and first.stat().st_mtime_ns == stamp
    fp32 = tiny_bert_model / "model.onnx"
    assert cpu_model_path(fp32) == fp32 and cpu_model_path(fp32) == fp32


def test_cpu_check_reads_vnni(monkeypatch):
    monkeypatch.delenv(int8_kernels.OVERRIDE, raising=False)
    monkeypatch.setattr(int8_kernels.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(int8_kernels, "cpu_flags", lambda: {"avx2", "fma"})
    assert int8_kernels.u8s8_saturates()
    monkeypatch.setattr(int8_kernels, "cpu_flags", lambda: {"avx2", "avx512_vnni"})
    assert not int8_kernels.u8s8_saturates()
    monkeypatch.setattr(int8_kernels.platform, "machine", lambda: "arm64")
    assert not int8_kernels.u8s8_saturates()
