"""Bundled models, icons and the desktop entry (installed as qa_desktop.resources)."""
