"""Provider choice: CUDA first when it really initializes, the CPU otherwise, with the reason kept."""

from __future__ import annotations

import onnxruntime as ort
import pytest

from qa_desktop.engine.errors import ModelError
from qa_desktop.engine.onnx_session import CPU, CUDA, create_session
from qa_desktop.engine.question_answerer import QuestionAnswerer

RealSession = ort.InferenceSession


def fake_providers(monkeypatch, providers):
    monkeypatch.setattr(ort, "get_available_providers", lambda: list(providers))


def test_cpu_when_cuda_is_not_listed(tiny_bert_model):
    session, info = create_session(tiny_bert_model / "model.onnx", device="auto")
    assert info.providers == tuple(session.get_providers()) == (CPU,)
    assert info.fallback_reason is None and info.device == "CPU"


def test_cuda_asked_for_but_absent(tiny_bert_model, monkeypatch):
    fake_providers(monkeypatch, [CPU])
    _, info = create_session(tiny_bert_model / "model.onnx", device="cuda")
    assert info.providers == (CPU,)
    assert "CUDA was requested" in info.fallback_reason and "onnxruntime-gpu" in info.fallback_reason


def test_cuda_listed_but_failing_at_session_creation(tiny_bert_model, monkeypatch):
    fake_providers(monkeypatch, [CUDA, CPU])
    tried = []

    def failing(path, options=None, providers=None):
        tried.append(tuple(providers))
        if CUDA in providers:
            raise RuntimeError("libcudnn.so.9: cannot open shared object file")
        return RealSession(path, options, providers=providers)

    monkeypatch.setattr(ort, "InferenceSession", failing)
    answerer = QuestionAnswerer.load(tiny_bert_model, device="auto")
    assert tried == [(CUDA, CPU), (CPU,)]
    assert answerer.runtime.providers == (CPU,)
    assert "libcudnn" in answerer.runtime.fallback_reason
    prediction = answerer.answer("who?", "Ada wrote it.")
    assert prediction.provider == CPU
    assert any("CUDA provider failed" in w for w in prediction.warnings)


def test_cuda_silently_dropped_is_reported(tiny_bert_model, monkeypatch):
    fake_providers(monkeypatch, [CUDA, CPU])

    def dropping(path, options=None, providers=None):
        # What ONNX Runtime does when the CUDA libraries are missing: it logs and uses the CPU.
        return RealSession(path, options, providers=[CPU])

    monkeypatch.setattr(ort, "InferenceSession", dropping)
    _, info = create_session(tiny_bert_model / "model.onnx", device="cuda")
    assert info.providers == (CPU,)
    assert "did not initialize" in info.fallback_reason


def test_unknown_device_is_refused(tiny_bert_model):
    with pytest.raises(ModelError, match="Unknown device"):
        create_session(tiny_bert_model / "model.onnx", device="tpu")


def test_only_declared_inputs_are_fed(tiny_xlmr_model):
    answerer = QuestionAnswerer.load(tiny_xlmr_model)
    assert "token_type_ids" not in answerer.reader.input_names
    prediction = answerer.answer("who?", "Ada wrote it. " * 50)
    assert prediction.best.text == prediction.passage[prediction.best.start: prediction.best.end]
