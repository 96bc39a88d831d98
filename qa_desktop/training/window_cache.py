"""The training windows of a run, kept beside its checkpoints so a resume does not rebuild them.

Building SQuAD's ~114k windows (examples, hard negatives, tokenization) takes over a minute of
two cores, and a CPU run is resumed several times a day. The cache is valid only for the exact
inputs: the key hashes the data files (size and modification time), every argument that shapes
the windows, the tokenizer's files and the source of the modules that make examples and windows,
so changed code or data rebuilds. Stored as flat arrays (ids of all windows end to end, with
offsets), one .npz file.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Callable

import numpy as np

from qa_desktop.training import hard_negatives, squad_corpus, training_features
from qa_desktop.training.training_features import TrainingWindows

CACHE_NAME = "windows-cache.npz"
WINDOW_ARGS = ("max_seq_len", "doc_stride", "max_question_len", "unanswerable_fraction", "negatives",
               "max_examples_per_file", "seed")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def window_key(args, base: str | Path, extra_source: str = "") -> str:
    """What the windows depend on, as one hash."""
    digest = hashlib.sha256()
    settings = {name: getattr(args, name) for name in WINDOW_ARGS}
    data = [(str(Path(p).resolve()), Path(p).stat().st_size, Path(p).stat().st_mtime_ns) for p in args.data]
    digest.update(json.dumps({"settings": settings, "data": data, "base": str(base)}, sort_keys=True).encode())
    for name in TOKENIZER_FILES:
        path = Path(base) / name
        if path.is_file():
            digest.update(name.encode() + path.read_bytes())
    for module in (squad_corpus, hard_negatives, training_features):
        digest.update(inspect.getsource(module).encode())
    digest.update(extra_source.encode())
    return digest.hexdigest()


def _flat(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in rows])
    return (np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)), offsets


def _rows(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [flat[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]


def save(path: Path, key: str, windows: TrainingWindows, summary: dict) -> None:
    ids, offsets = _flat(windows.input_ids)
    arrays = {"key": np.array(key), "summary": np.array(json.dumps(summary)), "input_ids": ids,
              "offsets": offsets, "start_positions": windows.start_positions,
              "end_positions": windows.end_positions}
    if windows.token_type_ids is not None:
        arrays["token_type_ids"], _ = _flat(windows.token_type_ids)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a path
        np.savez(f, **arrays)
    tmp.replace(path)


def load(path: Path, key: str | None) -> tuple[TrainingWindows, dict] | None:
    """The cached windows when `path` holds the windows for `key` (any key when None); else None."""
    try:
        with np.load(path) as cached:
            if key is not None and str(cached["key"]) != key:
                return None
            offsets = cached["offsets"]
            types = _rows(cached["token_type_ids"], offsets) if "token_type_ids" in cached.files else None
            windows = TrainingWindows(_rows(cached["input_ids"], offsets), types,
                                      cached["start_positions"], cached["end_positions"])
            return windows, json.loads(str(cached["summary"]))
    except (OSError, ValueError, KeyError):
        return None


def stored_key(path: Path) -> str | None:
    """The key a windows file was saved under (None when it is not one)."""
    try:
        with np.load(path) as cached:
            return str(cached["key"])
    except (OSError, ValueError, KeyError):
        return None


def cached_windows(out: Path, key: str, build: Callable[[], tuple[TrainingWindows, dict]]
                   ) -> tuple[TrainingWindows, dict, bool]:
    """(windows, summary, came from the cache): built and saved when the cache does not match."""
    path = out / CACHE_NAME
    found = load(path, key)
    if found is not None:
        return (*found, True)
    windows, summary = build()
    save(path, key, windows, summary)
    return windows, summary, False
