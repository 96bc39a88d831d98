"""Prune a SentencePiece-Unigram (XLM-R) vocabulary to the pieces qa-desktop's languages need.

multilingual-e5-small's 250k-piece vocabulary is 96M of its 117.5M parameters. Most pieces
belong to scripts and languages the app does not offer. This keeps:

1. the special tokens;
2. every piece the tokenizer actually uses on a corpus of the supported languages (the training
   and evaluation text: those segmentations stay exactly as they were);
3. every piece written in Hangul, Kana, Han or Thai (Korean has no training data here, so no
   corpus can say which Korean pieces matter), and every single-character piece of a kept
   script, so no kept-script text ever becomes <unk>;
4. then the best pieces by the tokenizer's own unigram log-probability, among Latin, Cyrillic,
   Arabic and script-neutral pieces (digits, punctuation), up to `max_pieces` in all.

Pieces are renumbered in their original order, in `tokenizer.json` (vocab, unk id, special-token
ids of the post-processor, added tokens) and in the word-embedding table alike. Text whose pieces
were all kept tokenizes to exactly the same pieces; other text falls back to shorter pieces that
Unigram's Viterbi search still finds.

    python -m qa_desktop.training.prune_vocabulary CHECKPOINT_DIR OUT_DIR --corpus a.json b.json [--max-pieces 90000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import unicodedata
from pathlib import Path

import numpy as np

ALWAYS_SCRIPTS = ("HANGUL", "HIRAGANA", "KATAKANA", "CJK", "THAI")
RANKED_SCRIPTS = ("LATIN", "CYRILLIC", "ARABIC")
METASPACE = "▁"


def piece_script(piece: str) -> str:
    """The one script of a piece's letters: a name from ALWAYS/RANKED_SCRIPTS, "COMMON" (no
    letters), "MIXED" or "OTHER"."""
    scripts = set()
    for ch in piece.replace(METASPACE, ""):
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        scripts.add(next((s for s in ALWAYS_SCRIPTS + RANKED_SCRIPTS if s in name), "OTHER"))
    if not scripts:
        return "COMMON"
    return scripts.pop() if len(scripts) == 1 else "MIXED"


def _kept_script(script: str) -> bool:
    return script in ALWAYS_SCRIPTS or script in RANKED_SCRIPTS or script == "COMMON"


def used_piece_ids(tokenizer_json: Path, texts: list[str], batch: int = 1000) -> set[int]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    tokenizer.no_truncation()  # a saved checkpoint's tokenizer may carry its training-time settings
    tokenizer.no_padding()
    used: set[int] = set()
    for begin in range(0, len(texts), batch):
        for encoding in tokenizer.encode_batch(texts[begin:begin + batch], add_special_tokens=False):
            used.update(encoding.ids)
    return used


def select_pieces(spec: dict, used: set[int], max_pieces: int) -> tuple[list[int], dict[str, int]]:
    """Sorted original ids to keep, and how many each rule added."""
    vocab = spec["model"]["vocab"]
    special = {t["id"] for t in spec.get("added_tokens", [])} | {spec["model"].get("unk_id", 0)}
    keep = set(special)
    counts = {"special": len(keep)}
    scripts = [piece_script(piece) for piece, _ in vocab]
    before = len(keep)
    keep |= {i for i in used if i < len(vocab)}
    counts["used_on_corpus"] = len(keep) - before
    before = len(keep)
    for i, (piece, _) in enumerate(vocab):
        body = piece.replace(METASPACE, "")
        if scripts[i] in ALWAYS_SCRIPTS or (len(body) <= 1 and _kept_script(scripts[i])):
            keep.add(i)
    counts["cjk_thai_and_single_characters"] = len(keep) - before
    before = len(keep)
    ranked = sorted((i for i in range(len(vocab)) if i not in keep
                     and (scripts[i] in RANKED_SCRIPTS or scripts[i] == "COMMON")),
                    key=lambda i: -vocab[i][1])
    room = max(0, max_pieces - len(keep))
    keep |= set(ranked[:room])
    counts["best_by_unigram_score"] = len(keep) - before
    counts["total"] = len(keep)
    return sorted(keep), counts


def pruned_tokenizer(spec: dict, keep: list[int]) -> dict:
    new_id = {old: new for new, old in enumerate(keep)}
    out = json.loads(json.dumps(spec))
    out["model"]["vocab"] = [spec["model"]["vocab"][i] for i in keep]
    if out["model"].get("unk_id") is not None:
        out["model"]["unk_id"] = new_id[spec["model"]["unk_id"]]
    for token in out.get("added_tokens", []):
        token["id"] = new_id[token["id"]]
    post = out.get("post_processor") or {}
    processors = post.get("processors", [post]) if post.get("type") == "Sequence" else [post]
    for processor in processors:
        for special in (processor.get("special_tokens") or {}).values():
            special["ids"] = [new_id[i] for i in special["ids"]]
        for key in ("sep", "cls"):  # RobertaProcessing / BertProcessing: [token, id]
            if key in processor:
                processor[key] = [processor[key][0], new_id[processor[key][1]]]
    return out


def prune_checkpoint(src: Path, out: Path, keep: list[int]) -> dict:
    """Write a pruned copy of a Hugging Face QA checkpoint directory (safetensors)."""
    from safetensors.numpy import load_file, save_file

    spec = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if path.suffix not in (".safetensors",) and path.name not in ("tokenizer.json", "config.json"):
            if path.is_file():
                shutil.copyfile(path, out / path.name)
    (out / "tokenizer.json").write_text(json.dumps(pruned_tokenizer(spec, keep), ensure_ascii=False),
                                        encoding="utf-8")
    config = json.loads((src / "config.json").read_text())
    config["vocab_size"] = len(keep)
    pad = config.get("pad_token_id")
    if pad is not None:
        config["pad_token_id"] = keep.index(pad)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    weights = {}
    for path in sorted(src.glob("*.safetensors")):
        weights.update(load_file(path))
    name = next(k for k in weights if k.endswith("word_embeddings.weight"))
    weights[name] = np.ascontiguousarray(weights[name][np.asarray(keep)])
    for stale in src.glob("*.safetensors.index.json"):
        (out / stale.name).unlink(missing_ok=True)
    save_file(weights, out / "model.safetensors")
    return {"pieces_before": len(spec["model"]["vocab"]), "pieces_after": len(keep)}


def corpus_texts(paths: list[Path]) -> list[str]:
    """Contexts and questions of SQuAD-format files (and plain .txt files, one text per file)."""
    texts: list[str] = []
    for path in paths:
        if path.suffix == ".txt":
            texts.append(path.read_text(encoding="utf-8"))
            continue
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                texts.append(paragraph["context"])
                texts.extend(qa["question"] for qa in paragraph["qas"])
    return texts


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path, help="Hugging Face QA checkpoint directory with tokenizer.json")
    p.add_argument("out", type=Path)
    p.add_argument("--corpus", type=Path, nargs="+", required=True, help="SQuAD-format or .txt files")
    p.add_argument("--max-pieces", type=int, default=90_000)
    args = p.parse_args(argv)
    spec = json.loads((args.checkpoint / "tokenizer.json").read_text(encoding="utf-8"))
    used = used_piece_ids(args.checkpoint / "tokenizer.json", corpus_texts(args.corpus))
    keep, counts = select_pieces(spec, used, args.max_pieces)
    sizes = prune_checkpoint(args.checkpoint, args.out, keep)
    report = {**sizes, "rules": counts, "max_pieces": args.max_pieces,
              "corpus": [p.name for p in args.corpus]}
    (args.out / "vocabulary_pruning.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
