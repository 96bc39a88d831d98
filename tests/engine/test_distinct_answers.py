"""`ask --top-k` lists different answers; `--overlapping` keeps every overlapping span."""

from __future__ import annotations

import json

from qa_desktop.cli import main

PASSAGE = ("The Forth Bridge is a cantilever railway bridge across the Firth of Forth. Construction began "
           "in 1882 and the bridge was opened on 4 March 1890 by the Prince of Wales. It was designed by "
           "Sir John Fowler and Sir Benjamin Baker, and about 4,600 workers built it.")


def _answers(capsys, model, *extra):
    assert main(["ask", "--model", str(model), "--question", "When was the Forth Bridge opened?",
                 "--context", PASSAGE, "--top-k", "6", "--threshold", "1000", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)["answers"]


def test_top_k_answers_do_not_overlap_and_overlapping_keeps_them(tiny_bert_model, capsys):
    folded = _answers(capsys, tiny_bert_model)
    assert len(folded) == 6
    for i, a in enumerate(folded):
        assert a["text"] == PASSAGE[a["start"]:a["end"]] and a["text"] == a["text"].strip(" ,.;:")
        for b in folded[i + 1:]:
            assert a["end"] <= b["start"] or b["end"] <= a["start"]
        for v in a.get("variants", []):
            assert v["start"] < a["end"] and a["start"] < v["end"] and v["probability"] <= a["probability"]
    assert [a["probability"] for a in folded] == sorted((a["probability"] for a in folded), reverse=True)
    overlapping = _answers(capsys, tiny_bert_model, "--overlapping")
    assert overlapping[0]["start"] == folded[0]["start"] and overlapping[0]["end"] == folded[0]["end"]
    assert any(a["start"] < b["end"] and b["start"] < a["end"]
               for i, a in enumerate(overlapping) for b in overlapping[i + 1:])
    assert all("variants" not in a for a in overlapping)
