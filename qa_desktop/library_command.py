"""`qa-desktop library ...`: add, list, remove, refresh and ask the library from the shell.

    qa-desktop library add PATH...          index files and folders (recursively)
    qa-desktop library list [--json]        documents, and skipped files with the reason
    qa-desktop library remove PATH          forget a file or folder
    qa-desktop library refresh              re-read changed files, drop deleted ones
    qa-desktop library ask QUESTION [--top-k K] [--json] [--model M]
"""

from __future__ import annotations

import argparse
import json
import sys

from qa_desktop.engine.errors import QaDesktopError


def register(sub) -> None:
    """Adds the `library` command to cli.build_parser's subparsers."""
    library = sub.add_parser("library", help="a library of documents: add, list, remove, refresh, ask",
                             description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    library.add_argument("--library-dir", default=None,
                         help="where the library's database lives (default: 'library' in the user data directory)")
    actions = library.add_subparsers(dest="library_command", metavar="ACTION")
    actions.required = True
    add = actions.add_parser("add", help="index files and folders")
    add.add_argument("paths", nargs="+", metavar="PATH")
    listing = actions.add_parser("list", help="documents in the library, and files skipped with the reason")
    listing.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", help="take a file or folder out of the library")
    remove.add_argument("path", metavar="PATH")
    actions.add_parser("refresh", help="re-index changed files and drop deleted ones")
    ask = actions.add_parser("ask", help="answer a question from the whole library")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--top-k", type=int, default=3)
    ask.add_argument("--passages", type=int, default=None,
                     help="how many best-matching passages the model reads (default: 8)")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--model", default=None,
                     help="model directory, installed model name, or auto|english|multilingual (default: auto)")
    ask.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ask.add_argument("--threads", type=int, default=None, help="intra-op threads (default: physical cores)")


def _progress(done: int, total: int) -> None:
    if total == 0 or (not sys.stderr.isatty() and done != total and done % max(1, total // 10)):
        return
    end = "\n" if done == total else ""
    print(f"\rindexing {done}/{total}", end=end, file=sys.stderr, flush=True)


def _open(args):
    from qa_desktop.engine.library.library_sync import Library

    library = Library(args.library_dir)
    if library.recovered:
        print(f"qa-desktop: {library.recovered}", file=sys.stderr)
        if args.library_command != "refresh":
            _print_report(library.refresh(progress=_progress))
    return library


def _print_report(report) -> None:
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}")
    print(report.summary())


def _list(library, as_json: bool) -> None:
    documents, skipped = library.documents(), library.skipped()
    if as_json:
        print(json.dumps({
            "sources": library.sources.sources,
            "documents": [{"path": d.path, "characters": d.characters, "passages": d.passages,
                           "size": d.size, "sha256": d.sha256, "warnings": list(d.warnings)} for d in documents],
            "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
        }, ensure_ascii=False))
        return
    for d in documents:
        print(f"{d.path}\t{d.characters:,} characters, {d.passages} passage(s)")
    for s in skipped:
        print(f"{s.path}\tskipped: {s.reason}")
    print(f"{len(documents)} document(s), {len(skipped)} skipped, from {len(library.sources.sources)} source(s)",
          file=sys.stderr)


def _ask(library, args) -> None:
    from qa_desktop.engine import model_store
    from qa_desktop.engine.library.library_answerer import DEFAULT_PASSAGES, ask_library, find_passages
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    if args.top_k < 1:
        raise QaDesktopError("--top-k must be at least 1.")
    ranges = find_passages(library.index, args.question, args.passages or DEFAULT_PASSAGES)
    sample = args.question + " " + " ".join(
        library.index.text_range(r.document_id, r.start, min(r.end, r.start + 2000)) for r in ranges[:3])
    answerer = QuestionAnswerer.load(model_store.resolve(args.model, sample), device=args.device,
                                     threads=args.threads)
    prediction = ask_library(library.index, answerer, args.question, top_k=args.top_k, ranges=ranges)
    if args.json:
        print(json.dumps(prediction.to_json(), ensure_ascii=False))
        return
    if not prediction.answers:
        print("No passage in the library matches the question.")
    for rank, a in enumerate(prediction.answers, 1):
        note = " (the passage says no answer)" if a.abstained else ""
        print(f"{rank}. {a.text}  [{a.document}, chars {a.start}-{a.end}, score {a.score:.2f}]{note}")
    print(f"model {prediction.model}, {len(prediction.ranges)} passage(s), {prediction.windows} window(s), "
          f"search {prediction.search_ms:.0f} ms, read {prediction.read_ms:.0f} ms", file=sys.stderr)


def run(args) -> int:
    with _open(args) as library:
        command = args.library_command
        if command == "add":
            _print_report(library.add(args.paths, progress=_progress))
        elif command == "refresh":
            _print_report(library.refresh(progress=_progress))
        elif command == "remove":
            removed = library.remove(args.path)
            print(f"removed {args.path} ({len(removed)} document(s) left the index)")
        elif command == "list":
            _list(library, args.json)
        elif command == "ask":
            _ask(library, args)
    return 0
