"""Do qa-desktop and a peer give the same answers? And where not, why not?

A question agrees when both pick the same character span, or spans whose texts are equal after
SQuAD normalization. Where they differ, the peer's own pipeline decodes qa-desktop's logits
(PipelinePeer.decode: its preprocess and postprocess, run on qa-desktop's numbers). When that
gives the peer's answer, the two models agree and only the decoding differs:

- global_scoring: the passage has several windows. qa-desktop compares raw span scores across
  all windows; the pipeline normalizes each window on its own (which lets a window without the
  answer win with a confident-looking wrong span), widens spans to whole words and adds up the
  scores of spans that then read the same.
- word_alignment: one window, so only the pipeline's word widening and score merging differ.
- other: the logits themselves differ enough to change the pick (int8 quantization, bf16,
  different kernels, different inputs). This includes the questions whose windows the pipeline
  cuts differently (other token ids), where qa-desktop's logits cannot be decoded its way;
  `not_redecoded` counts them.
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
    """"agree" or one of CLASSES. `peer["ours_decoded"]`: qa-desktop's logits decoded the peer's way."""
    if _same(ours, peer):
        return "agree"
    if _same(peer.get("ours_decoded"), peer):
        return "global_scoring" if ours.get("windows", 1) > 1 else "word_alignment"
    return "other"


def compare(ours_answers: list[dict], peer_answers: list[dict], questions: dict[str, dict]) -> dict:
    """Agreement of qa-desktop with one peer over the sample (matched by question id)."""
    peer_by_id = {a["id"]: a for a in peer_answers}
    counts = {"agree": 0, **{c: 0 for c in CLASSES}}
    same_span = not_redecoded = 0
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
        not_redecoded += kind != "agree" and peer.get("ours_decoded") is None
        if kind != "agree" and len(examples[kind]) < EXAMPLES_PER_CLASS:
            q = questions.get(ours["id"], {})
            examples[kind].append({
                "id": ours["id"], "question": q.get("question", ""),
                "ours": ours["answer"], "pipeline": peer["answer"],
                "ours_decoded_by_pipeline": (peer.get("ours_decoded") or {}).get("answer"),
                "windows": ours.get("windows", 1),
            })
    pct = (lambda k: 100.0 * k / n if n else None)
    return {
        "questions": n,
        "same_span": same_span,
        "agree": counts["agree"],
        "agreement_pct": pct(counts["agree"]),
        "differ": {c: counts[c] for c in CLASSES},
        "not_redecoded": not_redecoded,
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
