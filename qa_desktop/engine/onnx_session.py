"""An ONNX Runtime session on the best provider that really initializes, and batched runs.

CUDA is tried first when asked for (or on "auto" when onnxruntime lists it); a CUDA provider
that fails at session creation, or is silently dropped by ONNX Runtime, falls back to the CPU
and the reason is kept so the window and the CLI can say why.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.results import RuntimeInfo, Window

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
DEVICES = ("auto", "cpu", "cuda")


def physical_cores() -> int:
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        return os.cpu_count() or 1


def _session_options(threads: int | None, configure=None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # our own messages say what matters
    if configure is not None:
        configure(options)
    return options


def create_session(model_path: Path, device: str = "auto", threads: int | None = None, configure=None):
    """Returns (session, RuntimeInfo). `configure(options)`, when given, may change the
    onnxruntime.SessionOptions the app would use before the session is made."""
    import onnxruntime as ort

    if device not in DEVICES:
        raise ModelError(f"Unknown device {device!r}: use one of {', '.join(DEVICES)}.")
    available = ort.get_available_providers()
    reason = None
    want_cuda = device == "cuda" or (device == "auto" and CUDA in available)
    if device == "cuda" and CUDA not in available:
        want_cuda = False
        reason = ("CUDA was requested but this onnxruntime has no CUDA provider; running on the "
                  "CPU. Install onnxruntime-gpu (and CUDA/cuDNN) to use the GPU.")
    session = None
    if want_cuda:
        try:
            session = ort.InferenceSession(str(model_path), _session_options(threads, configure),
                                           providers=[CUDA, CPU])
            if CUDA not in session.get_providers():
                reason = ("The CUDA provider did not initialize (check the CUDA and cuDNN "
                          "libraries); running on the CPU.")
        except Exception as exc:  # noqa: BLE001 - any CUDA failure means: use the CPU
            reason = f"The CUDA provider failed to start ({_one_line(exc)}); running on the CPU."
            session = None
    if session is None:
        from qa_desktop.engine.int8_kernels import cpu_model_path

        try:
            # On x86 CPUs without VNNI, int8 weights as uint8: the same numbers, no saturation.
            session = ort.InferenceSession(str(cpu_model_path(model_path)),
                                           _session_options(threads, configure), providers=[CPU])
        except Exception as exc:  # noqa: BLE001 - a damaged file is the user's to fix
            raise ModelError(
                f"ONNX Runtime cannot load {model_path} ({_one_line(exc)}). The file may be "
                "truncated or not an ONNX model: export the model again with `qa-desktop export`."
            ) from None
    return session, RuntimeInfo(providers=tuple(session.get_providers()), requested=device,
                                fallback_reason=reason)


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def window_feed(input_names: list[str], batch: list[Window], length: int, pad_id: int) -> dict[str, np.ndarray]:
    """The graph's inputs for `batch`, right-padded to `length`."""
    ids = np.full((len(batch), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), length), dtype=np.int64)
    types = np.zeros((len(batch), length), dtype=np.int64)
    for row, w in enumerate(batch):
        ids[row, : w.seq_len] = w.input_ids
        mask[row, : w.seq_len] = 1
        if w.token_type_ids is not None:
            types[row, : w.seq_len] = w.token_type_ids
    available = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    # Feed only what the graph declares: XLM-R graphs have no token_type_ids.
    return {name: available[name] for name in input_names if name in available}


class OnnxReader:
    """Runs windows through a QA graph and returns start/end logits (windows, seq)."""

    def __init__(self, session, runtime: RuntimeInfo, pad_id: int = 0, batch_size: int = 8):
        self.session = session
        self.runtime = runtime
        self.pad_id = pad_id
        self.batch_size = batch_size
        self.input_names = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        if "start_logits" in outputs and "end_logits" in outputs:
            self._outputs = ["start_logits", "end_logits"]
        elif "logits" in outputs:
            self._outputs = ["logits"]
        else:
            raise ModelError(
                "This ONNX graph has no start_logits/end_logits outputs (it has "
                f"{', '.join(outputs) or 'none'}): it is not an extractive question-answering "
                "model. Export a question-answering checkpoint with `qa-desktop export`."
            )
        if "input_ids" not in self.input_names:
            raise ModelError("This ONNX graph has no input_ids input: it is not a text model.")

    def feed(self, batch: list[Window], length: int) -> dict[str, np.ndarray]:
        return window_feed(self.input_names, batch, length, self.pad_id)

    def batches(self, windows: list[Window]) -> list[list[int]]:
        """Window indices in the batches `run` reads them in: sorted by length (stable), so
        short windows are not padded to the longest. An int8 model quantizes activations per
        batch, so whoever re-reads a window and wants the same logits reads the same batch."""
        order = sorted(range(len(windows)), key=lambda i: windows[i].seq_len)
        return [order[b: b + self.batch_size] for b in range(0, len(order), self.batch_size)]

    def run(self, windows: list[Window], progress=None, cancelled=None) -> tuple[np.ndarray, np.ndarray]:
        """Logits (windows, max seq) with -inf past each window's end. Windows of similar
        length are batched together so short ones are not padded to the longest."""
        seq = max(w.seq_len for w in windows)
        start = np.full((len(windows), seq), -np.inf, dtype=np.float32)
        end = np.full((len(windows), seq), -np.inf, dtype=np.float32)
        done = 0
        for rows in self.batches(windows):
            if cancelled is not None and cancelled():
                from qa_desktop.engine.errors import Cancelled

                raise Cancelled()
            batch = [windows[i] for i in rows]
            length = max(w.seq_len for w in batch)
            try:
                outputs = self.session.run(self._outputs, self.feed(batch, length))
            except Exception as exc:  # noqa: BLE001 - e.g. token ids the embedding does not have
                raise ModelError(
                    f"ONNX Runtime failed on this input ({_one_line(exc)}). The tokenizer and the "
                    "model may not belong together: re-export the model with its own tokenizer."
                ) from None
            if len(outputs) == 1:
                s, e = outputs[0][..., 0], outputs[0][..., 1]
            else:
                s, e = outputs
            for k, i in enumerate(rows):
                n = windows[i].seq_len
                start[i, :n] = s[k, :n]
                end[i, :n] = e[k, :n]
            done += len(rows)
            if progress is not None:
                progress(done, len(windows))
        return start, end
