"""Answer every question of a SQuAD-format file and score it as the official scripts do."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.squad_metric import best_over_truths, default_f1_unit, exact_match, f1


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    context: str
    answers: tuple[str, ...]  # empty: unanswerable (SQuAD 2.0)
    answer_starts: tuple[int, ...]
    title: str = ""


@dataclass(frozen=True)
class EvalReport:
    exact_match: float
    f1: float
    total: int
    f1_unit: str
    threshold: float | None
    model: str
    provider: str
    seconds: float
    HasAns_exact: float | None = None
    HasAns_f1: float | None = None
    HasAns_total: int = 0
    NoAns_exact: float | None = None
    NoAns_f1: float | None = None
    NoAns_total: int = 0
    # Questions the model could not read (an InputError for that one question): recorded as
    # unanswered (scored against their answers) and counted, instead of ending the run.
    unreadable: int = 0
    unreadable_reason: str | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def read_questions(path: str | Path, limit: int | None = None) -> list[SquadQuestion]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except FileNotFoundError:
        raise InputError(f"No data file at {path}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise InputError(f"{path} is not a SQuAD-format JSON file (with a top-level \"data\" list).") from None
    questions = []
    for a, article in enumerate(data):
        title = str(article.get("title", f"article {a}"))
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [a for a in qa.get("answers", []) if a.get("text")]
                if qa.get("is_impossible"):
                    answers = []
                questions.append(SquadQuestion(
                    id=str(qa["id"]), question=qa["question"], context=paragraph["context"],
                    answers=tuple(a["text"] for a in answers),
                    answer_starts=tuple(int(a.get("answer_start", -1)) for a in answers),
                    title=title,
                ))
                if limit is not None and len(questions) >= limit:
                    return questions
    return questions


def _mean(values: list[float]) -> float | None:
    return 100.0 * sum(values) / len(values) if values else None


def evaluate(answerer, questions: list[SquadQuestion], threshold: float | None = None,
             f1_unit: str | None = None, progress: Callable[[int, int], None] | None = None,
             record: Callable | None = None) -> tuple[EvalReport, dict[str, str]]:
    """Returns the report and the official predictions ({id: text}, "" when abstaining).
    `record(question, prediction)` sees every prediction (used to fit calibration)."""
    if not questions:
        raise InputError("The data file has no questions.")
    unit = f1_unit or default_f1_unit([q.context for q in questions[:200]])
    predictions: dict[str, str] = {}
    ems: dict[bool, list[float]] = {True: [], False: []}
    f1s: dict[bool, list[float]] = {True: [], False: []}
    started = time.perf_counter()
    provider = ""
    unreadable, unreadable_reason = 0, None
    for i, q in enumerate(questions):
        try:
            prediction = answerer.answer(q.question, q.context, top_k=1, threshold=threshold)
        except InputError as exc:
            unreadable += 1
            unreadable_reason = unreadable_reason or f"{q.id}: {exc}"
            prediction = None
        if prediction is not None:
            provider = prediction.provider
        text = prediction.answers[0].text if prediction is not None and prediction.answers else ""
        predictions[q.id] = text
        has_answer = bool(q.answers)
        ems[has_answer].append(best_over_truths(exact_match, text, list(q.answers)))
        f1s[has_answer].append(best_over_truths(f1, text, list(q.answers), unit=unit))
        if record is not None and prediction is not None:
            record(q, prediction)
        if progress is not None:
            progress(i + 1, len(questions))
    all_em = ems[True] + ems[False]
    all_f1 = f1s[True] + f1s[False]
    both = bool(ems[True]) and bool(ems[False])
    report = EvalReport(
        exact_match=_mean(all_em), f1=_mean(all_f1), total=len(all_em), f1_unit=unit,
        threshold=threshold if threshold is not None else getattr(answerer.model.manifest, "null_threshold", None),
        model=answerer.name, provider=provider, seconds=time.perf_counter() - started,
        HasAns_exact=_mean(ems[True]) if both else None, HasAns_f1=_mean(f1s[True]) if both else None,
        HasAns_total=len(ems[True]) if both else 0,
        NoAns_exact=_mean(ems[False]) if ems[False] else None, NoAns_f1=_mean(f1s[False]) if ems[False] else None,
        NoAns_total=len(ems[False]), unreadable=unreadable, unreadable_reason=unreadable_reason,
    )
    return report, predictions
