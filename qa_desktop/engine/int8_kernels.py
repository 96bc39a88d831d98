"""Exact int8 answers on x86 CPUs without VNNI.

onnxruntime's dynamic int8 models multiply uint8 activations by int8 weights (U8S8). On an
x86-64 CPU with VNNI (AVX512-VNNI or AVX-VNNI) those products are summed in 32 bits. Without
VNNI (AVX2 only), onnxruntime uses `vpmaddubsw`, which adds pairs of products in 16 bits and
*saturates*: logits shift, and near-ties between answers flip (measured on the bundled English
model on an AVX2-only EPYC: 5 of its 8 test questions answered exactly instead of 6, and
"shipwrecks" instead of "a small museum about shipwrecks"). onnxruntime's own documentation
names the remedy: uint8 weights (U8U8), whose kernel does not saturate.

So on such a CPU the session loads a rewritten copy of an int8 model: every int8 weight `w`
becomes the uint8 `w + 128` with its zero point moved by 128 as well, which is the same number
(`(w + 128) - (z + 128) = w - z`): no information changes, only the kernel that multiplies it.
The copy is made once and cached outside the model directory (the user's files are never
written). On other CPUs, on GPUs and for fp32 models the model file is used as it is.
"""

from __future__ import annotations

import hashlib
import os
import platform
from pathlib import Path

from qa_desktop.engine.cpu_features import cpu_flags

# QA_DESKTOP_INT8_KERNEL=u8s8|u8u8 overrides the CPU check (tests, and users who measure both).
OVERRIDE = "QA_DESKTOP_INT8_KERNEL"
CACHE_FORMAT = 1


def u8s8_saturates() -> bool:
    """True where onnxruntime's U8S8 int8 kernel saturates: x86-64 without VNNI."""
    forced = os.environ.get(OVERRIDE, "").lower()
    if forced in ("u8s8", "u8u8"):
        return forced == "u8u8"
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    flags = cpu_flags()
    return flags is not None and not ({"avx512_vnni", "avx_vnni", "amx_int8"} & flags)


# (op type, weight input index, weight zero-point input index) of onnxruntime's int8 matmuls.
_WEIGHTED = {"MatMulInteger": (1, 3), "QAttention": (1, 7), "DynamicQuantizeMatMul": (1, 3),
             "MatMulIntegerToFloat": (1, 5)}


def rewrite_to_u8u8(model) -> int:
    """Turn the int8 weights (and their zero points) of `model`'s integer matmuls into uint8 in
    place; returns how many weights changed."""
    import numpy as np
    from onnx import TensorProto, numpy_helper

    initializers = {i.name: i for i in model.graph.initializer}
    changed: set[str] = set()

    def shifted(name: str) -> bool:
        tensor = initializers.get(name)
        if tensor is None or tensor.data_type != TensorProto.INT8:
            return False
        values = numpy_helper.to_array(tensor).astype(np.int16) + 128
        tensor.CopyFrom(numpy_helper.from_array(values.astype(np.uint8), name))
        return True

    for node in model.graph.node:
        if node.op_type not in _WEIGHTED:
            continue
        w_index, zp_index = _WEIGHTED[node.op_type]
        weight = node.input[w_index]
        if weight in changed or not shifted(weight):
            continue
        changed.add(weight)
        zero_point = node.input[zp_index] if len(node.input) > zp_index else ""
        if zero_point and zero_point in initializers:
            shifted(zero_point)
        else:  # an absent zero point means 0; as uint8 it is 128
            name = f"{weight}__zero_point_u8"
            model.graph.initializer.append(numpy_helper.from_array(np.array(128, dtype=np.uint8), name))
            while len(node.input) <= zp_index:
                node.input.append("")
            node.input[zp_index] = name
    return len(changed)


def _cache_folder(onnx_path: Path) -> Path:
    from qa_desktop.engine.head_model_cache import cache_root

    stat = onnx_path.stat()
    key = f"{CACHE_FORMAT}|{onnx_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return cache_root() / "u8u8" / hashlib.sha256(key.encode()).hexdigest()[:20]


def cpu_model_path(onnx_path: Path) -> Path:
    """The model file a CPU session should load: `onnx_path`, or its cached U8U8 copy where
    U8S8 saturates and the model has int8 weights."""
    onnx_path = Path(onnx_path)
    if not u8s8_saturates():
        return onnx_path
    folder = _cache_folder(onnx_path)
    target = folder / "model.onnx"
    if target.exists():
        return target
    if (folder / "unchanged").exists():
        return onnx_path
    try:
        import onnx
    except ImportError:  # explanations and this rewrite need onnx; without it, the model as is
        return onnx_path
    model = onnx.load(str(onnx_path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if rewrite_to_u8u8(model) == 0:
            (folder / "unchanged").touch()
            return onnx_path
        partial = folder / "model.onnx.partial"
        onnx.save(model, str(partial))
        partial.replace(target)
    except OSError:  # no writable cache: the model as is, rather than no answer
        return onnx_path
    return target
