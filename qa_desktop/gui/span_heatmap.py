"""The start×end score matrix around an answer: the decoder's search space.

Rows are start positions, columns end positions, over the whole of the answer's window (pan and
zoom with the mouse; another window can be chosen). Positions are numbered as passage tokens,
as in the plot and the inspector ("q" marks the question); zoomed in, the tokens' text labels
the axes. A valid cell's colour
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
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from qa_desktop.engine.span_decoder import END_BEFORE_START, NOT_PASSAGE, TOO_LONG, VALID
from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.span_search_space import SpanSearchSpace
from qa_desktop.gui.token_axis import TokenAxis

KIND_NAMES = {VALID: "valid span", END_BEFORE_START: "end before start",
              TOO_LONG: "longer than max_answer_len", NOT_PASSAGE: "not passage text"}


def heatmap_rgba(space: SpanSearchSpace, colormap: pg.ColorMap, masked: tuple[str, str, str]) -> np.ndarray:
    """(rows, cols, 4) uint8: scores through the colour map, masked cells in their grey."""
    rows, cols = space.shape
    rgba = np.zeros((rows, cols, 4), dtype=np.uint8)
    valid = space.kinds == VALID
    finite = valid & np.isfinite(space.scores)
    if finite.any():
        lo, hi = float(space.scores[finite].min()), float(space.scores[finite].max())
        scaled = (space.scores - lo) / (hi - lo) if hi > lo else np.full(space.shape, 0.5)
        # A 256-entry lookup table, not colormap.map: map() interpolates every channel of every
        # cell (~25 ms for a 384×384 window), which stalled the event loop after each answer.
        lut = colormap.getLookupTable(0.0, 1.0, 256, alpha=True, mode="byte")
        codes = np.round(np.clip(np.nan_to_num(scaled), 0, 1) * 255).astype(np.uint8)
        rgba[finite] = lut[codes[finite]][:, :4]
    for kind, colour in zip((END_BEFORE_START, TOO_LONG, NOT_PASSAGE), masked):
        c = QColor(colour)
        rgba[space.kinds == kind] = (c.red(), c.green(), c.blue(), 255)
    return rgba


class SpanHeatmap(QWidget):
    spanPicked = Signal(int, int, int)  # window, start position, end position
    windowChosen = Signal(int)  # the user asked for another window's search space

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self.space: SpanSearchSpace | None = None
        self.colormap = pg.colormap.get("viridis")

        self.info = QLabel("Ask a question to see the span scores around the answer.")
        self.info.setWordWrap(True)
        self.readout = QLabel(" ")
        self.readout.setObjectName("HeatmapReadout")
        self.outdated = QLabel()
        self.outdated.setObjectName("HeatmapOutdated")
        self.outdated.setWordWrap(True)
        self.outdated.hide()
        self.window_choice = QSpinBox()
        self.window_choice.setPrefix("Window ")
        self.window_choice.setToolTip("Show another window's span scores")
        self.window_choice.setEnabled(False)
        self.window_choice.valueChanged.connect(self._window_choice_changed)
        self.axes = {name: TokenAxis(name, offset=0.5) for name in ("left", "bottom")}
        self.plot_widget = pg.PlotWidget(axisItems=self.axes)
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.view_box = self.plot_item.getViewBox()
        self.view_box.invertY(True)
        # Cells stretch to fill the tab: a square-cell matrix would leave most of it empty.
        self.view_box.setAspectLocked(False)
        self.plot_item.setLabel("left", "start (passage token)")
        self.plot_item.setLabel("bottom", "end (passage token)")
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
        self.legend.addWidget(self.window_choice)
        self.legend.addSpacing(10)
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
        layout.addWidget(self.outdated)
        layout.addWidget(self.info)
        layout.addLayout(self.legend)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.readout)
        self.set_theme(self._theme)

    def image_shape(self) -> tuple[int, int] | None:
        img = self.image.image
        return None if img is None else (int(img.shape[0]), int(img.shape[1]))

    def set_window_count(self, count: int) -> None:
        self.window_choice.blockSignals(True)
        self.window_choice.setRange(1, max(1, count))
        self.window_choice.setSuffix(f" of {count}")
        self.window_choice.setEnabled(count > 1)
        self.window_choice.blockSignals(False)

    def _window_choice_changed(self, value: int) -> None:
        if self.space is not None and value - 1 != self.space.window:
            self.windowChosen.emit(value - 1)

    def show_space(self, space: SpanSearchSpace) -> None:
        self.space = space
        self.window_choice.blockSignals(True)
        self.window_choice.setValue(space.window + 1)
        self.window_choice.blockSignals(False)
        self._draw()
        rows, cols = space.shape
        finite = (space.kinds == VALID) & np.isfinite(space.scores)
        valid = int(finite.sum())
        tokens = space.passage_tokens[space.passage_tokens >= 0]
        where = f"passage tokens {tokens[0]}–{tokens[-1]}" if tokens.size else "no passage tokens"
        self.info.setText(
            f"Window {space.window + 1} ({where}): {rows}×{cols} (start × end) cells, {valid} of them spans "
            f"the decoder may answer with (longest {space.max_answer_len} tokens). Drag to pan, wheel to zoom."
            + ("" if space.answer_cell is None else " The outlined cell is the span the model scored"
               + ("; the dashed one the answer widened to whole words." if space.answer_span != space.answer_cell
                  else ".")))
        if finite.any():
            self.colorbar.setLevels((float(space.scores[finite].min()), float(space.scores[finite].max())))
        first, last = space.focus
        self.view_box.setLimits(xMin=-1, xMax=cols + 1, yMin=-1, yMax=rows + 1)
        self.view_box.setRange(xRange=(first, last), yRange=(first, last), padding=0.02)

    def mark_outdated(self, note: str | None) -> None:
        """Say above the matrix that it shows a previous question's answer (None: it is current)."""
        self.outdated.setText(note or "")
        self.outdated.setVisible(bool(note) and self.space is not None)

    def clear(self) -> None:
        self.space = None
        self.outdated.hide()
        self.window_choice.setEnabled(False)
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
        if space.answer_cell is None:
            self.answer_box.hide()
        for axis in self.axes.values():
            axis.set_labels(lambda i: space.labels[i], space.shape[0], space.position_name)

    def describe(self, row: int, col: int) -> str:
        space = self.space
        kind = int(space.kinds[row, col])
        score = space.scores[row, col]
        s_tok, e_tok = space.labels[row], space.labels[col]
        text = (f"start {space.position_name(row)} “{s_tok}” → end {space.position_name(col)} “{e_tok}”: "
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
        self.outdated.setStyleSheet(f"QLabel {{ color: {theme.warning_fg}; background: {theme.warning_bg}; "
                                    "padding: 3px 8px; }")
        self._draw()
