"""The status bar's permanent part: which model, on which provider really, and how fast.

The provider is the one ONNX Runtime actually uses, not the one asked for; when CUDA was
wanted and did not start, the label says CPU and why, in the warning colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from qa_desktop.gui.color_theme import ColorTheme, clear_tint, current_theme, tint

if TYPE_CHECKING:  # annotations only (results imports numpy): not before the window's first paint
    from qa_desktop.engine.results import Timings
    from qa_desktop.gui.prepared_answer import ModelInfo


class RuntimeStatus(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self.model = QLabel("No model loaded")
        self.model.setObjectName("StatusModel")
        self.provider = QLabel("")
        self.provider.setObjectName("StatusProvider")
        self.latency = QLabel("")
        self.latency.setObjectName("StatusLatency")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(14)
        for label in (self.model, self.provider, self.latency):
            layout.addWidget(label)
        self._fallback = False

    def show_model(self, info: ModelInfo | None, note: str | None = None) -> None:
        if info is None:
            self.model.setText(note or "No model loaded")
            self.model.setToolTip("")
            self.provider.setText("")
            self.provider.setToolTip("")
            self._fallback = False
            self._restyle()
            return
        self.model.setText(f"Model: {info.name}" + (f" ({info.quantization})" if info.quantization else ""))
        self.model.setToolTip(f"{info.path}\nlanguages: {', '.join(info.languages)} · max_seq_len "
                              f"{info.max_seq_len} · doc_stride {info.doc_stride}")
        runtime = info.runtime
        self._fallback = bool(runtime.fallback_reason)
        if runtime.fallback_reason:
            self.provider.setText(f"{runtime.device} (CUDA fallback: {runtime.fallback_reason})")
        else:
            self.provider.setText(runtime.device)
        self.provider.setToolTip("ONNX Runtime providers in use: " + ", ".join(runtime.providers)
                                 + f"\nrequested: {runtime.requested}")
        self._restyle()

    def show_loading(self, what: str) -> None:
        self.model.setText(f"Loading {what}…")

    def show_latency(self, timings: Timings | None) -> None:
        if timings is None:
            self.latency.setText("")
            return
        self.latency.setText(f"Last answer: {timings.total_ms:.0f} ms")
        self.latency.setToolTip(f"tokenize {timings.tokenize_ms:.1f} ms · inference "
                                f"{timings.inference_ms:.1f} ms · decode {timings.decode_ms:.1f} ms")

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self._restyle()

    def _restyle(self) -> None:
        if self._fallback:
            tint(self.provider, self._theme.warning_fg, self._theme.warning_bg)
        else:
            clear_tint(self.provider)
