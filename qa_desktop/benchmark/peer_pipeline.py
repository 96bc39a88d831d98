"""The peers: the transformers question-answering pipeline, as a user runs it, with its model timed.

`torch_peer` is `pipeline("question-answering", ...)` on the reference PyTorch weights, in fp32
(the default) or under `torch.autocast(..., dtype=torch.bfloat16)` (the best-tuned setting on a
CPU with bf16 support); optimum_peer puts the same pipeline over Optimum's ONNX Runtime model.
transformers removed this pipeline in 5.3, so the peers run in the peer python (peer_env).
The model's forward is wrapped to log its time and every window's length; `decode` hands
qa-desktop's own logits to the pipeline's postprocess, so the agreement check can tell a
difference in decoding from a difference in logits without a copy of the pipeline's code.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path

PRECISIONS = ("fp32", "bf16")


@dataclass
class ForwardLog:
    """What the model's forward saw since the last reset: time inside it, and each row's length."""

    seconds: float = 0.0
    lengths: list[int] = field(default_factory=list)

    def reset(self) -> None:
        self.seconds, self.lengths = 0.0, []


def load_tokenizer(source: str | Path, config):
    """The checkpoint's fast tokenizer. A checkpoint written by transformers 5 names its class
    `TokenizersBackend`, unknown to the peer's older transformers: then tokenizer.json is read as
    a plain fast tokenizer that feeds token types only where the model (`config`) has them."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    try:
        return AutoTokenizer.from_pretrained(str(source), use_fast=True)
    except ValueError:
        if not (Path(source) / "tokenizer.json").is_file():
            raise
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if _uses_token_types(config) else [])
    return PreTrainedTokenizerFast.from_pretrained(str(source), model_input_names=names)


def _uses_token_types(config) -> bool:
    return int(getattr(config, "type_vocab_size", 0) or 0) > 1


class PipelinePeer:
    """A transformers QuestionAnsweringPipeline, answering one question at a time, timed."""

    def __init__(self, pipe, kind: str, precision: str, settings: dict, device: str = "cpu",
                 batch_size: int = 1, details: dict | None = None):
        self.pipe, self.model, self.tokenizer = pipe, pipe.model, pipe.tokenizer
        self.kind, self.precision, self.device, self.batch_size = kind, precision, device, batch_size
        self.details = details or {}
        self.max_question_len = settings["max_question_len"]
        self.params = {k: settings[k] for k in ("doc_stride", "max_answer_len", "max_seq_len")}
        self.log = ForwardLog()
        self._time_forward()

    def _sync(self) -> None:
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()

    def _time_forward(self) -> None:
        forward, log = self.model.forward, self.log

        def timed(*args, **kwargs):
            mask = kwargs.get("attention_mask")
            if mask is not None:
                log.lengths.extend(int(x) for x in mask.sum(-1).tolist())
            else:
                ids = kwargs.get("input_ids", args[0] if args else None)
                log.lengths.extend([int(ids.shape[-1])] * int(ids.shape[0]))
            self._sync()
            started = time.perf_counter()
            out = forward(*args, **kwargs)
            self._sync()
            log.seconds += time.perf_counter() - started
            return out

        self.model.forward = timed  # torch modules and Optimum's models both call self.forward

    def _autocast(self):
        import torch

        if self.precision == "bf16":
            return torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def answer(self, question: str, context: str) -> dict:
        """{"answer", "start", "end", "score"} of the best answer."""
        self.log.reset()
        with self._autocast():
            result = self.pipe(question=question, context=context, top_k=1, batch_size=self.batch_size,
                               **self.params)
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
        return _uses_token_types(self.model.config)

    def window_logits(self, question: str, context: str):
        """Start/end logits of the first window on the inputs qa-desktop feeds (ids, mask and,
        when the model has segment embeddings, token types): a check of the weights alone."""
        import torch

        enc = self.tokenizer(question, context, truncation="only_second", return_token_type_ids=True,
                             max_length=self.params["max_seq_len"], return_tensors="pt")
        accepted = inspect.signature(type(self.model).forward).parameters
        wanted = ("input_ids", "attention_mask") + (("token_type_ids",) if self.model_uses_token_types else ())
        feed = {k: enc[k].to(self.device) for k in wanted if k in enc and k in accepted}
        with torch.no_grad(), self._autocast():
            out = self.model(**feed)
        return out["start_logits"][0].float().cpu().numpy(), out["end_logits"][0].float().cpu().numpy()

    def decode(self, question: str, context: str, windows: list[dict]) -> dict | None:
        """qa-desktop's logits (`windows`: its input_ids, start and end logits per window) put
        through this pipeline's own preprocess and postprocess: the answer the pipeline would give
        with qa-desktop's numbers. None when qa-desktop's windows are not the pipeline's chunks."""
        import torch

        example = self.pipe.create_sample(question=question, context=context)
        chunks = list(self.pipe.preprocess(example, doc_stride=self.params["doc_stride"],
                                           max_seq_len=self.params["max_seq_len"],
                                           max_question_len=self.max_question_len))
        if len(chunks) != len(windows) or any(c["input_ids"][0].tolist() != w["input_ids"]
                                              for c, w in zip(chunks, windows)):
            return None
        outputs = [{**c, "start": torch.tensor([w["start"]], dtype=torch.float32),
                    "end": torch.tensor([w["end"]], dtype=torch.float32)} for c, w in zip(chunks, windows)]
        best = self.pipe.postprocess(outputs, top_k=1, max_answer_len=self.params["max_answer_len"])
        if isinstance(best, list):
            if not best:
                return None
            best = best[0]
        return {"answer": best["answer"], "start": int(best["start"]), "end": int(best["end"])}


def torch_peer(reference: str | Path, settings: dict, tokenizer_source: str | Path | None = None,
               precision: str = "fp32", threads: int | None = None, device: str = "cpu",
               batch_size: int = 1) -> PipelinePeer:
    """The pipeline on the reference PyTorch weights, with the default attention: what a user gets."""
    import torch
    import transformers
    from transformers import AutoModelForQuestionAnswering, pipeline

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    if threads:
        torch.set_num_threads(int(threads))
    model = AutoModelForQuestionAnswering.from_pretrained(str(reference)).to(device).eval()
    tokenizer = load_tokenizer(tokenizer_source or reference, model.config)
    pipe = pipeline("question-answering", model=model, tokenizer=tokenizer, device=device)
    return PipelinePeer(pipe, f"transformers {transformers.__version__} {type(pipe).__name__}", precision,
                        settings, device=device, batch_size=batch_size,
                        details={"attention": getattr(model.config, "_attn_implementation", None)})
