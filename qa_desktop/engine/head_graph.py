"""Find `qa_outputs` in any extractive-QA ONNX graph: the tensor that enters it, its weight and bias.

Walks back from the `start_logits`/`end_logits` (or `logits`) outputs through the ops that only
pick or reshape columns (Split, Squeeze, Slice, Gather, Reshape, ...) to the linear layer, and
reads it in whichever form an exporter or quantizer left it:

- fp32: `Add(MatMul(h, W), b)` (torch.onnx, Optimum, our optimized export) or `Gemm(h, W, b)`;
- dynamic int8 (onnxruntime.quantization.quantize_dynamic): `DynamicQuantizeLinear(h)` →
  `MatMulInteger(h_q, W_q, h_zp, W_zp)` → `Cast` → `Mul(·, h_scale·W_scale)` → `Add(·, b)`, or the
  fused `MatMulIntegerToFloat` / `DynamicQuantizeMatMul` contrib ops;
- QDQ: weights behind `DequantizeLinear`, the activation behind `QuantizeLinear`/`DequantizeLinear`.

Int8 weights are dequantized ((W_q - zero point) · scale, per column when per channel). Needs the
`onnx` package; the numbers found are cached beside the explanation graph (head_model_cache).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.errors import ModelError

# Ops between the head and the outputs that keep values and only select or reshape.
_PASS_THROUGH = ("Identity", "Cast", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Contiguous")

NO_ACTIVATION_QUANTIZATION = "none"
DYNAMIC_UINT8 = "dynamic-uint8"  # DynamicQuantizeLinear: one scale and zero point per input tensor
STATIC_QDQ = "static-qdq"  # QuantizeLinear/DequantizeLinear with a fixed scale


@dataclass(frozen=True)
class HeadGraph:
    """The linear layer that gives every token its start and end logit."""

    hidden_name: str  # float tensor entering the head: (batch, seq, hidden) or (batch·seq, hidden)
    weight: np.ndarray  # (hidden, 2) float32, columns start and end (dequantized when int8)
    bias: np.ndarray  # (2,) float32: start, end
    quantized_weight: bool
    activation_quantization: str  # NO_ACTIVATION_QUANTIZATION, DYNAMIC_UINT8 or STATIC_QDQ
    weight_scale: np.ndarray | None  # (2,) the int8 weights' scales (start, end); None for fp32
    weight_zero_point: np.ndarray | None  # (2,)
    nodes: tuple[str, ...]  # names of the nodes that make up the head, for messages and tests

    @property
    def hidden_size(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True)
class _Linear:
    hidden: str
    weight: np.ndarray  # (hidden, k)
    bias: np.ndarray  # (k,)
    quantized: bool
    activation: str
    scale: np.ndarray | None
    zero_point: np.ndarray | None
    nodes: tuple[str, ...]


class _Graph:
    def __init__(self, model):
        from onnx import numpy_helper

        self._to_array = numpy_helper.to_array
        self.graph = model.graph
        self.initializers = {i.name: i for i in model.graph.initializer}
        self.producer = {out: node for node in model.graph.node for out in node.output}
        self.outputs = [o.name for o in model.graph.output]

    def const(self, name: str) -> np.ndarray | None:
        """The value of a tensor computed from constants only, or None."""
        if not name:
            return None
        if name in self.initializers:
            return self._to_array(self.initializers[name])
        node = self.producer.get(name)
        if node is None:
            return None
        op = node.op_type
        if op == "Constant":
            from onnx import helper

            for attribute in node.attribute:
                value = helper.get_attribute_value(attribute)
                if attribute.name == "value":
                    return self._to_array(value)
                if attribute.name in ("value_float", "value_floats", "value_int", "value_ints"):
                    return np.asarray(value)
            return None
        if op in ("Identity", "Cast"):
            value = self.const(node.input[0])
            if value is None or op == "Identity":
                return value
            from onnx import helper

            to = helper.tensor_dtype_to_np_dtype(self.attribute(node, "to"))
            return value.astype(to)
        if op == "Transpose":
            value = self.const(node.input[0])
            perm = self.attribute(node, "perm")
            return None if value is None else np.transpose(value, perm)
        if op == "DequantizeLinear":
            return self.dequantize(node)
        return None

    def dequantize(self, node) -> np.ndarray | None:
        q = self.const(node.input[0])
        scale = self.const(node.input[1])
        zero = self.const(node.input[2]) if len(node.input) > 2 else None
        if q is None or scale is None:
            return None
        axis = self.attribute(node, "axis", 1)
        return _dequantize(q, scale, zero, axis)

    @staticmethod
    def attribute(node, name: str, default=None):
        from onnx import helper

        for attribute in node.attribute:
            if attribute.name == name:
                return helper.get_attribute_value(attribute)
        return default

    def node(self, name: str):
        node = self.producer.get(name)
        if node is None:
            raise ModelError(f"Cannot find qa_outputs in this graph: {name!r} is not computed by any node.")
        return node


def _dequantize(q: np.ndarray, scale: np.ndarray, zero: np.ndarray | None, axis: int) -> np.ndarray:
    """(q - zero) · scale, per tensor or per channel along `axis`."""
    q = q.astype(np.float64)
    zero = np.zeros_like(scale, dtype=np.float64) if zero is None else zero.astype(np.float64)
    scale = scale.astype(np.float64)
    if scale.ndim == 1 and scale.size > 1:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((q - zero) * scale).astype(np.float32)


def _trace_column(g: _Graph, name: str) -> tuple[str, int | None]:
    """From a logits output back to the head's output tensor, and the column of it taken."""
    column = None
    for _ in range(64):
        node = g.producer.get(name)
        if node is None:
            break
        op = node.op_type
        if op in _PASS_THROUGH:
            name = node.input[0]
        elif op == "Split":
            index = list(node.output).index(name)
            sizes = g.const(node.input[1]) if len(node.input) > 1 else None
            if sizes is None:
                sizes = g.attribute(node, "split")
            offset = int(np.sum(sizes[:index])) if sizes is not None and len(sizes) else index
            column = offset if column is None else offset + column
            name = node.input[0]
        elif op == "Slice":
            starts = g.const(node.input[1])
            if starts is None:
                break
            start = int(np.asarray(starts).ravel()[0])
            column = (start if start >= 0 else 2 + start) + (column or 0)
            name = node.input[0]
        elif op == "Gather":
            index = g.const(node.input[1])
            if index is None or np.asarray(index).size != 1:
                break
            value = int(np.asarray(index).ravel()[0])
            column = value if value >= 0 else 2 + value
            name = node.input[0]
        else:
            break
    return name, column


