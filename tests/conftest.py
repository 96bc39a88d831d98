"""Shared fixtures: tiny exported QA models (built offline in seconds), a tiny English-style GPU
pack trained on the CPU, the Qt platform, and a guard that fails any test opening a network
connection."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# pytest-randomly's shuffle when no --randomly-seed is given: the same order on every run.
DEFAULT_SHUFFLE_SEED = 20261126


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """A fixed shuffle by default, so a failing order can be run again. Set here rather than as
    `--randomly-seed` in pyproject's addopts, which would make `pytest -p no:randomly` an error."""
    if config.pluginmanager.hasplugin("randomly") and config.getoption("randomly_seed") == "default":
        config.option.randomly_seed = DEFAULT_SHUFFLE_SEED


@pytest.fixture
def no_bundled_models(tmp_path, monkeypatch):
    """As if qa-desktop were installed without any bundled model."""
    empty = tmp_path / "no-bundled-models"
    empty.mkdir()
    monkeypatch.setenv("QA_DESKTOP_BUNDLED_MODELS_DIR", str(empty))
    return empty


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing in qa-desktop may open a network connection (local sockets stay allowed)."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise AssertionError(f"network access attempted: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Imported models, autosave and settings go to a temporary directory in tests."""
    monkeypatch.setenv("QA_DESKTOP_DATA_DIR", str(tmp_path / "qa-desktop-data"))


def _checkpoint(tmp_path_factory, kind: str) -> Path:
    from tiny_models import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp(f"tiny-{kind}-checkpoint") / "checkpoint", kind)


def _exported(tmp_path_factory, checkpoint: Path, kind: str) -> Path:
    from qa_desktop.engine.onnx_export import export_model

    out = tmp_path_factory.mktemp(f"tiny-{kind}") / "onnx"
    export_model(str(checkpoint), out, progress=None)
    return out


@pytest.fixture(scope="session")
def tiny_bert_checkpoint(tmp_path_factory) -> Path:
    """A tiny random BERT QA checkpoint (PyTorch weights + fast tokenizer): tiny_bert_model's source."""
    return _checkpoint(tmp_path_factory, "bert")


@pytest.fixture(scope="session")
def tiny_bert_model(tmp_path_factory, tiny_bert_checkpoint) -> Path:
    """tiny_bert_checkpoint exported (fp32, optimized) to an ONNX model directory."""
    return _exported(tmp_path_factory, tiny_bert_checkpoint, "bert")


@pytest.fixture(scope="session")
def tiny_xlmr_model(tmp_path_factory) -> Path:
    """An exported tiny random XLM-R QA model directory (no token_type_ids input)."""
    return _exported(tmp_path_factory, _checkpoint(tmp_path_factory, "xlmr"), "xlmr")


def shared_file(*parts: str) -> Path:
    """A file of ../shared, or a clear skip when ../shared is not beside the checkout."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/ holds the training data); skipping")
    return path


def bundled_default_model() -> Path:
    """The bundled default model, or a clear skip while none is bundled."""
    from qa_desktop.engine.errors import ModelError
    from qa_desktop.engine.model_store import default_model

    try:
        return default_model()
    except ModelError:
        pytest.skip("no bundled default model in resources/models yet")


@pytest.fixture
def library_docs(tmp_path):
    """A folder with a .txt and a .md the library reads, and a .docx it cannot (not a zip)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "bridge.txt").write_text(
        "The Golden Gate Bridge was designed by Joseph Strauss and opened in 1937.", encoding="utf-8")
    (folder / "tower.md").write_text("The Eiffel Tower in Paris was finished in 1889.", encoding="utf-8")
    (folder / "broken.docx").write_bytes(b"not a zip")
    return folder


@pytest.fixture(scope="module")
def english_style(tmp_path_factory):
    """The tiny recipe with a WordPiece base whose word embeddings train, as the English recipe's do."""
    from test_build_model import tiny_setup  # tests/training, on sys.path when its tests run
    from tiny_models import build_tiny_checkpoint

    from qa_desktop.training.device_bundle import pack, train
    from qa_desktop.training.device_result import merge

    root = tmp_path_factory.mktemp("english-style")
    recipe, _xlmr = tiny_setup(root, epochs=1.0, batch_size=4, curve_questions=4, confirm_questions=4)
    recipe = replace(recipe, train_args={**recipe.train_args, "freeze_word_embeddings": False})
    base = build_tiny_checkpoint(root / "bert-base", "bert")
    plan = pack(recipe, root / "data", base, root / "pack", base_fp16=True)
    train(root / "pack", root / "result", minutes=30, device="cpu", work=root / "work")
    merge(root / "result", root / "pack", base, root / "merged")
    return root, base, plan


@pytest.fixture
def windows_of_seed(english_style, tmp_path):
    """make(seed, **changed): a run made here with the English-style pack's settings, data and base
    but `seed` (and any `changed` setting), windows only: what `add_windows` takes."""
    from qa_desktop.training import train_reader

    root, base, plan = english_style

    def make(seed: int, **changed) -> Path:
        flags = list(plan["flags"])
        for name, value in {"--seed": seed, **changed}.items():
            flags[flags.index(name) + 1] = str(value)
        run = tmp_path / f"windows-{seed}-{len(changed)}"
        train_reader.main(["--data", str(root / "data" / "squad-v1.1" / "train-v1.1.json"), "--out", str(run),
                           "--base", str(base), *flags, "--windows-only"])
        return run

    return make
