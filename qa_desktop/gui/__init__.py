"""The desktop window (PySide6 + pyqtgraph). It only calls the engine: every model load,
answer, import and export runs through BackgroundOperation, so the GUI thread never waits.

Entry point: qa_desktop.gui.app.run_gui.
"""

from qa_desktop.gui import pyside_refcount_guard as _pyside_refcount_guard

_pyside_refcount_guard.install()
