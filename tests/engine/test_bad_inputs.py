"""Every input a user can get wrong: one clear line naming the problem and the fix, a non-zero
exit, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa_desktop.cli import main


def ask(capsys, model, *extra) -> tuple[int, str, str]:
    code = main(["ask", "--model", str(model), *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def copy_model(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("context, question, message", [
    ("", "Who?", "passage is empty"),
    ("  \n\t \u3000 ", "Who?", "passage is empty"),
    ("Ada wrote it.", "", "question is empty"),
    ("Ada wrote it.", "   ", "question is empty"),
    ("\u200b\u200b\u200d", "Who?", "no text the model can read"),
])
def test_bad_passage_or_question(tiny_bert_model, capsys, context, question, message):
    code, out, err = ask(capsys, tiny_bert_model, "--question", question, "--context", context)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_five_megabyte_passage(tiny_bert_model, tmp_path, capsys):
    big = tmp_path / "big.txt"
    big.write_text("All work and no play makes a dull passage. " * 120_000, encoding="utf-8")
    assert big.stat().st_size > 5_000_000
    code, _, err = ask(capsys, tiny_bert_model, "--question", "Who?", "--file", str(big))
    assert code == 2 and "Split the document" in err


def test_binary_file(tiny_bert_model, tmp_path, capsys):
    blob = tmp_path / "photo.txt"
    blob.write_bytes(bytes(range(256)) * 64)
    code, _, err = ask(capsys, tiny_bert_model, "--question", "Who?", "--file", str(blob))
    assert code == 2 and "binary file" in err


def test_invalid_utf8_is_decoded_with_replacement_and_said(tiny_bert_model, tmp_path, capsys):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Le café est à Paris, près de la Seine.".encode("latin-1"))
    code, out, err = ask(capsys, tiny_bert_model, "--question", "Where?", "--file", str(latin1), "--json")
    assert code == 0
    assert "not valid UTF-8" in err and "replaced" in err
    answer = json.loads(out)["answers"][0]
    text = latin1.read_bytes().decode("utf-8", errors="replace")
    assert answer["text"] == text[answer["start"]: answer["end"]]


def test_pdf_without_text_layer(tiny_bert_model, tmp_path, capsys):
    from pypdf import PdfWriter

    scanned = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with open(scanned, "wb") as handle:
        writer.write(handle)
    code, _, err = ask(capsys, tiny_bert_model, "--question", "Who?", "--file", str(scanned))
    assert code == 2 and "no text layer" in err and "OCR" in err


def test_missing_file(tiny_bert_model, tmp_path, capsys):
    code, _, err = ask(capsys, tiny_bert_model, "--question", "Who?", "--file", str(tmp_path / "nope.txt"))
    assert code == 2 and "No file at" in err


def test_truncated_model_onnx(tiny_bert_model, tmp_path, capsys):
    model = copy_model(tiny_bert_model, tmp_path / "truncated")
    data = (model / "model.onnx").read_bytes()
    (model / "model.onnx").write_bytes(data[: len(data) // 2])
    code, _, err = ask(capsys, model, "--question", "Who?", "--context", "Ada wrote it.")
    assert code == 2 and "truncated" in err and "qa-desktop export" in err


def test_graph_without_start_end_logits(tiny_bert_model, tmp_path, capsys):
    import onnx
    from onnx import TensorProto, helper

    model = copy_model(tiny_bert_model, tmp_path / "encoder-only")
    graph = helper.make_graph(
        [helper.make_node("Cast", ["input_ids"], ["hidden"], to=TensorProto.FLOAT)], "encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "sequence"])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model / "model.onnx")
    code, _, err = ask(capsys, model, "--question", "Who?", "--context", "Ada wrote it.")
    assert code == 2 and "no start_logits/end_logits" in err and "hidden" in err


def test_missing_tokenizer_json(tiny_bert_model, tmp_path, capsys):
    model = copy_model(tiny_bert_model, tmp_path / "no-tokenizer")
    (model / "tokenizer.json").unlink()
    code, _, err = ask(capsys, model, "--question", "Who?", "--context", "Ada wrote it.")
    assert code == 2 and "no tokenizer.json" in err


def test_tokenizer_of_another_model(tiny_bert_model, tmp_path, capsys):
    from tokenizers import Tokenizer

    model = copy_model(tiny_bert_model, tmp_path / "wrong-tokenizer")
    bigger = Tokenizer.from_file(str(model / "tokenizer.json"))
    bigger.add_tokens([f"extra{i}" for i in range(500)])  # more ids than the embedding has rows
    bigger.save(str(model / "tokenizer.json"))
    code, _, err = ask(capsys, model, "--question", "Who?", "--context", "Ada wrote it.")
    assert code == 2 and "belongs to another model" in err


def test_pickle_weights_only_are_refused(tiny_bert_checkpoint, tmp_path, capsys):
    model = tmp_path / "pytorch-only"
    model.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copyfile(tiny_bert_checkpoint / name, model / name)
    (model / "pytorch_model.bin").write_bytes(b"\x80\x04 not to be unpickled")
    code, _, err = ask(capsys, model, "--question", "Who?", "--context", "Ada wrote it.")
    assert code == 2 and "export it first" in err.lower() and "qa-desktop export" in err


def test_cuda_asked_for_but_absent_still_answers_and_says_why(tiny_bert_model, capsys):
    code, out, err = ask(capsys, tiny_bert_model, "--device", "cuda", "--question", "Who?",
                         "--context", "Ada wrote it.", "--json")
    assert code == 0
    assert "CUDA was requested" in err
    assert json.loads(out)["provider"] == "CPUExecutionProvider"


def test_a_file_as_model_directory(tiny_bert_model, capsys):
    code, _, err = ask(capsys, tiny_bert_model / "model.onnx", "--question", "Who?", "--context", "x")
    assert code == 2 and "choose the directory" in err


def test_eval_on_a_file_that_is_not_squad(tiny_bert_model, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2, 3]")
    code = main(["eval", "--model", str(tiny_bert_model), "--data", str(bad)])
    assert code == 2 and "not a SQuAD-format" in capsys.readouterr().err


def test_a_long_question_is_answered_with_a_warning(tiny_bert_model, capsys):
    code, out, err = ask(capsys, tiny_bert_model, "--question", "why " * 500, "--context", "Ada wrote it.",
                         "--json")
    assert code == 0
    result = json.loads(out)
    assert any("tokens long" in w and "left out" in w for w in result["warnings"])
    assert "warning:" in err
