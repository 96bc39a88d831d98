"""Text out of the files people open: .txt/.md (any common encoding) and .pdf (text layer).

The one reader for the CLI (`ask --file`) and the window, so both see the same characters at
the same offsets: line endings become "\n" (what the window's editor holds, and highlights are
placed by character offset), NUL characters are dropped, and an empty file is refused rather
than silently giving an empty passage. Invalid UTF-8 is decoded with replacement characters and
said so; binary files and PDFs without a text layer are refused with a message that names the
fix. PDFs are read page by page, with progress and cancel, and read as prose: the hard line
breaks a PDF puts inside a paragraph are joined (a word hyphenated across lines is made whole
again) and paragraph breaks are kept, so a question's answer is never split by a stray line end
and highlights land on the characters shown.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_desktop.engine.errors import Cancelled, InputError

MAX_FILE_BYTES = 50_000_000
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".rst", ".csv", ".json", ".html", ".htm", "")


# PDF text layers often hold typographic ligatures (ﬁ, ﬂ) and tabs between words; a question
# typed with "fi" must match, so they are spelled out.
_PDF_TEXT_FIXES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                                 "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st", "\t": " "})


@dataclass(frozen=True)
class Document:
    path: Path
    text: str
    warnings: tuple[str, ...] = ()


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if not head:
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control / len(head) > 0.1


def decode_text(data: bytes, name: str = "the file") -> tuple[str, tuple[str, ...]]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), ()
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        return text, (
            f"{name} is not valid UTF-8: {bad} undecodable byte sequence(s) were replaced by "
            "\ufffd. Save the file as UTF-8 to keep every character.",
        )


# A line that starts a list item, or is a heading-like short line, starts its own paragraph.
_ITEM = re.compile(r"^\s*(?:[•▪◦‣∙·*-]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s")
_SENTENCE_END = tuple(".!?:;。！？」』”\"')")
# Scripts written without spaces between words: lines are joined without one.
_NO_SPACE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def reflow_pdf_page(text: str) -> str:
    """A PDF page's text as paragraphs: lines joined inside a paragraph, paragraphs kept.

    A paragraph ends at a blank line, before a list item, or after a line that ends a sentence
    well short of the page's usual line length (the last line of a paragraph)."""
    import statistics  # here: the window's start-up imports this module, and statistics pulls in decimal

    lines = [line.strip() for line in text.split("\n")]
    full = statistics.median([len(line) for line in lines if line] or [0])
    out: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                out.append(current)
            current = ""
            continue
        if current and _ITEM.match(line):
            out.append(current)
            current = ""
        current = _join(current, line) if current else line
        if line.endswith(_SENTENCE_END) and len(line) < 0.8 * full:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n\n".join(out)


def _join(before: str, after: str) -> str:
    if len(before) >= 2 and before[-1] in "-\u00ad" and before[-2].isalpha() and after[:1].islower():
        return before[:-1] + after  # "inter-" + "national": one word again
    if _NO_SPACE.match(before[-1]) and _NO_SPACE.match(after[0]):
        return before + after
    return before + " " + after


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled()


def _pdf_text(path: Path, progress, cancelled) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise InputError("Reading PDF files needs pypdf: pip install pypdf") from None
    try:
        reader = PdfReader(str(path))
        total = len(reader.pages)
        pages = []
        for number, page in enumerate(reader.pages, 1):
            _check(cancelled)
            pages.append(page.extract_text() or "")
            if progress is not None:
                progress(number, total)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{path.name} is not a readable PDF ({exc}).") from None
    text = "\n\n".join(reflow_pdf_page(p.translate(_PDF_TEXT_FIXES)) for p in pages if p.strip())
    if not text.strip():
        raise InputError(
            f"{path.name} has no text layer (it is scanned images). Run OCR on it first, for "
            "example `ocrmypdf in.pdf out.pdf`, then open the result."
        )
    return text


def read_document(path: str | Path, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> Document:
    """`progress(pages done, pages)` follows a PDF's pages; `cancelled()` returning True stops
    the reading with errors.Cancelled."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"No file at {path}.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; open a .txt, .md or .pdf file.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is {size / 1e6:.0f} MB; open a file under {MAX_FILE_BYTES // 1_000_000} MB.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    _check(cancelled)
    if path.suffix.lower() == ".pdf" or data.startswith(b"%PDF-"):
        text, warnings = _pdf_text(path, progress, cancelled), ()
    elif _looks_binary(data):
        raise InputError(
            f"{path.name} is a binary file, not text. Open a .txt, .md or .pdf file, or paste the text."
        )
    else:
        text, warnings = decode_text(data, path.name)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise InputError(f"{path.name} is empty.")
    _check(cancelled)
    return Document(path, text, warnings)
