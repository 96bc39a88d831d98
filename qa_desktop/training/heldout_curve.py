"""The held-out curve a run is stopped on: F1 of the PyTorch model being trained, measured at
each checkpoint on a fixed sample of held-out answerable questions.

This is a quick training-time signal (best span per question, the same windows as training, no
abstention); the numbers a model card states come from `qa-desktop eval` on the exported model.
"""

from __future__ import annotations

import numpy as np
import torch

from qa_desktop.engine.answer_edges import trimmed
from qa_desktop.engine.squad_metric import best_over_truths, default_f1_unit, f1
from qa_desktop.training.squad_corpus import QAExample


def best_spans(start: np.ndarray, end: np.ndarray, passage: np.ndarray, max_answer_len: int = 30):
    """(score, start, end) of the best passage span of one window."""
    s = np.where(passage, start, -np.inf)
    e = np.where(passage, end, -np.inf)
    scores = s[:, None] + e[None, :]
    n = len(s)
    allowed = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), max_answer_len)
    scores = np.where(allowed, scores, -np.inf)
    flat = int(np.argmax(scores))
    return float(scores.flat[flat]), flat // n, flat % n


@torch.no_grad()
def heldout_f1(model, tokenizer, examples: list[QAExample], device: torch.device,
               autocast_dtype: torch.dtype | None = None, max_seq_len: int = 384,
               doc_stride: int = 128, batch_size: int = 32, unit: str | None = None) -> float:
    """Mean F1 (0-100) of the model's best span over all windows of each answerable example, in
    `unit`, or (None) in each example's own: characters for Japanese, Korean, Chinese, Thai."""
    was_training = model.training
    model.eval()
    enc = tokenizer([ex.question.strip() for ex in examples], [ex.context for ex in examples],
                    truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True)
    best: dict[int, tuple[float, str]] = {}
    order = np.argsort([len(ids) for ids in enc["input_ids"]])
    pad = tokenizer.pad_token_id or 0
    for begin in range(0, len(order), batch_size):
        rows = order[begin:begin + batch_size]
        length = max(len(enc["input_ids"][i]) for i in rows)
        ids = np.full((len(rows), length), pad, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for r, i in enumerate(rows):
            n = len(enc["input_ids"][i])
            ids[r, :n], mask[r, :n] = enc["input_ids"][i], 1
            if "token_type_ids" in enc:
                types[r, :n] = enc["token_type_ids"][i]
        inputs = {"input_ids": torch.from_numpy(ids).to(device), "attention_mask": torch.from_numpy(mask).to(device)}
        if "token_type_ids" in enc:
            inputs["token_type_ids"] = torch.from_numpy(types).to(device)
        with torch.autocast(device.type, dtype=autocast_dtype or torch.float32,
                            enabled=autocast_dtype is not None):
            out = model(**inputs)
        starts = out.start_logits.float().cpu().numpy()
        ends = out.end_logits.float().cpu().numpy()
        for r, i in enumerate(rows):
            n = len(enc["input_ids"][i])
            passage = np.array([s == 1 for s in enc.sequence_ids(int(i))])
            score, s, e = best_spans(starts[r, :n], ends[r, :n], passage)
            sample = enc["overflow_to_sample_mapping"][i]
            offsets = enc["offset_mapping"][i]
            context = examples[sample].context
            # The characters the app would show: without edge punctuation or a glued particle.
            c0, c1 = trimmed(context, offsets[s][0], offsets[e][1])
            text = context[c0:c1]
            if sample not in best or score > best[sample][0]:
                best[sample] = (score, text)
    if was_training:
        model.train()
    scores = [best_over_truths(f1, best[k][1], list(ex.answer_texts), unit=unit or default_f1_unit([ex.context]))
              for k, ex in enumerate(examples) if k in best]
    return 100.0 * float(np.mean(scores))
