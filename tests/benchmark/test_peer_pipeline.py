"""The pipeline peer in the peer python, on tiny checkpoints this (newer) transformers wrote: the
real question-answering pipeline answers, its forward is timed per window, and `decode` gives
the pipeline's own answer when handed the pipeline's own logits."""

from __future__ import annotations

import json
import os
import subprocess

from bench_peer import peer_python
from tiny_models import build_tiny_checkpoint

SCRIPT = r"""
import json, sys
import torch
from qa_desktop.benchmark.peer_pipeline import torch_peer

settings = {"max_seq_len": 64, "doc_stride": 16, "max_question_len": 64, "max_answer_len": 30}
question = "What is the capital of France?"
context = " ".join(["The quick brown fox jumps over the lazy dog near the river bank in 1890."] * 6
                   + ["Paris is the capital and largest city."])
found = {}
for path in sys.argv[1:]:
    peer = torch_peer(path, settings)
    answer = peer.answer(question, context)
    log = {"lengths": list(peer.log.lengths), "seconds": peer.log.seconds}
    # The pipeline's own windows and logits, in the form qa-desktop hands its own to decode().
    chunks = peer.pipe.preprocess(peer.pipe.create_sample(question=question, context=context),
                                  doc_stride=16, max_seq_len=64)
    windows = []
    with torch.no_grad():
        for chunk in chunks:
            out = peer.model(**{name: chunk[name] for name in peer.tokenizer.model_input_names})
            windows.append({"input_ids": chunk["input_ids"][0].tolist(),
                            "start": out["start_logits"][0].tolist(), "end": out["end_logits"][0].tolist()})
    found[path] = {"kind": peer.kind, "answer": answer, "log": log, "windows": len(windows),
                   "feeds_token_type_ids": peer.feeds_token_type_ids,
                   "decoded": peer.decode(question, context, windows),
                   "one_window_short": peer.decode(question, context, windows[:-1])}
print(json.dumps(found))
"""


def test_pipeline_peer_answers_times_and_decodes(tmp_path):
    python = peer_python()
    bert = build_tiny_checkpoint(tmp_path / "bert", "bert")
    xlmr = build_tiny_checkpoint(tmp_path / "xlmr", "xlmr")
    proc = subprocess.run([python, "-c", SCRIPT, str(bert), str(xlmr)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "TRANSFORMERS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
                                            "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    for kind, path in (("bert", bert), ("xlmr", xlmr)):
        got = found[str(path)]
        assert "QuestionAnsweringPipeline" in got["kind"], kind
        assert got["windows"] > 1, kind
        assert len(got["log"]["lengths"]) == got["windows"] and got["log"]["seconds"] > 0, kind
        assert all(0 < n <= 64 for n in got["log"]["lengths"]), kind
        answer = got["answer"]
        assert got["decoded"] == {k: answer[k] for k in ("answer", "start", "end")}, kind
        assert got["one_window_short"] is None, kind  # not the pipeline's windows: no decoding
    # BERT has segment embeddings, XLM-R has none: token types are fed only to BERT.
    assert found[str(bert)]["feeds_token_type_ids"] is True
    assert found[str(xlmr)]["feeds_token_type_ids"] is False
