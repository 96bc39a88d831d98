"""The desktop window (PySide6 + pyqtgraph). It only calls the engine: every model load,
answer, import and export runs through BackgroundOperation, so the GUI thread never waits.

Entry point: qa_desktop.gui.app.run_gui.
"""
