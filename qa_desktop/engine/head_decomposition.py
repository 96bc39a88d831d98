"""qa_outputs with the model's own numbers: a start logit is h · w_start + b_start.

For the windows of a prediction, a second ONNX Runtime session (on the explanation graph, which
also outputs the hidden states entering qa_outputs) re-reads exactly the batch each window was
read in, so the logits it returns are the prediction's. For any token the decomposition gives the
per-dimension products h_i · w_i, their sum plus the bias, and the model's logit. The normal
answer path is untouched: this session exists only once an explanation is asked for.

Int8 models (onnxruntime dynamic quantization) quantize the weights per column and the
activations at run time, one uint8 scale and zero point for the whole batch tensor. The sum
with the dequantized weights is then not the model's logit; the sum with the activations
quantized the same way is (`quantized_start_sum`), which is what the difference is made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa_desktop.engine.errors import Cancelled, InputError, ModelError
from qa_desktop.engine.head_graph import DYNAMIC_UINT8, HeadGraph
from qa_desktop.engine.head_model_cache import explanation_graph
from qa_desktop.engine.onnx_session import window_feed
from qa_desktop.engine.results import Prediction


@dataclass(frozen=True)
class HeadWeights:
    """qa_outputs = Linear(hidden, 2): row 0 gives start logits, row 1 end logits."""

    w_start: np.ndarray  # (hidden,) float32, dequantized when the model is int8
    w_end: np.ndarray
    b_start: float
    b_end: float
    quantized: bool  # int8 weights (dequantized here: (W_q - zero point) · scale, per column)
    activation_quantization: str  # head_graph.NO_ACTIVATION_QUANTIZATION / DYNAMIC_UINT8 / STATIC_QDQ
    weight_scale: np.ndarray | None = None  # (2,) int8 scales of the start and end columns

    @property
    def hidden_size(self) -> int:
        return int(self.w_start.shape[0])

    @property
    def cosine(self) -> float:
        """cos(w_start, w_end): how far apart the two directions are in hidden space."""
        a, b = self.w_start.astype(np.float64), self.w_end.astype(np.float64)
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    @classmethod
    def of(cls, head: HeadGraph) -> "HeadWeights":
        return cls(
            w_start=np.ascontiguousarray(head.weight[:, 0]), w_end=np.ascontiguousarray(head.weight[:, 1]),
            b_start=float(head.bias[0]), b_end=float(head.bias[1]), quantized=head.quantized_weight,
            activation_quantization=head.activation_quantization, weight_scale=head.weight_scale,
        )


@dataclass(frozen=True)
class HiddenStates:
    """The head's input for some windows of a prediction, read in the batches the prediction
    read them in. Row r belongs to prediction window `windows[r]`; positions past a window's
    length are NaN."""

    windows: tuple[int, ...]
    hidden: np.ndarray  # (len(windows), seq, hidden) float32
    start_logits: np.ndarray  # (len(windows), seq) the model's own logits from this run
    end_logits: np.ndarray
    seq_lens: np.ndarray  # (len(windows),)
    # Dynamic int8 only: the scale and zero point the head's MatMul quantized each row's batch
    # with (NaN for fp32 models).
    activation_scale: np.ndarray
    activation_zero_point: np.ndarray

    def row(self, window: int) -> int:
        try:
            return self.windows.index(window)
        except ValueError:
            raise InputError(f"Window {window} was not read for this explanation.") from None


@dataclass(frozen=True)
class TokenDecomposition:
    """start logit = Σ_i h_i · w_start,i + b_start (and the same for the end) for one token."""

    window: int
    position: int  # position in the window's input ids
    token: str
    passage_token: int | None  # index into Prediction.tokens, None for question/special tokens
    hidden: np.ndarray  # (hidden,) h
    start_products: np.ndarray  # (hidden,) h_i · w_start,i
    end_products: np.ndarray
    b_start: float
    b_end: float
    start_sum: float  # Σ start_products + b_start, in float64 (dequantized weights when int8)
    end_sum: float
    model_start_logit: float  # what the model itself output for this token
    model_end_logit: float
    # Int8 with dynamic activations: the same sum with h quantized as the head's MatMul
    # quantized it (uint8, one scale for the batch): equal to the model's logit up to float
    # rounding. None for fp32 models.
    quantized_start_sum: float | None = None
    quantized_end_sum: float | None = None
    # The same, as x86 CPUs without VNNI compute it: ONNX Runtime's AVX2 u8×s8 kernel adds the
    # products in pairs saturated to 16 bits, which can clip a few tokens' sums.
    saturated_start_sum: float | None = None
    saturated_end_sum: float | None = None

    def order(self, which: str = "start") -> np.ndarray:
        """Dimensions by contribution to the logit, largest positive first."""
        products = self.start_products if which == "start" else self.end_products
        return np.argsort(-products, kind="stable")

    def difference_explained(self) -> str:
        """One sentence on why the model's logit is or is not the exact sum."""
        gap = max(abs(self.model_start_logit - self.start_sum), abs(self.model_end_logit - self.end_sum))
        if self.quantized_start_sum is None:
            return (f"The sum equals the model's logits up to float rounding (largest difference {gap:.2e}).")
        rest = max(abs(self.model_start_logit - self.quantized_start_sum),
                   abs(self.model_end_logit - self.quantized_end_sum))
        text = (
            f"The model's int8 head quantizes h to uint8 at run time (one scale for the batch), so its "
            f"logits differ from the exact sum by up to {gap:.3g}; with h quantized the same way the "
            f"sum matches the model within {rest:.2e}."
        )
        if rest > 1e-4 and self.saturated_start_sum is not None:
            saturated = max(abs(self.model_start_logit - self.saturated_start_sum),
                            abs(self.model_end_logit - self.saturated_end_sum))
            if saturated < rest:
                text += (f" The rest is this CPU's int8 kernel adding products in 16-bit saturated pairs "
                         f"(AVX2 without VNNI): with that too, within {saturated:.2e}.")
        return text


