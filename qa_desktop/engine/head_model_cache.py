"""The explanation graph of a model: its ONNX graph with qa_outputs' input as an extra output,
and the head's weights, built once per model file and cached outside the model directory.

The user's model directory is never written to. The cache key is the model file's resolved path,
size and modification time, so a re-exported model gets a fresh entry. Later loads read the
cached graph and the head's numbers (an .npz) without importing `onnx` at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.head_graph import HeadGraph, find_head, with_hidden_output

CACHE_FORMAT = 1
_ONNX_PROTO_LIMIT = 1_800_000_000  # protobuf's 2 GB cap, with room to spare


def cache_root() -> Path:
    """QA_DESKTOP_CACHE_DIR; else <QA_DESKTOP_DATA_DIR>/cache when that is set; else the platform's
    user cache directory."""
    override = os.environ.get("QA_DESKTOP_CACHE_DIR")
    if override:
        return Path(override)
    data = os.environ.get("QA_DESKTOP_DATA_DIR")
    if data:
        return Path(data) / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("qa-desktop", appauthor=False))


def _key(onnx_path: Path) -> str:
    stat = onnx_path.stat()
    text = f"{CACHE_FORMAT}|{onnx_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _save_head(head: HeadGraph, folder: Path) -> None:
    arrays = {"weight": head.weight, "bias": head.bias}
    if head.weight_scale is not None:
        arrays.update(weight_scale=head.weight_scale, weight_zero_point=head.weight_zero_point)
    np.savez(folder / "head.npz", **arrays)
    (folder / "head.json").write_text(json.dumps({
        "hidden_name": head.hidden_name, "quantized_weight": head.quantized_weight,
        "activation_quantization": head.activation_quantization, "nodes": list(head.nodes),
    }), encoding="utf-8")


def _load_head(folder: Path) -> HeadGraph | None:
    try:
        meta = json.loads((folder / "head.json").read_text(encoding="utf-8"))
        with np.load(folder / "head.npz") as arrays:
            return HeadGraph(
                hidden_name=meta["hidden_name"], weight=arrays["weight"], bias=arrays["bias"],
                quantized_weight=bool(meta["quantized_weight"]),
                activation_quantization=meta["activation_quantization"],
                weight_scale=arrays["weight_scale"] if "weight_scale" in arrays else None,
                weight_zero_point=arrays["weight_zero_point"] if "weight_zero_point" in arrays else None,
                nodes=tuple(meta["nodes"]),
            )
    except (OSError, KeyError, ValueError):
        return None


def _build(onnx_path: Path, folder: Path) -> HeadGraph:
    try:
        import onnx
    except ImportError:
        raise ModelError("Explaining qa_outputs needs the onnx package: pip install onnx") from None
    try:
        model = onnx.load(str(onnx_path))  # with its external data, if any
    except Exception as exc:  # noqa: BLE001 - a damaged file is the user's to fix
        raise ModelError(f"Cannot read {onnx_path} as an ONNX graph ({' '.join(str(exc).split())[:200]}).") from None
    head = find_head(model)
    with_hidden_output(model, head.hidden_name)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "model.onnx.partial"
    large = model.ByteSize() > _ONNX_PROTO_LIMIT
    onnx.save(model, str(partial), save_as_external_data=large, location="model.onnx.data" if large else None)
    partial.replace(folder / "model.onnx")
    _save_head(head, folder)
    return head


def explanation_graph(onnx_path: Path, cache_dir: Path | None = None) -> tuple[Path, HeadGraph]:
    """(path of the graph that also outputs the head's input, the head). Built on first use;
    falls back to a temporary directory when the cache cannot be written."""
    onnx_path = Path(onnx_path)
    folder = Path(cache_dir or cache_root()) / "explain" / _key(onnx_path)
    if (folder / "model.onnx").exists():
        head = _load_head(folder)
        if head is not None:
            return folder / "model.onnx", head
    try:
        return folder / "model.onnx", _build(onnx_path, folder)
    except OSError:
        fallback = Path(tempfile.mkdtemp(prefix="qa-desktop-explain-"))
        return fallback / "model.onnx", _build(onnx_path, fallback)
