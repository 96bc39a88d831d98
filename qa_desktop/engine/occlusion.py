"""Which words moved the answer: occlusion over the words of the answer's window.

Each question word and each passage word of the window is replaced, in turn, by the tokenizer's
mask token (one mask per piece, so every other token keeps its position), the masked windows
are read in batches by the model's own session, and the drop of the answer span's score
(start logit + end logit at the answer's tokens) is recorded. A large drop: the answer leaned
on that word. Costs one extra window per word plus the unmasked one (`OcclusionPlan.extra_windows`).

Words are the tokenizer's words (its word ids), never a split on spaces. In Han, Kana and Thai
text a tokenizer "word" can be a whole clause, so there each piece is its own unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from qa_desktop.engine.errors import InputError, ModelError
from qa_desktop.engine.results import Prediction, Window

QUESTION, PASSAGE = 0, 1


def _unspaced_script(char: str) -> bool:
    """Han, Kana, Thai: scripts written without spaces between words (Hangul has spaces)."""
    code = ord(char)
    return (0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0x0E00 <= code <= 0x0E7F or 0x20000 <= code <= 0x2FFFF)


def word_units(word_ids: list[int | None], offsets: np.ndarray, text: str) -> list[list[int]]:
    """Token indices grouped into the units to mask: the tokenizer's words, pieces of unspaced scripts."""
    units: list[list[int]] = []
    previous = object()
    for i, word in enumerate(word_ids):
        if word is None or word != previous or not units:
            units.append([i])
        else:
            units[-1].append(i)
        previous = word
    split: list[list[int]] = []
    for unit in units:
        chars = text[int(offsets[unit[0], 0]): int(offsets[unit[-1], 1])]
        if len(unit) > 1 and any(_unspaced_script(c) for c in chars):
            split.extend([i] for i in unit)
        else:
            split.append(unit)
    return [u for u in split if int(offsets[u[-1], 1]) > int(offsets[u[0], 0])]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the spaces some tokenizers count into a piece ("▁간단한" → "간단한")."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass(frozen=True)
class OcclusionPlan:
    """What occlusion will mask, known before anything runs."""

    window: int
    answer_rank: int
    start_position: int  # the answer's first and last token in the window
    end_position: int
    mask_token: str
    mask_id: int
    side: np.ndarray  # (n,) QUESTION or PASSAGE
    char_start: np.ndarray  # (n,) into the question (side QUESTION) or the passage (side PASSAGE)
    char_end: np.ndarray
    texts: tuple[str, ...]
    positions: tuple[np.ndarray, ...]  # window positions each unit masks

    @property
    def extra_windows(self) -> int:
        """Windows to read: one per word, and the unmasked window once."""
        return len(self.texts) + 1


@dataclass(frozen=True)
class WordOcclusion:
    """Per word: how much masking it lowered the answer's score (negative: raised it)."""

    plan: OcclusionPlan
    base_score: float  # the answer's start + end logit, unmasked, in this run
    scores: np.ndarray  # (n,) the score with the word masked
    drop: np.ndarray  # (n,) base_score - scores

    @property
    def side(self) -> np.ndarray:
        return self.plan.side

    @property
    def texts(self) -> tuple[str, ...]:
        return self.plan.texts

    def ranked(self) -> np.ndarray:
        """Word indices by drop, largest first (stable on ties)."""
        return np.argsort(-self.drop, kind="stable")

    def to_json(self, question: str, passage: str) -> dict:
        p = self.plan
        return {
            "window": p.window, "mask_token": p.mask_token, "base_score": round(self.base_score, 6),
            "extra_windows": p.extra_windows,
            "words": [
                {"side": "question" if p.side[i] == QUESTION else "passage", "text": p.texts[i],
                 "start": int(p.char_start[i]), "end": int(p.char_end[i]),
                 "drop": round(float(self.drop[i]), 6)}
                for i in self.ranked()
            ],
        }


def _mask(answerer) -> tuple[str, int]:
    tokenizer = answerer.features.tokenizer
    candidates = [answerer.model.token("mask"), "[MASK]", "<mask>", answerer.model.token("unk"), "[UNK]", "<unk>"]
    for token in candidates:
        if token and tokenizer.token_to_id(token) is not None:
            return token, int(tokenizer.token_to_id(token))
    raise ModelError("This model's tokenizer has neither a mask nor an unknown token to hide words with.")


