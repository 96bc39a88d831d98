"""Do qa-desktop and the pipeline give the same answers? And where not, why not?

A question agrees when both pick the same character span, or spans whose texts are equal after
SQuAD normalization. A disagreement is put in the first class that explains it:

- word_alignment: qa-desktop's span widened to whole words is the pipeline's answer, or (one
  window) decoding qa-desktop's own logits the pipeline's way gives it. The pipeline widens
  every span to whole words and adds up the scores of spans that then read the same;
  qa-desktop keeps token boundaries and ranks spans by their own score.
- global_scoring: the passage has several windows and decoding qa-desktop's own logits the
  pipeline's way (softmax per window, see pipeline_decoding) gives the pipeline's answer. The
  models agree; the answer differs only because qa-desktop compares raw span scores across all
  windows, while the pipeline normalizes each window on its own (which lets a window without
  the answer win with a confident-looking wrong span).
- other: the logits themselves differ enough to change the pick (int8 quantization, bf16,
  different kernels, different inputs).
"""

from __future__ import annotations

from qa_desktop.engine.squad_metric import best_over_truths, exact_match, f1, normalize_answer

CLASSES = ("global_scoring", "word_alignment", "other")
EXAMPLES_PER_CLASS = 5


def _same(a: dict | None, b: dict | None) -> bool:
    if not a or not b:
        return False
    if (a["start"], a["end"]) == (b["start"], b["end"]):
        return True
    return normalize_answer(a["answer"]) == normalize_answer(b["answer"])


def classify(ours: dict, peer: dict) -> str:
    """"agree" or one of CLASSES."""
    if _same(ours, peer):
        return "agree"
    if _same(ours.get("words"), peer):
        return "word_alignment"
    if _same(ours.get("per_chunk"), peer):
        return "global_scoring" if ours.get("windows", 1) > 1 else "word_alignment"
    return "other"


def compare(ours_answers: list[dict], peer_answers: list[dict], questions: dict[str, dict]) -> dict:
    """Agreement of qa-desktop with one peer over the sample (matched by question id)."""
    peer_by_id = {a["id"]: a for a in peer_answers}
    counts = {"agree": 0, **{c: 0 for c in CLASSES}}
    same_span = 0
    examples: dict[str, list] = {c: [] for c in CLASSES}
    n = 0
    for ours in ours_answers:
        peer = peer_by_id.get(ours["id"])
        if peer is None:
            continue
        n += 1
        same_span += (ours["start"], ours["end"]) == (peer["start"], peer["end"])
        kind = classify(ours, peer)
        counts[kind] += 1
        if kind != "agree" and len(examples[kind]) < EXAMPLES_PER_CLASS:
            q = questions.get(ours["id"], {})
            examples[kind].append({
                "id": ours["id"], "question": q.get("question", ""),
                "ours": ours["answer"], "pipeline": peer["answer"],
                "ours_decoded_per_window": (ours.get("per_chunk") or {}).get("answer"),
                "windows": ours.get("windows", 1),
            })
    pct = (lambda k: 100.0 * k / n if n else None)
    return {
        "questions": n,
        "same_span": same_span,
        "agree": counts["agree"],
        "agreement_pct": pct(counts["agree"]),
        "differ": {c: counts[c] for c in CLASSES},
        # The bar: answers agree, differences from global scoring shown and set apart.
        "agreement_or_global_scoring_pct": pct(counts["agree"] + counts["global_scoring"]),
        "examples": {c: v for c, v in examples.items() if v},
    }


def accuracy(answers: list[dict], questions: dict[str, dict], unit: str = "words") -> dict | None:
    """SQuAD EM/F1 against the gold answers, where the sample has them."""
    em, f = [], []
    for a in answers:
        gold = questions.get(a["id"], {}).get("answers") or []
        if gold:
            em.append(best_over_truths(exact_match, a["answer"], list(gold)))
            f.append(best_over_truths(f1, a["answer"], list(gold), unit=unit))
    if not em:
        return None
    return {"questions": len(em), "f1_unit": unit, "exact_match": 100.0 * sum(em) / len(em), "f1": 100.0 * sum(f) / len(f)}
