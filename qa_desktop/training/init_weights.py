"""Start a QA model from a base encoder plus partial weights (e.g. ../shared's warm start).

The warm start stores every trained tensor except a frozen word-embedding table, which stays the
base's; so loading is non-strict, and anything missing other than the embedding table is an error
(a mismatched base would otherwise train silently from random weights).

    python -m qa_desktop.training.init_weights BASE_DIR WEIGHTS.safetensors OUT_DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path


def load_partial_weights(model, weights: Path | list[Path]) -> list[str]:
    """Load `weights` (one file, or the chunks of one state dict) into `model`; returns the keys
    the files did not have."""
    from safetensors.torch import load_file

    files = weights if isinstance(weights, list) else [weights]
    state = {k: v.float() for path in files for k, v in load_file(str(path)).items()}
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("word_embeddings.weight")]
    if missing or result.unexpected_keys:
        raise SystemExit(f"{weights} does not fit this base: missing {missing[:5]}, "
                         f"unexpected {list(result.unexpected_keys)[:5]}")
    return list(result.missing_keys)


def materialize(base: Path, weights: Path | list[Path], out: Path) -> Path:
    """A complete Hugging Face QA checkpoint directory: base + partial weights."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    model = AutoModelForQuestionAnswering.from_pretrained(str(base))
    load_partial_weights(model, weights)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(base)).save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base", type=Path)
    p.add_argument("weights", type=Path)
    p.add_argument("out", type=Path)
    args = p.parse_args(argv)
    print(materialize(args.base, args.weights, args.out))


if __name__ == "__main__":
    main()
