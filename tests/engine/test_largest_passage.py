"""The largest passage qa-desktop takes (MAX_PASSAGE_CHARS) answers with preselection, in a
process of its own so its peak RSS is measured alone."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import bundled_default_model

SCRIPT = textwrap.dedent('''
    import json, resource, sys
    from qa_desktop.engine.question_answerer import QuestionAnswerer, MAX_PASSAGE_CHARS
    fact = "The analytical engine program was composed by Ada Lovelace in 1843."
    unit = " ".join(f"Paragraph {i}: the committee met on day {i} and the minutes were kept by "
                    f"clerk number {i % 7}; nothing else happened." for i in range(200))
    half = (MAX_PASSAGE_CHARS - len(fact) - 2) // 2
    filler = (unit * (half // len(unit) + 1))[:half]
    passage = filler + " " + fact + " " + filler
    qa = QuestionAnswerer.load(sys.argv[1], device="cpu", threads=1, windows="auto")
    seen = []
    p = qa.answer("Who composed the analytical engine program?", passage,
                  progress=lambda done, total: seen.append([done, total]))
    at = passage.index(fact)
    print(json.dumps({
        "chars": len(passage), "limit": MAX_PASSAGE_CHARS, "total": p.selection.total,
        "read": len(p.selection.read), "progress": seen[-1],
        "fact_read": any(w.char_start <= at < w.char_end for w in p.windows),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
''')


def test_two_million_characters_answer_with_preselection_in_bounded_memory():
    if sys.platform == "win32":
        import pytest

        pytest.skip("ru_maxrss is POSIX")
    model = bundled_default_model()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(model)], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["chars"] <= out["limit"]
    assert out["chars"] > 0.99 * out["limit"]
    assert out["fact_read"]
    assert out["progress"][0] == out["progress"][1] == out["read"]
    assert out["read"] * 50 < out["total"]
    # Measured 479 MB on the bundled int8 model (414,821 tokens, 1,686 windows, 7 read) when
    # run alone, but 1,863 and 1,960 MB when run inside the whole suite on the same machine
    # (cause not found yet); the bound catches a real blow-up, such as keeping every window's
    # logits or hidden states, not the difference between the two.
    assert out["peak_rss_mb"] < 2500, out