def _dynamic_source(g: _Graph, quantized_name: str) -> str | None:
    """The float tensor a DynamicQuantizeLinear quantized, if `quantized_name` is its output."""
    node = g.producer.get(quantized_name)
    if node is not None and node.op_type == "DynamicQuantizeLinear":
        return node.input[0]
    return None


def _activation(g: _Graph, name: str) -> tuple[str, str]:
    """The float hidden tensor behind a MatMul input, looking through activation Q/DQ pairs."""
    node = g.producer.get(name)
    if node is not None and node.op_type == "DequantizeLinear":
        quantize = g.producer.get(node.input[0])
        if quantize is not None and quantize.op_type == "QuantizeLinear":
            return quantize.input[0], STATIC_QDQ
    return name, NO_ACTIVATION_QUANTIZATION


def _integer_weight(g: _Graph, weight: str, zero: str, scale: np.ndarray | None):
    w_q = g.const(weight)
    w_zero = g.const(zero) if zero else None
    if w_q is None or scale is None:
        raise ModelError("qa_outputs has int8 weights whose scale or values are not constants.")
    scale = np.asarray(scale, dtype=np.float32).reshape(-1)
    w_zero = np.zeros_like(scale) if w_zero is None else np.asarray(w_zero).reshape(-1)
    return (_dequantize(w_q, scale, w_zero, axis=1), np.broadcast_to(scale, (w_q.shape[1],)).copy(),
            np.broadcast_to(w_zero, (w_q.shape[1],)).astype(np.float32))


