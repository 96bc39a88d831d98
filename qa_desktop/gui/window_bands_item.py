"""Shaded x-intervals spanning the plot's full height: the model windows behind the curves.

One item draws every band (a passage of 1 MB has about a thousand windows; a thousand
LinearRegionItems would make panning crawl) and paints only those in view. Bands alternate
between two colours, so the overlap that consecutive windows share (the doc stride) shows as
the darker mix of both.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF


class WindowBandsItem(pg.GraphicsObject):
    def __init__(self):
        super().__init__()
        self._x0 = np.zeros(0)
        self._x1 = np.zeros(0)
        self._brushes = (pg.mkBrush("#00000010"), pg.mkBrush("#00000008"))
        self.setZValue(-100)

    def set_bands(self, x0: np.ndarray, x1: np.ndarray) -> None:
        self.prepareGeometryChange()
        self._x0 = np.asarray(x0, dtype=np.float64)
        self._x1 = np.asarray(x1, dtype=np.float64)
        self.update()

    def set_colors(self, first: str, second: str) -> None:
        self._brushes = (pg.mkBrush(pg.mkColor(first)), pg.mkBrush(pg.mkColor(second)))
        self.update()

    @property
    def count(self) -> int:
        return int(self._x0.shape[0])

    def _y_span(self) -> tuple[float, float]:
        view = self.getViewBox()
        if view is None:
            return 0.0, 1.0
        (_, _), (y0, y1) = view.viewRange()
        return y0, y1

    def boundingRect(self) -> QRectF:
        if self.count == 0:
            return QRectF()
        y0, y1 = self._y_span()
        x0, x1 = float(self._x0.min()), float(self._x1.max())
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    def dataBounds(self, axis, frac=1.0, orthoRange=None):
        # Bands never drive auto-range: the curves decide the y range, the tokens the x range.
        return (None, None)

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        if self.count == 0:
            return
        view = self.getViewBox()
        if view is None:
            return
        (vx0, vx1), (y0, y1) = view.viewRange()
        # Windows start in increasing order, so the visible ones are a contiguous run.
        first = max(0, int(np.searchsorted(self._x1, vx0, side="left")) - 1)
        last = int(np.searchsorted(self._x0, vx1, side="right"))
        painter.setPen(pg.mkPen(None))
        for i in range(first, min(last, self.count)):
            painter.setBrush(self._brushes[i % 2])
            painter.drawRect(QRectF(self._x0[i], y0, self._x1[i] - self._x0[i], y1 - y0))
