"""Importing a Hugging Face checkpoint into the user's model directory (runs on a worker).

export_model has no cancel hook of its own, but it reports each step through `progress`; the
reporter raises Cancelled when the user has cancelled, which stops the export at the next
step. A cancelled or failed import leaves no half-written model behind.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_desktop.engine.errors import Cancelled, InputError, ModelError
from qa_desktop.engine.model_store import user_models_dir

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
STEP = re.compile(r"\[(\d+)/(\d+)\]")


@dataclass(frozen=True)
class ModelImportRequest:
    source: str  # a local checkpoint directory or a hub id ("deepset/roberta-base-squad2")
    name: str
    quantize: str | None = None  # None or "int8"

    @property
    def destination(self) -> Path:
        return user_models_dir() / self.name


def suggested_name(source: str, quantize: str | None = None) -> str:
    base = Path(source.rstrip("/\\")).name or source
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._") or "model"
    return f"{base}-int8" if quantize == "int8" else base


def validate(request: ModelImportRequest) -> None:
    if not request.source.strip():
        raise InputError("Give a checkpoint directory or a Hugging Face hub id to import.")
    if not NAME_PATTERN.match(request.name):
        raise InputError("A model name uses letters, digits, '.', '_' or '-' (up to 100), "
                         "and starts with a letter or digit.")
    if request.destination.exists() and any(request.destination.iterdir()):
        raise InputError(f"A model named {request.name!r} is already imported; choose another name.")
    source = Path(request.source).expanduser()
    if source.exists() and not source.is_dir():
        raise InputError(f"{request.source} is a file; choose the checkpoint's directory.")


def import_checkpoint(request: ModelImportRequest, say: Callable[[str, int, int], None],
                      cancelled: Callable[[], bool]) -> Path:
    """Export `request.source` to ONNX in the user's model directory; the new model's path."""
    try:
        from qa_desktop.engine.onnx_export import export_model
    except ImportError:  # the standalone build leaves the exporter (and PyTorch) out
        raise ModelError("Importing a checkpoint needs the exporter, which this build does not include: "
                         "install qa-desktop with pip (pip install 'qa-desktop[export]') to import models, "
                         "or open an exported model directory.") from None

    validate(request)
    out = request.destination

    def progress(message: str) -> None:
        if cancelled():
            raise Cancelled("Import cancelled; nothing was kept.")
        step = STEP.search(message)
        done, total = (int(step.group(1)) - 1, int(step.group(2))) if step else (0, 0)
        say(message.strip(), done, total)

    created = not out.exists()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        export_model(request.source, out, quantize=request.quantize, name=request.name, progress=progress)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    if cancelled():
        shutil.rmtree(out, ignore_errors=True)
        raise Cancelled("Import cancelled; nothing was kept.")
    if not (out / "model.onnx").exists():
        raise ModelError(f"The export finished without writing {out / 'model.onnx'}.")
    return out
