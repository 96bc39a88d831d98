"""Keeping the Python interpreter from stalling the GUI thread while a worker thread answers.

Two process-wide settings, made once the window exists:

* The cyclic garbage collector. A long passage makes the engine create hundreds of thousands of
  small objects on the worker thread (one PassageToken per token); that triggers full
  collections, and a full collection holds the GIL while it scans every object in the process:
  with Qt, numpy, onnxruntime and the tokenizer loaded that is a quarter of a second in which
  the GUI thread cannot run a line of Python. gc.freeze() moves everything that exists once a
  window is built (its widgets live as long as the process) into a permanent generation the
  collector no longer scans. Frozen objects are still freed by reference counting.

* The GIL switch interval. A thread waiting for the GIL asks the holder to drop it after this
  interval (5 ms by default); the GUI thread needs the GIL for every Python slot and every
  pyqtgraph paint, so it waits that long each time the worker runs Python. 1 ms keeps the
  event loop's latency low at a negligible cost to the worker.
"""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL_S = 0.001
_collected = False


def keep_gui_thread_responsive() -> None:
    """Called when a window has been built."""
    global _collected
    if not _collected:
        gc.collect()  # the first time, start from a clean heap: what is frozen is really alive
        _collected = True
    gc.freeze()  # cheap: the generations are spliced, not walked
    if sys.getswitchinterval() > SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
