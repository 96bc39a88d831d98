"""The peer: the transformers question-answering pipeline on the reference PyTorch weights.

A user who does not use qa-desktop runs `pipeline("question-answering", model=..., tokenizer=...)`
in fp32 (the default), or under `torch.autocast(..., dtype=torch.bfloat16)` (the best-tuned
setting on a CPU with bf16 support). transformers removed that pipeline in 5.3; when the
installed transformers still has it, it is used as is, otherwise `PortedQuestionAnswering`
runs the same algorithm as 5.2's pipeline: fast-tokenizer overflow windows with `doc_stride`
overlap, one model call per chunk (or padded batches of `batch_size` chunks), and the
pipeline's own answer selection (pipeline_decoding). Model-forward time and window lengths are
recorded by forward hooks, so both paths report the same numbers.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa_desktop.benchmark.pipeline_decoding import Chunk, select_answers

PRECISIONS = ("fp32", "bf16")


@dataclass
class ForwardLog:
    """What the model's forward hooks saw: calls, time inside forward, rows and their lengths."""

    calls: int = 0
    seconds: float = 0.0
    lengths: list[int] = field(default_factory=list)
    _started: float = 0.0

    def reset(self) -> None:
        self.calls, self.seconds, self.lengths = 0, 0.0, []


def _pipeline_or_none(model, tokenizer, device):
    """transformers' own QuestionAnsweringPipeline, or None when this transformers has none."""
    try:
        from transformers import pipeline
        from transformers.pipelines import SUPPORTED_TASKS
    except ImportError:
        return None
    if "question-answering" not in SUPPORTED_TASKS:
        return None
    return pipeline("question-answering", model=model, tokenizer=tokenizer, device=device)


class PortedQuestionAnswering:
    """transformers 5.2's QuestionAnsweringPipeline, for transformers releases without it."""

    def __init__(self, model, tokenizer, device):
        self.model = model
        self.tokenizer = tokenizer
        self.device = device

    def __call__(self, question: str, context: str, top_k: int = 1, doc_stride: int = 128,
                 max_answer_len: int = 15, max_seq_len: int | None = None, batch_size: int = 1):
        import torch

        tok = self.tokenizer
        if max_seq_len is None:
            max_seq_len = min(tok.model_max_length, 384)
        question_first = tok.padding_side == "right"
        encoded = tok(
            text=question if question_first else context,
            text_pair=context if question_first else question,
            padding="do_not_pad",
            truncation="only_second" if question_first else "only_first",
            max_length=max_seq_len, stride=doc_stride,
            return_token_type_ids=True, return_overflowing_tokens=True,
            return_offsets_mapping=True, return_special_tokens_mask=True,
        )
        n = len(encoded["input_ids"])
        names = [k for k in tok.model_input_names if k in encoded]
        rows = []
        for i in range(n):
            seq_ids = encoded.sequence_ids(i)
            ids = np.asarray(encoded["input_ids"][i])
            answerable = np.array([s == 1 if question_first else True for s in seq_ids], dtype=bool)
            if tok.cls_token_id is not None:
                answerable |= ids == tok.cls_token_id
            rows.append((i, ids, answerable))
        start_logits: list[np.ndarray] = [None] * n  # type: ignore[list-item]
        end_logits: list[np.ndarray] = [None] * n  # type: ignore[list-item]
        with torch.no_grad():
            for begin in range(0, n, batch_size):
                batch = list(range(begin, min(n, begin + batch_size)))
                length = max(len(encoded["input_ids"][i]) for i in batch)
                feed = {}
                for name in names:
                    pad = tok.pad_token_id if name == "input_ids" else 0
                    values = np.full((len(batch), length), pad, dtype=np.int64)
                    for r, i in enumerate(batch):
                        seq = encoded[name][i]
                        if tok.padding_side == "left":
                            values[r, length - len(seq):] = seq
                        else:
                            values[r, : len(seq)] = seq
                    feed[name] = torch.from_numpy(values).to(self.device)
                out = self.model(**feed)
                s = out["start_logits"].float().cpu().numpy()
                e = out["end_logits"].float().cpu().numpy()
                for r, i in enumerate(batch):
                    k = len(encoded["input_ids"][i])
                    lo = length - k if tok.padding_side == "left" else 0
                    start_logits[i], end_logits[i] = s[r, lo:lo + k], e[r, lo:lo + k]
        sequence_index = 1 if question_first else 0
        chunks = []
        for i, ids, answerable in rows:
            enc = encoded.encodings[i]

            def char_span(s: int, e: int, enc=enc) -> tuple[int, int]:
                try:
                    c0 = enc.word_to_chars(enc.token_to_word(s), sequence_index=sequence_index)[0]
                    c1 = enc.word_to_chars(enc.token_to_word(e), sequence_index=sequence_index)[1]
                except Exception:  # noqa: BLE001 - as the pipeline: no word → token offsets
                    c0, c1 = enc.offsets[s][0], enc.offsets[e][1]
                return int(c0), int(c1)

            chunks.append(Chunk(start_logits[i], end_logits[i], answerable, char_span))
        answers = select_answers(context, chunks, top_k=top_k, max_answer_len=max_answer_len)
        result = [{"score": a.score, "start": a.start, "end": a.end, "answer": a.text} for a in answers]
        return result[0] if len(result) == 1 else result


