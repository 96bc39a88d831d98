"""How the transformers question-answering pipeline picks its answer, on plain numpy logits.

This is the answer selection of `QuestionAnsweringPipeline.postprocess` as it stood in
transformers 5.2, the last release that has the pipeline (it was removed in 5.3):

1. per chunk (window), logits of tokens that cannot be in an answer (question, special tokens,
   padding; the CLS token is kept) are set to -10000 and a softmax is taken over the chunk alone;
2. CLS gets probability 0, every span start ≤ end < start + max_answer_len is scored
   P(start) × P(end), and the chunk's best `2·top_k + 10` spans are kept;
3. spans are widened to whole words (`align_to_words`), identical texts (case-insensitive) from
   different chunks have their scores added, and the best `top_k` over all chunks win.

Step 1 is why the pipeline's scores are not comparable across chunks: each chunk's probabilities
sum to 1 whether or not the answer is in it. qa-desktop scores spans by raw logits over the whole
passage instead, so the two can pick different answers on multi-window passages; the benchmark
uses this module both in its pipeline port (peer_pipeline) and to re-decode qa-desktop's own
logits the pipeline's way, which tells such differences apart from numerical ones.
numpy only: the qa-desktop worker imports it without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

MASKED_LOGIT = -10000.0


@dataclass(frozen=True)
class Chunk:
    """One window's logits as the pipeline's postprocess sees them (unpadded)."""

    start_logits: np.ndarray  # (seq,)
    end_logits: np.ndarray  # (seq,)
    answerable: np.ndarray  # (seq,) bool: passage tokens and the CLS token (the pipeline's 1 - p_mask)
    char_span: Callable[[int, int], tuple[int, int]]  # (start token, end token) → character span


@dataclass(frozen=True)
class PipelineAnswer:
    text: str
    start: int
    end: int
    score: float  # the pipeline's score: per-chunk P(start)·P(end), summed over chunks with the same text


def _softmax_masked(logits: np.ndarray, answerable: np.ndarray) -> np.ndarray:
    # float32 throughout, as the pipeline computes on the model's float32 output.
    x = np.where(answerable, logits.astype(np.float32), np.float32(MASKED_LOGIT)).astype(np.float32)
    x = np.exp(x - x.max())
    return x / x.sum()


def chunk_spans(chunk: Chunk, top_k: int, max_answer_len: int) -> list[tuple[int, int, float]]:
    """The chunk's best (start token, end token, score) spans, best first (decode_spans)."""
    start = _softmax_masked(chunk.start_logits, chunk.answerable)
    end = _softmax_masked(chunk.end_logits, chunk.answerable)
    start[0] = end[0] = 0.0  # the pipeline masks CLS after normalizing
    outer = np.outer(start, end)
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    flat = candidates.ravel()
    if top_k == 1:
        order = np.array([int(np.argmax(flat))])
    elif flat.size < top_k:
        order = np.argsort(-flat)
    else:
        part = np.argpartition(-flat, top_k)[:top_k]
        order = part[np.argsort(-flat[part])]
    starts, ends = np.unravel_index(order, candidates.shape)
    allowed = np.nonzero(chunk.answerable)[0]
    keep = np.isin(starts, allowed) & np.isin(ends, allowed)
    return [(int(s), int(e), float(candidates[s, e])) for s, e in zip(starts[keep], ends[keep])]


def select_answers(context: str, chunks: list[Chunk], top_k: int = 1,
                   max_answer_len: int = 15) -> list[PipelineAnswer]:
    """The pipeline's top_k answers over all chunks (handle_impossible_answer=False)."""
    pre_top_k = top_k * 2 + 10  # align_to_words may merge candidates, so the pipeline fetches more
    found: list[dict] = []
    for chunk in chunks:
        for s, e, score in chunk_spans(chunk, pre_top_k, max_answer_len):
            c0, c1 = chunk.char_span(s, e)
            text = context[c0:c1]
            same = next((a for a in found if a["text"].lower() == text.lower()), None)
            if same is not None:
                same["score"] += score
            else:
                found.append({"text": text, "start": c0, "end": c1, "score": score})
    found.sort(key=lambda a: a["score"], reverse=True)
    return [PipelineAnswer(a["text"], a["start"], a["end"], a["score"]) for a in found[:top_k]]


def word_bounds(offsets: np.ndarray, word_ids) -> tuple[np.ndarray, np.ndarray]:
    """First and last character of every word, from passage token offsets and word ids."""
    words = np.asarray(word_ids, dtype=np.int64)
    n = int(words.max()) + 1 if words.size else 0
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    np.minimum.at(first, words, offsets[:, 0])
    np.maximum.at(last, words, offsets[:, 1])
    return first, last


def chunks_from_prediction(prediction, offsets: np.ndarray, word_ids, cls_id: int | None) -> list[Chunk]:
    """qa-desktop's windows and logits (a Prediction) as pipeline chunks, so they can be decoded
    the pipeline's way. `offsets`/`word_ids` are the passage tokens' (TokenizedPassage)."""
    first_char, last_char = word_bounds(offsets, word_ids)
    words = np.asarray(word_ids, dtype=np.int64)
    chunks = []
    for w in prediction.windows:
        n = w.seq_len
        answerable = np.array([s == 1 for s in w.sequence_ids], dtype=bool)
        if cls_id is not None:
            answerable |= w.input_ids == cls_id

        def char_span(s: int, e: int, w=w) -> tuple[int, int]:
            js, je = w.token_at(s), w.token_at(e)
            if js is not None and je is not None:
                return int(first_char[words[js]]), int(last_char[words[je]])
            # Not a passage word (the CLS token): the pipeline falls back to token offsets, and
            # special tokens have the offsets (0, 0).
            c0 = int(offsets[js, 0]) if js is not None else 0
            c1 = int(offsets[je, 1]) if je is not None else 0
            return c0, c1

        chunks.append(Chunk(
            start_logits=np.asarray(prediction.start_logits[w.index, :n]),
            end_logits=np.asarray(prediction.end_logits[w.index, :n]),
            answerable=answerable,
            char_span=char_span,
        ))
    return chunks


def widen_to_words(start_token: int, end_token: int, offsets: np.ndarray, word_ids) -> tuple[int, int]:
    """A passage token span widened to whole words, as the pipeline's align_to_words does."""
    first_char, last_char = word_bounds(offsets, word_ids)
    return int(first_char[word_ids[start_token]]), int(last_char[word_ids[end_token]])
