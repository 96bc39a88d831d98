"""Floating-point operations of one forward pass of a BERT-family encoder + QA head.

Counted from config.json, multiply-add = 2 FLOPs, matrix products only (layer norms, softmax,
GELU and the embedding lookup are a few percent at these sizes and are left out):

    per layer:  Q, K, V and output projections  4 · 2·S·H²
                attention scores and mixing     2 · 2·S²·H
                feed-forward up and down        2 · 2·S·H·I
    QA head:    2·S·H·2
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EncoderShape:
    layers: int
    hidden: int
    intermediate: int

    @classmethod
    def from_config(cls, config: dict) -> "EncoderShape":
        hidden = int(config.get("hidden_size") or config.get("dim") or 0)
        layers = int(config.get("num_hidden_layers") or config.get("n_layers") or 0)
        intermediate = int(config.get("intermediate_size") or config.get("hidden_dim") or 4 * hidden)
        if not hidden or not layers:
            raise ValueError("config.json has no hidden_size/num_hidden_layers: cannot count FLOPs")
        return cls(layers=layers, hidden=hidden, intermediate=intermediate)

    def flops(self, seq_len: int) -> float:
        s, h, i = float(seq_len), float(self.hidden), float(self.intermediate)
        per_layer = 8 * s * h * h + 4 * s * s * h + 4 * s * h * i
        return self.layers * per_layer + 4 * s * h

    def total_flops(self, lengths: list[int]) -> float:
        return float(sum(self.flops(n) for n in lengths))
