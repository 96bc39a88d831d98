"""qa_desktop.json: what the project knows about a model directory beyond the optimum layout."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

MANIFEST_NAME = "qa_desktop.json"


@dataclass
class ModelManifest:
    name: str
    languages: list[str] = field(default_factory=lambda: ["en"])
    max_seq_len: int = 384
    doc_stride: int = 128
    max_question_len: int = 64
    max_answer_len: int = 30
    can_abstain: bool = False  # trained with unanswerable questions, so the null score means something
    null_threshold: float = 0.0  # abstain when no_answer_score - best_score > threshold
    temperature: float = 1.0  # fitted on held-out data; turns scores into calibrated probabilities
    quantization: str | None = None  # None (fp32) or "int8"
    quantization_method: dict = field(default_factory=dict)  # int8's scheme and SmoothQuant settings
    source: str | None = None  # checkpoint it was exported from
    parity: dict = field(default_factory=dict)  # {"max_abs_logit_diff": ..., "inputs": n}
    eval: dict = field(default_factory=dict)  # held-out metrics, as `qa-desktop eval --json` prints
    calibration: dict = field(default_factory=dict)
    default: bool = False  # the model `qa-desktop` opens when none is named

    @classmethod
    def read(cls, directory: Path) -> "ModelManifest | None":
        path = Path(directory) / MANIFEST_NAME
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def write(self, directory: Path) -> Path:
        path = Path(directory) / MANIFEST_NAME
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
