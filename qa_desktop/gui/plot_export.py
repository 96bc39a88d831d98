"""Writing a pyqtgraph scene (or one item of it) to PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers ImageExporter
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

from qa_desktop.engine.errors import InputError


def export_graphics(widget: pg.GraphicsView, item, path: str | Path, background: str, title: str) -> Path:
    """`item` of `widget`'s scene as PNG or SVG, by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        # Qt's own SVG generator: pyqtgraph's SVGExporter cannot parse recent Qt's path syntax.
        from PySide6.QtSvg import QSvgGenerator

        source = item.sceneBoundingRect()
        target = QRectF(0, 0, source.width(), source.height())
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(target.size().toSize())
        generator.setViewBox(target)
        generator.setTitle(title)
        painter = QPainter(generator)
        try:
            painter.fillRect(target, pg.mkColor(background))
            widget.scene().render(painter, target, source)
        finally:
            painter.end()
    elif suffix in (".png", ".jpg", ".jpeg", ".bmp"):
        exporter = pg.exporters.ImageExporter(item)
        exporter.parameters()["width"] = max(800, int(item.sceneBoundingRect().width()) * 2)
        exporter.export(str(path))
    else:
        raise InputError(f"Export the plot as .png or .svg, not {suffix or 'a file without a suffix'}.")
    if not path.exists():
        raise InputError(f"The plot could not be written to {path}.")
    return path
