"""Which model answers: Auto (by the passage's script), English, Multilingual, an imported
model, or a directory opened before. Each entry's data is a model spec for model_store.resolve.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox

from qa_desktop.engine import model_store

CHOICE_LABELS = {
    "auto": "Auto (by the passage's script)",
    "english": "English",
    "multilingual": "Multilingual",
}


def _same_path(a: str, b: str) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return a == b


class ModelSelector(QComboBox):
    specChosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("ModelSelector")
        self.setMinimumContentsLength(22)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setToolTip("The model that answers. Auto picks the multilingual model for passages "
                        "mostly not in Latin script.")
        self._recent: list[str] = []
        self.activated.connect(self._activated)
        self.rebuild([])

    def rebuild(self, recent: list[str], current: str | None = None) -> None:
        current = current if current is not None else self.current_spec()
        self._recent = list(recent)
        self.blockSignals(True)
        self.clear()
        for choice, label in CHOICE_LABELS.items():
            self.addItem(label, choice)
        imported = model_store.imported_models()
        bundled = model_store.bundled_models()
        entries: list[tuple[str, str]] = []
        for path in bundled:
            entries.append((f"{path.name} (bundled)", str(path)))
        for path in imported:
            entries.append((f"{path.name} (imported)", str(path)))
        for spec in recent:
            if not any(_same_path(spec, existing) for _, existing in entries):
                entries.append((f"{Path(spec).name} — {spec}", spec))
        if entries:
            self.insertSeparator(self.count())
            for label, spec in entries:
                self.addItem(label, spec)
                self.setItemData(self.count() - 1, spec, Qt.ItemDataRole.ToolTipRole)  # the full path
        if current:
            self.select_spec(current, emit=False)
        self.blockSignals(False)

    def current_spec(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None

    def select_spec(self, spec: str, emit: bool = False) -> None:
        index = self.findData(spec)
        if index < 0 and spec not in CHOICE_LABELS:
            index = next((i for i in range(self.count())
                          if self.itemData(i) and self.itemData(i) not in CHOICE_LABELS
                          and _same_path(str(self.itemData(i)), spec)), -1)
        if index < 0:
            self.addItem(f"{Path(spec).name} — {spec}", spec)
            index = self.count() - 1
        self.blockSignals(True)
        self.setCurrentIndex(index)
        self.blockSignals(False)
        if emit:
            self.specChosen.emit(spec)

    def _activated(self, index: int) -> None:
        spec = self.itemData(index)
        if spec:
            self.specChosen.emit(str(spec))
