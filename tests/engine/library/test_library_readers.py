"""Library readers: every kind of file, the size limit, damaged files, files that change."""

from __future__ import annotations

import os

import pytest

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.library import file_readers
from qa_desktop.engine.library.file_readers import read_library_file


def test_txt_and_md_read_as_the_window_reads_them(tmp_path):
    (tmp_path / "a.txt").write_text("위키는 마크업 언어를 이용한다.\n", encoding="utf-8")
    (tmp_path / "b.md").write_bytes("# Title\n\ncafé".encode("utf-16"))
    a = read_library_file(str(tmp_path / "a.txt"))
    assert a.text == "위키는 마크업 언어를 이용한다.\n" and len(a.sha256) == 64
    assert read_library_file(str(tmp_path / "b.md")).text == "# Title\n\ncafé"


def test_html_to_text_keeps_paragraphs_and_drops_scripts(tmp_path):
    page = ("<html><head><title>T</title><style>p {color: red}</style><script>var x = 'hidden';</script>"
            "</head><body><h1>Bridges</h1><p>The Golden Gate Bridge opened in <b>1937</b>.</p>"
            "<p>It was designed by Joseph&nbsp;Strauss &amp; others.</p></body></html>")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    text = read_library_file(str(tmp_path / "page.html")).text
    assert "The Golden Gate Bridge opened in 1937." in text
    assert "Joseph\u00a0Strauss & others" in text or "Joseph Strauss & others" in text
    assert "hidden" not in text and "color" not in text
    assert text.index("Bridges") < text.index("Golden") < text.index("designed")


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Report", level=1)
    document.add_paragraph("The dam was finished in 1936.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "height", "221 m"
    table.cell(1, 0).text, table.cell(1, 1).text = "river", "Colorado"
    document.add_paragraph("Final words.")
    document.save(tmp_path / "r.docx")
    text = read_library_file(str(tmp_path / "r.docx")).text
    assert text == "Report\n\nThe dam was finished in 1936.\n\nheight | 221 m\n\nriver | Colorado\n\nFinal words."


def test_pdf_through_document_reader(tmp_path, qapp):
    from PySide6.QtGui import QPageSize, QPainter, QPdfWriter

    writer = QPdfWriter(str(tmp_path / "d.pdf"))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    painter = QPainter(writer)
    painter.drawText(200, 200, "The bridge was finished in 1890.")
    painter.end()
    assert "finished in 1890" in read_library_file(str(tmp_path / "d.pdf")).text


@pytest.mark.parametrize("name, data, reason", [
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable .docx"),
    ("binary.txt", bytes(range(256)) * 8, "binary file"),
    ("broken.pdf", b"%PDF-1.4 nonsense", "PDF"),
    ("empty.md", b"  \n\n ", "empty|has no text"),
])
def test_unreadable_files_say_why(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputError, match=reason):
        read_library_file(str(tmp_path / name))


def test_size_limit(tmp_path):
    (tmp_path / "big.txt").write_text("word " * 1000)
    with pytest.raises(InputError, match="over the library's limit"):
        read_library_file(str(tmp_path / "big.txt"), max_bytes=1000)
    assert read_library_file(str(tmp_path / "big.txt"), max_bytes=10_000).text.startswith("word")


def test_a_file_changed_while_read_is_read_again(tmp_path, monkeypatch):
    path = tmp_path / "moving.txt"
    path.write_text("first version")
    real = file_readers._text_of
    calls = []

    def text_of(p, data):
        calls.append(data)
        if len(calls) == 1:  # someone saves the file while it is being read
            path.write_text("second, longer version")
            os.utime(path, ns=(1, 1))
        return real(p, data)

    monkeypatch.setattr(file_readers, "_text_of", text_of)
    assert read_library_file(str(path)).text == "second, longer version"
    assert len(calls) == 2


def test_a_file_that_keeps_changing_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "log.txt"
    path.write_text("x")
    real = file_readers._text_of

    def text_of(p, data):
        with open(path, "a") as handle:
            handle.write("more ")
        return real(p, data)

    monkeypatch.setattr(file_readers, "_text_of", text_of)
    with pytest.raises(InputError, match="kept changing"):
        read_library_file(str(path))
