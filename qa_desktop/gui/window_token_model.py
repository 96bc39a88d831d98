"""One window's model input and output, row by row, for the inspector's table.

Rows cover the whole padded row of the logits array (windows, seq): positions past the
window's own length are the padding the batch added (attention mask 0, logits -inf), which is
exactly why the shape says `seq` and not this window's length.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from qa_desktop.engine.results import Prediction

COLUMNS = ("position", "token", "input id", "token type", "attention mask", "segment",
           "passage token", "start logit", "end logit")
SEGMENTS = {None: "special", 0: "question", 1: "passage"}


def _logit(value: float) -> str:
    return "-inf" if math.isinf(value) and value < 0 else f"{value:.3f}"


class WindowTokenModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.prediction: Prediction | None = None
        self.feeds_token_types = True  # False for graphs without a token_type_ids input (XLM-R)
        self.window_index = 0
        self.marked: dict[int, str] = {}  # position → "gold start" / "gold end" / "answer start"...
        self.mark_colour = QColor("#81c784")
        self.padding_colour = QColor("#8a8a8a")

    def set_window(self, prediction: Prediction | None, window_index: int = 0,
                   feeds_token_types: bool = True) -> None:
        self.beginResetModel()
        self.prediction = prediction
        self.feeds_token_types = feeds_token_types
        self.window_index = window_index
        self.marked = {}
        self.endResetModel()

    def set_marks(self, marks: dict[int, str]) -> None:
        self.marked = dict(marks)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        if parent.isValid() or self.prediction is None:
            return 0
        return int(self.prediction.start_logits.shape[1])

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def cell(self, row: int, column: int) -> str:
        p = self.prediction
        w = p.windows[self.window_index]
        real = row < w.seq_len
        name = COLUMNS[column]
        if name == "position":
            return str(row)
        if name == "token":
            return w.token_strings[row] if real else "(padding)"
        if name == "input id":
            return str(int(w.input_ids[row])) if real else "pad"
        if name == "token type":
            if w.token_type_ids is None or not self.feeds_token_types:
                return "—"  # the graph takes no token_type_ids
            return str(int(w.token_type_ids[row])) if real else "0"
        if name == "attention mask":
            return "1" if real else "0"
        if name == "segment":
            return SEGMENTS[w.sequence_ids[row]] if real else "padding"
        if name == "passage token":
            token = w.token_at(row)
            return "" if token is None else str(token)
        if name == "start logit":
            return _logit(float(p.start_logits[self.window_index, row]))
        if name == "end logit":
            return _logit(float(p.end_logits[self.window_index, row]))
        return ""

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.prediction is None:
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and row in self.marked:
            return self.marked[row]
        if role == Qt.ItemDataRole.BackgroundRole and row in self.marked:
            return QBrush(self.mark_colour)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row >= self.prediction.windows[self.window_index].seq_len:
                return QBrush(self.padding_colour)
            if row in self.marked:
                return QBrush(QColor("#000000"))
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column] != "token":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