class PipelinePeer:
    """The pipeline peer on `reference` weights, in fp32 or under bf16 autocast."""

    def __init__(self, reference: str | Path, tokenizer_source: str | Path | None = None,
                 precision: str = "fp32", threads: int | None = None, device: str = "cpu",
                 batch_size: int = 1, max_seq_len: int = 384, doc_stride: int = 128,
                 max_answer_len: int = 30, max_question_len: int = 64):
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        if threads:
            torch.set_num_threads(int(threads))
        self.precision = precision
        self.device = device
        self.batch_size = batch_size
        self.params = {"doc_stride": doc_stride, "max_answer_len": max_answer_len, "max_seq_len": max_seq_len}
        self.max_question_len = max_question_len
        self.tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_source or reference), use_fast=True)
        # The default attention implementation: what a user gets.
        self.model = AutoModelForQuestionAnswering.from_pretrained(str(reference)).to(device).eval()
        self.log = ForwardLog()
        self._hook_model(self.model)
        real = _pipeline_or_none(self.model, self.tokenizer, device)
        if real is not None:
            import transformers

            self.kind = f"transformers {transformers.__version__} QuestionAnsweringPipeline"
            self._pipe = real
        else:
            import transformers

            self.kind = (f"port of transformers 5.2 QuestionAnsweringPipeline (transformers "
                         f"{transformers.__version__} has none: removed in 5.3)")
            self._pipe = PortedQuestionAnswering(self.model, self.tokenizer, device)

    def _hook_model(self, model) -> None:
        import torch

        log = self.log

        def before(module, args, kwargs):
            mask = kwargs.get("attention_mask")
            if mask is not None:
                log.lengths.extend(int(x) for x in mask.sum(dim=-1).tolist())
            else:
                ids = kwargs.get("input_ids", args[0] if args else None)
                log.lengths.extend([int(ids.shape[-1])] * int(ids.shape[0]))
            if self.device.startswith("cuda"):
                torch.cuda.synchronize()
            log._started = time.perf_counter()

        def after(module, args, kwargs, output):
            if self.device.startswith("cuda"):
                torch.cuda.synchronize()
            log.seconds += time.perf_counter() - log._started
            log.calls += 1

        model.register_forward_pre_hook(before, with_kwargs=True)
        model.register_forward_hook(after, with_kwargs=True)

    def _autocast(self):
        import torch

        if self.precision == "bf16":
            return torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def answer(self, question: str, context: str) -> dict:
        """{"answer", "start", "end", "score"} for the best answer."""
        with self._autocast():
            result = self._pipe(question=question, context=context, top_k=1,
                                batch_size=self.batch_size, **self.params)
        if isinstance(result, list):
            result = result[0]
        return {"answer": result["answer"], "start": int(result["start"]), "end": int(result["end"]),
                "score": float(result["score"])}

    @property
    def feeds_token_type_ids(self) -> bool:
        """Whether the pipeline passes segment ids: it feeds only tokenizer.model_input_names."""
        return "token_type_ids" in self.tokenizer.model_input_names

    @property
    def model_uses_token_types(self) -> bool:
        return int(getattr(self.model.config, "type_vocab_size", 0) or 0) > 1

    def window_logits(self, question: str, context: str) -> tuple[np.ndarray, np.ndarray]:
        """Start/end logits of the first window on the inputs qa-desktop feeds (ids, mask and,
        when the model has segment embeddings, token types): a check of the weights alone."""
        import inspect

        import torch

        enc = self.tokenizer(question, context, truncation="only_second", return_token_type_ids=True,
                             max_length=self.params["max_seq_len"], return_tensors="pt")
        accepted = inspect.signature(self.model.forward).parameters
        wanted = ("input_ids", "attention_mask") + (("token_type_ids",) if self.model_uses_token_types else ())
        feed = {k: enc[k].to(self.device) for k in wanted if k in enc and k in accepted}
        with torch.no_grad(), self._autocast():
            out = self.model(**feed)
        return out["start_logits"][0].float().cpu().numpy(), out["end_logits"][0].float().cpu().numpy()
