"""The start×end score matrix around an answer: the decoder's search space.

Rows are start positions, columns end positions, in the answer's window. A valid cell's colour
is its score (start logit + end logit); cells the decoder never considers are drawn in flat
greys, one per reason (end before start, longer than max_answer_len, not passage text), so the
shape of the search space is visible. The answer's cell is outlined; hovering reads a cell out;
clicking a valid cell emits spanPicked (the window highlights that span in the passage).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from qa_desktop.engine.span_decoder import END_BEFORE_START, NOT_PASSAGE, TOO_LONG, VALID
from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.span_search_space import SpanSearchSpace

KIND_NAMES = {VALID: "valid span", END_BEFORE_START: "end before start",
              TOO_LONG: "longer than max_answer_len", NOT_PASSAGE: "not passage text"}


def _short_label(token: str, limit: int = 10) -> str:
    return token if len(token) <= limit else token[: limit - 1] + "…"


def heatmap_rgba(space: SpanSearchSpace, colormap: pg.ColorMap, masked: tuple[str, str, str]) -> np.ndarray:
    """(rows, cols, 4) uint8: scores through the colour map, masked cells in their grey."""
    rows, cols = space.shape
    rgba = np.zeros((rows, cols, 4), dtype=np.uint8)
    valid = space.kinds == VALID
    finite = valid & np.isfinite(space.scores)
    if finite.any():
        lo, hi = float(space.scores[finite].min()), float(space.scores[finite].max())
        scaled = (space.scores - lo) / (hi - lo) if hi > lo else np.full(space.shape, 0.5)
        colours = colormap.map(np.clip(np.nan_to_num(scaled), 0, 1).ravel(), mode="byte")
        rgba[finite] = colours.reshape(rows, cols, -1)[finite][:, :4]
    for kind, colour in zip((END_BEFORE_START, TOO_LONG, NOT_PASSAGE), masked):
        c = QColor(colour)
        rgba[space.kinds == kind] = (c.red(), c.green(), c.blue(), 255)
    return rgba


class SpanHeatmap(QWidget):
    spanPicked = Signal(int, int, int)  # window, start position, end position

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self.space: SpanSearchSpace | None = None
        self.colormap = pg.colormap.get("viridis")

        self.info = QLabel("Ask a question to see the span scores around the answer.")
        self.info.setWordWrap(True)
        self.readout = QLabel(" ")
        self.readout.setObjectName("HeatmapReadout")
        self.plot_widget = pg.PlotWidget()
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.view_box = self.plot_item.getViewBox()
        self.view_box.invertY(True)
        # Cells stretch to fill the tab: a square-cell matrix would leave most of it empty.
        self.view_box.setAspectLocked(False)
        self.plot_item.setLabel("left", "start position")
        self.plot_item.setLabel("bottom", "end position")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot_item.addItem(self.image)
        self.answer_box = QGraphicsRectItem(0, 0, 1, 1)
        self.answer_box.setZValue(10)
        self.answer_box.hide()
        self.plot_item.addItem(self.answer_box)
        self.widened_box = QGraphicsRectItem(0, 0, 1, 1)  # the answer as shown, when widened to words
        self.widened_box.setZValue(9)
        self.widened_box.hide()
        self.plot_item.addItem(self.widened_box)
        self.pick_box = QGraphicsRectItem(0, 0, 1, 1)
        self.pick_box.setZValue(11)
        self.pick_box.hide()
        self.plot_item.addItem(self.pick_box)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.colormap, interactive=False,
                                        label="start + end logit")
        self.plot_item.layout.addItem(self.colorbar, 2, 5)
        self._hover = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=60, slot=self._moved)
        self.plot_widget.scene().sigMouseClicked.connect(self._clicked)

        self.legend = QHBoxLayout()
        self._swatches: list[QLabel] = []
        for kind in (END_BEFORE_START, TOO_LONG, NOT_PASSAGE):
            swatch = QLabel()
            swatch.setFixedSize(14, 14)
            self._swatches.append(swatch)
            self.legend.addWidget(swatch)
            self.legend.addWidget(QLabel(KIND_NAMES[kind]))
            self.legend.addSpacing(10)
        self.legend.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addLayout(self.legend)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.readout)
        self.set_theme(self._theme)

    def image_shape(self) -> tuple[int, int] | None:
        img = self.image.image
        return None if img is None else (int(img.shape[0]), int(img.shape[1]))

    def show_space(self, space: SpanSearchSpace) -> None:
        self.space = space
        self._draw()
        rows, cols = space.shape
        finite = (space.kinds == VALID) & np.isfinite(space.scores)
        valid = int(finite.sum())
        self.info.setText(
            f"Window {space.window + 1}, positions {space.lo}–{space.hi - 1}: {rows}×{cols} (start × end) "
            f"cells, {valid} of them spans the decoder may answer with (longest {space.max_answer_len} "
            "tokens). The outlined cell is the span the model scored"
            + ("; the dashed one the answer widened to whole words." if space.answer_span != space.answer_cell
               else "."))
        if finite.any():
            self.colorbar.setLevels((float(space.scores[finite].min()), float(space.scores[finite].max())))
        self.view_box.autoRange(padding=0.02)

    def clear(self) -> None:
        self.space = None
        self.image.clear()
        self.answer_box.hide()
        self.widened_box.hide()
        self.pick_box.hide()
        self.info.setText("Ask a question to see the span scores around the answer.")

    def _draw(self) -> None:
        space = self.space
        if space is None:
            return
        self.image.setImage(heatmap_rgba(space, self.colormap, self._theme.masked), autoLevels=False)
        self.image.setRect(QRectF(0, 0, space.shape[1], space.shape[0]))
        if space.answer_cell is not None:
            r, c = space.answer_cell
            self.answer_box.setRect(QRectF(c, r, 1, 1))
            self.answer_box.show()
        self.widened_box.hide()
        if space.answer_span is not None and space.answer_span != space.answer_cell:
            r, c = space.answer_span
            self.widened_box.setRect(QRectF(c, r, 1, 1))
            self.widened_box.show()
        self.pick_box.hide()
        ticks_major, ticks_minor = [], []
        for i, token in enumerate(space.labels):
            tick = (i + 0.5, f"{space.lo + i} {_short_label(token)}")
            (ticks_major if i % 5 == 0 else ticks_minor).append(tick)
        for name in ("left", "bottom"):
            self.plot_item.getAxis(name).setTicks([ticks_major, ticks_minor])

    def describe(self, row: int, col: int) -> str:
        space = self.space
        kind = int(space.kinds[row, col])
        score = space.scores[row, col]
        s_tok, e_tok = space.labels[row], space.labels[col]
        text = (f"start {space.lo + row} “{s_tok}” → end {space.lo + col} “{e_tok}”: "
                f"{KIND_NAMES[kind]}")
        if np.isfinite(score):
            text += f", score {score:.2f}"
        return text

    def _cell_at(self, scene_pos) -> tuple[int, int] | None:
        if self.space is None or not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.view_box.mapSceneToView(scene_pos)
        row, col = int(np.floor(p.y())), int(np.floor(p.x()))
        rows, cols = self.space.shape
        return (row, col) if 0 <= row < rows and 0 <= col < cols else None

    def _moved(self, event) -> None:
        cell = self._cell_at(event[0])
        self.readout.setText(self.describe(*cell) if cell else " ")

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            self.pick(*cell)

    def pick(self, row: int, col: int) -> None:
        """Act as if cell (row, col) was clicked: a valid span is offered to the passage."""
        space = self.space
        self.readout.setText(self.describe(row, col))
        if int(space.kinds[row, col]) != VALID:
            return
        self.pick_box.setRect(QRectF(col, row, 1, 1))
        self.pick_box.show()
        self.spanPicked.emit(space.window, space.lo + row, space.lo + col)

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self.plot_widget.setBackground(theme.background)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pg.mkPen(theme.foreground))
            axis.setTextPen(pg.mkPen(theme.foreground))
        self.colorbar.axis.setPen(pg.mkPen(theme.foreground))
        self.colorbar.axis.setTextPen(pg.mkPen(theme.foreground))
        self.answer_box.setPen(pg.mkPen(theme.foreground, width=2.5, cosmetic=True))
        self.widened_box.setPen(pg.mkPen(theme.foreground, width=1.5, cosmetic=True,
                                         style=Qt.PenStyle.DashLine))
        self.pick_box.setPen(pg.mkPen(theme.end, width=2, cosmetic=True, style=Qt.PenStyle.DashLine))
        for swatch, colour in zip(self._swatches, theme.masked):
            swatch.setStyleSheet(f"background: {colour}; border: 1px solid {theme.muted};")
        self.info.setStyleSheet(f"QLabel {{ color: {theme.muted}; }}")
        self._draw()
