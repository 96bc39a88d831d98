"""Writing a run out: the answers (JSON or CSV) and the per-token probabilities (CSV).

Plain functions that run on a worker thread (a long passage's token table has a quarter of a
million rows). Errors writing the file become InputError with the reason in words.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from qa_desktop.engine.errors import Cancelled, InputError
from qa_desktop.engine.results import Prediction

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


def write_answers(prediction: Prediction, path: str | Path) -> Path:
    """JSON or CSV by the suffix (.json / .csv)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _write(path, json.dumps(answers_json(prediction), indent=2, ensure_ascii=False) + "\n")
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
