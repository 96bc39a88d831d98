"""The plot's x axis: passage token (or word) numbers when zoomed out, the tokens' own text when
zoomed in far enough for each to have room."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg

# Text labels once a point has this many pixels of axis, and at most this many are in view.
PIXELS_PER_LABEL = 28
MAX_TEXT_LABELS = 80


def short_label(text: str, limit: int = 9) -> str:
    text = text.replace("\n", "⏎").replace("\t", "⇥")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TokenAxis(pg.AxisItem):
    def __init__(self, *args, offset: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.labeler: Callable[[int], str] | None = None  # point index → its text
        self.numberer: Callable[[int], str] | None = None  # point index → its number (default: itself)
        self.count = 0  # points on the axis
        self.offset = offset  # point i sits at x = i + offset (0.5 for the cells of an image)

    def set_labels(self, labeler: Callable[[int], str] | None, count: int,
                   numberer: Callable[[int], str] | None = None) -> None:
        self.labeler, self.count, self.numberer = labeler, count, numberer
        self.picture = None  # pyqtgraph's cached drawing of the axis
        self.update()

    def showing_text(self, low: float, high: float, size: float) -> bool:
        span = high - low
        return (self.labeler is not None and 0 < span <= MAX_TEXT_LABELS
                and size / max(span, 1e-9) >= PIXELS_PER_LABEL)

    def tickValues(self, minVal, maxVal, size):
        if not self.showing_text(minVal, maxVal, size):
            return super().tickValues(minVal, maxVal, size)
        first = max(0, int(np.ceil(minVal - self.offset)))
        last = min(self.count - 1, int(np.floor(maxVal - self.offset)))
        return [(1.0, [i + self.offset for i in range(first, last + 1)])]

    def tickStrings(self, values, scale, spacing):
        low, high = self.range if self.range else (0, 0)
        indices = [int(round(v - self.offset)) for v in values]
        if spacing == 1.0 and self.showing_text(low, high, self._axis_pixels()):
            return [short_label(self.labeler(i)) if 0 <= i < self.count else "" for i in indices]
        if self.numberer is not None:
            return [self.numberer(i) if 0 <= i < self.count and float(v - self.offset).is_integer() else ""
                    for i, v in zip(indices, values)]
        return super().tickStrings(values, scale, spacing)

    def _axis_pixels(self) -> float:
        return float(self.geometry().width())
