"""Adding, refreshing and removing; the full-text search in every script; damaged databases."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from qa_desktop.engine.errors import Cancelled, InputError
from qa_desktop.engine.library import library_sync
from qa_desktop.engine.library.library_paths import DATABASE_NAME, SOURCES_NAME
from qa_desktop.engine.library.library_sync import Library
from qa_desktop.engine.library.passage_splitter import split_passages
from qa_desktop.engine.library.search_terms import index_form, question_terms


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def library(tmp_path):
    with Library(tmp_path / "lib") as opened:
        yield opened


def _paths(library):
    return [d.path for d in library.documents()]


def test_default_directory_follows_the_data_dir_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    with Library() as opened:
        assert opened.index.path == tmp_path / "data" / "library" / DATABASE_NAME
        assert opened.index.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_add_folder_recursively_with_progress(tmp_path, library):
    docs = tmp_path / "docs"
    _write(docs / "a.txt", "Alpha text.")
    _write(docs / "sub" / "deeper" / "b.md", "Beta text.")
    _write(docs / "sub" / "picture.png", "not read: not a library kind")
    _write(docs / ".hidden" / "c.txt", "hidden folders are skipped")
    calls = []
    report = library.add([docs], progress=lambda done, total: calls.append((done, total)))
    assert sorted(report.indexed) == [str(docs / "a.txt"), str(docs / "sub" / "deeper" / "b.md")]
    assert calls == [(1, 2), (2, 2)]
    assert json.loads((tmp_path / "lib" / SOURCES_NAME).read_text())["sources"] == [str(docs)]


def test_refresh_reads_only_changed_files_and_drops_deleted_ones(tmp_path, library, monkeypatch):
    docs = tmp_path / "docs"
    a = _write(docs / "a.txt", "Alpha text.")
    b = _write(docs / "b.txt", "Beta text.")
    c = _write(docs / "c.txt", "Gamma text.")
    library.add([docs])
    reads = []
    real = library_sync.read_library_file
    monkeypatch.setattr(library_sync, "read_library_file", lambda p, m: reads.append(p) or real(p, m))

    report = library.refresh()
    assert reads == [] and report.unchanged == 3

    _write(a, "Alpha text, rewritten about zebras.")
    os.utime(b, ns=(10**18, 10**18))  # touched, same bytes: read, hashed, not re-indexed
    c.unlink()
    report = library.refresh()
    assert sorted(reads) == [str(a), str(b)]
    assert report.indexed == [str(a)] and report.unchanged == 1 and report.removed == [str(c)]
    assert _paths(library) == [str(a), str(b)]
    assert [h.path for h in library.index.search("zebras", 5)] == [str(a)]
    assert library.index.search("Gamma", 5) == []


def test_remove_a_file_inside_an_added_folder_stays_removed(tmp_path, library):
    docs = tmp_path / "docs"
    a = _write(docs / "a.txt", "Alpha.")
    _write(docs / "b.txt", "Beta.")
    library.add([docs])
    assert library.remove(a) == [str(a)]
    library.refresh()
    assert _paths(library) == [str(docs / "b.txt")]
    library.remove(docs)
    assert _paths(library) == [] and library.sources.sources == []
    with pytest.raises(InputError, match="not in the library"):
        library.remove(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="No file or folder"):
        library.add([tmp_path / "missing"])


def test_unreadable_files_are_listed_with_the_reason_and_nothing_else_stops(tmp_path):
    docs = tmp_path / "docs"
    _write(docs / "good.txt", "Readable text.")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 4)
    _write(docs / "huge.txt", "x " * 5000)
    _write(tmp_path / "named.png", "a kind the library does not read")
    with Library(tmp_path / "lib", max_file_bytes=5000) as library:
        report = library.add([docs, tmp_path / "named.png"])
        assert report.indexed == [str(docs / "good.txt")]
        reasons = {s.path: s.reason for s in library.skipped()}
        assert "binary" in reasons[str(docs / "binary.txt")]
        assert "over the library's limit" in reasons[str(docs / "huge.txt")]
        assert "not a kind of file" in reasons[str(tmp_path / "named.png")]
        (docs / "binary.txt").unlink()
        library.refresh()
        assert str(docs / "binary.txt") not in {s.path for s in library.skipped()}


def test_symlink_loops_and_unicode_paths(tmp_path, library):
    docs = tmp_path / "문서 ドキュメント"
    note = _write(docs / "naïve café 🚀.txt", "Loops must not hang the walk.")
    _write(docs / "e\u0301t\u00e9" / "東京.md", "東京タワーは1958年に完成した。")
    os.symlink(docs, docs / "loop")  # the folder inside itself
    os.symlink(note, docs / "second name.txt")  # one file, two paths: indexed once
    report = library.add([docs])
    assert len(report.indexed) == 2
    assert str(note) in _paths(library)
    assert [h.path for h in library.index.search("東京", 3)] == [str(docs / "e\u0301t\u00e9" / "東京.md")]


@pytest.mark.parametrize("question, expected", [
    ("東京", "ja"),  # two characters: below what FTS5's trigram tokenizer can match
    ("東京タワーはいつ完成しましたか", "ja"),
    ("长城有多长", "zh"),
    ("설계", "ko"),  # a two-letter Korean stem, found inside 설계했다
    ("누가 에펠탑을 설계했나요?", "ko"),
    ("Who designed the tower?", "en"),
    ("designing", "en"),  # Porter stemming: design / designed / designing
])
def test_search_finds_each_script(tmp_path, library, question, expected):
    texts = {
        "ja": "東京タワーは1958年に完成した電波塔である。",
        "zh": "长城是中国古代的军事防御工程，全长两万多公里。",
        "ko": "귀스타브 에펠이 에펠탑을 설계했다. 탑은 파리에 있다.",
        "en": "The Eiffel Tower was designed by Gustave Eiffel.",
    }
    for name, text in texts.items():
        _write(tmp_path / "docs" / f"{name}.txt", text)
    library.add([tmp_path / "docs"])
    hits = library.index.search(question, 4)
    assert hits and hits[0].path.endswith(f"{expected}.txt")


def test_index_form_and_question_terms():
    assert index_form("東京タワー is tall") == " 東京 京タ タワ ワー  is tall"
    assert question_terms('What\'s "東京"? the_x') == ["what", "s", "東京", "the", "x"]
    assert question_terms("?!") == []


def test_passages_are_ranges_of_paragraphs_of_about_a_window():
    text = "First paragraph.\n\nSecond one.\n\n" + "word " * 600 + "\n\n" + "東" * 3000
    ranges = split_passages(text)
    assert ranges[0] == (0, len("First paragraph.\n\nSecond one."))
    for start, end in ranges:
        assert 0 < end - start <= 1500 and text[start:end] == text[start:end].strip()
    covered = set()
    for start, end in ranges:
        covered.update(range(start, end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_cancel_keeps_what_was_indexed(tmp_path, library):
    for i in range(5):
        _write(tmp_path / "docs" / f"{i}.txt", f"Document number {i}.")
    with pytest.raises(Cancelled):
        library.add([tmp_path / "docs"], cancelled=lambda: len(library.documents()) >= 2)
    assert len(library.documents()) == 2
    report = library.refresh()
    assert len(report.indexed) == 3 and report.unchanged == 2


def test_a_damaged_database_is_moved_aside_and_rebuilt_from_the_sources(tmp_path):
    docs = tmp_path / "docs"
    _write(docs / "a.txt", "Alpha about zebras.")
    _write(tmp_path / "single.md", "Beta about lions.")
    with Library(tmp_path / "lib") as library:
        library.add([docs, tmp_path / "single.md"])
    database = tmp_path / "lib" / DATABASE_NAME
    database.write_bytes(b"this is not an SQLite database " * 200)
    with Library(tmp_path / "lib") as library:
        assert library.recovered and "moved to" in library.recovered
        aside = [p for p in (tmp_path / "lib").iterdir() if ".damaged-" in p.name]
        assert aside and aside[0].read_bytes().startswith(b"this is not")
        assert library.documents() == []
        library.refresh()
        assert len(library.documents()) == 2
        assert library.index.search("lions", 2)[0].path == str(tmp_path / "single.md")
    with Library(tmp_path / "lib") as library:
        assert library.recovered is None


def test_damage_inside_the_file_is_found_on_open(tmp_path):
    docs = tmp_path / "docs"
    for i in range(40):
        _write(docs / f"{i}.txt", f"Document {i} " + "filler words here " * 300)
    with Library(tmp_path / "lib") as library:
        library.add([docs])
        library.index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database = tmp_path / "lib" / DATABASE_NAME
    data = bytearray(database.read_bytes())
    page = 4096
    data[page * 3: page * 12] = b"\xff" * (page * 9)  # b-tree pages overwritten
    database.write_bytes(bytes(data))
    with Library(tmp_path / "lib") as library:
        assert library.recovered
        library.refresh()
        assert len(library.documents()) == 40
        check = sqlite3.connect(database).execute("PRAGMA integrity_check").fetchone()[0]
        assert check == "ok"