def _matmul_integer(g: _Graph, node, scale: np.ndarray | None, extra: tuple[str, ...]) -> _Linear:
    hidden = _dynamic_source(g, node.input[0])
    if hidden is None:
        raise ModelError("qa_outputs is an integer MatMul whose input is not dynamically quantized; "
                         "only onnxruntime's dynamic int8 quantization is understood.")
    weight, w_scale, w_zero = _integer_weight(g, node.input[1], node.input[3] if len(node.input) > 3 else "", scale)
    return _Linear(hidden, weight, np.zeros(weight.shape[1], np.float32), True, DYNAMIC_UINT8,
                   w_scale, w_zero, extra + (node.name,))


def _product(g: _Graph, name: str) -> _Linear:
    """The h·W part of the head (without bias), whatever its form."""
    node = g.node(name)
    op = node.op_type
    if op == "MatMul":
        weight = g.const(node.input[1])
        if weight is None:
            raise ModelError("qa_outputs' MatMul has no constant weight.")
        hidden, activation = _activation(g, node.input[0])
        quantized = g.producer.get(node.input[1]) is not None and g.producer[node.input[1]].op_type == "DequantizeLinear"
        return _Linear(hidden, weight.astype(np.float32), np.zeros(weight.shape[1], np.float32), quantized,
                       activation, None, None, (node.name,))
    if op == "Mul":
        # Dynamic int8: Cast(MatMulInteger(...)) · (h_scale · W_scale).
        for i in (0, 1):
            source = g.producer.get(node.input[i])
            if source is not None and source.op_type == "Cast":
                source = g.producer.get(source.input[0]) or source
            if source is not None and source.op_type == "MatMulInteger":
                scales = g.node(node.input[1 - i])
                w_scale = None
                if scales.op_type == "Mul":
                    w_scale = g.const(scales.input[0])
                    if w_scale is None:
                        w_scale = g.const(scales.input[1])
                return _matmul_integer(g, source, w_scale, (node.name, scales.name))
    if op == "MatMulIntegerToFloat":  # com.microsoft: A, B, a_scale, b_scale, a_zp, b_zp, bias
        hidden = _dynamic_source(g, node.input[0])
        if hidden is None:
            raise ModelError("qa_outputs is an integer MatMul whose input is not dynamically quantized; "
                             "only onnxruntime's dynamic int8 quantization is understood.")
        weight, w_scale, w_zero = _integer_weight(g, node.input[1], node.input[5] if len(node.input) > 5 else "",
                                                  g.const(node.input[3]))
        linear = _Linear(hidden, weight, np.zeros(weight.shape[1], np.float32), True, DYNAMIC_UINT8,
                         w_scale, w_zero, (node.name,))
        if len(node.input) > 6 and node.input[6]:
            linear = _with_bias(linear, g.const(node.input[6]))
        return linear
    if op == "DynamicQuantizeMatMul":  # com.microsoft: A (float), B, b_scale, b_zp, bias
        weight, w_scale, w_zero = _integer_weight(g, node.input[1], node.input[3] if len(node.input) > 3 else "",
                                                  g.const(node.input[2]))
        linear = _Linear(node.input[0], weight, np.zeros(weight.shape[1], np.float32), True, DYNAMIC_UINT8,
                         w_scale, w_zero, (node.name,))
        if len(node.input) > 4 and node.input[4]:
            linear = _with_bias(linear, g.const(node.input[4]))
        return linear
    if op == "Gemm":
        if g.attribute(node, "transA", 0):
            raise ModelError("qa_outputs is a transposed-input Gemm, which qa-desktop does not read.")
        weight = g.const(node.input[1])
        if weight is None:
            raise ModelError("qa_outputs' Gemm has no constant weight.")
        if g.attribute(node, "transB", 0):
            weight = weight.T
        weight = weight * float(g.attribute(node, "alpha", 1.0))
        hidden, activation = _activation(g, node.input[0])
        linear = _Linear(hidden, weight.astype(np.float32), np.zeros(weight.shape[1], np.float32), False,
                         activation, None, None, (node.name,))
        if len(node.input) > 2 and node.input[2]:
            bias = g.const(node.input[2])
            linear = _with_bias(linear, None if bias is None else bias * float(g.attribute(node, "beta", 1.0)))
        return linear
    raise ModelError(
        f"Cannot read qa_outputs: the logits come from a {op} node ({node.name or name}), not from a "
        "MatMul/Gemm (or its int8 form) with constant weights."
    )


