"""The files and folders the user added, kept beside the database in a small JSON file.

It is the one record of what the user asked for: a damaged database is rebuilt from it, so it is
written atomically (a temporary file in the same folder, fsync, rename) and never inside a
database transaction. `excluded` holds paths removed from inside an added folder, so a refresh
does not bring them back.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from qa_desktop.engine.errors import QaDesktopError

VERSION = 1


def is_within(path: str, folder: str) -> bool:
    """True when `path` is `folder` or lies under it (both absolute, normalized)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass
class SourceList:
    file: Path
    sources: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, file: Path) -> "SourceList":
        file = Path(file)
        if not file.exists():
            return cls(file)
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            return cls(file, [str(p) for p in data.get("sources", [])],
                       [str(p) for p in data.get("excluded", [])])
        except (OSError, ValueError, AttributeError) as exc:
            raise QaDesktopError(
                f"The library's list of sources {file} cannot be read ({exc}). Fix or delete it; "
                "deleting it forgets which files and folders were added."
            ) from None

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": VERSION, "sources": self.sources, "excluded": self.excluded},
                             ensure_ascii=False, indent=1)
        handle, temporary = tempfile.mkstemp(prefix=".sources-", suffix=".json", dir=self.file.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def add(self, path: str) -> None:
        self.excluded = [p for p in self.excluded if not is_within(p, path)]
        if path not in self.sources:
            self.sources.append(path)

    def remove(self, path: str) -> bool:
        """Forget `path` (and sources under it); exclude it when an added folder holds it.
        True when anything changed."""
        before = (list(self.sources), list(self.excluded))
        self.sources = [p for p in self.sources if not is_within(p, path)]
        if any(is_within(path, p) for p in self.sources) and path not in self.excluded:
            self.excluded.append(path)
        return (self.sources, self.excluded) != before

    def is_excluded(self, path: str) -> bool:
        return any(is_within(path, p) for p in self.excluded)
