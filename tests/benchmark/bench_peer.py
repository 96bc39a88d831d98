"""The peer python the bench's peer tests run: $QA_DESKTOP_PEER_PYTHON, else the checkout's
.bench-env (README "Performance" and .ci/run make it), else a clear skip."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]


def peer_python() -> str:
    """A python that runs every peer (the transformers pipeline and Optimum), or a skip saying why."""
    from qa_desktop.benchmark.peer_env import HOW_TO_GET_THEM, PEER_ENV_DIR, probe

    named = os.environ.get("QA_DESKTOP_PEER_PYTHON")
    in_env = "Scripts/python.exe" if sys.platform == "win32" else "bin/python"
    path = Path(named) if named else CHECKOUT / PEER_ENV_DIR / in_env
    if not path.exists():
        pytest.skip(f"no peer python at {path} ({'QA_DESKTOP_PEER_PYTHON' if named else 'no ' + PEER_ENV_DIR}): "
                    f"to run the peer tests, {HOW_TO_GET_THEM}")
    missing = probe(str(path)).missing_line()
    if missing:
        pytest.skip(f"{path}: {missing}")
    return str(path)
