"""Several runs of one pack trained side by side on one lent GPU, one seed each: soup ingredients.

Why: the English model is a weight soup (`weight_soup`), and a soup gains from ingredients that
differ. One run of the English recipe leaves an H200 mostly idle (Python builds each batch of
MiniLM-L6 windows); four side by side trained their 2 epochs each in about 5 minutes (2.0-2.3 ms
per window each, GPU busy 67-97%).

Each run writes its own result (fp16 chunks, and a record with its F1 on the pack's confirmation
questions) to ROOT/rSEED and trains in ROOT/wSEED. A lent machine returns 64 MiB in all, one
English-size result, so either `--soup-to $OUT` returns the mean of all the runs as one model,
or quick follow-up calls while the machine is warm bring back one run each (`cp -r ROOT/rSEED
$OUT`), to be merged here and souped with other ingredients:

    (there) python -m qa_desktop.training.side_by_side gpu-pack-en --seeds 31 32 33 34 \\
                --minutes 7.5 --root /tmp/seeds
    (there, one call per run) cp -r /tmp/seeds/r31 $OUT
    (here)  python -m qa_desktop.training.device_bundle merge RESULT --pack gpu-pack-en --base BASE \\
                --work runs/gpu-seeds/s31

With a pack's prebuilt windows, a seed changes the batch order and dropout, not the unanswerable
questions: those were drawn when the pack was built. `--windows-seeds 13 15` gives the runs in
turn the pack's own windows and those `device_bundle add-windows` added (drawn with seed 15).
Every run's head starts from the pack's own seed (`--head-seed`, `train_reader.load_base_model`):
runs whose heads start apart do not average into a better model. Eight runs made with heads of
their own (seeds 31-38) scored 74.4-76.2 F1 each on the confirmation questions, and their mean 75.8.
Such runs (`--own-heads`) are still useful as teachers: `ensemble_targets` averages their
predictions into soft targets, and students of the pack's head seed, trained toward them
(`--extra --teacher-targets FILE --distill-weight W`), average again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from qa_desktop.training.device_bundle import pack_seed


def train_side_by_side(pack: Path, seeds: list[int], minutes: float, root: Path, device: str = "cuda",
                       extra: list[str] | None = None, windows_seeds: list[int] | None = None,
                       own_heads: bool = False) -> list[Path]:
    """Train one run of `pack` per seed at once, each head starting from the pack's seed (from
    the run's own with `own_heads`: teachers for `ensemble_targets`, not soup ingredients), the
    runs taking `windows_seeds` in turn (default: all the pack's own windows); the final/
    directories of those that finished, in seed order. Each run's log is ROOT/log-SEED.txt."""
    root.mkdir(parents=True, exist_ok=True)
    threads = max(1, (os.cpu_count() or 1) // len(seeds))  # CPU threads shared, not oversubscribed
    head_seed = pack_seed(json.loads((pack / "plan.json").read_text()))
    head = ["--head-seed", str(head_seed)] if head_seed is not None and not own_heads else []
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    running = []
    for i, seed in enumerate(seeds):
        drawn = ["--windows-seed", str(windows_seeds[i % len(windows_seeds)])] if windows_seeds else []
        argv = [sys.executable, "-m", "qa_desktop.training.device_bundle", "train", str(pack), *drawn,
                "--result", str(root / f"r{seed}"), "--work", str(root / f"w{seed}"), "--minutes", str(minutes),
                "--device", device, "--extra", "--seed", str(seed), *head, "--threads", str(threads), *(extra or [])]
        with open(root / f"log-{seed}.txt", "w") as log:
            running.append((seed, subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)))
    finished = []
    for seed, process in running:
        code = process.wait()
        final = root / f"w{seed}" / "run" / "final"
        record = root / f"r{seed}" / "training_run.json"
        facts = json.loads(record.read_text()) if record.is_file() else {}
        if code == 0 and (final / "model.safetensors").is_file() and "selection" in facts:
            finished.append(final)
            print(f"seed {seed} (unanswerables drawn with seed {facts['device_windows']['seed']}): "
                  f"F1 {facts['selection']['confirmation_f1']} on {facts['selection']['questions']} "
                  "confirmation questions", flush=True)
        else:
            print(f"seed {seed}: did not finish (exit {code}); see {root / f'log-{seed}.txt'}", flush=True)
    return finished


def send_soup(finals: list[Path], root: Path, out: Path) -> list[Path]:
    """The mean of the finished runs as one returned result in `out`, with each run's record
    beside it (record-sSEED.json)."""
    from qa_desktop.training.device_result import write_result
    from qa_desktop.training.weight_soup import make_soup

    make_soup(root / "soup", finals)
    files = write_result(root / "soup", out)
    for final in finals:
        seed = final.parent.parent.name[1:]
        shutil.copyfile(root / f"r{seed}" / "training_run.json", out / f"record-s{seed}.json")
    return files


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pack", type=Path)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--minutes", type=float, required=True, help="each run's time budget (they run at once)")
    p.add_argument("--root", type=Path, required=True, help="where the runs train and write their results")
    p.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    p.add_argument("--windows-seeds", type=int, nargs="+", default=None,
                   help="the pack's windows (add-windows) the runs take in turn, by the seed they were drawn with")
    p.add_argument("--own-heads", action="store_true",
                   help="each run's head from its own seed (teachers whose predictions are averaged, never a soup)")
    p.add_argument("--soup-to", type=Path, default=None, help="return the runs' mean here as one result")
    p.add_argument("--extra", nargs=argparse.REMAINDER, help="more train_reader arguments (they win)")
    args = p.parse_args(argv)
    finals = train_side_by_side(args.pack, args.seeds, args.minutes, args.root, args.device, args.extra,
                                args.windows_seeds, args.own_heads)
    if args.soup_to is not None:
        if len(finals) < 2:
            raise SystemExit(f"{len(finals)} run(s) finished: no soup to send")
        send_soup(finals, args.root, args.soup_to)


if __name__ == "__main__":
    main()
