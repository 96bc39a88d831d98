"""The library as the user sees it: add files and folders, refresh, remove, list.

Adding records the sources first (in the JSON sidecar), then indexes; refreshing walks every
source again and reads only files whose size or modification time changed (and re-indexes only
those whose bytes changed). Files that are gone, or were removed, leave the index. Work is
reported as progress(done, total) per file and stops between files when cancelled() is true,
with everything indexed so far kept; a process killed half-way leaves whole documents only,
and the next add or refresh carries on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from qa_desktop.engine.document_reader import MAX_FILE_BYTES
from qa_desktop.engine.errors import Cancelled, InputError
from qa_desktop.engine.library.file_readers import FileStamp, read_library_file
from qa_desktop.engine.library.file_walker import walk_sources
from qa_desktop.engine.library.library_index import DocumentRecord, LibraryIndex, SkippedFile, storable
from qa_desktop.engine.library.library_paths import DATABASE_NAME, SOURCES_NAME, default_library_dir
from qa_desktop.engine.library.source_list import SourceList, is_within

Progress = Callable[[int, int], None]


@dataclass
class SyncReport:
    """What one add or refresh did."""

    indexed: list[str] = field(default_factory=list)  # new or changed files, read and indexed
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.indexed)} indexed, {self.unchanged} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped")


class Library:
    def __init__(self, directory: str | Path | None = None, max_file_bytes: int = MAX_FILE_BYTES):
        self.directory = Path(directory) if directory is not None else default_library_dir()
        self.max_file_bytes = max_file_bytes
        self.sources = SourceList.load(self.directory / SOURCES_NAME)
        self.index = LibraryIndex(self.directory / DATABASE_NAME)

    @property
    def recovered(self) -> str | None:
        """Set when the database was damaged and replaced by an empty one: refresh() rebuilds it."""
        return self.index.recovered

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what is in it ---------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.index.documents()

    def skipped(self) -> list[SkippedFile]:
        return self.index.skipped()

    # -- changing it -----------------------------------------------------------------------------
    def add(self, paths: list[str | Path], progress: Progress | None = None,
            cancelled: Callable[[], bool] | None = None) -> SyncReport:
        absolute = [os.path.abspath(os.path.expanduser(str(p))) for p in paths]
        missing = [p for p in absolute if not os.path.lexists(p)]
        if missing:
            raise InputError(f"No file or folder at {missing[0]}.")
        for path in absolute:
            self.sources.add(path)
        self.sources.save()
        return self._sync(absolute, progress, cancelled, prune=False)

    def refresh(self, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> SyncReport:
        return self._sync(self.sources.sources, progress, cancelled, prune=True)

    def remove(self, path: str | Path) -> list[str]:
        """Forget a source (file or folder) and take its documents out of the index."""
        target = os.path.abspath(os.path.expanduser(str(path)))
        indexed = [p for p in self.index.stamps() if is_within(p, target)]
        listed = [s.path for s in self.index.skipped() if is_within(s.path, target)]
        if not self.sources.remove(target) and not indexed and not listed:
            raise InputError(f"{target} is not in the library (see `qa-desktop library list`).")
        self.sources.save()
        for p in indexed + listed:
            self.index.remove_document(p)
        return indexed

    def _sync(self, sources: list[str], progress: Progress | None, cancelled, prune: bool) -> SyncReport:
        report = SyncReport()
        found = list(walk_sources(sources, self.sources.is_excluded))
        known = self.index.stamps()
        skipped_before = self.index.skipped_stamps()
        if prune:
            reached = {storable(f.path) for f in found}
            for path in sorted(set(known) | set(skipped_before)):
                if path not in reached:
                    self.index.remove_document(path)
                    if path in known:
                        report.removed.append(path)
        total = len(found)
        for done, item in enumerate(found, 1):
            if cancelled is not None and cancelled():
                raise Cancelled("Indexing cancelled; the files indexed so far stay in the library.")
            self._sync_one(item.path, item.problem, known, report)
            if progress is not None:
                progress(done, total)
        return report

    def _sync_one(self, path: str, problem: str | None, known, report: SyncReport) -> None:
        if problem is not None:
            self.index.put_skipped(path, problem)
            report.skipped.append(SkippedFile(storable(path), problem))
            return
        try:
            stamp = FileStamp.of(path)
        except OSError as exc:
            reason = f"cannot be read: {exc.strerror or exc}"
            self.index.put_skipped(path, reason)
            report.skipped.append(SkippedFile(path, reason))
            return
        old = known.get(path)
        if old is not None and (old[0], old[1]) == (stamp.size, stamp.mtime_ns):
            report.unchanged += 1
            return
        try:
            read = read_library_file(path, self.max_file_bytes)
        except InputError as exc:
            self.index.put_skipped(path, str(exc), stamp.size, stamp.mtime_ns)
            report.skipped.append(SkippedFile(path, str(exc)))
            return
        if old is not None and old[2] == read.sha256:
            self.index.touch_document(path, read.stamp.size, read.stamp.mtime_ns)
            report.unchanged += 1
            return
        self.index.put_document(path, read.stamp.size, read.stamp.mtime_ns, read.sha256, read.text, read.warnings)
        report.indexed.append(path)
