"""Window preselection measured: whole held-out SQuAD articles, and one very long document.

    python -m qa_desktop.benchmark.preselection_bench --model DIR [--articles 6] [--per-article 10]
        [--long-tokens 100000] [--long-questions 2] [--recall-articles 12] [--data train-v1.1.json] [--json]

Documents are whole articles the training split holds out (ArticleSplit "eval"): every
paragraph joined, questions from all of them. Each question is answered twice by one
QuestionAnswerer, reading every window and with preselection ("auto"), alternating which goes
first so a busy machine's drift hits both alike; F1 and EM are the official SQuAD ones. The long
document joins held-out articles up to `--long-tokens` tokens; its questions come from its
middle, and windows read and seconds are compared. `--recall-articles` runs no model: for every
question of that many whole articles it asks whether a window read under each (top, neighbours)
choice holds the gold answer, and how many of the windows are read.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from qa_desktop.engine.squad_metric import best_over_truths, exact_match, f1


@dataclass(frozen=True)
class ArticleQuestion:
    question: str
    answers: tuple[str, ...]
    start: int  # the first answer's first character in the whole article's text


def held_out_articles(data: Path) -> list[dict]:
    from qa_desktop.engine.squad_articles import ArticleSplit, articles_in, read_squad

    return articles_in(read_squad([data]), ArticleSplit(), "eval")


def whole_article(article: dict) -> tuple[str, list[ArticleQuestion]]:
    separator = "\n\n"
    text = separator.join(p["context"] for p in article["paragraphs"])
    questions, at = [], 0
    for p in article["paragraphs"]:
        questions += [ArticleQuestion(qa["question"], tuple(a["text"] for a in qa["answers"]),
                                      at + qa["answers"][0]["answer_start"])
                      for qa in p["qas"] if qa.get("answers")]
        at += len(p["context"]) + len(separator)
    return text, questions


RECALL_CHOICES = ((4, 1), (4, 0), (6, 0), (8, 0), (10, 0))  # (top windows, neighbours)


def answer_window_recall(qa, articles: list[dict], choices=RECALL_CHOICES) -> dict:
    """No model run: how often a window read under each choice holds the gold answer."""
    from qa_desktop.engine.window_preselection import WindowPreselector

    found = {c: [] for c in choices}
    share = {c: [] for c in choices}
    for article in articles:
        text, questions = whole_article(article)
        tokens = qa.tokenized(text)
        offsets = tokens.offsets
        preselector = WindowPreselector("auto")
        for q in questions:
            end = q.start + len(q.answers[0])
            windows = qa.features.build(q.question.strip(), tokens)
            holding = {i for i, w in enumerate(windows) if offsets[w.passage_token_start, 0] <= q.start
                       and offsets[w.passage_token_end - 1, 1] >= end}
            for top, neighbours in choices:
                preselector.top, preselector.neighbours = top, neighbours
                read = preselector.select(q.question, tokens, windows, "auto").read
                found[(top, neighbours)].append(bool(holding.intersection(read)))
                share[(top, neighbours)].append(len(read) / len(windows))
        preselector.forget()
    return {"articles": len(articles), "questions": len(found[choices[0]]),
            "choices": [{"top": t, "neighbours": n, "recall": statistics.fmean(found[(t, n)]),
                         "windows_read_share": statistics.fmean(share[(t, n)])} for t, n in choices]}


def _answer(qa, question: str, text: str, mode: str) -> tuple[str, float, int, int]:
    t0 = time.perf_counter()
    prediction = qa.answer(question, text, top_k=1, windows_mode=mode)
    seconds = time.perf_counter() - t0
    best = prediction.best.text if prediction.best else ""
    selection = prediction.selection
    return best, seconds, len(selection.read), selection.total


def articles_f1(qa, articles: list[dict], per_article: int, seed: int = 0, progress=None) -> dict:
    rng = random.Random(seed)
    scores = {"all": {"f1": [], "em": [], "s": [], "windows": []},
              "auto": {"f1": [], "em": [], "s": [], "windows": []}}
    totals = []
    asked = 0
    for article in articles:
        text, questions = whole_article(article)
        for k, q in enumerate(rng.sample(questions, min(per_article, len(questions)))):
            order = ("all", "auto") if (asked + k) % 2 == 0 else ("auto", "all")
            for mode in order:
                best, seconds, read, total = _answer(qa, q.question, text, mode)
                s = scores[mode]
                s["f1"].append(best_over_truths(f1, best, list(q.answers)))
                s["em"].append(best_over_truths(exact_match, best, list(q.answers)))
                s["s"].append(seconds)
                s["windows"].append(read)
            totals.append(total)
            if progress:
                progress(asked + k + 1)
        asked += min(per_article, len(questions))
    return {
        "questions": asked, "articles": len(articles),
        "windows_per_document_median": statistics.median(totals) if totals else 0,
        **{mode: {"f1": 100 * statistics.fmean(v["f1"]), "em": 100 * statistics.fmean(v["em"]),
                  "median_s": statistics.median(v["s"]), "windows_read_mean": statistics.fmean(v["windows"])}
           for mode, v in scores.items() if v["f1"]},
    }


def long_document(qa, articles: list[dict], tokens: int, questions: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    parts, length, pool = [], 0, []
    for article in articles:
        text, qs = whole_article(article)
        parts.append(text)
        pool.append(qs)
        length += len(qa.features.tokenize_passage(text))
        if length >= tokens:
            break
    document = "\n\n".join(parts)
    middle = pool[len(pool) // 2]
    asked = rng.sample(middle, min(questions, len(middle)))
    runs = []
    for i, q in enumerate(asked):
        order = ("all", "auto") if i % 2 == 0 else ("auto", "all")
        row = {"question": q.question}
        for mode in order:
            best, seconds, read, total = _answer(qa, q.question, document, mode)
            row[mode] = {"seconds": seconds, "windows": read, "answer": best,
                         "f1": 100 * best_over_truths(f1, best, list(q.answers))}
            row["windows_total"] = total
        runs.append(row)
    return {"tokens": len(qa.tokenized(document)), "characters": len(document), "runs": runs,
            "time_ratio_median": statistics.median(r["all"]["seconds"] / r["auto"]["seconds"] for r in runs),
            "window_ratio_median": statistics.median(r["all"]["windows"] / r["auto"]["windows"] for r in runs)}


def main(argv: list[str] | None = None) -> int:
    from qa_desktop.benchmark.bench_inputs import default_data_file
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--articles", type=int, default=6)
    p.add_argument("--per-article", type=int, default=10)
    p.add_argument("--long-tokens", type=int, default=100_000)
    p.add_argument("--long-questions", type=int, default=2)
    p.add_argument("--recall-articles", type=int, default=0,
                   help="also measure, without the model, how often the windows read hold the answer")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    data = args.data or default_data_file()
    if data is None or not Path(data).is_file():
        print("preselection_bench: no SQuAD v1.1 train file (give --data)", file=sys.stderr)
        return 2
    articles = held_out_articles(Path(data))
    qa = QuestionAnswerer.load(args.model, threads=args.threads)
    report = {"model": qa.name, "data": str(data)}
    if args.articles:
        report["articles"] = articles_f1(qa, articles[: args.articles], args.per_article,
                                         progress=lambda n: print(f"\r{n} questions", end="", file=sys.stderr))
        print(file=sys.stderr)
    if args.recall_articles:
        report["recall"] = answer_window_recall(qa, articles[: args.recall_articles])
    if args.long_tokens and args.long_questions:
        report["long"] = long_document(qa, articles, args.long_tokens, args.long_questions)
    print(json.dumps(report, indent=None if args.json else 1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
