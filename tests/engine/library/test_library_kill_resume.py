"""A process killed with SIGKILL while indexing leaves a consistent database; the next run resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from qa_desktop.engine.library.library_paths import DATABASE_NAME
from qa_desktop.engine.library.library_sync import Library

FILES = 40

# The child indexes slowly: each passage's index form waits inside the document's transaction,
# so the kill lands while a document is half written.
CHILD = textwrap.dedent("""
    import sys, time
    from qa_desktop.engine.library import library_index
    from qa_desktop.engine.library.library_sync import Library

    real = library_index.index_form
    def slow(text):
        time.sleep(0.02)
        return real(text)
    library_index.index_form = slow
    library = Library(sys.argv[1])
    library.add([sys.argv[2]], progress=lambda done, total: print(done, flush=True))
    print("finished", flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
def test_sigkill_during_indexing_then_resume(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(FILES):
        paragraphs = [f"Document {i} paragraph {p}: " + "lorem ipsum dolor " * 50 for p in range(6)]
        (docs / f"doc{i:03d}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "lib"), str(docs)],
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    done = 0
    for line in child.stdout:
        done = int(line)
        if done >= 3:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL and 3 <= done < FILES

    database = tmp_path / "lib" / DATABASE_NAME
    raw = sqlite3.connect(database)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.execute("INSERT INTO passage_search(passage_search) VALUES ('integrity-check')")
    # Whole documents only: every indexed document has all its passages, each in the FTS index.
    for doc_id, text in raw.execute("SELECT id, text FROM documents"):
        passages = raw.execute("SELECT count(*) FROM passages WHERE document_id=?", (doc_id,)).fetchone()[0]
        assert passages == 6 and text.count("\n\n") == 5
    orphans = raw.execute("SELECT count(*) FROM passages WHERE document_id NOT IN (SELECT id FROM documents)")
    assert orphans.fetchone()[0] == 0
    indexed_before = raw.execute("SELECT count(*) FROM documents").fetchone()[0]
    raw.close()
    assert done <= indexed_before < FILES

    with Library(tmp_path / "lib") as library:
        assert library.recovered is None
        report = library.refresh()
        assert report.unchanged == indexed_before and len(report.indexed) == FILES - indexed_before
        assert len(library.documents()) == FILES
        hits = library.index.search("Document 39 paragraph", 50)
        assert hits[0].path == str(docs / "doc039.txt")
