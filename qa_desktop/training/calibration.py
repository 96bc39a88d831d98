"""Fit the softmax temperature and the abstention threshold on held-out questions.

Probabilities are the decoder's: one softmax over every valid span of the passage and "no
answer", at temperature T. T minimizes the log loss of the top choice's probability against
whether that choice is right (F1 = 1, or "no answer" for an unanswerable question), so the
number shown first in the window is calibrated; expected calibration error is measured on the
top choice before (T = 1) and after. The threshold maximizes SQuAD 2.0 F1 on the same set, among
the thresholds that cost answerable questions at most a given F1 (`fit_threshold`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.span_decoder import MergedLogits, SpanDecoder
from qa_desktop.engine.squad_metric import best_over_truths, f1


@dataclass
class CalibrationRecord:
    start_logits: np.ndarray  # merged, per passage token
    end_logits: np.ndarray
    null_score: float
    best_score: float  # raw score of the top span
    best_text: str
    gold: tuple[int, int] | None  # gold span as passage token indices, None: unanswerable
    answers: tuple[str, ...]


def record_from(question, prediction) -> CalibrationRecord | None:
    tokens = prediction.tokens
    if not tokens or prediction.best is None:
        return None
    gold = None
    if question.answers:
        c0 = question.answer_starts[0]
        c1 = c0 + len(question.answers[0])
        starts = [t.index for t in tokens if t.start <= c0 < t.end or (t.start >= c0 and t.start < c1)]
        ends = [t.index for t in tokens if t.start < c1 and t.end > c0]
        if not starts or not ends or ends[-1] - starts[0] + 1 > prediction.max_answer_len:
            return None  # gold span not in the decoder's search space: says nothing about T
        gold = (starts[0], ends[-1])
    return CalibrationRecord(
        start_logits=np.array([t.start_logit for t in tokens]),
        end_logits=np.array([t.end_logit for t in tokens]),
        null_score=prediction.no_answer_score, best_score=prediction.best.score,
        best_text=prediction.best.text, gold=gold, answers=question.answers,
    )


def _top_choice(decoder: SpanDecoder, r: CalibrationRecord, t: float) -> tuple[float, bool]:
    """(probability of the top choice — best span or no answer — and whether it is right)."""
    merged = MergedLogits(r.start_logits, r.end_logits, np.zeros(len(r.start_logits), dtype=np.int64))
    log_z = decoder.span_log_partition(merged, r.null_score, temperature=t)
    p_null = float(np.exp(r.null_score / t - log_z))
    p_best = float(np.exp(r.best_score / t - log_z))
    if p_null >= p_best:
        return p_null, r.gold is None
    right = r.gold is not None and best_over_truths(f1, r.best_text, list(r.answers)) == 1.0
    return min(p_best, 1.0), right


def expected_calibration_error(decoder: SpanDecoder, records: list[CalibrationRecord], t: float,
                               bins: int = 10) -> float:
    pairs = np.array([_top_choice(decoder, r, t) for r in records], dtype=np.float64)
    confidence, correct = pairs[:, 0], pairs[:, 1]
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def fit_temperature(decoder: SpanDecoder, records: list[CalibrationRecord]) -> float:
    """The temperature whose top-choice probability (what the window shows first) best
    predicts whether that choice is right: minimal log loss of (confidence, correct).
    The span-level likelihood of the exact gold span is not used: it punishes mass on near-miss
    spans ("the museum" vs "museum") that the official metric counts as right."""
    def log_loss(t: float) -> float:
        pairs = np.array([_top_choice(decoder, r, t) for r in records], dtype=np.float64)
        p = np.clip(pairs[:, 0], 1e-6, 1 - 1e-6)
        y = pairs[:, 1]
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 41))
    losses = [log_loss(t) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fine = np.linspace(lo, hi, 11)
    return float(fine[int(np.argmin([log_loss(t) for t in fine]))])


def _decision_inputs(records: list[CalibrationRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record: null - best score, the best span's F1, and whether the question is answerable."""
    diffs = np.array([r.null_score - r.best_score for r in records])
    span_f1 = np.array([best_over_truths(f1, r.best_text, list(r.answers)) for r in records])
    return diffs, span_f1, np.array([r.gold is not None for r in records])


def fit_threshold(records: list[CalibrationRecord], max_answerable_cost: float | None = None
                  ) -> tuple[float, float]:
    """The threshold maximizing mean F1 (abstain when null - best > threshold), and that F1.

    With `max_answerable_cost` (F1 points), only thresholds that lose at most that much F1 on the
    answerable questions are considered: the calibration set holds one unanswerable for every two
    answerable questions, far more than users ask, so its unconstrained best over-abstains."""
    diffs, span_f1, answerable = _decision_inputs(records)
    null_f1 = np.where(answerable, 0.0, 1.0)
    full_answerable_f1 = float(np.mean(span_f1[answerable])) if answerable.any() else 0.0
    candidates = np.concatenate([[-np.inf], np.sort(diffs)])
    best_threshold, best_f1 = float("inf"), float(np.mean(span_f1))
    for threshold in candidates:
        abstain = diffs > threshold
        if max_answerable_cost is not None and answerable.any():
            kept = float(np.mean(np.where(abstain[answerable], 0.0, span_f1[answerable])))
            if 100.0 * (full_answerable_f1 - kept) > max_answerable_cost:
                continue
        score = float(np.mean(np.where(abstain, null_f1, span_f1)))
        if score > best_f1:
            best_threshold, best_f1 = float(threshold), score
    if np.isinf(best_threshold):
        best_threshold = float(diffs.max()) + 1.0
    elif best_threshold != float(diffs.max()):
        # Midway to the next observed difference: the boundary itself is not special.
        above = diffs[diffs > best_threshold]
        best_threshold = float((best_threshold + above.min()) / 2) if above.size else best_threshold
    return best_threshold, 100.0 * best_f1


def abstention_at(records: list[CalibrationRecord], threshold: float) -> dict:
    """What a threshold does on these records: answerable F1 lost, unanswerables abstained on."""
    diffs, span_f1, answerable = _decision_inputs(records)
    abstain = diffs > threshold
    cost = 100.0 * float(np.mean(np.where(abstain[answerable], span_f1[answerable], 0.0))) if answerable.any() else 0.0
    rate = 100.0 * float(np.mean(abstain[~answerable])) if (~answerable).any() else 0.0
    return {"answerable_f1_cost": round(cost, 2), "unanswerables_abstained_percent": round(rate, 1)}
