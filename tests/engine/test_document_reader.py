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
