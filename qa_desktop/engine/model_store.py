"""Where models live: bundled with the app (package data) and imported by the user (data dir).

A model is named by a directory path or by the name of a bundled or imported model. "auto"
picks by the passage's script (see passage_script), "english" and "multilingual" pick the
bundled model for that role. `resolve` is the one place the choice is made, for the CLI and
the window alike.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from qa_desktop.engine.errors import ModelError, NoModelInstalled
from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.passage_script import needs_multilingual

MODEL_CHOICES = ("auto", "english", "multilingual")


def bundled_models_dir() -> Path:
    """resources/models in the package; QA_DESKTOP_BUNDLED_MODELS_DIR overrides it (a packager's
    own model set, or a test of the window with no bundled model)."""
    override = os.environ.get("QA_DESKTOP_BUNDLED_MODELS_DIR")
    if override:
        return Path(override)
    return Path(str(importlib.resources.files("qa_desktop.resources") / "models"))


def user_models_dir() -> Path:
    """Imported models; QA_DESKTOP_DATA_DIR overrides the platform's user data directory."""
    root = os.environ.get("QA_DESKTOP_DATA_DIR")
    if root:
        return Path(root) / "models"
    from platformdirs import user_data_dir

    return Path(user_data_dir("qa-desktop", appauthor=False)) / "models"


def _model_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "model.onnx").exists())


def bundled_models() -> list[Path]:
    return _model_dirs(bundled_models_dir())


def imported_models() -> list[Path]:
    return _model_dirs(user_models_dir())


def _manifest(path: Path) -> ModelManifest:
    return ModelManifest.read(path) or ModelManifest(name=path.name)


def default_model() -> Path:
    models = bundled_models()
    if not models:
        raise ModelError(
            "No bundled model is installed. Name a model directory with --model, or export one "
            "with `qa-desktop export CHECKPOINT OUT`."
        )
    for path in models:
        if _manifest(path).default:
            return path
    return models[0]


def multilingual_model() -> Path | None:
    for path in bundled_models() + imported_models():
        languages = _manifest(path).languages
        if len(languages) > 1 or (languages and languages[0] != "en"):
            return path
    return None


def choose_for_passage(choice: str, passage: str) -> Path:
    """The model directory for a choice in MODEL_CHOICES and this passage.

    "auto" with no bundled model falls back to an imported one (the multilingual one for a
    passage that needs it), so someone who imported a model never hears "no model"."""
    if choice not in MODEL_CHOICES:
        raise ModelError(f"Unknown model choice {choice!r}: use one of {', '.join(MODEL_CHOICES)}.")
    bundled, imported = bundled_models(), imported_models()
    if not bundled and not imported:
        raise NoModelInstalled(
            "No model is installed. Name a model directory with --model, or export one with "
            "`qa-desktop export CHECKPOINT OUT`."
        )
    if choice == "multilingual":
        found = multilingual_model()
        if found is None:
            raise ModelError("No multilingual model is installed; choose English or open a model directory.")
        return found
    if choice == "auto" and needs_multilingual(passage):
        found = multilingual_model()
        if found is not None:
            return found
    if bundled:
        return default_model()
    if choice == "english":
        raise ModelError("No bundled English model is installed: choose an imported model or a model "
                         "directory, or import one.")
    return imported[0]


def resolve(spec: str | None, passage: str = "") -> Path:
    """A model directory from a path, a model name, a choice in MODEL_CHOICES, or None (auto)."""
    if spec is None or spec in MODEL_CHOICES:
        return choose_for_passage(spec or "auto", passage)
    path = Path(spec).expanduser()
    if path.exists():
        return path
    for candidate in bundled_models() + imported_models():
        if candidate.name == spec or _manifest(candidate).name == spec:
            return candidate
    names = [p.name for p in bundled_models() + imported_models()]
    raise ModelError(
        f"No model directory or installed model named {spec!r}. Installed: "
        f"{', '.join(names) or 'none'}; or use {', '.join(MODEL_CHOICES)}."
    )
