"""qa_outputs as two directions in hidden space: a window's passage-token hidden vectors in 2-D
(PCA by numpy's SVD), with w_start and w_end projected into the same plane.

A token's start logit is its hidden vector's component along w_start (times |w_start|) plus
the bias, so tokens far along the w_start arrow are likely starts. The arrows show only the part
of each direction that lies in the plane; `start_in_plane` says how much of it that is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.head_decomposition import HeadWeights, HiddenStates
from qa_desktop.engine.results import Prediction


@dataclass(frozen=True)
class HeadProjection:
    window: int
    passage_tokens: np.ndarray  # (n,) indices into Prediction.tokens
    positions: np.ndarray  # (n,) positions in the window
    token_strings: tuple[str, ...]
    points: np.ndarray  # (n, 2) centred hidden vectors in the PCA basis
    basis: np.ndarray  # (2, hidden) orthonormal principal directions
    mean: np.ndarray  # (hidden,)
    explained_variance: np.ndarray  # (2,) fraction of the variance along each axis
    start_arrow: np.ndarray  # (2,) w_start in the basis (the in-plane part of the direction)
    end_arrow: np.ndarray
    start_in_plane: float  # |in-plane part| / |w_start|
    end_in_plane: float
    cosine: float  # cos(w_start, w_end) in the full hidden space
    start_prob: np.ndarray  # (n,) softmax of the window's start logits over its passage tokens
    end_prob: np.ndarray


def _softmax(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def project_window(prediction: Prediction, states: HiddenStates, weights: HeadWeights,
                   window: int) -> HeadProjection:
    row = states.row(window)
    w = prediction.windows[window]
    positions = np.arange(w.context_offset, w.context_offset + w.passage_token_end - w.passage_token_start)
    if positions.size < 2:
        raise InputError("A 2-D view needs at least two passage tokens in the window.")
    hidden = states.hidden[row, positions].astype(np.float64)
    mean = hidden.mean(axis=0)
    centred = hidden - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    basis = vt[:2]
    # A fixed sign per axis (the largest loading positive), so re-running gives the same picture.
    signs = np.sign(basis[np.arange(basis.shape[0]), np.abs(basis).argmax(axis=1)])
    basis = basis * np.where(signs == 0, 1, signs)[:, None]
    if basis.shape[0] < 2:
        basis = np.vstack([basis, np.zeros_like(basis[0])])
    variance = singular ** 2
    explained = variance[:2] / variance.sum() if variance.sum() > 0 else np.zeros(2)
    ws, we = weights.w_start.astype(np.float64), weights.w_end.astype(np.float64)
    start_arrow, end_arrow = basis @ ws, basis @ we
    return HeadProjection(
        window=window,
        passage_tokens=np.arange(w.passage_token_start, w.passage_token_end),
        positions=positions,
        token_strings=tuple(w.token_strings[p] for p in positions),
        points=centred @ basis.T,
        basis=basis,
        mean=mean,
        explained_variance=np.pad(explained, (0, 2 - explained.size)),
        start_arrow=start_arrow,
        end_arrow=end_arrow,
        start_in_plane=float(np.linalg.norm(start_arrow) / np.linalg.norm(ws)),
        end_in_plane=float(np.linalg.norm(end_arrow) / np.linalg.norm(we)),
        cosine=weights.cosine,
        start_prob=_softmax(states.start_logits[row, positions]),
        end_prob=_softmax(states.end_logits[row, positions]),
    )