def dynamic_quantization(values: np.ndarray) -> tuple[float, float]:
    """Scale and zero point of ONNX DynamicQuantizeLinear (uint8) over a whole tensor."""
    finite = values[np.isfinite(values)]
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = max(0.0, float(finite.max())) if finite.size else 0.0
    scale = np.float32((high - low) / 255.0)
    if scale == 0:
        return 1.0, 0.0
    zero = float(np.clip(np.rint(np.float32(-low) / scale), 0, 255))
    return float(scale), zero


def quantize_activations(hidden: np.ndarray, scale: float, zero: float) -> np.ndarray:
    """h as the int8 head sees it: uint8 codes round(h / scale) + zero, saturated."""
    return np.clip(np.rint(hidden.astype(np.float32) / np.float32(scale)) + zero, 0, 255)


def _int8_sums(codes: np.ndarray, zero: float, scale: float, head: HeadGraph) -> tuple[np.ndarray, np.ndarray]:
    """(exact integer sums, 16-bit pair-saturated sums) of the int8 head, as logits (2,)."""
    w_scale = head.weight_scale.astype(np.float64)
    w_zero = head.weight_zero_point.astype(np.float64)
    w_q = np.rint(head.weight / w_scale) + w_zero  # the stored int8 weights
    a = codes.astype(np.int64)[:, None]
    b = w_q.astype(np.int64)
    products = a * b
    exact = products.sum(axis=0)
    if products.shape[0] % 2:
        products = np.vstack([products, np.zeros((1, 2), np.int64)])
    pairs = np.clip(products[0::2] + products[1::2], -32768, 32767).sum(axis=0)
    # Remove the zero points: Σ (a - za)(b - zb) = Σ ab - za Σ b - zb Σ a + n za zb.
    correction = -zero * b.sum(axis=0) - w_zero * a.sum() + a.shape[0] * zero * w_zero
    factor = np.float32(scale) * w_scale
    return ((exact + correction) * factor + head.bias, (pairs + correction) * factor + head.bias)


