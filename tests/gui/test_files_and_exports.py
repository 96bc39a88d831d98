"""Open .txt/.md/.pdf (or drop them), and export answers, token probabilities and the plot."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QPageSize, QPainter, QPdfWriter

from gui.window_driver import ask

PASSAGE = "Ada Lovelace wrote the first program for the analytical engine in 1843."


def open_and_wait(qtbot, window, path):
    with qtbot.waitSignal(window.passageOpened, timeout=20_000) as opened:
        window.open_file(path)
    return opened.args[0]


def write_pdf(path, pages: list[str]) -> None:
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    painter = QPainter(writer)
    for i, text in enumerate(pages):
        if i:
            writer.newPage()
        painter.drawText(200, 400, text)
    painter.end()


def test_open_text_with_windows_line_endings(qtbot, make_window, tmp_path):
    window = make_window()
    path = tmp_path / "notes.txt"
    path.write_bytes("First line\r\nSecond line: café\r\n".encode("utf-8"))
    doc = open_and_wait(qtbot, window, path)
    assert window.passage.toPlainText() == "First line\nSecond line: café\n" == doc.text
    assert window.windowTitle() == "notes.txt — qa-desktop"


def test_ask_file_and_the_window_give_the_same_offsets_on_a_crlf_file(qtbot, make_window, tiny_bert_model,
                                                                     tmp_path, capsys):
    """One reader for the CLI and the window: the same characters, so the same answer offsets."""
    from qa_desktop.cli import main

    path = tmp_path / "crlf.txt"
    path.write_bytes(b"The bridge was finished in 1890.\r\n\r\n" + PASSAGE.encode() + b"\r\nIt ran.\r\n")
    question = "Who wrote the first program?"
    assert main(["ask", "--model", str(tiny_bert_model), "--file", str(path), "--question", question,
                 "--top-k", "3", "--threshold", "1000", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)["answers"]
    window = make_window()
    open_and_wait(qtbot, window, path)
    window.answer_panel.top_k.setValue(3)
    answer = ask(qtbot, window, question)
    assert "\r" not in answer.prediction.passage and answer.prediction.passage == window.passage.toPlainText()
    assert cli and [(a["start"], a["end"], a["text"]) for a in cli] == [
        (a.start, a.end, a.text) for a in answer.prediction.candidates]


def test_open_markdown_and_legacy_encodings(qtbot, make_window, tmp_path):
    window = make_window()
    md = tmp_path / "readme.md"
    md.write_text("# Title\n\nSome *markdown* text.", encoding="utf-8")
    open_and_wait(qtbot, window, md)
    assert window.passage.toPlainText() == "# Title\n\nSome *markdown* text."
    legacy = tmp_path / "old.txt"
    legacy.write_bytes("naïve façade".encode("cp1252"))
    open_and_wait(qtbot, window, legacy)
    assert window.passage.toPlainText() == "na\ufffdve fa\ufffdade"
    assert window.banner.level == "warning" and "not valid UTF-8" in window.banner.text


def test_open_pdf_reads_every_page(qtbot, make_window, tmp_path):
    window = make_window()
    path = tmp_path / "paper.pdf"
    write_pdf(path, ["The first page mentions Ada Lovelace.", "The second page mentions 1843."])
    open_and_wait(qtbot, window, path)
    text = " ".join(window.passage.toPlainText().split())
    assert "Ada" in text and "Lovelace" in text and "1843" in text


def test_a_pdf_without_text_is_explained(qtbot, make_window, tmp_path):
    window = make_window()
    path = tmp_path / "scan.pdf"
    write_pdf(path, [""])
    window.passage.setPlainText("kept")
    window.open_file(path)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert "has no text layer" in window.banner.text
    assert window.passage.toPlainText() == "kept"


@pytest.mark.parametrize("name, content, message", [
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file, not text"),
    ("broken.pdf", b"%PDF-1.4\n this is not a pdf", "not a readable PDF"),
    ("empty.txt", b"   \n", "is empty"),
])
def test_files_that_cannot_be_read_are_explained(qtbot, make_window, tmp_path, name, content, message):
    window = make_window()
    window.passage.setPlainText("kept")
    path = tmp_path / name
    path.write_bytes(content)
    window.open_file(path)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert message in window.banner.text
    assert window.passage.toPlainText() == "kept"


def test_a_missing_file_is_explained(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_file(tmp_path / "nope.txt")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert window.banner.text == f"No file at {tmp_path / 'nope.txt'}."


def test_dropping_a_file_on_the_passage_opens_it(qtbot, make_window, tmp_path):
    window = make_window()
    path = tmp_path / "dropped.txt"
    path.write_text("Dropped text.", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert window.passage.canInsertFromMimeData(mime)
    with qtbot.waitSignal(window.passageOpened, timeout=10_000):
        window.passage.insertFromMimeData(mime)  # what a drop or a paste of a file does
    assert window.passage.toPlainText() == "Dropped text."


@pytest.fixture
def answered(qtbot, make_window):
    window = make_window()
    return window, ask(qtbot, window, "Who wrote the first program?", PASSAGE)


def wait_saved(qtbot, window, path):
    qtbot.waitUntil(lambda: path.exists() and window.statusBar().currentMessage() == f"Saved {path}",
                    timeout=10_000)


def test_export_answers_as_json_and_csv(qtbot, answered, tmp_path):
    window, answer = answered
    p = answer.prediction
    window.export_answers(tmp_path / "answers.json")
    wait_saved(qtbot, window, tmp_path / "answers.json")
    data = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert data["question"] == "Who wrote the first program?"
    assert [a["text"] for a in data["answers"]] == [a.text for a in p.answers]
    assert [(c["start"], c["end"]) for c in data["candidates"]] == [(a.start, a.end) for a in p.candidates]
    window.export_answers(tmp_path / "answers.csv")
    wait_saved(qtbot, window, tmp_path / "answers.csv")
    rows = list(csv.DictReader((tmp_path / "answers.csv").open(encoding="utf-8")))
    assert [r["text"] for r in rows] == [a.text for a in p.candidates]
    assert [PASSAGE[int(r["start"]):int(r["end"])] for r in rows] == [r["text"] for r in rows]


def test_export_token_probabilities(qtbot, answered, tmp_path):
    window, answer = answered
    path = tmp_path / "tokens.csv"
    window.export_tokens(path)
    wait_saved(qtbot, window, path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    tokens = answer.prediction.tokens
    assert len(rows) == len(tokens)
    assert [r["token"] for r in rows] == [t.text for t in tokens]
    assert float(rows[3]["start_prob"]) == pytest.approx(tokens[3].start_prob, rel=1e-5)
    assert sum(float(r["end_prob"]) for r in rows) == pytest.approx(1.0, abs=1e-4)


def test_export_the_plot_as_png_and_svg(answered, tmp_path):
    window, _ = answered
    png = window.export_plot(tmp_path / "plot.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = window.export_plot(tmp_path / "plot.svg")
    assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    assert window.export_plot(tmp_path / "plot.gif") is None
    assert "Export the plot as .png or .svg" in window.banner.text


def test_export_to_an_unwritable_place_is_explained(qtbot, answered, tmp_path):
    window, _ = answered
    window.export_answers(tmp_path / "missing-dir" / "answers.json")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert window.banner.text.startswith(f"Cannot write {tmp_path / 'missing-dir' / 'answers.json'}")


def test_nothing_to_export_before_asking(make_window, tmp_path):
    window = make_window()
    assert not window.export_answers_action.isEnabled()
    assert window.export_answers(tmp_path / "a.json") is None
    assert window.banner.text == "Nothing to export yet: ask a question first."


def test_a_pdf_opens_as_prose_and_highlights_land_on_its_characters(qtbot, make_window, tmp_path):
    lines = ("The Forth Bridge is a cantilever railway bridge across the Firth of",
             "Forth in Scotland. It was opened on 4 March 1890 by the Prince of Wales, the",
             "future King Ed-", "ward VII, after seven years of work.")
    path = tmp_path / "bridge.pdf"
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    painter = QPainter(writer)
    for row, line in enumerate(lines):
        painter.drawText(200, 300 + 250 * row, line)
    painter.end()
    window = make_window()
    with qtbot.waitSignal(window.passageOpened, timeout=10_000) as opened:
        window.open_file(path)
    text = opened.args[0].text
    assert window.passage.toPlainText() == text and "King Edward VII" in text
    answer = ask(qtbot, window, "Who opened the bridge?")
    best = answer.prediction.best
    assert window.passage.highlighted_text("answer") == text[best.start:best.end] == best.text
    start = text.index("Edward VII")
    window.passage.set_highlight("token", (start, start + len("Edward VII")))
    assert window.passage.highlighted_text("token") == "Edward VII"
