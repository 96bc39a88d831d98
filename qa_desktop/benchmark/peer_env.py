"""Which peers the peer python can run, and the two commands that make one that runs them all.

The peers run in `--peer-python` (default: this python). The transformers question-answering
pipeline was removed in transformers 5.3 and optimum-onnx 0.1 pins transformers < 4.58, so the
peers usually live in an environment of their own; `--system-site-packages` lends it this
environment's torch, numpy, onnxruntime and qa-desktop, and its own transformers shadows ours.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

PEER_ENV_DIR = ".bench-env"
PEER_ENV_COMMANDS = (
    f"python -m venv --system-site-packages {PEER_ENV_DIR}",
    f'{PEER_ENV_DIR}/bin/pip install -c .ci/constraints.txt "transformers<4.58" "optimum-onnx[onnxruntime]>=0.1"',
)
HOW_TO_GET_THEM = (f"make a peer environment with `{' && '.join(PEER_ENV_COMMANDS)}` and run the bench "
                   f"with --peer-python {PEER_ENV_DIR}/bin/python")

# Runs in the peer python: no import of the packages themselves (seconds each), only where they are.
_PROBE = """
import importlib.util as u, json, os
from importlib import metadata
def has(name):
    try:
        return u.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
spec = u.find_spec("transformers")
qa = None
if spec is not None:
    qa = any(os.path.isfile(os.path.join(d, "pipelines", "question_answering.py"))
             for d in spec.submodule_search_locations or ())
try:
    version = metadata.version("transformers")
except metadata.PackageNotFoundError:
    version = None
names = ("torch", "transformers", "onnxruntime", "optimum.onnxruntime")
print(json.dumps({"missing": [n for n in names if not has(n)], "transformers": version, "qa_pipeline": qa}))
"""


@dataclass(frozen=True)
class PeerAbilities:
    """Why the peer python cannot run each kind of peer (None: it can)."""

    python: str
    pipeline: str | None
    optimum: str | None

    def missing_line(self, wanted: tuple[str, ...] = ("pipeline", "optimum")) -> str | None:
        """One line naming what is missing of the `wanted` kinds and how to get it, or None."""
        names = {"pipeline": "the transformers pipeline", "optimum": "Optimum"}
        gone = [f"{names[kind]} ({getattr(self, kind)})" for kind in wanted if getattr(self, kind)]
        if not gone:
            return None
        return f"peers not measured: {'; '.join(gone)}. To measure them, {HOW_TO_GET_THEM}."


def probe(python: str) -> PeerAbilities:
    try:
        proc = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        why = f"cannot run {python}: {exc}"
        return PeerAbilities(python, why, why)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        why = f"{python} failed: {last}"
        return PeerAbilities(python, why, why)
    found = json.loads(proc.stdout.strip().splitlines()[-1])

    def lacking(*names: str) -> list[str]:
        return [n for n in names if n in found["missing"]]

    pipeline, optimum = None, None
    if lacking("torch", "transformers"):
        pipeline = f"{python} cannot import {', '.join(lacking('torch', 'transformers'))}"
    elif not found["qa_pipeline"]:
        pipeline = (f"{python} has transformers {found['transformers']}, which has no question-answering "
                    "pipeline: it was removed in 5.3")
    gone = lacking("optimum.onnxruntime", "transformers", "torch", "onnxruntime")
    if gone:
        optimum = f"{python} cannot import {', '.join(gone)}"
    return PeerAbilities(python, pipeline, optimum)
