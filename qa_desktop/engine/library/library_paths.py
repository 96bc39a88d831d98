"""Where the library lives: `library/` in the user data directory, by the app's one rule
(QA_DESKTOP_DATA_DIR when set, else the platform's user data directory, as model_store and the
window's settings do)."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_NAME = "library.db"
SOURCES_NAME = "sources.json"


def user_data_dir() -> Path:
    root = os.environ.get("QA_DESKTOP_DATA_DIR")
    if root:
        return Path(root)
    from platformdirs import user_data_dir as platform_dir

    return Path(platform_dir("qa-desktop", appauthor=False))


def default_library_dir() -> Path:
    return user_data_dir() / "library"
