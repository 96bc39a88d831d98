"""Models: the status bar, choices, opening directories, recent models, device fallback, import."""

from __future__ import annotations

import shutil

from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.model_store import user_models_dir
from qa_desktop.gui.app_settings import AppSettings
from qa_desktop.gui.failure_words import NO_MODEL_MESSAGE
from qa_desktop.gui.model_import import ModelImportRequest, suggested_name, validate

from gui.window_driver import ask

PASSAGE = "Ada Lovelace wrote the first program for the analytical engine in 1843."
KOREAN = "위키는 간단한 마크업 언어와 웹 브라우저를 이용한다. 위키는 누구나 편집할 수 있다."


def test_status_bar_shows_model_provider_and_latency(qtbot, make_window, tiny_bert_model):
    window = make_window()
    status = window.runtime_status
    assert status.model.text() == f"Model: {tiny_bert_model.name}"
    assert status.provider.text() == "CPU"
    assert "CPUExecutionProvider" in status.provider.toolTip()
    answer = ask(qtbot, window, "Who wrote it?", PASSAGE)
    assert status.latency.text() == f"Last answer: {answer.prediction.timings.total_ms:.0f} ms"
    assert f"answered by <b>{tiny_bert_model.name}</b> on CPU" in window.answer_panel.summary.text()


def test_cuda_requested_without_cuda_falls_back_and_says_why(qtbot, make_window):
    window = make_window()
    with qtbot.waitSignal(window.modelLoaded, timeout=20_000) as loaded:
        window.set_device("cuda")
    info = loaded.args[0]
    assert info.runtime.device == "CPU" and info.runtime.fallback_reason
    assert window.runtime_status.provider.text() == f"CPU (CUDA fallback: {info.runtime.fallback_reason})"
    assert window.banner.level == "warning" and window.banner.text == info.runtime.fallback_reason
    assert AppSettings().device == "cuda"
    ask(qtbot, window, "Who wrote it?", PASSAGE)


def test_the_model_choices_are_offered(make_window, tiny_bert_model):
    window = make_window()
    selector = window.model_selector
    specs = [selector.itemData(i) for i in range(selector.count())]
    assert specs[:3] == ["auto", "english", "multilingual"]
    assert str(tiny_bert_model) in specs
    assert selector.current_spec() == str(tiny_bert_model)
    assert [a.text() for a in window.recent_menu.actions()] == [str(tiny_bert_model)]


def test_choosing_english_without_a_bundled_model_says_so_and_keeps_the_model(
        qtbot, make_window, no_bundled_models, tiny_bert_model):
    window = make_window()
    with qtbot.waitSignal(window.modelFailed, timeout=10_000) as failed:
        window.choose_model("english")
    assert failed.args[0] == NO_MODEL_MESSAGE
    assert NO_MODEL_MESSAGE in window.banner.text and "Still using" in window.banner.text
    assert window.session.model_spec == str(tiny_bert_model)
    assert window.runtime_status.model.text() == f"Model: {tiny_bert_model.name}"
    ask(qtbot, window, "Who?", PASSAGE)


def test_a_folder_that_is_not_a_model_never_becomes_the_model(qtbot, make_window, tiny_bert_model, tmp_path):
    window = make_window()
    not_a_model = tmp_path / "holiday photos"
    not_a_model.mkdir()
    (not_a_model / "beach.txt").write_text("sand")
    with qtbot.waitSignal(window.modelFailed, timeout=10_000):
        window.open_model_directory(not_a_model)
    assert window.session.model_spec == str(tiny_bert_model)
    assert window.model_selector.current_spec() == str(tiny_bert_model)
    specs = [window.model_selector.itemData(i) for i in range(window.model_selector.count())]
    assert str(not_a_model) not in specs
    assert str(not_a_model) not in AppSettings().recent_models
    assert str(not_a_model) not in [a.text() for a in window.recent_menu.actions()]
    assert window.model_info is not None and window.model_info.name == tiny_bert_model.name
    assert ask(qtbot, window, "Who wrote it?", PASSAGE).model.name == tiny_bert_model.name


