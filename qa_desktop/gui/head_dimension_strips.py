"""One token's start (or end) logit as the model computes it: h · w + b, dimension by dimension.

Four strips over the hidden dimensions: the token's hidden vector h, the head's w_start and
w_end, and the products h_i · w_i of the chosen logit (diverging colours, 0 is the background
middle). Below them the products sorted by contribution, with their running sum climbing to
the logit: a few dimensions usually decide whether a token is a start. The line under the title
states the sum, the bias and the model's own logit (and, for int8 models, why they differ).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from qa_desktop.engine.head_decomposition import HeadWeights, TokenDecomposition
from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.plot_export import export_graphics

STRIPS = ("hidden", "w_start", "w_end", "products")
STRIP_LABELS = {"hidden": "h", "w_start": "w_start", "w_end": "w_end", "products": "h·w"}




class HeadDimensionStrips(QWidget):
    """`set_decomposition(weights, decomposition)` shows one token; `set_which` picks the logit."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self._weights: HeadWeights | None = None
        self._decomposition: TokenDecomposition | None = None
        self._which = "start"
        self._strip_data: dict[str, np.ndarray] = {}
        self._sorted: np.ndarray = np.zeros(0)

        self.title = QLabel("No token chosen.")
        self.title.setWordWrap(True)
        self.title.setObjectName("HeadStripsTitle")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.which_choice = QComboBox()
        self.which_choice.addItems(["Start logit", "End logit"])
        self.which_choice.currentIndexChanged.connect(lambda i: self.set_which("start" if i == 0 else "end"))

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("HeadStripsGraphics")
        self.colormap = pg.colormap.get("CET-D1")
        self.strip_plots: dict[str, pg.PlotItem] = {}
        self.strip_images: dict[str, pg.ImageItem] = {}
        for row, name in enumerate(STRIPS):
            plot = self.graphics.addPlot(row=row, col=0)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.getAxis("left").setTicks([[(0.5, STRIP_LABELS[name])]])
            plot.getAxis("left").setWidth(60)
            plot.showAxis("bottom", row == len(STRIPS) - 1)
            plot.setMaximumHeight(60 if row < len(STRIPS) - 1 else 80)
            image = pg.ImageItem(axisOrder="row-major")
            image.setLookupTable(self.colormap.getLookupTable(nPts=256))
            plot.addItem(image)
            if row:
                plot.setXLink(self.strip_plots[STRIPS[0]])
            self.strip_plots[name] = plot
            self.strip_images[name] = image
        self.strip_plots["products"].setLabel("bottom", "hidden dimension")
        self.sorted_plot = self.graphics.addPlot(row=len(STRIPS), col=0)
        self.sorted_plot.setMenuEnabled(False)
        self.sorted_plot.hideButtons()
        self.sorted_plot.setLabel("left", "h_i · w_i")
        self.sorted_plot.getAxis("left").setWidth(60)
        self.sorted_plot.showAxis("bottom", False)
        # The running sum gets a plot of its own: next to the logit, each product is tiny.
        self.sum_plot = self.graphics.addPlot(row=len(STRIPS) + 1, col=0)
        self.sum_plot.setMenuEnabled(False)
        self.sum_plot.hideButtons()
        self.sum_plot.setXLink(self.sorted_plot)
        self.sum_plot.setLabel("bottom", "dimensions, largest contribution first")
        self.sum_plot.setLabel("left", "running sum + b")
        self.sum_plot.getAxis("left").setWidth(60)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.running_sum = pg.PlotDataItem()
        self.sum_line = pg.InfiniteLine(angle=0, movable=False)
        self.sorted_plot.addItem(self.bars)
        self.sum_plot.addItem(self.running_sum)
        self.sum_plot.addItem(self.sum_line)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.which_choice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.note)
        self.set_theme(self._theme)

    # -- data ------------------------------------------------------------------------------------
    def set_decomposition(self, weights: HeadWeights, decomposition: TokenDecomposition,
                          which: str | None = None) -> None:
        self._weights, self._decomposition = weights, decomposition
        if which is not None:
            self._which = which
            self.which_choice.blockSignals(True)
            self.which_choice.setCurrentIndex(0 if which == "start" else 1)
            self.which_choice.blockSignals(False)
        self._draw()

    def set_which(self, which: str) -> None:
        if which not in ("start", "end"):
            raise ValueError(which)
        self._which = which
        if self.which_choice.currentIndex() != (0 if which == "start" else 1):
            self.which_choice.setCurrentIndex(0 if which == "start" else 1)
        self._draw()

    @property
    def which(self) -> str:
        return self._which

    def clear(self) -> None:
        self._weights = self._decomposition = None
        self._strip_data, self._sorted = {}, np.zeros(0)
        for image in self.strip_images.values():
            image.clear()
        self.bars.setOpts(x=[], height=[])
        self.running_sum.setData([], [])
        self.title.setText("No token chosen.")
        self.note.setText("")

    def strip_data(self) -> dict[str, np.ndarray]:
        """The arrays drawn as strips, each (1, hidden)."""
        return dict(self._strip_data)

    def sorted_products(self) -> np.ndarray:
        """The chosen logit's products in the order drawn (largest first)."""
        return self._sorted.copy()

    def _draw(self) -> None:
        d, weights = self._decomposition, self._weights
        if d is None or weights is None:
            return
        start = self._which == "start"
        products = d.start_products if start else d.end_products
        data = {"hidden": d.hidden, "w_start": weights.w_start, "w_end": weights.w_end, "products": products}
        self._strip_data = {name: np.asarray(values, dtype=np.float64)[None, :] for name, values in data.items()}
        for name, values in self._strip_data.items():
            limit = float(np.abs(values).max()) or 1.0
            self.strip_images[name].setImage(values, levels=(-limit, limit), autoLevels=False)
            self.strip_images[name].setRect(QRectF(0, 0, values.shape[1], 1))
            self.strip_plots[name].setRange(xRange=(0, values.shape[1]), yRange=(0, 1), padding=0)
        order = d.order(self._which)
        self._sorted = products[order]
        x = np.arange(self._sorted.size)
        t = self._theme
        colour = t.start if start else t.end
        self.bars.setOpts(x=x, height=self._sorted, width=0.8, brush=pg.mkBrush(colour), pen=None)
        bias = d.b_start if start else d.b_end
        self.running_sum.setData(x, np.cumsum(self._sorted) + bias, pen=pg.mkPen(t.foreground, width=1.5))
        total = d.start_sum if start else d.end_sum
        self.sum_line.setPos(total)
        self.sorted_plot.enableAutoRange()
        self.sum_plot.enableAutoRange()
        model = d.model_start_logit if start else d.model_end_logit
        name = "start" if start else "end"
        top = ", ".join(f"d{int(i)} {products[i]:+.3f}" for i in order[:3])
        self.title.setText(
            f"{d.token!r} (window {d.window}, position {d.position}): {name} logit = Σ h_i·w_{name},i + b_{name} "
            f"= {products.sum():+.4f} {bias:+.4f} = {total:+.4f}; the model gave {model:+.4f}. Largest: {top}."
        )
        self.note.setText(d.difference_explained())

    # -- look and export -----------------------------------------------------------------------------
    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self.graphics.setBackground(theme.background)
        for plot in list(self.strip_plots.values()) + [self.sorted_plot, self.sum_plot]:
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(pg.mkPen(theme.foreground))
                plot.getAxis(axis).setTextPen(pg.mkPen(theme.foreground))
        self.sum_line.setPen(pg.mkPen(theme.muted, width=1))
        self.note.setStyleSheet(f"QLabel {{ color: {theme.muted}; }}")
        self._draw()

    def export(self, path: str | Path) -> Path:
        """The strips and the sorted products as PNG or SVG (by the file's suffix)."""
        return export_graphics(self.graphics, self.graphics.ci, path, self._theme.background,
                               "qa-desktop: h · w, dimension by dimension")