def _with_bias(linear: _Linear, bias: np.ndarray | None) -> _Linear:
    if bias is None:
        raise ModelError("qa_outputs' bias is not a constant.")
    bias = np.broadcast_to(np.asarray(bias, np.float32).reshape(-1), linear.bias.shape)
    return _Linear(linear.hidden, linear.weight, linear.bias + bias, linear.quantized, linear.activation,
                   linear.scale, linear.zero_point, linear.nodes)


def _linear(g: _Graph, name: str) -> _Linear:
    node = g.node(name)
    if node.op_type == "Add":
        for i in (0, 1):
            bias = g.const(node.input[i])
            if bias is not None:
                inner = _product(g, node.input[1 - i])
                linear = _with_bias(inner, bias)
                return _Linear(linear.hidden, linear.weight, linear.bias, linear.quantized, linear.activation,
                               linear.scale, linear.zero_point, (node.name,) + linear.nodes)
    return _product(g, name)


def _logit_outputs(g: _Graph) -> tuple[str, str] | tuple[str]:
    if "start_logits" in g.outputs and "end_logits" in g.outputs:
        return "start_logits", "end_logits"
    if "logits" in g.outputs:
        return ("logits",)
    raise ModelError("This ONNX graph has no start_logits/end_logits outputs: it is not an extractive "
                     "question-answering model.")


def find_head(model) -> HeadGraph:
    """Locate qa_outputs in an onnx.ModelProto (loaded with its external data)."""
    g = _Graph(model)
    outputs = _logit_outputs(g)
    if len(outputs) == 1:
        head_output, column = _trace_column(g, outputs[0])
        traced = [(head_output, 0 if column is None else column), (head_output, 1 if column is None else column + 1)]
    else:
        traced = [_trace_column(g, name) for name in outputs]
    linears = {name: _linear(g, name) for name in dict(traced)}
    columns, biases, hidden_names = [], [], set()
    scales, zeros = [], []
    for name, column in traced:
        linear = linears[name]
        width = linear.weight.shape[1]
        column = 0 if column is None and width == 1 else column
        if column is None or not 0 <= column < width:
            raise ModelError(f"Cannot tell which column of {name!r} is the start or end logit "
                             f"(its head has {width} columns).")
        columns.append(linear.weight[:, column])
        biases.append(linear.bias[column])
        hidden_names.add(linear.hidden)
        if linear.scale is not None:
            scales.append(linear.scale[column])
            zeros.append(linear.zero_point[column])
    if len(hidden_names) != 1:
        raise ModelError("The start and end logits are computed from different tensors; qa-desktop "
                         "explains one qa_outputs layer over one hidden state.")
    first = next(iter(linears.values()))
    quantized = any(lin.quantized for lin in linears.values())
    return HeadGraph(
        hidden_name=hidden_names.pop(),
        weight=np.stack(columns, axis=1).astype(np.float32),
        bias=np.asarray(biases, dtype=np.float32),
        quantized_weight=quantized,
        activation_quantization=first.activation,
        weight_scale=np.asarray(scales, np.float32) if len(scales) == 2 else None,
        weight_zero_point=np.asarray(zeros, np.float32) if len(zeros) == 2 else None,
        nodes=tuple(dict.fromkeys(n for lin in linears.values() for n in lin.nodes)),
    )


def with_hidden_output(model, hidden_name: str):
    """The same graph with the head's input also returned as an output (the model is changed in
    place and returned). Nothing else changes, so the logits are computed exactly as before."""
    from onnx import TensorProto, helper

    if hidden_name not in (o.name for o in model.graph.output):
        model.graph.output.append(helper.make_tensor_value_info(hidden_name, TensorProto.FLOAT, None))
    return model
