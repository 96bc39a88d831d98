"""The PyTorch checkpoint the pipeline peer runs: the weights the ONNX model was exported from.

Looked for in this order: --reference; the manifest's `source` (qa_desktop.json), taken
relative to the model directory when it is not absolute, or the final weights of the training
run it names (`runs/<name>/final`, as train_reader writes them); a checkpoint bundled beside the model
(`<model>/reference`, `<model>/checkpoint`, `<model>/pytorch`, or a sibling directory
`<model>-reference`, `<model>-checkpoint`, `<model>-pytorch`). Only local directories: the
benchmark never downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.model_directory import ModelDirectory

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "sentencepiece.bpe.model", "spiece.model")
BESIDE = ("reference", "checkpoint", "pytorch")


@dataclass(frozen=True)
class Reference:
    path: Path
    found_by: str  # "--reference", "manifest source" or "beside the model"
    tokenizer_source: Path  # the checkpoint when it has tokenizer files, else the model directory


def is_checkpoint(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").exists() and any((path / f).exists() for f in WEIGHT_FILES)


def _candidates(model: ModelDirectory) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    source = model.manifest.source
    if source:
        path = Path(source).expanduser()
        found.append((path if path.is_absolute() else model.path / path, "manifest source"))
        if not path.is_absolute():
            found.append((Path.cwd() / path, "manifest source"))
            # A bundled model names its training run ("minilm-en (training run), ..."): the
            # run's final weights are runs/<name>/final beside the checkout or the working dir.
            run = source.split()[0]
            checkout = Path(__file__).resolve().parents[2]
            for root in (checkout.parent / "runs", checkout / "runs", Path.cwd() / "runs",
                         Path.cwd().parent / "runs"):
                found.append((root / run / "final", "training run named by the manifest source"))
    for name in BESIDE:
        found.append((model.path / name, "beside the model"))
        found.append((model.path.parent / f"{model.path.name}-{name}", "beside the model"))
    return found


def find_reference(explicit: str | None, model: ModelDirectory) -> Reference:
    if explicit:
        path = Path(explicit).expanduser()
        if not is_checkpoint(path):
            raise ModelError(
                f"--reference {explicit}: not a PyTorch checkpoint directory (it needs config.json "
                f"and one of {', '.join(WEIGHT_FILES)})."
            )
        return _with_tokenizer(path, "--reference", model)
    tried: list[str] = []
    for path, how in _candidates(model):
        if str(path) in tried:
            continue
        tried.append(str(path))
        if is_checkpoint(path):
            return _with_tokenizer(path, how, model)
    raise ModelError(
        f"No PyTorch checkpoint found for {model.path} (the pipeline peer needs the weights the "
        f"model was exported from). Tried: {', '.join(tried) or 'nothing (no manifest source)'}. "
        "Name it with --reference CHECKPOINT_DIR."
    )


def _with_tokenizer(path: Path, how: str, model: ModelDirectory) -> Reference:
    has_tokenizer = any((path / f).exists() for f in TOKENIZER_FILES)
    return Reference(path=path.resolve(), found_by=how,
                     tokenizer_source=(path if has_tokenizer else model.path).resolve())