def test_auto_picks_the_multilingual_model_for_korean_and_says_which_answered(
        qtbot, make_window, tiny_xlmr_model, no_bundled_models):
    multilingual = user_models_dir() / "tiny-multilingual"
    shutil.copytree(tiny_xlmr_model, multilingual)
    manifest = ModelManifest.read(multilingual)
    manifest.name, manifest.languages = "tiny-multilingual", ["ko", "ja", "zh", "ar", "en"]
    manifest.write(multilingual)
    window = make_window(model="auto")  # auto, no bundled model: falls back to the imported one
    answer = ask(qtbot, window, "위키는 무엇을 이용하나?", KOREAN)
    assert answer.model.name == "tiny-multilingual"
    assert "answered by <b>tiny-multilingual</b>" in window.answer_panel.summary.text()
    assert window.runtime_status.model.text() == "Model: tiny-multilingual"


def test_opening_a_model_directory_adds_it_to_recent_models(qtbot, make_window, tiny_bert_model,
                                                             tiny_xlmr_model):
    window = make_window()
    with qtbot.waitSignal(window.modelLoaded, timeout=20_000):
        window.open_model_directory(tiny_xlmr_model)
    assert AppSettings().recent_models == [str(tiny_xlmr_model), str(tiny_bert_model)]
    assert window.runtime_status.model.text() == f"Model: {tiny_xlmr_model.name}"
    assert window.model_selector.current_spec() == str(tiny_xlmr_model)
    answer = ask(qtbot, window, "Who wrote it?", PASSAGE)
    assert answer.model.path == tiny_xlmr_model
    # The XLM-R graph has no token_type_ids: the inspector says so instead of inventing them.
    assert window.inspector.table_model.cell(0, 3) == "—"
    assert "token_type_ids" not in window.inspector.stage_labels["inputs"].text()


def test_import_a_checkpoint_directory(qtbot, make_window, tiny_bert_checkpoint):
    window = make_window()
    request = ModelImportRequest(source=str(tiny_bert_checkpoint), name="tiny-imported")
    with qtbot.waitSignal(window.modelLoaded, timeout=120_000) as loaded:
        window.import_model(request)
    info = loaded.args[0]
    assert info.path == user_models_dir() / "tiny-imported"
    assert (info.path / "model.onnx").exists()
    log = window.import_dialog.log.toPlainText()
    assert "[1/5] loading" in log and "[4/5] checking parity" in log
    assert window.banner.text.startswith("Imported tiny-imported into")
    specs = [window.model_selector.itemText(i) for i in range(window.model_selector.count())]
    assert "tiny-imported (imported)" in specs
    ask(qtbot, window, "Who wrote it?", PASSAGE)


def test_cancelling_an_import_keeps_nothing(qtbot, make_window, tiny_bert_checkpoint):
    window = make_window()
    request = ModelImportRequest(source=str(tiny_bert_checkpoint), name="never-kept")
    op = window.import_model(request)
    window.import_dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not op.is_running, timeout=60_000)
    assert not (user_models_dir() / "never-kept").exists()
    assert window.statusBar().currentMessage() == "Import cancelled; nothing was kept."


def test_an_unreachable_hub_id_is_explained(qtbot, make_window):
    window = make_window()
    op = window.import_model(ModelImportRequest(source="someone/no-such-model-offline", name="hub"))
    qtbot.waitUntil(lambda: not op.is_running, timeout=60_000)
    assert window.banner.level == "error"
    assert "Cannot load the checkpoint 'someone/no-such-model-offline'" in window.banner.text
    assert not (user_models_dir() / "hub").exists()


def test_import_requests_are_checked_before_anything_runs(tmp_path, tiny_bert_model):
    import pytest

    from qa_desktop.engine.errors import InputError

    assert suggested_name("/models/bert-base-squad/", "int8") == "bert-base-squad-int8"
    assert suggested_name("deepset/roberta-base-squad2") == "roberta-base-squad2"
    with pytest.raises(InputError, match="letters, digits"):
        validate(ModelImportRequest(source="x", name="../escape"))
    with pytest.raises(InputError, match="Give a checkpoint"):
        validate(ModelImportRequest(source=" ", name="ok"))
    taken = user_models_dir() / "taken"
    shutil.copytree(tiny_bert_model, taken)
    with pytest.raises(InputError, match="already imported"):
        validate(ModelImportRequest(source="x", name="taken"))
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(InputError, match="is a file"):
        validate(ModelImportRequest(source=str(tmp_path / "file.bin"), name="fresh"))
