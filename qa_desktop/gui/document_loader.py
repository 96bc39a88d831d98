"""Passage files → text: .txt and .md (any common encoding), .pdf through pypdf.

Runs on a worker thread (a long PDF takes seconds); `progress(done, total)` is called per PDF
page and `cancelled()` is polled between pages. Line endings become "\\n" because that is what
the passage editor holds, and highlights are placed by character offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_desktop.engine.errors import Cancelled, InputError

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".rst")
PDF_SUFFIXES = (".pdf",)
OPEN_FILTER = "Passages (*.txt *.md *.markdown *.text *.rst *.pdf);;Text (*.txt *.md);;PDF (*.pdf);;All files (*)"
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    text: str
    pages: int | None = None  # PDFs only
    encoding: str | None = None  # text files only
    empty_pages: int = 0  # PDF pages without a text layer


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise InputError(f"{path.name} looks like a binary file, not text. Open a .txt, .md or .pdf file.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Legacy single-byte files: cp1252 is the most common and decodes almost anything.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _read_pdf(path: Path, progress, cancelled) -> LoadedDocument:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        raise InputError("Reading PDF files needs pypdf: pip install pypdf") from None
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:  # noqa: BLE001 - any failure here means "needs a password"
                raise InputError(f"{path.name} is password-protected; qa-desktop cannot open it.") from None
        pages = reader.pages
        total = len(pages)
        parts, empty = [], 0
        for i, page in enumerate(pages):
            if cancelled is not None and cancelled():
                raise Cancelled()
            text = page.extract_text() or ""
            if not text.strip():
                empty += 1
            parts.append(text.strip())
            if progress is not None:
                progress(i + 1, total)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{path.name} is not a readable PDF ({' '.join(str(exc).split())[:160]}).") from None
    text = _normalize("\n\n".join(p for p in parts if p))
    if not text.strip():
        raise InputError(
            f"{path.name} has no text layer (a scanned document?). qa-desktop reads text, not images: "
            "run OCR on it first."
        )
    return LoadedDocument(path=path, text=text, pages=total, empty_pages=empty)


def load_document(path: str | Path, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> LoadedDocument:
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; open a .txt, .md or .pdf file.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is {size / 1e6:.0f} MB; qa-desktop opens files up to "
                         f"{MAX_FILE_BYTES / 1e6:.0f} MB.")
    suffix = path.suffix.lower()
    try:
        if suffix in PDF_SUFFIXES:
            return _read_pdf(path, progress, cancelled)
        data = path.read_bytes()
    except PermissionError:
        raise InputError(f"No permission to read {path}.") from None
    if data.startswith(b"%PDF-"):
        return _read_pdf(path, progress, cancelled)
    if suffix not in TEXT_SUFFIXES and suffix:
        # Unknown extensions are read if they are text, refused with a clear word otherwise.
        if b"\x00" in data[:4096]:
            raise InputError(f"{path.name} is not a text or PDF file. Open a .txt, .md or .pdf file.")
    text, encoding = _decode(data, path)
    text = _normalize(text)
    if not text.strip():
        raise InputError(f"{path.name} is empty.")
    return LoadedDocument(path=path, text=text, encoding=encoding)
