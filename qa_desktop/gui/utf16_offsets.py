"""Python string indices ↔ Qt text positions.

The engine's character offsets index Python strings (code points); QTextDocument positions
count UTF-16 units, in which every character outside the Basic Multilingual Plane (emoji, rare
Han characters) takes two. Without this a highlight after an emoji would be off by one.
"""

from __future__ import annotations

import numpy as np


class Utf16Offsets:
    def __init__(self, text: str):
        self.length = len(text)
        self._extra: np.ndarray | None = None  # astral characters before each index
        self._qt: np.ndarray | None = None
        if text.isascii():
            return
        code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        astral = code_points > 0xFFFF
        if astral.any():
            self._extra = np.concatenate([[0], np.cumsum(astral, dtype=np.int64)])
            self._qt = np.arange(self.length + 1, dtype=np.int64) + self._extra

    @property
    def identity(self) -> bool:
        return self._extra is None

    def to_qt(self, index: int) -> int:
        index = max(0, min(int(index), self.length))
        return index if self._extra is None else index + int(self._extra[index])

    def to_python(self, position: int) -> int:
        """The index of the character at (or containing) Qt position `position`."""
        if self._qt is None:
            return max(0, min(int(position), self.length))
        return max(0, int(np.searchsorted(self._qt, int(position), side="right") - 1))
