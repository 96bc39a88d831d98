"""A question about the whole library: BM25 finds passages, the one QuestionAnswerer reads them.

1. FTS5's BM25 picks the `passages` best-matching passages across every document.
2. Passages of one document that touch or overlap are read as one range, so an answer on
   their border is whole; each range is document text [start, end).
3. Each range is tokenized and cut into windows by the answerer's own WindowedFeatures, its
   windows go through the answerer's OnnxReader, and it is decoded by a SpanDecoder configured
   exactly as QuestionAnswerer.answer configures it: there is no second answering path. Ranges
   are run one at a time, not batched together: the int8 model quantizes activations per
   batch, so a window's logits would depend on which other passages shared its batch; alone,
   every range gets exactly the scores asking about its text alone gives (and on a CPU,
   batching windows saves no time: see README, batch size).
4. Answers from every range are ranked together by the engine's raw span score (start logit +
   end logit), which the engine already compares across windows; offsets are moved from the
   range to the document, so `text == document_text[start:end]`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.library.library_index import LibraryIndex, PassageHit
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.span_decoder import SpanDecoder

DEFAULT_PASSAGES = 8  # passages read per question (see measure.py for recall at this depth)


@dataclass(frozen=True)
class LibraryAnswer:
    document: str  # the document's path
    start: int  # character offsets into the document's text (end exclusive)
    end: int
    text: str  # == document_text[start:end]
    score: float  # raw start + end logit: comparable across every window read
    probability: float  # calibrated, within the range it was read from
    no_answer_score: float  # of the range it was read from
    abstained: bool  # the range's no-answer score beats this span by more than the threshold
    passage_rank: int  # 1 = the range holding the passage BM25 ranked first

    def to_json(self) -> dict:
        return {"document": self.document, "start": self.start, "end": self.end, "text": self.text,
                "score": round(self.score, 6), "probability": round(self.probability, 6),
                "abstained": self.abstained, "passage_rank": self.passage_rank}


@dataclass(frozen=True)
class ReadRange:
    """Document characters [start, end) read as one passage."""

    document_id: int
    document: str
    start: int
    end: int
    rank: int  # best BM25 rank among the passages it joins


@dataclass(frozen=True)
class LibraryPrediction:
    question: str
    answers: tuple[LibraryAnswer, ...]  # best first, at most top_k
    ranges: tuple[ReadRange, ...]
    windows: int
    model: str
    search_ms: float
    read_ms: float  # tokenize + model + decode

    def to_json(self) -> dict:
        return {"question": self.question, "answers": [a.to_json() for a in self.answers],
                "passages_read": len(self.ranges), "windows": self.windows, "model": self.model,
                "timings_ms": {"search": round(self.search_ms, 3), "read": round(self.read_ms, 3)}}


def reading_ranges(hits: list[PassageHit]) -> list[ReadRange]:
    """Hits of one document that overlap or touch become one range; ranges keep BM25 order."""
    by_document: dict[int, list[tuple[int, int, int, str]]] = {}
    for rank, hit in enumerate(hits, 1):
        by_document.setdefault(hit.document_id, []).append((hit.start, hit.end, rank, hit.path))
    ranges = []
    for document_id, spans in by_document.items():
        spans.sort()
        start, end, rank, path = spans[0]
        for s, e, r, _ in spans[1:]:
            if s <= end + 2:  # overlapping, or only the blank line between paragraphs apart
                end, rank = max(end, e), min(rank, r)
            else:
                ranges.append(ReadRange(document_id, path, start, end, rank))
                start, end, rank = s, e, r
        ranges.append(ReadRange(document_id, path, start, end, rank))
    return sorted(ranges, key=lambda r: r.rank)


def find_passages(index: LibraryIndex, question: str, passages: int = DEFAULT_PASSAGES) -> list[ReadRange]:
    if not question or not question.strip():
        raise InputError("The question is empty. Type a question.")
    if passages < 1:
        raise InputError("The number of passages to read must be at least 1.")
    if index.document_count() == 0:
        raise InputError("The library has no documents yet. Add files or folders first "
                         "(qa-desktop library add PATH).")
    return reading_ranges(index.search(question, passages))


def decoder_for(answerer: QuestionAnswerer, top_k: int) -> SpanDecoder:
    """The decoder QuestionAnswerer.answer builds, with the same manifest settings."""
    m = answerer.model.manifest
    return SpanDecoder(max_answer_len=m.max_answer_len, top_k=top_k, temperature=m.temperature,
                       null_index=0 if answerer.features.template.prefix else None)


def ask_library(index: LibraryIndex, answerer: QuestionAnswerer, question: str, top_k: int = 5,
                passages: int = DEFAULT_PASSAGES, ranges: list[ReadRange] | None = None,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> LibraryPrediction:
    """`ranges` from find_passages may be passed in (the model was chosen by their text)."""
    if not question or not question.strip():
        raise InputError("The question is empty. Type a question.")
    if top_k < 1:
        raise InputError("--top-k must be at least 1.")
    t0 = time.perf_counter()
    if ranges is None:
        ranges = find_passages(index, question, passages)
    t1 = time.perf_counter()
    m = answerer.model.manifest
    if not ranges:
        return LibraryPrediction(question, (), (), 0, answerer.name, (t1 - t0) * 1e3, 0.0)
    read = []
    for r in ranges:
        tokens = answerer.features.tokenize_passage(index.text_range(r.document_id, r.start, r.end))
        if len(tokens):
            read.append((r, tokens, answerer.features.build(question.strip(), tokens)))
    total = sum(len(windows) for _, _, windows in read)
    decoder = decoder_for(answerer, top_k)
    found: list[LibraryAnswer] = []
    done = 0
    for r, tokens, windows in read:
        start_logits, end_logits = answerer.reader.run(windows, cancelled=cancelled)
        done += len(windows)
        if progress is not None:
            progress(done, total)
        decoded = decoder.decode(tokens, windows, start_logits, end_logits)
        for a in decoded.candidates:
            abstained = m.can_abstain and decoded.no_answer_score - a.score > m.null_threshold
            found.append(LibraryAnswer(
                document=r.document, start=r.start + a.start, end=r.start + a.end, text=a.text,
                score=a.score, probability=a.probability, no_answer_score=decoded.no_answer_score,
                abstained=bool(abstained), passage_rank=r.rank))
    found.sort(key=lambda a: (-a.score, a.passage_rank, a.start))
    t2 = time.perf_counter()
    return LibraryPrediction(question, tuple(found[:top_k]), tuple(ranges), total, answerer.name,
                             (t1 - t0) * 1e3, (t2 - t1) * 1e3)
