"""`qa-desktop library add|list|remove|refresh|ask`, through cli.main as the shell calls it."""

from __future__ import annotations

import json

import pytest

from conftest import bundled_default_model
from qa_desktop.cli import main


def run(capsys, *argv):
    code = main(["library", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def docs(library_docs):
    return library_docs


def test_add_list_remove_refresh(capsys, docs):
    code, out, _ = run(capsys, "add", str(docs))
    assert code == 0 and "2 indexed" in out and "1 skipped" in out
    assert f"skipped {docs / 'broken.docx'}: " in out

    code, out, _ = run(capsys, "list", "--json")
    listing = json.loads(out)
    assert code == 0 and listing["sources"] == [str(docs)]
    assert [d["path"] for d in listing["documents"]] == [str(docs / "bridge.txt"), str(docs / "tower.md")]
    assert listing["skipped"][0]["path"] == str(docs / "broken.docx")

    code, out, _ = run(capsys, "remove", str(docs / "tower.md"))
    assert code == 0 and "1 document(s)" in out
    (docs / "bridge.txt").write_text("Rewritten.", encoding="utf-8")
    code, out, _ = run(capsys, "refresh")
    assert code == 0 and "1 indexed" in out and "0 removed" in out
    code, out, _ = run(capsys, "list")
    assert str(docs / "tower.md") not in out and str(docs / "bridge.txt") in out


def test_ask_json_answers_with_document_offsets(capsys, docs):
    model = bundled_default_model()
    run(capsys, "add", str(docs))
    code, out, err = run(capsys, "ask", "Who designed the Golden Gate Bridge?", "--json", "--top-k", "2",
                         "--model", str(model))
    assert code == 0, err
    result = json.loads(out)
    best = result["answers"][0]
    assert best["document"] == str(docs / "bridge.txt") and best["text"] == "Joseph Strauss"
    for answer in result["answers"]:
        text = (docs / "bridge.txt").read_text(encoding="utf-8") if answer["document"].endswith("bridge.txt") \
            else (docs / "tower.md").read_text(encoding="utf-8")
        assert text[answer["start"]:answer["end"]] == answer["text"]
    code, out, _ = run(capsys, "ask", "When was the Eiffel Tower finished?", "--model", str(model))
    assert code == 0 and out.startswith("1. 1889  [") and "tower.md" in out


@pytest.mark.parametrize("argv, message", [
    (["ask", "Who?"], "no documents yet"),
    (["remove", "/nowhere/at/all"], "is not in the library"),
    (["add", "/nowhere/at/all"], "No file or folder at"),
])
def test_user_errors_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("qa-desktop: ") and message in err


def test_a_damaged_database_is_rebuilt_with_a_message(capsys, docs, tmp_path):
    library_dir = tmp_path / "lib"
    run(capsys, "--library-dir", str(library_dir), "add", str(docs))
    (library_dir / "library.db").write_bytes(b"garbage" * 1000)
    code, out, err = run(capsys, "--library-dir", str(library_dir), "list")
    assert code == 0 and "was damaged" in err and "moved to" in err
    assert str(docs / "bridge.txt") in out and str(docs / "tower.md") in out
