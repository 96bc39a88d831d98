"""The library measurement script, on a tiny SQuAD-format corpus made here (and on the real
held-out data when ../shared has it)."""

from __future__ import annotations

from conftest import bundled_default_model, shared_file
from qa_desktop.benchmark.library_bench import main, quality, speed
from qa_desktop.engine.question_answerer import QuestionAnswerer


def _article(title, paragraphs):
    return {"title": title, "paragraphs": [
        {"context": context, "qas": [{"id": f"{title}-{i}", "question": q,
                                       "answers": [{"text": a, "answer_start": context.index(a)}]}]}
        for i, (context, q, a) in enumerate(paragraphs)]}


ARTICLES = [
    _article("Bridges", [
        ("The Golden Gate Bridge was designed by Joseph Strauss. It opened in 1937.",
         "Who designed the Golden Gate Bridge?", "Joseph Strauss"),
        ("The Brooklyn Bridge crosses the East River and was completed in 1883.",
         "When was the Brooklyn Bridge completed?", "1883")]),
    _article("Towers", [
        ("The Eiffel Tower in Paris is 330 metres tall and was built for the 1889 World's Fair.",
         "How tall is the Eiffel Tower?", "330 metres")]),
]


def test_quality_and_speed_on_a_tiny_corpus(tmp_path):
    answerer = QuestionAnswerer.load(bundled_default_model(), threads=1)
    articles = quality(ARTICLES, answerer, sample=10, per_paragraph=False, work=tmp_path / "a")
    assert articles["documents"] == 2 and articles["questions"] == 3
    assert articles["recall_at"][3] == 1.0 and articles["library_f1"] > 60
    paragraphs = quality(ARTICLES, answerer, sample=10, per_paragraph=True, work=tmp_path / "p")
    assert paragraphs["documents"] == 3
    timing = speed(ARTICLES, answerer, documents=3, questions=2, work=tmp_path / "s")
    assert timing["documents"] == 3 and timing["documents_per_second"] > 0 and timing["database_megabytes"] > 0


def test_on_the_held_out_squad_articles(capsys):
    data = shared_file("data", "squad-v1.1", "train-v1.1.json")
    assert main(["--data", str(data), "--sample", "3", "--skip", "speed", "--threads", "1"]) == 0
    assert '"library_f1"' in capsys.readouterr().out
