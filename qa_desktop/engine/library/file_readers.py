"""One library file → its text and a hash of the bytes it came from.

.txt/.md/.pdf go through engine.document_reader (the same reading as opening a file in the
window); .html through inscriptis (a maintained HTML-to-text converter that keeps the page's
block layout, so paragraphs stay paragraphs); .docx through python-docx (paragraphs and table
cells in document order). A file that changes while it is read is read again; one that keeps
changing, or is over the size limit, is refused with the reason.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from qa_desktop.engine.document_reader import MAX_FILE_BYTES, decode_text, read_document
from qa_desktop.engine.errors import InputError

PLAIN_SUFFIXES = (".txt", ".md", ".markdown", ".text")
HTML_SUFFIXES = (".html", ".htm")
SUPPORTED_SUFFIXES = frozenset(PLAIN_SUFFIXES + HTML_SUFFIXES + (".pdf", ".docx"))
READ_ATTEMPTS = 3


@dataclass(frozen=True)
class FileStamp:
    """What says a file changed without reading it."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | Path) -> "FileStamp":
        info = os.stat(path)
        return cls(int(info.st_size), int(info.st_mtime_ns))


@dataclass(frozen=True)
class LibraryFile:
    path: str
    stamp: FileStamp
    sha256: str
    text: str
    warnings: tuple[str, ...] = ()


def _html_text(data: bytes, name: str) -> tuple[str, tuple[str, ...]]:
    from inscriptis import get_text

    markup, warnings = decode_text(data, name)
    try:
        return get_text(markup), warnings
    except Exception as exc:  # noqa: BLE001 - lxml's parser errors have no common base class
        raise InputError(f"{name} is not readable HTML ({exc}).") from None


def _docx_text(data: bytes, name: str) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{name} is not a readable .docx file ({exc}).") from None
    except Exception as exc:  # noqa: BLE001 - zipfile/lxml errors of a damaged package
        raise InputError(f"{name} is not a readable .docx file ({type(exc).__name__}: {exc}).") from None
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                line = " | ".join(c for c in cells if c)
                if line:
                    blocks.append(line)
        elif block.text.strip():
            blocks.append(block.text)
    return "\n\n".join(blocks)


def _text_of(path: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    suffix = os.path.splitext(path)[1].lower()
    name = os.path.basename(path)
    if suffix in HTML_SUFFIXES:
        return _html_text(data, name)
    if suffix == ".docx":
        return _docx_text(data, name), ()
    document = read_document(path)  # .txt, .md, .pdf: exactly as the window opens them
    return document.text, document.warnings


def read_library_file(path: str, max_bytes: int = MAX_FILE_BYTES) -> LibraryFile:
    """The file's text; InputError with the reason when it cannot be indexed."""
    name = os.path.basename(path)
    for _ in range(READ_ATTEMPTS):
        try:
            before = FileStamp.of(path)
            if before.size > max_bytes:
                raise InputError(f"{before.size / 1e6:.1f} MB is over the library's limit of "
                                 f"{max_bytes / 1e6:.1f} MB per file")
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot be read: {exc.strerror or exc}") from None
        if len(data) > max_bytes:
            continue  # it grew while being read
        text, warnings = _text_of(path, data)
        try:
            after = FileStamp.of(path)
        except OSError as exc:
            raise InputError(f"disappeared while being read: {exc.strerror or exc}") from None
        if after == before and after.size == len(data):
            if not text.strip():
                raise InputError(f"{name} has no text")
            return LibraryFile(path, after, hashlib.sha256(data).hexdigest(), text, warnings)
    raise InputError("kept changing while being read; it is tried again at the next refresh")
