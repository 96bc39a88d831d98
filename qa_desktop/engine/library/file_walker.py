"""Sources → the files to index: folders walked recursively, following symbolic links once.

A folder reached again through a symbolic link (a loop, or two links to one place) is walked
once; so is a file reached by two paths. In folders, only the kinds the library reads are
taken (a folder of notes may hold images); a file named on its own is always taken, so an
unsupported one is listed with the reason rather than silently dropped. Paths keep whatever
Unicode their names have; names that are not valid text (undecodable bytes) are reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator

from qa_desktop.engine.library.file_readers import SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class FoundFile:
    path: str  # absolute, as reached from its source (symbolic links not resolved)
    problem: str | None = None  # why it cannot be indexed, found while walking


def _valid_name(path: str) -> bool:
    try:
        path.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _supported(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in SUPPORTED_SUFFIXES


def walk_sources(sources: list[str], is_excluded: Callable[[str], bool] = lambda p: False) -> Iterator[FoundFile]:
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for source in sources:
        source = os.path.abspath(source)
        if is_excluded(source):
            continue
        if not os.path.lexists(source):
            yield FoundFile(source, "not found (moved or deleted?)")
            continue
        if not os.path.isdir(source):
            yield from _one_file(source, seen_files, named=True)
            continue
        problems: list[FoundFile] = []

        def note(error: OSError) -> None:
            problems.append(FoundFile(os.path.abspath(error.filename or source),
                                      f"folder cannot be read: {error.strerror or error}"))

        for folder, dirs, files in os.walk(source, onerror=note, followlinks=True):
            try:
                info = os.stat(folder)
            except OSError as exc:
                yield FoundFile(folder, f"folder cannot be read: {exc.strerror or exc}")
                dirs[:] = []
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen_dirs:  # a symbolic-link loop, or a second link to a folder already walked
                dirs[:] = []
                continue
            seen_dirs.add(key)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not is_excluded(os.path.join(folder, d)))
            for name in sorted(files):
                path = os.path.join(folder, name)
                if name.startswith(".") or not _supported(path) or is_excluded(path):
                    continue
                yield from _one_file(path, seen_files, named=False)
            yield from problems
            problems.clear()
        yield from problems


def _one_file(path: str, seen: set[tuple[int, int]], named: bool) -> Iterator[FoundFile]:
    if not _valid_name(path):
        yield FoundFile(path, "the file name is not valid text (undecodable bytes); rename it")
        return
    try:
        info = os.stat(path)
    except OSError as exc:
        yield FoundFile(path, f"cannot be read: {exc.strerror or exc}")
        return
    key = (info.st_dev, info.st_ino)
    if key in seen:
        return
    seen.add(key)
    if named and not _supported(path):
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        yield FoundFile(path, f"not a kind of file the library reads ({kinds})")
        return
    yield FoundFile(path)
