"""qa_outputs as two directions: every passage token of a window in 2-D (PCA of its hidden
vectors), coloured by start or end probability, with w_start and w_end drawn as arrows in the
same projection and the cosine between them stated.

Probabilities are peaked (one token near 1, most near 0), so the colour is log10 of the
probability, from 10⁻⁶ up to 1. The arrows are drawn from the centre of the points with a length
fitted to the cloud; only their direction in this plane is meaningful, and the label says how
much of each weight vector lies in the plane.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from qa_desktop.engine.head_projection import HeadProjection
from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.plot_export import export_graphics

LOG_FLOOR = -6.0


class HeadProjectionView(QWidget):
    tokenPicked = Signal(int)  # passage token index of a clicked point

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self._projection: HeadProjection | None = None
        self._colour_by = "start"
        self._arrow_tips: dict[str, np.ndarray] = {}

        self.info = QLabel("No window to show.")
        self.info.setWordWrap(True)
        self.colour_choice = QComboBox()
        self.colour_choice.addItems(["Colour by start probability", "Colour by end probability"])
        self.colour_choice.currentIndexChanged.connect(lambda i: self.set_colour_by("start" if i == 0 else "end"))

        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setObjectName("HeadProjectionPlot")
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.plot_item.setAspectLocked(True)
        self.plot_item.setLabel("bottom", "PC 1")
        self.plot_item.setLabel("left", "PC 2")
        self.colormap = pg.colormap.get("viridis")
        self.scatter = pg.ScatterPlotItem(size=8, pen=None, hoverable=True)
        self.scatter.sigClicked.connect(self._clicked)
        self.plot_item.addItem(self.scatter)
        self.arrow_lines = {name: pg.PlotDataItem() for name in ("start", "end")}
        self.arrow_heads = {name: pg.ArrowItem(headLen=14, tailLen=0, pxMode=True) for name in ("start", "end")}
        self.arrow_labels = {name: pg.TextItem(f"w_{name}", anchor=(0, 1)) for name in ("start", "end")}
        for name in ("start", "end"):
            self.plot_item.addItem(self.arrow_lines[name])
            self.plot_item.addItem(self.arrow_heads[name])
            self.plot_item.addItem(self.arrow_labels[name])
        self.colorbar = pg.ColorBarItem(values=(LOG_FLOOR, 0), colorMap=self.colormap, interactive=False,
                                        label="log10 probability")
        self.colorbar.setImageItem([], insert_in=self.plot_item)  # a legend only: no image

        top = QHBoxLayout()
        top.addWidget(self.info, 1)
        top.addWidget(self.colour_choice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        self.set_theme(self._theme)

    def set_projection(self, projection: HeadProjection, colour_by: str | None = None) -> None:
        self._projection = projection
        if colour_by is not None:
            self._colour_by = colour_by
            self.colour_choice.blockSignals(True)
            self.colour_choice.setCurrentIndex(0 if colour_by == "start" else 1)
            self.colour_choice.blockSignals(False)
        self._draw()

    def set_colour_by(self, which: str) -> None:
        if which not in ("start", "end"):
            raise ValueError(which)
        self._colour_by = which
        if self.colour_choice.currentIndex() != (0 if which == "start" else 1):
            self.colour_choice.setCurrentIndex(0 if which == "start" else 1)
        self._draw()

    @property
    def colour_by(self) -> str:
        return self._colour_by

    def clear(self) -> None:
        self._projection = None
        self._arrow_tips = {}
        self.scatter.clear()
        for name in ("start", "end"):
            self.arrow_lines[name].setData([], [])
            self.arrow_heads[name].hide()
            self.arrow_labels[name].hide()
        self.info.setText("No window to show.")

    def point_data(self) -> np.ndarray:
        """(n, 2) the points drawn."""
        x, y = self.scatter.getData()
        return np.column_stack([x, y]) if x is not None else np.zeros((0, 2))

    def arrow_tips(self) -> dict[str, np.ndarray]:
        """Where the w_start and w_end arrows end, in plot coordinates."""
        return {k: v.copy() for k, v in self._arrow_tips.items()}

    def colour_values(self) -> np.ndarray:
        """log10 of the probability each point is coloured by, clipped at LOG_FLOOR."""
        p = self._projection
        if p is None:
            return np.zeros(0)
        prob = p.start_prob if self._colour_by == "start" else p.end_prob
        return np.clip(np.log10(np.maximum(prob, 1e-300)), LOG_FLOOR, 0)

    def _draw(self) -> None:
        p = self._projection
        if p is None:
            return
        t = self._theme
        values = self.colour_values()
        colours = self.colormap.map((values - LOG_FLOOR) / -LOG_FLOOR, mode="qcolor")
        order = np.argsort(values, kind="stable")  # the likeliest tokens drawn last, on top
        self.scatter.setData(
            x=p.points[order, 0], y=p.points[order, 1], brush=[colours[i] for i in order],
            data=p.passage_tokens[order],
            tip=lambda x, y, data: f"token {data}: ({x:.2f}, {y:.2f})",
        )
        radius = float(np.max(np.linalg.norm(p.points, axis=1))) or 1.0
        self._arrow_tips = {}
        for name, arrow, colour in (("start", p.start_arrow, t.start), ("end", p.end_arrow, t.end)):
            length = float(np.linalg.norm(arrow))
            tip = arrow / length * radius * 0.9 if length > 0 else np.zeros(2)
            self._arrow_tips[name] = tip
            self.arrow_lines[name].setData([0, tip[0]], [0, tip[1]], pen=pg.mkPen(colour, width=2.5))
            angle = float(np.degrees(np.arctan2(tip[1], tip[0])))
            # ArrowItem points left at angle 0; its angle turns clockwise on screen (y up here).
            self.arrow_heads[name].setStyle(angle=180 - angle, brush=pg.mkBrush(colour), pen=pg.mkPen(colour))
            self.arrow_heads[name].setPos(tip[0], tip[1])
            self.arrow_heads[name].show()
            self.arrow_labels[name].setColor(colour)
            self.arrow_labels[name].setPos(tip[0], tip[1])
            self.arrow_labels[name].show()
        self.plot_item.autoRange()
        self.info.setText(
            f"Window {p.window}: {len(p.passage_tokens)} passage tokens. cos(w_start, w_end) = {p.cosine:+.3f}. "
            f"PC 1 and PC 2 hold {p.explained_variance[0]:.0%} and {p.explained_variance[1]:.0%} of the "
            f"variance; {p.start_in_plane:.0%} of w_start and {p.end_in_plane:.0%} of w_end lie in this plane."
        )

    def _clicked(self, _item, points, *_):
        if len(points):
            self.tokenPicked.emit(int(points[0].data()))

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self.plot_widget.setBackground(theme.background)
        for axis in ("left", "bottom"):
            self.plot_item.getAxis(axis).setPen(pg.mkPen(theme.foreground))
            self.plot_item.getAxis(axis).setTextPen(pg.mkPen(theme.foreground))
        self.colorbar.axis.setPen(pg.mkPen(theme.foreground))
        self.colorbar.axis.setTextPen(pg.mkPen(theme.foreground))
        self._draw()

    def export(self, path: str | Path) -> Path:
        """The 2-D view as PNG or SVG (by the file's suffix)."""
        return export_graphics(self.plot_widget, self.plot_item, path, self._theme.background,
                               "qa-desktop: qa_outputs as two directions")
