"""qa-desktop against Optimum, interleaved in one process: for machines too busy for `bench`.

    PEER_PYTHON -m qa_desktop.benchmark.interleaved_peers --reference CKPT --build-dir DIR
        --model NAME=DIR [--model NAME=DIR ...] [--optimum fp32,int8] [--config avx2]
        [--rounds 9] [--long-tokens 20000] [--long-rounds 3] [--threads 2]

`qa-desktop bench` runs each contestant in a process of its own, one after another: right for
memory and on an idle machine, but when other work shares the CPU, its load drifts between
contestants. Here every contestant is loaded in one process (run it with the python that has the
`bench` extra) and they take turns, round by round, on the same short paragraph and the same
long document as the bench builds; medians and ratios to Optimum int8 are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from qa_desktop.benchmark import bench_inputs
    from qa_desktop.benchmark.optimum_peer import OptimumPeer
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True)
    p.add_argument("--build-dir", type=Path, required=True)
    p.add_argument("--model", action="append", default=[], help="NAME=MODEL_DIR (qa-desktop engine)")
    p.add_argument("--optimum", default="int8", help="comma-separated: fp32,int8")
    p.add_argument("--config", default="avx2")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--long-tokens", type=int, default=20_000)
    p.add_argument("--long-rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=None)
    args = p.parse_args(argv)

    contestants = {}
    for item in args.model:
        name, _, path = item.partition("=")
        options = {"device": "cpu", "threads": args.threads}
        if args.batch_size:
            options["batch_size"] = args.batch_size
        qa = QuestionAnswerer.load(path, **options)

        def ours(question, context, qa=qa):
            qa.forget_passage()
            return qa.answer(question, context, top_k=1).best.text

        contestants[name] = ours
        tokenizer = qa.features.tokenizer
    for precision in [x for x in args.optimum.split(",") if x]:
        peer = OptimumPeer(args.reference, args.build_dir, precision=precision, config=args.config,
                           threads=args.threads)
        contestants[f"optimum_{precision}"] = lambda q, c, peer=peer: peer.answer(q, c)["answer"]

    def count(texts):
        return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    data = bench_inputs.default_data_file()
    items = bench_inputs.read_items(data) if data else bench_inputs.builtin_items()
    work = bench_inputs.build_workload(items, str(data), count, sample=0, long_tokens=args.long_tokens,
                                       max_question_len=64, held_out_first=bool(data))
    report = {"short_tokens": work.short_tokens, "long_tokens": work.long_tokens, "threads": args.threads,
              "optimum_config": args.config, "short_ms": {}, "long_s": {}}
    short, long_ = work.short, work.long
    for fn in contestants.values():
        fn(short.question, short.context)  # warm-up
    times = {n: [] for n in contestants}
    for r in range(args.rounds):
        names = list(contestants) if r % 2 == 0 else list(reversed(contestants))
        for n in names:
            t0 = time.perf_counter()
            contestants[n](short.question, short.context)
            times[n].append(time.perf_counter() - t0)
    report["short_ms"] = {n: statistics.median(v) * 1e3 for n, v in times.items()}
    times = {n: [] for n in contestants}
    for r in range(args.long_rounds):
        names = list(contestants) if r % 2 == 0 else list(reversed(contestants))
        for n in names:
            t0 = time.perf_counter()
            contestants[n](long_.question, long_.context)
            times[n].append(time.perf_counter() - t0)
            print(f"long {n}: {times[n][-1]:.2f} s", file=sys.stderr, flush=True)
    report["long_s"] = {n: statistics.median(v) for n, v in times.items()}
    base = f"optimum_{'int8' if 'optimum_int8' in contestants else 'fp32'}"
    report["short_vs_" + base] = {n: v / report["short_ms"][base] for n, v in report["short_ms"].items()}
    report["long_vs_" + base] = {n: v / report["long_s"][base] for n, v in report["long_s"].items()}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
