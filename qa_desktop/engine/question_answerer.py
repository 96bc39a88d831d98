"""One loaded model answering questions about passages: windows → ONNX Runtime → spans.

The passage's tokenization is kept between calls, so asking many questions about one
document tokenizes it once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.model_directory import ModelDirectory
from qa_desktop.engine.onnx_session import OnnxReader, create_session
from qa_desktop.engine.results import Prediction, Timings
from qa_desktop.engine.span_decoder import SpanDecoder
from qa_desktop.engine.window_preselection import WindowPreselector, windows_to_read
from qa_desktop.engine.windowed_features import TokenizedPassage, WindowedFeatures

MAX_PASSAGE_CHARS = 2_000_000


class QuestionAnswerer:
    def __init__(self, model: ModelDirectory, device: str = "auto", threads: int | None = None,
                 batch_size: int = 4, max_seq_len: int | None = None, doc_stride: int | None = None,
                 max_question_len: int | None = None, max_passage_chars: int = MAX_PASSAGE_CHARS,
                 configure_session: Callable | None = None, windows: str = "all"):
        """`configure_session(options)` may change the onnxruntime.SessionOptions before the
        session is made (the benchmark's lever sweep); the defaults are the app's.
        `windows`: "all" reads every window; "auto" reads, in long passages, only the windows
        that best match the question lexically (window_preselection)."""
        self.model = model
        m = model.manifest
        tokenizer = model.load_tokenizer()
        self.features = WindowedFeatures(
            tokenizer,
            max_seq_len=max_seq_len or m.max_seq_len,
            doc_stride=doc_stride if doc_stride is not None else m.doc_stride,
            max_question_len=max_question_len or m.max_question_len,
        )
        session, runtime = create_session(model.onnx_path, device=device, threads=threads,
                                          configure=configure_session)
        self.reader = OnnxReader(session, runtime, pad_id=model.pad_id(tokenizer), batch_size=batch_size)
        self.max_passage_chars = max_passage_chars
        self._passage: TokenizedPassage | None = None
        self.preselector = WindowPreselector(windows)

    @classmethod
    def load(cls, directory: str | Path, **options) -> "QuestionAnswerer":
        return cls(ModelDirectory.open(directory), **options)

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def runtime(self):
        return self.reader.runtime

    def tokenized(self, passage: str) -> TokenizedPassage:
        if self._passage is None or self._passage.text != passage:
            self._passage = self.features.tokenize_passage(passage)
        return self._passage

    def forget_passage(self) -> None:
        """Drop the kept tokenization: the next question tokenizes its passage again (a cold
        measurement in the benchmark)."""
        self._passage = None
        self.preselector.forget()

    def language_warning(self, passage: str) -> str | None:
        """Said when this model does not read the passage's script (language_coverage)."""
        from qa_desktop.engine.language_coverage import coverage_warning
        from qa_desktop.engine.model_store import multilingual_model

        languages = self.model.manifest.languages
        if coverage_warning(self.name, languages, passage, None) is None:
            return None
        other = multilingual_model()
        return coverage_warning(self.name, languages, passage, other.name if other else None)

    def check_inputs(self, question: str, passage: str) -> None:
        if not passage or not passage.strip():
            raise InputError("The passage is empty. Paste a passage or open a file.")
        if not question or not question.strip():
            raise InputError("The question is empty. Type a question.")
        if len(passage) > self.max_passage_chars:
            raise InputError(
                f"The passage has {len(passage):,} characters; qa-desktop reads at most "
                f"{self.max_passage_chars:,} at once. Split the document and ask about one part."
            )

    def answer(self, question: str, passage: str, top_k: int = 5, threshold: float | None = None,
               max_answer_len: int | None = None, progress=None, cancelled=None,
               overlapping: bool = False, windows_mode: str | None = None) -> Prediction:
        """`progress(done, total)` is called as windows are read; `cancelled()` returning True
        stops the work with errors.Cancelled. `overlapping` lists overlapping spans as answers
        of their own instead of folding them into the better one."""
        self.check_inputs(question, passage)
        m = self.model.manifest
        t0 = time.perf_counter()
        tokens = self.tokenized(passage)
        windows = self.features.build(question.strip(), tokens)
        # Long passages under "auto": only the windows that can hold the answer (BM25).
        selection = self.preselector.select(question, tokens, windows, windows_mode)
        windows = windows_to_read(windows, selection)
        t1 = time.perf_counter()
        start_logits, end_logits = self.reader.run(windows, progress=progress, cancelled=cancelled)
        t2 = time.perf_counter()
        decoder = SpanDecoder(
            max_answer_len=max_answer_len or m.max_answer_len, top_k=top_k, temperature=m.temperature,
            null_index=0 if self.features.template.prefix else None, fold_overlapping=not overlapping,
        )
        decoded = decoder.decode(tokens, windows, start_logits, end_logits)
        t3 = time.perf_counter()
        warnings = []
        if self.runtime.fallback_reason:
            warnings.append(self.runtime.fallback_reason)
        warnings.extend(w for w in (self.features.fit_question(question.strip()).note,
                                    self.language_warning(passage)) if w)
        unjudged = Prediction(
            question=question,
            passage=passage,
            candidates=decoded.candidates,
            no_answer_score=decoded.no_answer_score,
            no_answer_probability=decoded.no_answer_probability,
            threshold=m.null_threshold,
            can_abstain=m.can_abstain,
            tokens=decoded.tokens,
            windows=tuple(windows),
            start_logits=start_logits,
            end_logits=end_logits,
            timings=Timings((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3),
            runtime=self.runtime,
            model=self.name,
            hidden_size=self.model.hidden_size,
            max_answer_len=decoder.max_answer_len,
            temperature=m.temperature,
            warnings=tuple(warnings),
            selection=selection,
        )
        return unjudged.judged(threshold, m)
