"""Writing a pyqtgraph plot to PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers ImageExporter
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

from qa_desktop.engine.errors import InputError


def export_plot(plot_widget: pg.PlotWidget, plot_item: pg.PlotItem, background: str, path: str | Path) -> Path:
    """The plot as PNG or SVG (by the file's suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        _export_svg(plot_widget, plot_item, background, path)
    elif suffix in (".png", ".jpg", ".jpeg", ".bmp"):
        exporter = pg.exporters.ImageExporter(plot_item)
        exporter.parameters()["width"] = max(800, int(plot_widget.width()) * 2)
        exporter.export(str(path))
    else:
        raise InputError(f"Export the plot as .png or .svg, not {suffix or 'a file without a suffix'}.")
    if not path.exists():
        raise InputError(f"The plot could not be written to {path}.")
    return path


def _export_svg(plot_widget: pg.PlotWidget, plot_item: pg.PlotItem, background: str, path: Path) -> None:
    # Qt's own SVG generator: pyqtgraph's SVGExporter cannot parse the path syntax that
    # recent Qt versions write.
    from PySide6.QtSvg import QSvgGenerator

    source = plot_item.sceneBoundingRect()
    target = QRectF(0, 0, source.width(), source.height())
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(target.size().toSize())
    generator.setViewBox(target)
    generator.setTitle("qa-desktop: start and end probabilities")
    painter = QPainter(generator)
    try:
        painter.fillRect(target, pg.mkColor(background))
        plot_widget.scene().render(painter, target, source)
    finally:
        painter.end()