def plan_occlusion(answerer, prediction: Prediction, rank: int = 0) -> OcclusionPlan:
    """The words of candidate `rank`'s window to mask, and the window count it will cost."""
    if rank >= len(prediction.candidates):
        raise InputError("There is no answer span to explain.")
    answer = prediction.candidates[rank]
    window = prediction.windows[answer.window]
    mask_token, mask_id = _mask(answerer)
    question = prediction.question.strip()
    lead = len(prediction.question) - len(prediction.question.lstrip())
    encoding = answerer.features.tokenizer.encode(question, add_special_tokens=False)
    q_positions = [i for i, s in enumerate(window.sequence_ids) if s == 0]
    if list(encoding.ids) != [int(window.input_ids[i]) for i in q_positions]:
        raise ModelError("The question's tokens in the window differ from a fresh tokenization of it.")
    q_offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    sides, starts, ends, texts, positions = [], [], [], [], []
    for unit in word_units(list(encoding.word_ids), q_offsets, question):
        c0, c1 = _trimmed(question, int(q_offsets[unit[0], 0]), int(q_offsets[unit[-1], 1]))
        if c1 <= c0:  # a piece that is only a space
            continue
        sides.append(QUESTION)
        starts.append(c0 + lead)
        ends.append(c1 + lead)
        texts.append(question[c0:c1])
        positions.append(np.asarray([q_positions[i] for i in unit], dtype=np.int64))
    first = window.passage_token_start
    last = window.passage_token_end
    tokens = prediction.tokens  # numpy columns, one row per passage token
    p_offsets = np.stack([tokens.start[first:last], tokens.end[first:last]], axis=1).astype(np.int64)
    for unit in word_units([int(w) for w in tokens.word[first:last]], p_offsets, prediction.passage):
        c0, c1 = _trimmed(prediction.passage, int(p_offsets[unit[0], 0]), int(p_offsets[unit[-1], 1]))
        if c1 <= c0:  # a piece that is only a space
            continue
        sides.append(PASSAGE)
        starts.append(c0)
        ends.append(c1)
        texts.append(prediction.passage[c0:c1])
        positions.append(np.asarray([window.context_offset + i for i in unit], dtype=np.int64))
    return OcclusionPlan(
        window=answer.window, answer_rank=rank,
        start_position=window.context_offset + answer.start_token - first,
        end_position=window.context_offset + answer.end_token - first,
        mask_token=mask_token, mask_id=mask_id,
        side=np.asarray(sides, dtype=np.int8), char_start=np.asarray(starts, dtype=np.int64),
        char_end=np.asarray(ends, dtype=np.int64), texts=tuple(texts), positions=tuple(positions),
    )


def _masked(window: Window, positions: np.ndarray, mask_id: int) -> Window:
    ids = window.input_ids.copy()
    ids[positions] = mask_id
    return replace(window, input_ids=ids)


def run_occlusion(answerer, prediction: Prediction, plan: OcclusionPlan,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None, batch_size: int | None = None) -> WordOcclusion:
    """Reads the unmasked window and every masked one through the answerer's own session;
    `progress(done, total)` counts windows, `cancelled()` stops with errors.Cancelled.

    Int8 models quantize activations with one scale per batch tensor, so a window's logits
    depend on what it is batched with (by up to ~0.8 in a span score, measured on the bundled
    model): they are read one window at a time unless `batch_size` says otherwise. fp32 models
    are read in the answer path's batches."""
    from qa_desktop.engine.onnx_session import OnnxReader

    if batch_size is None:
        batch_size = 1 if answerer.model.manifest.quantization else answerer.reader.batch_size
    shared = answerer.reader
    # A reader of its own over the same session: the answer path's settings stay untouched.
    reader = OnnxReader(shared.session, shared.runtime, pad_id=shared.pad_id, batch_size=max(1, batch_size))
    window = prediction.windows[plan.window]
    variants = [window] + [_masked(window, p, plan.mask_id) for p in plan.positions]
    start, end = reader.run(variants, progress=progress, cancelled=cancelled)
    scores = start[:, plan.start_position].astype(np.float64) + end[:, plan.end_position]
    return WordOcclusion(plan=plan, base_score=float(scores[0]), scores=scores[1:], drop=scores[0] - scores[1:])
