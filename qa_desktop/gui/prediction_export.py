"""Writing a run out: the answers (JSON or CSV, the JSON with the explanations computed for the
run: qa_outputs decompositions and word occlusion) and the per-token probabilities (CSV).

Plain functions that run on a worker thread (a long passage's token table has a quarter of a
million rows). Errors writing the file become InputError with the reason in words.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from qa_desktop.engine.errors import Cancelled, InputError
from qa_desktop.engine.results import Prediction

TOP_DIMENSIONS = 8  # per logit: the largest pushes up and the largest pushes down

ANSWER_FIELDS = ("rank", "text", "start", "end", "score", "probability", "start_prob", "end_prob",
                 "window", "start_token", "end_token", "accepted")
TOKEN_FIELDS = ("index", "token", "text", "start", "end", "word", "window", "start_logit", "end_logit",
                "start_prob", "end_prob")


def answers_json(prediction: Prediction) -> dict:
    data = {"question": prediction.question}
    data.update(prediction.to_json())
    data["candidates"] = [
        {"rank": i + 1, "text": a.text, "start": a.start, "end": a.end, "score": round(a.score, 6),
         "probability": round(a.probability, 6), "start_prob": round(a.start_prob, 6),
         "end_prob": round(a.end_prob, 6), "window": a.window, "start_token": a.start_token,
         "end_token": a.end_token}
        for i, a in enumerate(prediction.candidates)
    ]
    return data


def _logit_json(d, which: str, w: np.ndarray) -> dict:
    start = which == "start"
    products = d.start_products if start else d.end_products
    order = d.order(which)
    picked = list(order[:TOP_DIMENSIONS]) + [int(i) for i in order[::-1][:TOP_DIMENSIONS] if i not in order[:TOP_DIMENSIONS]]
    out = {
        "sum": round(d.start_sum if start else d.end_sum, 6),
        "bias": round(d.b_start if start else d.b_end, 6),
        "model_logit": round(d.model_start_logit if start else d.model_end_logit, 6),
        "top_dimensions": [{"dim": int(i), "h": round(float(d.hidden[i]), 6), "w": round(float(w[i]), 6),
                            "product": round(float(products[i]), 6)} for i in picked],
    }
    int8 = d.quantized_start_sum if start else d.quantized_end_sum
    if int8 is not None:
        out["int8_sum"] = round(int8, 6)
    return out


def explanations_json(prediction: Prediction, head=None, occlusion=None) -> dict:
    """The explanations computed for `prediction` (gui.explain_operations.HeadExplanation and
    engine.occlusion.WordOcclusion; either may be None), as JSON."""
    data: dict = {}
    if head is not None:
        weights = head.weights
        data["qa_outputs"] = {
            "hidden_size": weights.hidden_size, "quantized": weights.quantized,
            "b_start": round(weights.b_start, 6), "b_end": round(weights.b_end, 6),
            "cosine_start_end": round(weights.cosine, 6),
            "tokens": [{
                "role": t.role, "passage_token": t.passage_token, "window": t.decomposition.window,
                "position": t.decomposition.position, "text": t.decomposition.token,
                "start": _logit_json(t.decomposition, "start", weights.w_start),
                "end": _logit_json(t.decomposition, "end", weights.w_end),
                "note": t.decomposition.difference_explained(),
            } for t in head.tokens],
            "projections": [{
                "window": p.window, "explained_variance": [round(float(v), 6) for v in p.explained_variance],
                "start_arrow": [round(float(v), 6) for v in p.start_arrow],
                "end_arrow": [round(float(v), 6) for v in p.end_arrow],
                "points": [{"passage_token": int(t), "x": round(float(x), 6), "y": round(float(y), 6),
                            "start_prob": round(float(sp), 8), "end_prob": round(float(ep), 8)}
                           for t, (x, y), sp, ep in zip(p.passage_tokens, p.points, p.start_prob, p.end_prob)],
            } for p in head.projections.values()],
        }
    if occlusion is not None:
        data["words"] = occlusion.to_json(prediction.question, prediction.passage)
    return data


def _write(path: Path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + f".{os.getpid()}.part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return path


def write_answers(prediction: Prediction, path: str | Path, explanations: dict | None = None) -> Path:
    """JSON or CSV by the suffix (.json / .csv). The JSON carries `explanations` (explanations_json)
    when some were computed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = answers_json(prediction)
        if explanations:
            data["explanations"] = explanations
        return _write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if suffix == ".csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(ANSWER_FIELDS)
        accepted = not prediction.abstained
        for i, a in enumerate(prediction.candidates):
            writer.writerow([i + 1, a.text, a.start, a.end, f"{a.score:.6f}", f"{a.probability:.6g}",
                             f"{a.start_prob:.6g}", f"{a.end_prob:.6g}", a.window, a.start_token,
                             a.end_token, int(accepted)])
        return _write(path, out.getvalue())
    raise InputError(f"Export answers as .json or .csv, not {suffix or 'a file without a suffix'}.")


def write_token_probabilities(prediction: Prediction, path: str | Path, cancelled=None) -> Path:
    path = Path(path)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TOKEN_FIELDS)
    passage, t = prediction.passage, prediction.tokens
    starts, ends, words, windows = (t.start.tolist(), t.end.tolist(), t.word.tolist(), t.window.tolist())
    for j in range(len(t)):
        if cancelled is not None and j % 10_000 == 0 and cancelled():
            raise Cancelled()
        writer.writerow([j, t.text[j], passage[starts[j]:ends[j]], starts[j], ends[j], words[j], windows[j],
                         f"{t.start_logit[j]:.6f}", f"{t.end_logit[j]:.6f}", f"{t.start_prob[j]:.6g}",
                         f"{t.end_prob[j]:.6g}"])
    return _write(path, out.getvalue())
