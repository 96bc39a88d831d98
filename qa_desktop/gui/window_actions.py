"""The window's menus and toolbar, declared as data: what each entry says, its shortcut, and
the window method it calls. build_menus turns the table into QActions on the window."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QToolBar

from qa_desktop.gui.model_selector import ModelSelector


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the window attribute that holds the QAction
    text: str
    slot: str  # the window method it triggers ("explanations.why_this_answer": a method of window.explanations)
    shortcut: QKeySequence.StandardKey | None = None


SEPARATOR = None
RECENT_MODELS = "recent models"  # a submenu filled from the settings (window.recent_menu)
DEVICES = "devices"  # the device choice (window.device_group)
DEVICE_CHOICES = (("auto", "Auto (CUDA when available)"), ("cpu", "CPU"), ("cuda", "CUDA"))

MENUS = (
    ("&File", (
        ActionSpec("open_action", "&Open passage…", "choose_file", QKeySequence.StandardKey.Open),
        SEPARATOR,
        ActionSpec("export_answers_action", "Export &answers (JSON/CSV)…", "choose_export_answers"),
        ActionSpec("export_tokens_action", "Export &token probabilities (CSV)…", "choose_export_tokens"),
        ActionSpec("export_plot_action", "Export the &plot (PNG/SVG)…", "choose_export_plot"),
        SEPARATOR,
        ActionSpec("library_action", "&Library…", "library.show"),
        SEPARATOR,
        ActionSpec("quit_action", "&Quit", "close", QKeySequence.StandardKey.Quit),
    )),
    ("&Model", (
        ActionSpec("open_model_action", "&Open model directory…", "choose_model_directory"),
        ActionSpec("import_model_action", "&Import a Hugging Face model…", "choose_import"),
        RECENT_MODELS,
        DEVICES,
    )),
    ("&Explain", (
        ActionSpec("explain_head_action", "&qa_outputs of the answer", "explanations.show_head"),
        ActionSpec("why_action", "&Why this answer?", "explanations.why_this_answer"),
    )),
    ("&Help", (
        ActionSpec("examples_action", "&Try an example", "first_run.show_examples"),
        ActionSpec("guide_action", "&What the tabs show", "first_run.show_guide"),
        ActionSpec("about_action", "&About qa-desktop", "show_about"),
    )),
)
TOOLBAR = ("open_action", SEPARATOR, "model selector", "open_model_action", "import_model_action")
EXPORT_ACTIONS = ("export_answers_action", "export_tokens_action", "export_plot_action")


def _method(window: QMainWindow, slot: str):
    """`slot` of the window, or of one of its parts for a dotted name (looked up when triggered)."""
    target = window
    for name in slot.split("."):
        target = getattr(target, name)
    return target


def _action(window: QMainWindow, spec: ActionSpec) -> QAction:
    action = QAction(spec.text, window)
    if spec.shortcut is not None:
        action.setShortcut(spec.shortcut)
    action.triggered.connect(lambda _checked=False, slot=spec.slot: _method(window, slot)())
    setattr(window, spec.name, action)
    return action


def build_menus(window: QMainWindow, device: str) -> None:
    """Menus, toolbar and the model selector, as the tables above say."""
    for title, entries in MENUS:
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is SEPARATOR:
                menu.addSeparator()
            elif entry == RECENT_MODELS:
                window.recent_menu = menu.addMenu("&Recent models")
            elif entry == DEVICES:
                device_menu = menu.addMenu("&Device")
                window.device_group = QActionGroup(window)
                for choice, label in DEVICE_CHOICES:
                    action = QAction(label, window, checkable=True)
                    action.setData(choice)
                    action.setChecked(choice == device)
                    window.device_group.addAction(action)
                    device_menu.addAction(action)
                window.device_group.triggered.connect(lambda action: window.set_device(action.data()))
            else:
                menu.addAction(_action(window, entry))

    toolbar = QToolBar("Main")
    toolbar.setObjectName("MainToolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(16, 16))
    window.model_selector = ModelSelector()
    for entry in TOOLBAR:
        if entry is SEPARATOR:
            toolbar.addSeparator()
        elif entry == "model selector":
            toolbar.addWidget(QLabel(" Model: "))
            toolbar.addWidget(window.model_selector)
        else:
            toolbar.addAction(getattr(window, entry))
    window.addToolBar(toolbar)