class HeadExplainer:
    """Explanations of qa_outputs for one loaded QuestionAnswerer; its session opens lazily."""

    def __init__(self, answerer, cache_dir: Path | None = None):
        self.answerer = answerer
        self.cache_dir = cache_dir
        self._head: HeadGraph | None = None
        self._session = None
        self._graph_path: Path | None = None

    def _load(self) -> None:
        if self._session is not None:
            return
        from qa_desktop.engine.onnx_session import create_session

        path, head = explanation_graph(self.answerer.model.onnx_path, self.cache_dir)
        session, _ = create_session(path, device=self.answerer.runtime.requested)
        outputs = [o.name for o in session.get_outputs()]
        if "start_logits" in outputs and "end_logits" in outputs:
            self._outputs = [head.hidden_name, "start_logits", "end_logits"]
        else:
            self._outputs = [head.hidden_name, "logits"]
        self._inputs = [i.name for i in session.get_inputs()]
        self._head, self._session, self._graph_path = head, session, path

    @property
    def head(self) -> HeadGraph:
        self._load()
        return self._head

    @property
    def weights(self) -> HeadWeights:
        return HeadWeights.of(self.head)

    def hidden_states(self, prediction: Prediction, windows: Sequence[int] | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> HiddenStates:
        """The head's input for `windows` (default: the best answer's window, else window 0)."""
        self._load()
        if windows is None:
            windows = [prediction.best.window if prediction.best else 0]
        wanted = tuple(dict.fromkeys(int(w) for w in windows))
        if not wanted or not all(0 <= w < len(prediction.windows) for w in wanted):
            raise InputError(f"Window numbers must lie between 0 and {len(prediction.windows) - 1}.")
        reader = self.answerer.reader
        groups = [g for g in reader.batches(list(prediction.windows)) if set(g) & set(wanted)]
        seq = max(prediction.windows[w].seq_len for w in wanted)
        hidden = np.full((len(wanted), seq, self.head.hidden_size), np.nan, dtype=np.float32)
        start = np.full((len(wanted), seq), -np.inf, dtype=np.float32)
        end = np.full((len(wanted), seq), -np.inf, dtype=np.float32)
        scales = np.full(len(wanted), np.nan)
        zeros = np.full(len(wanted), np.nan)
        for done, group in enumerate(groups, 1):
            if cancelled is not None and cancelled():
                raise Cancelled()
            batch = [prediction.windows[i] for i in group]
            length = max(w.seq_len for w in batch)
            try:
                out = self._session.run(self._outputs, window_feed(self._inputs, batch, length, reader.pad_id))
            except Exception as exc:  # noqa: BLE001 - same failure modes as the answer path
                raise ModelError(f"ONNX Runtime failed on the explanation graph ({' '.join(str(exc).split())[:200]}).") from None
            h = out[0].reshape(len(batch), length, -1)
            s, e = (out[1], out[2]) if len(out) == 3 else (out[1][..., 0], out[1][..., 1])
            quant = dynamic_quantization(h) if self.head.activation_quantization == DYNAMIC_UINT8 else (np.nan, np.nan)
            for k, i in enumerate(group):
                if i in wanted:
                    r, n = wanted.index(i), batch[k].seq_len
                    hidden[r, :n], start[r, :n], end[r, :n] = h[k, :n], s[k, :n], e[k, :n]
                    scales[r], zeros[r] = quant
            if progress is not None:
                progress(done, len(groups))
        return HiddenStates(
            windows=wanted, hidden=hidden, start_logits=start, end_logits=end,
            seq_lens=np.asarray([prediction.windows[w].seq_len for w in wanted]),
            activation_scale=scales, activation_zero_point=zeros,
        )

    def decompose(self, prediction: Prediction, states: HiddenStates, window: int,
                  position: int) -> TokenDecomposition:
        """The decomposition of the token at `position` of prediction window `window`."""
        row = states.row(window)
        w = prediction.windows[window]
        if not 0 <= position < w.seq_len:
            raise InputError(f"Window {window} has {w.seq_len} tokens; position {position} is outside it.")
        weights = self.weights
        h = states.hidden[row, position].astype(np.float64)
        ws, we = weights.w_start.astype(np.float64), weights.w_end.astype(np.float64)
        start_products, end_products = h * ws, h * we
        quantized = saturated = (None, None)
        if np.isfinite(states.activation_scale[row]) and self.head.weight_scale is not None:
            codes = quantize_activations(states.hidden[row, position], states.activation_scale[row],
                                         states.activation_zero_point[row])
            exact_int, saturated_int = _int8_sums(codes, states.activation_zero_point[row],
                                                  states.activation_scale[row], self.head)
            quantized = (float(exact_int[0]), float(exact_int[1]))
            saturated = (float(saturated_int[0]), float(saturated_int[1]))
        passage_token = None
        if w.sequence_ids[position] == 1:
            passage_token = w.passage_token_start + position - w.context_offset
        return TokenDecomposition(
            window=window, position=position, token=w.token_strings[position], passage_token=passage_token,
            hidden=states.hidden[row, position].copy(),
            start_products=start_products, end_products=end_products,
            b_start=weights.b_start, b_end=weights.b_end,
            start_sum=float(start_products.sum() + weights.b_start),
            end_sum=float(end_products.sum() + weights.b_end),
            model_start_logit=float(states.start_logits[row, position]),
            model_end_logit=float(states.end_logits[row, position]),
            quantized_start_sum=quantized[0], quantized_end_sum=quantized[1],
            saturated_start_sum=saturated[0], saturated_end_sum=saturated[1],
        )

    def decompose_passage_token(self, prediction: Prediction, states: HiddenStates, token: int,
                                window: int | None = None) -> TokenDecomposition:
        """A passage token (index into Prediction.tokens), in `window` or the window its merged
        logits come from."""
        if not 0 <= token < len(prediction.tokens):
            raise InputError(f"Token {token} is not in the passage (it has {len(prediction.tokens)} tokens: "
                             f"0 to {len(prediction.tokens) - 1}).")
        w = prediction.windows[prediction.tokens[token].window if window is None else window]
        if not w.passage_token_start <= token < w.passage_token_end:
            raise InputError(f"Token {token} is not in window {w.index}.")
        return self.decompose(prediction, states, w.index, w.context_offset + token - w.passage_token_start)

    def explain_answer(self, prediction: Prediction, rank: int = 0) -> tuple[TokenDecomposition, TokenDecomposition]:
        """Decompositions of the start and end token of candidate `rank`, in its own window."""
        if rank >= len(prediction.candidates):
            raise InputError("There is no answer span to explain.")
        answer = prediction.candidates[rank]
        states = self.hidden_states(prediction, [answer.window])
        return (self.decompose_passage_token(prediction, states, answer.start_token, answer.window),
                self.decompose_passage_token(prediction, states, answer.end_token, answer.window))
