"""Faults: the process killed with SIGKILL while answering, and a long session of questions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil

from qa_desktop.gui.app_settings import data_dir

from gui.window_driver import ask

# A real qa-desktop window in its own process: type, wait for the autosave, start answering a
# long passage, then say "answering" on stdout so the test can kill it mid-answer.
CHILD = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from qa_desktop.gui.app import application
    from qa_desktop.gui.main_window import MainWindow

    app = application()
    window = MainWindow(model=sys.argv[1])
    window.show()

    def start():
        window.set_passage("Typed before the crash: 東京 😀. " + "The committee met again. " * 4000)
        window.question.setText("Who kept the minutes?")
        window.save_draft(wait=True)
        window.ask()
        print("answering", flush=True)

    window.modelLoaded.connect(lambda *_: QTimer.singleShot(0, start))
    app.exec()
""")


def test_sigkill_while_answering_loses_nothing(tiny_bert_model, make_window, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tiny_bert_model)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "answering", child.stderr.read()
        time.sleep(0.2)
        assert child.poll() is None, "the answer finished before the kill: make the passage longer"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert (data_dir() / "autosave" / "draft.json").exists()
    restarted = make_window()
    assert restarted.passage.toPlainText().startswith("Typed before the crash: 東京 😀. The committee")
    assert restarted.question.text() == "Who kept the minutes?"


def test_soak_500_questions_in_one_window(qtbot, make_window):
    """RSS after 500 questions stays within 10% of RSS after the first 50 (warm caches)."""
    window = make_window()
    process = psutil.Process()
    passage = " ".join(f"Clerk {i} kept the minutes of meeting {i} near the river." for i in range(40))
    questions = ["Who kept the minutes?", "Where was the meeting?", "Which meeting?", "What was kept?"]
    baseline = None
    for i in range(500):
        ask(qtbot, window, f"{questions[i % 4]} ({i})", passage if i == 0 else None)
        if i == 49:
            baseline = process.memory_info().rss
    grown = process.memory_info().rss / baseline - 1.0
    assert grown < 0.10, f"RSS grew {grown:.1%} over 450 questions"
