"""Start and end probability of every passage token, across the whole passage.

Windows are shaded behind the curves; the chosen answer is a band with its start and end
points marked. Hovering reads out the token under the mouse; clicking it emits tokensPicked
(the window highlights it in the passage); `show_selection` marks tokens selected in the
passage. The wheel zooms along the passage and y follows what is visible; "Log scale" shows
the small probabilities; "Words" groups subword pieces (word_groups.WordArrays). Drawing is
clipped to the view and downsampled, so 250,000 tokens pan smoothly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.plot_export import export_graphics
from qa_desktop.gui.plot_hover import PlotHover
from qa_desktop.gui.prepared_answer import PreparedAnswer
from qa_desktop.gui.token_axis import TokenAxis
from qa_desktop.gui.window_bands_item import WindowBandsItem

LOG_FLOOR = 1e-12  # probabilities below this are drawn at the floor in log scale
SYMBOLS_UP_TO = 1500  # individual point markers only while they stay legible


class ProbabilityPlot(PlotHover, QWidget):
    tokensPicked = Signal(int, int)  # first, last passage token (inclusive)

    def __init__(self, parent=None, log_scale: bool = False, word_view: bool = False):
        super().__init__(parent)
        self._theme = current_theme()
        self.answer: PreparedAnswer | None = None
        self._answer_tokens: tuple[int, int] | None = None
        self._selection_tokens: tuple[int, int] | None = None

        self.view_choice = QComboBox()
        self.view_choice.addItems(["Tokens", "Words"])
        self.view_choice.setToolTip("Words: subword pieces grouped into words; a word's probability "
                                    "is the sum over its pieces")
        self.view_choice.setCurrentIndex(1 if word_view else 0)
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setChecked(log_scale)
        self.zoom_answer = QPushButton("Zoom to answer")
        self.show_all = QPushButton("Show all")
        self.info = QLabel("No answer yet.")
        self.info.setObjectName("PlotInfo")
        self.view_choice.currentIndexChanged.connect(self._redraw)
        self.log_scale.toggled.connect(self._redraw)
        self.zoom_answer.clicked.connect(self.zoom_to_answer)
        self.show_all.clicked.connect(self.zoom_all)

        self.outdated = QLabel()
        self.outdated.setObjectName("PlotOutdated")
        self.outdated.setWordWrap(True)
        self.outdated.hide()
        self.token_axis = TokenAxis("bottom")
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.token_axis})
        self.plot_widget.setObjectName("ProbabilityPlotWidget")
        # The hover read-out leaves with the mouse.
        self.plot_widget.viewport().installEventFilter(self)
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        # No grid: pyqtgraph redraws a translucent grid on every range change, which costs more
        # than the 250k-point curves themselves.
        self.plot_item.setClipToView(True)
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.view_box = self.plot_item.getViewBox()
        # The passage runs along x; the wheel zooms along it and y is fitted to what is
        # visible once zooming pauses (pyqtgraph's own auto-visible range would refit, and
        # repaint, on every intermediate step).
        self.view_box.setMouseEnabled(x=True, y=False)
        self.view_box.disableAutoRange()
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(120)
        self._fit_timer.timeout.connect(self.fit_y)
        self.view_box.sigXRangeChanged.connect(lambda *_: self._fit_timer.start())

        self.bands = WindowBandsItem()
        self.plot_item.addItem(self.bands)
        self.answer_region = pg.LinearRegionItem(movable=False)
        self.answer_region.setZValue(-50)
        self.answer_region.hide()
        self.plot_item.addItem(self.answer_region)
        self.selection_region = pg.LinearRegionItem(movable=False)
        self.selection_region.setZValue(-40)
        self.selection_region.hide()
        self.plot_item.addItem(self.selection_region)
        self.legend = self.plot_item.addLegend(offset=(-10, 10))
        self.start_curve = self.plot_item.plot([], [], name="start")
        self.end_curve = self.plot_item.plot([], [], name="end")
        for curve in (self.start_curve, self.end_curve):
            # Two samples per pixel column (peak mode keeps each column's min and max, so no
            # spike is lost) instead of pyqtgraph's five: a 250k-token curve paints in ms.
            curve.opts["autoDownsampleFactor"] = 2.0
        self.answer_points = pg.ScatterPlotItem(size=11)
        self.answer_points.setZValue(10)
        self.plot_item.addItem(self.answer_points)
        self.hover_line = pg.InfiniteLine(angle=90, movable=False)
        self.hover_line.hide()
        self.plot_item.addItem(self.hover_line, ignoreBounds=True)
        self.hover_label = pg.TextItem(anchor=(0, 0))
        self.hover_label.setZValue(20)
        self.hover_label.hide()
        self.plot_item.addItem(self.hover_label, ignoreBounds=True)
        self._hover_proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=60,
                                           slot=self._mouse_moved)
        self.plot_widget.scene().sigMouseClicked.connect(self._mouse_clicked)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.view_choice)
        controls.addWidget(self.log_scale)
        controls.addWidget(self.zoom_answer)
        controls.addWidget(self.show_all)
        controls.addSpacing(12)
        controls.addWidget(self.info, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.outdated)
        layout.addWidget(self.plot_widget, 1)
        self.set_theme(self._theme)
        self._set_enabled(False)

    # -- state ---------------------------------------------------------------------------------
    @property
    def word_view(self) -> bool:
        return self.view_choice.currentIndex() == 1

    def set_word_view(self, on: bool) -> None:
        self.view_choice.setCurrentIndex(1 if on else 0)

    @property
    def log_scaled(self) -> bool:
        return self.log_scale.isChecked()

    def _set_enabled(self, on: bool) -> None:
        for w in (self.zoom_answer, self.show_all):
            w.setEnabled(on)

    def point_count(self) -> int:
        """Points the start curve holds (one per token, or per word in the word view)."""
        x = self.start_curve.xData
        return 0 if x is None else int(x.shape[0])

    def curve_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, start y, end y as plotted (log10 in log scale)."""
        return self.start_curve.xData, self.start_curve.yData, self.end_curve.yData

    # -- data ----------------------------------------------------------------------------------
    def set_answer(self, answer: PreparedAnswer, chosen: int = 0) -> None:
        self.answer = answer
        self._selection_tokens = None
        p = answer.prediction
        self._answer_tokens = None
        if p.candidates:
            a = p.candidates[min(chosen, len(p.candidates) - 1)]
            self._answer_tokens = (a.start_token, a.end_token)
        n_words = len(answer.words)
        read = (f"{len(p.windows)} of {p.selection.total} windows read (those matching the question's words)"
                if p.selection is not None and p.selection.preselected
                else f"{len(p.windows)} window{'s' if len(p.windows) != 1 else ''}")
        self.info.setText(
            f"{read} (up to {answer.model.max_seq_len} tokens each, overlap {answer.model.doc_stride}) · "
            f"{len(p.tokens):,} tokens · {n_words:,} words")
        self._set_enabled(True)
        self.outdated.hide()
        self._redraw(fit=False)
        self.zoom_all()

    def mark_outdated(self, note: str | None) -> None:
        """Say above the plot that it shows a previous question's answer (None: it is current)."""
        self.outdated.setText(note or "")
        self.outdated.setVisible(bool(note) and self.answer is not None)

    def clear(self) -> None:
        self.answer = None
        self.outdated.hide()
        self.token_axis.set_labels(None, 0)
        self._answer_tokens = self._selection_tokens = None
        self.start_curve.setData([], [])
        self.end_curve.setData([], [])
        self.answer_points.setData([])
        self.bands.set_bands(np.zeros(0), np.zeros(0))
        self.answer_region.hide()
        self.selection_region.hide()
        self.info.setText("No answer yet.")
        self._set_enabled(False)

    def _x_of_tokens(self, first: int, last: int) -> tuple[int, int]:
        if self.word_view and self.answer is not None:
            t2w = self.answer.words.token_to_word
            return int(t2w[first]), int(t2w[last])
        return first, last

    def _values(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.answer
        if self.word_view:
            start, end = a.words.start_prob, a.words.end_prob
        else:
            start, end = a.prediction.tokens.start_prob, a.prediction.tokens.end_prob
        if self.log_scaled:
            return np.log10(np.maximum(start, LOG_FLOOR)), np.log10(np.maximum(end, LOG_FLOOR))
        return start, end

    def _redraw(self, *_, fit: bool = True) -> None:
        if self.answer is None:
            return
        a = self.answer
        start, end = self._values()
        x = np.arange(start.shape[0], dtype=np.float64)
        symbols = x.shape[0] <= SYMBOLS_UP_TO
        t = self._theme
        for curve, y, color in ((self.start_curve, start, t.start), (self.end_curve, end, t.end)):
            curve.setData(x, y, pen=pg.mkPen(color, width=1),
                          symbol="o" if symbols else None, symbolSize=4,
                          symbolPen=None, symbolBrush=pg.mkBrush(color))
        # Windows, in the current x units.
        windows = a.prediction.windows
        first = np.fromiter((w.passage_token_start for w in windows), np.int64, len(windows))
        last = np.fromiter((w.passage_token_end - 1 for w in windows), np.int64, len(windows))
        if self.word_view:
            first, last = a.words.token_to_word[first], a.words.token_to_word[last]
        self.bands.set_bands(first - 0.5, last + 0.5)
        self.plot_item.setLabel("bottom", "word" if self.word_view else "passage token")
        self.token_axis.set_labels(self.point_text, int(x.shape[0]))
        self.plot_item.setLabel("left", "log₁₀ probability" if self.log_scaled else "probability")
        self.view_box.setLimits(xMin=-0.5 - 0.02 * x.shape[0], xMax=x.shape[0] - 0.5 + 0.02 * x.shape[0])
        self._draw_answer()
        self._draw_selection()
        if fit:
            self.fit_y()

    def fit_y(self, x_range: tuple[float, float] | None = None) -> None:
        """Fit y to the points in view (both curves), leaving room above the highest."""
        if self.answer is None:
            return
        start, end = self._values()
        n = start.shape[0]
        (x0, x1) = x_range or self.view_box.viewRange()[0]
        lo, hi = max(0, int(np.floor(x0))), min(n, int(np.ceil(x1)) + 1)
        if hi <= lo:
            lo, hi = 0, n
        top = float(max(start[lo:hi].max(), end[lo:hi].max()))
        if self.log_scaled:
            bottom = float(min(start[lo:hi].min(), end[lo:hi].min()))
            self.view_box.setYRange(bottom, max(top, bottom + 1.0), padding=0.04)
        else:
            self.view_box.setYRange(0.0, max(top, 1e-6), padding=0.04)

    def _draw_answer(self) -> None:
        if self.answer is None or self._answer_tokens is None:
            self.answer_region.hide()
            self.answer_points.setData([])
            return
        s, e = self._x_of_tokens(*self._answer_tokens)
        start, end = self._values()
        t = self._theme
        self.answer_region.setRegion((s - 0.5, e + 0.5))
        self.answer_region.show()
        self.answer_points.setData(
            [{"pos": (s, float(start[s])), "brush": pg.mkBrush(t.start), "symbol": "t1",
              "pen": pg.mkPen(t.foreground, width=1)},
             {"pos": (e, float(end[e])), "brush": pg.mkBrush(t.end), "symbol": "t",
              "pen": pg.mkPen(t.foreground, width=1)}])

    def _draw_selection(self) -> None:
        if self.answer is None or self._selection_tokens is None:
            self.selection_region.hide()
            return
        s, e = self._x_of_tokens(*self._selection_tokens)
        self.selection_region.setRegion((s - 0.5, e + 0.5))
        self.selection_region.show()

    # -- the answer and the selection ------------------------------------------------------------
    def show_answer_tokens(self, first: int, last: int, zoom: bool = False) -> None:
        self._answer_tokens = (first, last)
        self._draw_answer()
        if zoom:
            self.zoom_to_tokens(first, last)

    def show_selection(self, first: int, last: int) -> None:
        self._selection_tokens = (first, last)
        self._draw_selection()

    def clear_selection(self) -> None:
        self._selection_tokens = None
        self._draw_selection()

    @property
    def selection_tokens(self) -> tuple[int, int] | None:
        return self._selection_tokens

    @property
    def answer_tokens(self) -> tuple[int, int] | None:
        return self._answer_tokens

    def zoom_to_tokens(self, first: int, last: int, context: int = 40) -> None:
        s, e = self._x_of_tokens(first, last)
        n = self.point_count()
        x_range = (max(-0.5, s - context), min(n - 0.5, e + context))
        self.view_box.setXRange(*x_range, padding=0)
        self.fit_y(x_range)

    def zoom_to_answer(self) -> None:
        if self._answer_tokens is not None:
            self.zoom_to_tokens(*self._answer_tokens)

    def zoom_all(self) -> None:
        n = self.point_count()
        if n:
            self.view_box.setXRange(-0.5, n - 0.5, padding=0.01)
            self.fit_y((-0.5, n - 0.5))

    # -- look and export ------------------------------------------------------------------------
    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self.plot_widget.setBackground(theme.background)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.enableAutoSIPrefix(False)  # "probability (x0.001)" reads worse than 0.2
            axis.setPen(pg.mkPen(theme.foreground))
            axis.setTextPen(pg.mkPen(theme.foreground))
        self.legend.setLabelTextColor(theme.foreground)
        self.bands.set_colors(theme.band, theme.band_alt)
        answer = pg.mkColor(theme.answer)
        answer.setAlpha(90)
        self.answer_region.setBrush(pg.mkBrush(answer))
        for line in self.answer_region.lines:
            line.setPen(pg.mkPen(theme.answer, width=1))
        token = pg.mkColor(theme.token)
        token.setAlpha(120)
        self.selection_region.setBrush(pg.mkBrush(token))
        for line in self.selection_region.lines:
            line.setPen(pg.mkPen(theme.token, width=1))
        self.hover_line.setPen(pg.mkPen(theme.muted, width=1, style=Qt.PenStyle.DashLine))
        fill = pg.mkColor(theme.background)
        fill.setAlpha(225)
        self.hover_label.fill = pg.mkBrush(fill)
        self.hover_label.border = pg.mkPen(theme.muted)
        self.info.setStyleSheet(f"QLabel {{ color: {theme.muted}; }}")
        self.outdated.setStyleSheet(f"QLabel {{ color: {theme.warning_fg}; background: {theme.warning_bg}; "
                                    "padding: 3px 8px; }")
        self._redraw()

    def export(self, path: str | Path) -> Path:
        """The plot as PNG or SVG (by the file's suffix)."""
        return export_graphics(self.plot_widget, self.plot_item, path, self._theme.background,
                               "qa-desktop: start and end probabilities")
