"""qa-desktop: the one entry point.

    qa-desktop                      open the window (on the bundled default model)
    qa-desktop ask ...              answer one question about a passage
    qa-desktop export SRC OUT ...   Hugging Face checkpoint → optimized ONNX model directory
    qa-desktop eval ...             official SQuAD EM/F1 on a data file
    qa-desktop bench ...            speed and memory against the transformers pipeline
    qa-desktop --self-test          check that the bundled model answers
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from qa_desktop.engine.errors import QaDesktopError

SELF_TEST = (
    "The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by the company "
    "of the engineer Gustave Eiffel and built for the 1889 World's Fair. It is 330 metres tall.",
    "Who designed the Eiffel Tower?",
    "Gustave Eiffel",
)


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None,
                        help="model directory, installed model name, or auto|english|multilingual "
                             "(default: auto, by the passage's script)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: physical cores)")


def _add_windows_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--windows", choices=("all", "auto"), default="auto",
                        help="all: the model reads every window of a long passage; auto (default): "
                             "above a dozen windows, only those that best match the question (BM25)")


def build_parser(with_commands: bool = True) -> argparse.ArgumentParser:
    """The one parser. `with_commands=False` leaves the subcommands out: a launch of the window
    (no subcommand named) does not pay for building and importing them before its first paint."""
    parser = argparse.ArgumentParser(prog="qa-desktop", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model for the window (directory or name)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--screenshot", metavar="OUT.png", default=None,
                        help="open the window on a sample (or --file/--question), answer, save a PNG, exit")
    parser.add_argument("--file", default=None,
                        help="a passage file to open (also: qa-desktop FILE); with --screenshot: the passage")
    parser.add_argument("--question", default=None, help="with --screenshot: the question")
    parser.add_argument("--self-test", action="store_true", help="answer a built-in question and exit")
    if not with_commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command")

    ask = sub.add_parser("ask", help="answer a question about a passage")
    add_model_option(ask)
    ask.add_argument("--question", required=True)
    source = ask.add_mutually_exclusive_group(required=True)
    source.add_argument("--context", help="the passage text")
    source.add_argument("--file", help="a .txt, .md or .pdf file holding the passage")
    ask.add_argument("--top-k", type=int, default=1, help="how many different answers to list")
    ask.add_argument("--overlapping", action="store_true",
                     help="list overlapping spans as answers of their own (default: folded into the best one)")
    ask.add_argument("--threshold", type=float, default=None,
                     help="abstain when no-answer score - best score > T (default: the model's)")
    _add_windows_option(ask)
    ask.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="export a Hugging Face QA checkpoint to ONNX")
    export.add_argument("source", help="local checkpoint directory or hub id")
    export.add_argument("out", help="new model directory")
    export.add_argument("--quantize", choices=("int8",), default=None)
    export.add_argument("--opset", type=int, default=17)
    export.add_argument("--name", default=None)
    export.add_argument("--languages", default="en", help="comma-separated, e.g. en,ja,ko")

    ev = sub.add_parser("eval", help="official SQuAD EM/F1 on a data file")
    add_model_option(ev)
    ev.add_argument("--data", required=True, help="SQuAD v1.1 or v2.0 format JSON")
    ev.add_argument("--limit", type=int, default=None, help="first N questions only")
    ev.add_argument("--threshold", type=float, default=None)
    ev.add_argument("--f1", choices=("chars", "words"), default=None,
                    help="F1 unit (default: chars for Korean/Japanese/Chinese data, else words)")
    ev.add_argument("--predictions", default=None, help="write the official predictions file here")
    _add_windows_option(ev)
    ev.add_argument("--json", action="store_true")

    bench = sub.add_parser("bench", help="speed and memory, side by side with the transformers pipeline")
    add_model_option(bench)
    bench.add_argument("--reference", default=None,
                       help="PyTorch checkpoint the model was exported from (default: the model's "
                            "manifest source, or the training checkpoint bundled beside it)")
    bench.add_argument("--quick", action="store_true", help="seconds-long smoke run (CI)")
    bench.add_argument("--repeats", type=int, default=20, help="repeats for the short-passage median")
    bench.add_argument("--long-tokens", type=int, default=20_000, help="size of the long document")
    bench.add_argument("--sample", type=int, default=200, help="questions for the answer-agreement check")
    bench.add_argument("--data", default=None, help="SQuAD-format file for the agreement sample")
    bench.add_argument("--peer-python", default=None,
                       help="python with the bench extra: the transformers pipeline and Optimum peers run there (default: this one)")
    bench.add_argument("--optimum-config", default=None, choices=("avx512_vnni", "avx512", "avx2", "arm64"),
                       help="Optimum's dynamic int8 preset (default: avx512_vnni on VNNI CPUs, else avx2/avx512)")
    bench.add_argument("--no-optimum", action="store_true", help="leave the Optimum peers out")
    bench.add_argument("--skip", default="", help="comma-separated parts to skip: short,long,startup,memory,efficiency,agreement")
    bench.add_argument("--json", action="store_true")

    from qa_desktop.library_command import register as register_library

    register_library(sub)
    from qa_desktop.explain_command import register as register_explain

    register_explain(sub)
    return parser


SUBCOMMANDS = ("ask", "export", "eval", "bench", "library", "explain")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """As build_parser, plus `qa-desktop FILE` (how a desktop's "Open with" calls the app)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in SUBCOMMANDS:
        argv = ["--file", argv[0], *argv[1:]]
    commands = any(a in SUBCOMMANDS or a in ("-h", "--help") for a in argv)
    return build_parser(with_commands=commands).parse_args(argv)


def load_answerer(model: str | None, passage: str, device: str, threads: int | None, windows: str = "all"):
    from qa_desktop.engine import model_store
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    return QuestionAnswerer.load(model_store.resolve(model, passage), device=device, threads=threads,
                                 windows=windows)


def read_passage(args) -> tuple[str, tuple[str, ...]]:
    if args.file is not None:
        from qa_desktop.engine.document_reader import read_document

        document = read_document(args.file)
        return document.text, document.warnings
    return args.context, ()


def cmd_ask(args) -> int:
    passage, warnings = read_passage(args)
    if args.top_k < 1:
        raise QaDesktopError("--top-k must be at least 1.")
    answerer = load_answerer(args.model, passage, args.device, args.threads, args.windows)
    prediction = answerer.answer(args.question, passage, top_k=args.top_k, threshold=args.threshold,
                                 overlapping=args.overlapping)
    for warning in warnings + prediction.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    selection = prediction.selection
    if args.json:
        print(json.dumps({**prediction.to_json(), "windows_read": len(selection.read),
                          "windows_total": selection.total}, ensure_ascii=False))
        return 0
    if selection.preselected:
        print(f"windows: {selection.reason}; --windows all reads everything", file=sys.stderr)
    if not prediction.answers:
        best = prediction.best
        print("No answer in this passage"
              + (f" (best span {best.text!r} scored {best.score:.2f}; no-answer {prediction.no_answer_score:.2f})"
                 if best else ""))
    for rank, answer in enumerate(prediction.answers, 1):
        print(f"{rank}. {answer.text}  [chars {answer.start}-{answer.end}, score {answer.score:.2f}, "
              f"p={answer.probability:.3f}]")
    print(f"no-answer probability {prediction.no_answer_probability:.3f}; "
          f"model {prediction.model} on {prediction.runtime.device}, {len(prediction.windows)} window(s), "
          f"{prediction.timings.total_ms:.0f} ms", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from qa_desktop.engine.onnx_export import export_model

    languages = [x.strip() for x in args.languages.split(",") if x.strip()]
    export_model(args.source, args.out, quantize=args.quantize, opset=args.opset, name=args.name,
                 languages=languages, progress=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


def _progress_bar(done: int, total: int) -> None:
    if not sys.stderr.isatty() and done != total and done % max(1, total // 20):
        return
    width = 30
    filled = int(width * done / total)
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def cmd_eval(args) -> int:
    from qa_desktop.engine.squad_evaluation import evaluate, read_questions

    questions = read_questions(args.data, args.limit)
    sample = " ".join(q.context for q in questions[:20])
    answerer = load_answerer(args.model, sample, args.device, args.threads, args.windows)
    report, predictions = evaluate(answerer, questions, threshold=args.threshold, f1_unit=args.f1,
                                   progress=_progress_bar)
    if args.predictions:
        Path(args.predictions).write_text(json.dumps(predictions, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    print(f"{report.model} on {report.total} questions (F1 over {report.f1_unit}): "
          f"EM {report.exact_match:.2f}  F1 {report.f1:.2f}")
    if report.HasAns_total:
        print(f"  answerable   ({report.HasAns_total}): EM {report.HasAns_exact:.2f}  F1 {report.HasAns_f1:.2f}")
    if report.NoAns_total:
        print(f"  unanswerable ({report.NoAns_total}): abstained on {report.NoAns_exact:.2f}%")
    if report.unreadable:
        print(f"  {report.unreadable} question(s) the model could not read, scored as unanswered "
              f"(first: {report.unreadable_reason})")
    return 0


def self_test(args) -> int:
    from qa_desktop.engine import model_store
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    passage, question, expected = SELF_TEST
    where = model_store.resolve(args.model or "english", passage)
    answerer = QuestionAnswerer.load(where, device=args.device)
    prediction = answerer.answer(question, passage)
    got = prediction.answers[0].text if prediction.answers else ""
    ok = expected.lower() in got.lower() and got == passage[prediction.answers[0].start:prediction.answers[0].end]
    print(f"self-test {'ok' if ok else 'FAILED'}: {answerer.name} ({where}) on {answerer.runtime.device} "
          f"answered {got!r} to {question!r} in {prediction.timings.total_ms:.0f} ms")
    return 0 if ok else 1


def cmd_gui(args) -> int:
    try:
        from qa_desktop.gui.app import run_gui
    except ImportError as exc:
        raise QaDesktopError(f"The window needs PySide6 and pyqtgraph ({exc}): pip install qa-desktop") from None
    return run_gui(model=args.model, screenshot=args.screenshot, file=args.file,
                   question=args.question, device=args.device)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        if args.self_test:
            return self_test(args)
        if args.command == "ask":
            return cmd_ask(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "bench":
            from qa_desktop.benchmark.bench_command import run

            return run(args)
        if args.command == "library":
            from qa_desktop.library_command import run as run_library

            return run_library(args)
        if args.command == "explain":
            from qa_desktop.explain_command import run as run_explain

            return run_explain(args)
        return cmd_gui(args)
    except QaDesktopError as exc:
        print(f"qa-desktop: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("torch", "transformers", "onnx", "onnxscript"):
            print(f"qa-desktop: this needs {exc.name}, which the app alone does not include: "
                  "pip install 'qa-desktop[export]'", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("qa-desktop: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless debugging
        if os.environ.get("QA_DESKTOP_DEBUG"):
            raise
        print(f"qa-desktop: internal error: {type(exc).__name__}: {exc} "
              "(set QA_DESKTOP_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
        return 3


def gui_main() -> None:
    """Entry point of the desktop launcher (gui-scripts): no console, same behaviour."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
