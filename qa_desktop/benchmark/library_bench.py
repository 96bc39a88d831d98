"""How good and how fast the library is, on SQuAD v1.1 (never needed by the app itself).

    python -m qa_desktop.benchmark.library_bench --data /path/to/train-v1.1.json [--sample 200]

1. Quality: the held-out articles (training.squad_corpus's "eval" bucket) as a library, one
   document per article (and with --per-paragraph, one per paragraph: harder, every paragraph
   competes alone). For a seeded sample of their questions: top-1 answer F1 of `library ask`
   against reading the gold paragraph alone, and retrieval recall@k (the gold answer lies in
   one of the k passages BM25 ranks first).
2. Speed: a library of `--documents` training paragraphs, one file each: indexing documents/s
   and MB/s of text, database size per MB of text, and question latency (search + reading)
   against asking the gold paragraph alone.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from qa_desktop.engine import model_store
from qa_desktop.engine.library.library_answerer import DEFAULT_PASSAGES, ask_library
from qa_desktop.engine.library.library_sync import Library
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.squad_metric import best_over_truths, f1
from qa_desktop.engine.squad_articles import ArticleSplit, answerable_examples, articles_in, read_squad

RECALL_DEPTHS = (1, 3, 5, 8, 10, 20)


def _write_library(folder: Path, documents: list[tuple[str, str]]) -> int:
    folder.mkdir(parents=True)
    total = 0
    for name, text in documents:
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def _safe(title: str, i: int) -> str:
    return f"{i:05d}-" + "".join(c if c.isalnum() else "_" for c in title)[:60]


def quality(articles: list[dict], answerer: QuestionAnswerer, sample: int, per_paragraph: bool,
            work: Path, seed: int = 0) -> dict:
    documents, where = [], {}  # where[(title, paragraph index)] = (document name, offset)
    for i, article in enumerate(articles):
        if per_paragraph:
            for j, paragraph in enumerate(article["paragraphs"]):
                name = _safe(article["title"], i) + f"-{j:03d}"
                documents.append((name, paragraph["context"]))
                where[paragraph["context"]] = (name, 0)
        else:
            text, offset = "", 0
            for paragraph in article["paragraphs"]:
                where[paragraph["context"]] = (_safe(article["title"], i), len(text) + (2 if text else 0))
                text = text + "\n\n" + paragraph["context"] if text else paragraph["context"]
            documents.append((_safe(article["title"], i), text))
    folder = work / ("paragraphs" if per_paragraph else "articles")
    _write_library(folder, documents)
    examples = answerable_examples(articles)
    random.Random(seed).shuffle(examples)
    examples = examples[:sample]
    with Library(work / ("lib-p" if per_paragraph else "lib-a")) as library:
        library.add([folder])
        found = {d: 0 for d in RECALL_DEPTHS}
        library_f1, gold_f1, latencies = [], [], []
        for example in examples:
            name, offset = where[example.context]
            gold_spans = [(offset + s, offset + s + len(t)) for s, t in zip(example.answer_starts, example.answer_texts)]
            hits = library.index.search(example.question, max(RECALL_DEPTHS))
            for depth in RECALL_DEPTHS:
                if any(Path(h.path).stem == name and any(h.start <= s and e <= h.end for s, e in gold_spans)
                       for h in hits[:depth]):
                    found[depth] += 1
            t0 = time.perf_counter()
            prediction = ask_library(library.index, answerer, example.question, top_k=1)
            latencies.append(time.perf_counter() - t0)
            got = prediction.answers[0].text if prediction.answers else ""
            library_f1.append(best_over_truths(f1, got, list(example.answer_texts)))
            alone = answerer.answer(example.question, example.context, top_k=1)
            gold_f1.append(best_over_truths(f1, alone.best.text if alone.best else "", list(example.answer_texts)))
    n = len(examples)
    return {"documents": len(documents), "questions": n,
            "library_f1": 100 * statistics.fmean(library_f1), "gold_paragraph_f1": 100 * statistics.fmean(gold_f1),
            "ratio": statistics.fmean(library_f1) / max(1e-9, statistics.fmean(gold_f1)),
            "recall_at": {d: found[d] / n for d in RECALL_DEPTHS},
            "passages_read": DEFAULT_PASSAGES, "median_ask_ms": 1e3 * statistics.median(latencies)}


def speed(articles: list[dict], answerer: QuestionAnswerer, documents: int, questions: int, work: Path,
          seed: int = 0) -> dict:
    paragraphs = [(a["title"], p) for a in articles for p in a["paragraphs"]]
    random.Random(seed).shuffle(paragraphs)
    paragraphs = paragraphs[:documents]
    folder = work / "big"
    size = _write_library(folder, [(_safe(t, i), p["context"]) for i, (t, p) in enumerate(paragraphs)])
    with Library(work / "lib-big") as library:
        t0 = time.perf_counter()
        library.add([folder])
        seconds = time.perf_counter() - t0
        library.index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        database = library.index.path.stat().st_size
        t0 = time.perf_counter()
        library.refresh()
        refresh_seconds = time.perf_counter() - t0
        rng = random.Random(seed + 1)
        asked = [rng.choice(p["qas"])["question"] + "\0" + p["context"] for _, p in rng.sample(paragraphs, questions)]
        search_ms, read_ms, total_ms, alone_ms, windows, alone_windows = [], [], [], [], [], []
        for item in asked:
            question, context = item.split("\0")
            t0 = time.perf_counter()
            prediction = ask_library(library.index, answerer, question, top_k=1)
            total_ms.append(1e3 * (time.perf_counter() - t0))
            search_ms.append(prediction.search_ms)
            read_ms.append(prediction.read_ms)
            windows.append(prediction.windows)
            t0 = time.perf_counter()
            alone = answerer.answer(question, context, top_k=1)
            alone_ms.append(1e3 * (time.perf_counter() - t0))
            alone_windows.append(len(alone.windows))
    t0 = time.perf_counter()
    Library(work / "lib-big").close()
    open_ms = 1e3 * (time.perf_counter() - t0)
    return {"documents": len(paragraphs), "megabytes": size / 1e6, "index_seconds": seconds,
            "documents_per_second": len(paragraphs) / seconds, "megabytes_per_second": size / 1e6 / seconds,
            "refresh_unchanged_seconds": refresh_seconds, "open_ms": open_ms,
            "database_megabytes": database / 1e6, "database_mb_per_text_mb": database / size,
            "questions": questions, "median_ask_ms": statistics.median(total_ms),
            "median_search_ms": statistics.median(search_ms), "median_read_ms": statistics.median(read_ms),
            "median_windows_read": statistics.median(windows),
            "median_single_paragraph_ms": statistics.median(alone_ms),
            "median_single_paragraph_windows": statistics.median(alone_windows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="SQuAD v1.1 train-v1.1.json")
    parser.add_argument("--model", default="english")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--sample", type=int, default=200, help="held-out questions for the quality part")
    parser.add_argument("--per-paragraph", action="store_true", help="also the one-document-per-paragraph library")
    parser.add_argument("--documents", type=int, default=10_000, help="size of the speed library")
    parser.add_argument("--questions", type=int, default=30, help="questions timed on the speed library")
    parser.add_argument("--skip", default="", help="comma-separated: quality,speed")
    args = parser.parse_args(argv)
    articles = read_squad([Path(args.data)])
    answerer = QuestionAnswerer.load(model_store.resolve(args.model), threads=args.threads)
    results = {"model": answerer.name}
    with tempfile.TemporaryDirectory(prefix="qa-library-bench-") as work:
        work = Path(work)
        heldout = articles_in(articles, ArticleSplit(), "eval")
        if "quality" not in args.skip:
            results["articles"] = quality(heldout, answerer, args.sample, False, work)
            print(json.dumps(results["articles"]), flush=True)
            if args.per_paragraph:
                results["paragraphs"] = quality(heldout, answerer, args.sample, True, work)
                print(json.dumps(results["paragraphs"]), flush=True)
        if "speed" not in args.skip:
            training = articles_in(articles, ArticleSplit(), "train")
            results["speed"] = speed(training, answerer, args.documents, args.questions, work)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
