"""Vocabulary pruning keeps the tokenization of kept text and the model's logits for it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa_desktop.training.prune_vocabulary import (piece_script, prune_checkpoint, pruned_tokenizer,
                                                  select_pieces, used_piece_ids)

TEXTS = ["위키는 간단한 마크업 언어와 웹 브라우저를 이용한다.", "What is the capital of France? Paris is."]


def test_piece_scripts():
    assert piece_script("▁위키") == "HANGUL" and piece_script("東京") == "CJK"
    assert piece_script("▁Paris") == "LATIN" and piece_script("▁1890,") == "COMMON"
    assert piece_script("αβ") == "OTHER" and piece_script("aж") == "MIXED"


@pytest.fixture(scope="module")
def pruned(tmp_path_factory):
    from tiny_models import build_tiny_checkpoint

    src = build_tiny_checkpoint(tmp_path_factory.mktemp("prune") / "src", "xlmr")
    spec = json.loads((src / "tokenizer.json").read_text())
    used = used_piece_ids(src / "tokenizer.json", TEXTS)
    keep, counts = select_pieces(spec, used, max_pieces=len(used) + 10)
    out = tmp_path_factory.mktemp("prune") / "out"
    prune_checkpoint(src, out, keep)
    return src, out, keep, counts


def test_kept_text_tokenizes_to_the_same_pieces(pruned):
    from transformers import AutoTokenizer

    src, out, keep, counts = pruned
    before, after = AutoTokenizer.from_pretrained(src), AutoTokenizer.from_pretrained(out)
    assert len(after) == len(keep) < len(before)
    for text in TEXTS:
        assert after.tokenize(text) == before.tokenize(text)
        ids = after(text)["input_ids"]
        assert [keep[i] for i in ids] == before(text)["input_ids"]
    assert after.mask_token_id == keep.index(before.mask_token_id)
    assert after.pad_token_id == keep.index(before.pad_token_id)


def test_logits_of_kept_text_are_unchanged(pruned):
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    src, out, keep, _ = pruned
    results = []
    for path in (src, out):
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForQuestionAnswering.from_pretrained(path).eval()
        with torch.no_grad():
            results.append(model(**tokenizer(TEXTS[1], TEXTS[0], return_tensors="pt")).start_logits.numpy())
    np.testing.assert_allclose(results[0], results[1], atol=1e-5)


def test_post_processor_ids_follow_the_renumbering():
    spec = {"model": {"type": "Unigram", "unk_id": 3,
                      "vocab": [["<s>", 0], ["<pad>", 0], ["</s>", 0], ["<unk>", 0], ["▁ab", -1], ["▁cd", -2]]},
            "added_tokens": [{"id": i, "content": c} for i, c in enumerate(["<s>", "<pad>", "</s>", "<unk>"])],
            "post_processor": {"type": "TemplateProcessing", "special_tokens": {
                "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}}
    out = pruned_tokenizer(spec, [0, 1, 2, 3, 5])
    assert [p for p, _ in out["model"]["vocab"]] == ["<s>", "<pad>", "</s>", "<unk>", "▁cd"]
    assert out["post_processor"]["special_tokens"]["</s>"]["ids"] == [2]
    assert select_pieces(spec, set(), max_pieces=5)[0] == [0, 1, 2, 3, 4]
