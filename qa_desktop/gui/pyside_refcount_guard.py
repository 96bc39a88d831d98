"""A guard against a reference-counting bug in PySide6 6.12.0.

There, every `Signal.emit()` called from Python returns True without taking a new reference to
it, so each emit takes one reference away from True (pyqtgraph emits several per pan or zoom).
On Python < 3.12, where True, False and None are ordinary reference-counted objects, a long
session, or simply interpreter shutdown, then ends in "Fatal Python error: bool_dealloc:
deallocating True or False" (and None, through a similar path on connect). Python 3.12 made
these singletons immortal, and PySide6 6.11 does not have the bug.

The bug is detected at run time (a few emits, counting True's references), so a fixed PySide6
needs no change here. When present, True, False and None get a reserve of references no
session can use up: they are never freed anyway, freeing them is itself the fatal error.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40
PROBE_EMITS = 16
_installed = False


def emit_drops_references() -> bool:
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        fired = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBE_EMITS):
        probe.fired.emit()
    return before - sys.getrefcount(True) >= PROBE_EMITS


def install() -> bool:
    """True when the reserve was added (the bug is present on a mortal-singleton Python)."""
    global _installed
    if _installed:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not emit_drops_references():
        return False
    for singleton in (True, False, None):
        ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
    _installed = True
    return True
