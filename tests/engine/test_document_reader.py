from __future__ import annotations

import codecs

import pytest

from qa_desktop.engine.document_reader import read_document
from qa_desktop.engine.errors import InputError


def test_utf8_utf8bom_and_utf16(tmp_path):
    text = "위키는 마크업 언어를 이용한다. café\r\n"
    for name, data in (("a.txt", text.encode()), ("b.md", codecs.BOM_UTF8 + text.encode()),
                       ("c.txt", text.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        document = read_document(tmp_path / name)
        # Line endings become "\n", as the window's editor holds them (one reader for CLI and window).
        assert document.text == text.replace("\r\n", "\n") and document.warnings == ()


def test_pdf_with_text(tmp_path, qapp):
    from PySide6.QtGui import QPageSize, QPdfWriter, QPainter

    path = tmp_path / "doc.pdf"
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    painter = QPainter(writer)
    painter.drawText(200, 200, "The bridge was finished in 1890.")
    painter.end()
    document = read_document(path)
    assert "finished in 1890" in document.text


def test_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_document(tmp_path)


def test_empty_and_blank_files_are_refused(tmp_path):
    for name, data in (("empty.txt", b""), ("blank.md", b" \r\n\t\n")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match=f"{name} is empty"):
            read_document(tmp_path / name)


PDF_LINES = (
    "The Forth Bridge is a cantilever railway bridge across the Firth of",
    "Forth in the east of Scotland. Construction began in 1882 and the bridge",
    "was opened on 4 March 1890 by the Prince of Wales, the future King Ed-",
    "ward VII.",
    "",
    "The bridge was designed by the English engineers Sir John Fowler and",
    "Sir Benjamin Baker. About 4,600 workers built it.",
)


def write_pdf(path, lines) -> None:
    from PySide6.QtGui import QPageSize, QPainter, QPdfWriter

    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    painter = QPainter(writer)
    for row, line in enumerate(lines):
        painter.drawText(200, 300 + 250 * row, line)
    painter.end()


def test_pdf_text_reads_as_prose(tmp_path, qapp):
    path = tmp_path / "bridge.pdf"
    write_pdf(path, PDF_LINES)
    text = read_document(path).text
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 2 and "\n" not in paragraphs[0] and "\n" not in paragraphs[1]
    assert "across the Firth of Forth in the east" in text  # hard line breaks joined
    assert "the future King Edward VII." in text  # a hyphenated line end made whole
    assert paragraphs[1].startswith("The bridge was designed")  # the paragraph break kept


@pytest.mark.parametrize("page, expected", [
    ("a line that goes on\nand on.\n• one\n• two", "a line that goes on and on.\n\n• one\n\n• two"),
    ("東京は日本の\n首都である。", "東京は日本の首都である。"),
    ("well-\nKnown names", "well- Known names"),  # not a hyphenated word: the capital stays apart
])
def test_reflow_rules(page, expected):
    from qa_desktop.engine.document_reader import reflow_pdf_page

    assert reflow_pdf_page(page) == expected
