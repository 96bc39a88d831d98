"""A model directory as it lies on disk: checked, with clear messages for every way it can be wrong.

Accepted layout (what `optimum-cli export onnx --task question-answering` writes): model.onnx
(external data allowed), tokenizer.json (+ tokenizer_config.json / special_tokens_map.json), and
config.json; qa_desktop.json is read when present. Nothing is ever unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.model_manifest import ModelManifest

PICKLED_WEIGHTS = ("pytorch_model.bin", "model.pt", "model.pth", "tf_model.h5", "model.safetensors",
                   "pytorch_model.bin.index.json", "model.safetensors.index.json")


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path.name} in {path.parent} is not valid JSON ({exc}).") from None


@dataclass(frozen=True)
class ModelDirectory:
    path: Path
    onnx_path: Path
    manifest: ModelManifest
    config: dict
    tokenizer_config: dict
    special_tokens: dict

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def hidden_size(self) -> int:
        return int(self.config.get("hidden_size") or self.config.get("dim") or 0)

    def token(self, role: str) -> str | None:
        """The special token for a role ("pad", "cls", ...), from the tokenizer files."""
        for source in (self.special_tokens, self.tokenizer_config):
            value = source.get(f"{role}_token")
            if isinstance(value, dict):
                value = value.get("content")
            if value:
                return value
        return None

    @classmethod
    def open(cls, directory: str | Path) -> "ModelDirectory":
        path = Path(directory).expanduser()
        if not path.exists():
            raise ModelError(f"No model directory at {path}.")
        if not path.is_dir():
            raise ModelError(f"{path} is a file; choose the directory that holds model.onnx.")
        onnx_path = path / "model.onnx"
        if not onnx_path.exists():
            onnx_files = sorted(path.glob("*.onnx"))
            pickled = [name for name in PICKLED_WEIGHTS if (path / name).exists()]
            if len(onnx_files) == 1:
                onnx_path = onnx_files[0]
            elif pickled:
                raise ModelError(
                    f"{path} holds PyTorch/TensorFlow weights ({pickled[0]}), not an ONNX model; "
                    f"qa-desktop never loads pickled weights. Export it first: "
                    f"qa-desktop export {path} {path.name}-onnx --quantize int8"
                )
            else:
                raise ModelError(f"{path} has no model.onnx: it is not a qa-desktop model directory.")
        if onnx_path.stat().st_size == 0:
            raise ModelError(f"{onnx_path} is empty: export the model again with `qa-desktop export`.")
        if not (path / "tokenizer.json").exists():
            raise ModelError(
                f"{path} has no tokenizer.json. qa-desktop needs the fast tokenizer file: save it "
                "with `AutoTokenizer.from_pretrained(...).save_pretrained(DIR)` or re-export the model."
            )
        config = _read_json(path / "config.json")
        manifest = ModelManifest.read(path) or ModelManifest(name=path.name)
        return cls(
            path=path,
            onnx_path=onnx_path,
            manifest=manifest,
            config=config,
            tokenizer_config=_read_json(path / "tokenizer_config.json"),
            special_tokens=_read_json(path / "special_tokens_map.json"),
        )

    def load_tokenizer(self):
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - a broken file is the user's to replace
            raise ModelError(f"tokenizer.json in {self.path} cannot be read ({exc}).") from None
        vocab = tokenizer.get_vocab_size(with_added_tokens=True)
        rows = self.config.get("vocab_size")
        if rows and vocab > int(rows):
            raise ModelError(
                f"The tokenizer has {vocab} tokens but the model's embedding has {rows} rows: "
                "tokenizer.json belongs to another model. Copy the tokenizer the model was trained with."
            )
        return tokenizer

    def pad_id(self, tokenizer) -> int:
        pad = self.token("pad")
        if pad is not None and tokenizer.token_to_id(pad) is not None:
            return int(tokenizer.token_to_id(pad))
        return int(self.config.get("pad_token_id") or 0)
