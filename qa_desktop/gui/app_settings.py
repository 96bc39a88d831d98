"""What the window remembers between runs, through QSettings, with types.

Where: the platform's native store, or `settings.ini` in QA_DESKTOP_DATA_DIR when that is set
(tests point it at a temporary directory; a portable install can too). Lists are stored as
JSON text because QSettings turns a one-element list back into a plain string on some backends.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

RECENT_MODELS = 8
DEFAULT_TOP_K = 5


def data_dir() -> Path:
    """Where qa-desktop keeps its own files (autosave, settings when overridden)."""
    root = os.environ.get("QA_DESKTOP_DATA_DIR")
    if root:
        return Path(root)
    from platformdirs import user_data_dir

    return Path(user_data_dir("qa-desktop", appauthor=False))


class AppSettings:
    def __init__(self, settings: QSettings | None = None):
        if settings is None:
            if os.environ.get("QA_DESKTOP_DATA_DIR"):
                settings = QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)
            else:
                settings = QSettings("qa-desktop", "qa-desktop")
        self.qsettings = settings

    # -- typed access ----------------------------------------------------------------------
    def _get(self, key: str, default, kind):
        value = self.qsettings.value(key, None)
        if value is None:
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
            if kind is list:
                data = json.loads(value) if isinstance(value, str) else list(value)
                return [str(v) for v in data] if isinstance(data, list) else default
            return kind(value)
        except (TypeError, ValueError):
            return default  # a hand-edited or damaged value falls back, never crashes the window

    def _set(self, key: str, value) -> None:
        if isinstance(value, list):
            value = json.dumps(value, ensure_ascii=False)
        self.qsettings.setValue(key, value)

    def sync(self) -> None:
        self.qsettings.sync()

    # -- window ------------------------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", value)

    def splitter_state(self, name: str) -> QByteArray | None:
        value = self.qsettings.value(f"window/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_splitter_state(self, name: str, value: QByteArray) -> None:
        self.qsettings.setValue(f"window/{name}", value)

    # -- model -------------------------------------------------------------------------------
    @property
    def last_model(self) -> str | None:
        value = self._get("model/last", "", str)
        return value or None

    @last_model.setter
    def last_model(self, spec: str | None) -> None:
        self._set("model/last", spec or "")

    @property
    def recent_models(self) -> list[str]:
        return self._get("model/recent", [], list)

    def add_recent_model(self, path: str) -> list[str]:
        recent = [path] + [p for p in self.recent_models if p != path]
        self._set("model/recent", recent[:RECENT_MODELS])
        return self.recent_models

    def remove_recent_model(self, path: str) -> None:
        self._set("model/recent", [p for p in self.recent_models if p != path])

    @property
    def device(self) -> str:
        value = self._get("model/device", "auto", str)
        return value if value in ("auto", "cpu", "cuda") else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self._set("model/device", value)

    # -- answering ---------------------------------------------------------------------------
    @property
    def top_k(self) -> int:
        return max(1, min(50, self._get("answer/top_k", DEFAULT_TOP_K, int)))

    @top_k.setter
    def top_k(self, value: int) -> None:
        self._set("answer/top_k", int(value))

    @property
    def threshold(self) -> float:
        return self._get("answer/threshold", 0.0, float)

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._set("answer/threshold", float(value))

    @property
    def threshold_enabled(self) -> bool:
        return self._get("answer/threshold_enabled", False, bool)

    @threshold_enabled.setter
    def threshold_enabled(self, value: bool) -> None:
        self._set("answer/threshold_enabled", bool(value))

    # -- plot --------------------------------------------------------------------------------
    @property
    def plot_log_scale(self) -> bool:
        return self._get("plot/log_scale", False, bool)

    @plot_log_scale.setter
    def plot_log_scale(self, value: bool) -> None:
        self._set("plot/log_scale", bool(value))

    @property
    def plot_word_view(self) -> bool:
        return self._get("plot/word_view", False, bool)

    @plot_word_view.setter
    def plot_word_view(self, value: bool) -> None:
        self._set("plot/word_view", bool(value))

    @property
    def last_directory(self) -> str:
        return self._get("files/last_directory", "", str)

    @last_directory.setter
    def last_directory(self, value: str) -> None:
        self._set("files/last_directory", value)
