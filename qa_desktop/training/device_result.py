"""What a lent GPU machine sends back from a pack's training (`device_bundle`), and how it is
taken in here.

A lent machine returns at most 8 files of 16 MiB, 64 MiB in all: one English-size model (45 MB
in fp16) fits, two do not. So each run's weights leave as fp16 chunks (a tensor larger than what
is left of a chunk is cut by rows and joined again by `read_returned`), variants trained side by
side are ranked on the same confirmation questions (`record_confirmation_f1`, `keep_best`), and
`merge` writes the run's `final/` here, so `build_model` continues from it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

CHUNK_BYTES = 15 * 2**20  # under the 16 MiB a returned file may have


def record_confirmation_f1(final: Path, argv: list[str], run_json: Path, device: str) -> None:
    """Score the final weights on the run's confirmation questions (drawn with the run's seed, so
    every variant of one pack gets the same ones) and add it to training_run.json: what
    `keep_best` ranks variants by."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa_desktop.training import train_reader
    from qa_desktop.training.heldout_curve import heldout_f1

    args = train_reader.parse_args(argv)
    _curve, confirm = train_reader.held_out_samples(args)
    if not confirm:
        return
    run = json.loads(run_json.read_text())
    score = train_reader.confirmation_f1(run)  # scored when train_reader chose the final weights
    if score is None:
        where = torch.device(device)
        model = AutoModelForQuestionAnswering.from_pretrained(str(final)).to(where)
        score = heldout_f1(model, AutoTokenizer.from_pretrained(str(final)), confirm, where,
                           train_reader.pick_precision(args.precision, where), args.max_seq_len, args.doc_stride)
    run["selection"] = {"confirmation_f1": round(score, 2), "questions": len(confirm)}
    run_json.write_text(json.dumps(run, indent=2))
    print(f"final weights score {score:.2f} on {len(confirm)} confirmation questions", flush=True)


def keep_best(results: list[Path], out: Path, keep: int) -> list[Path]:
    """Copy the `keep` finished variants with the highest confirmation F1 into `out/<name>/`
    (a lent machine returns 64 MiB in all: one English-size model's 3 weight chunks and record)."""
    scored = []
    for result in results:
        record = result / "training_run.json"
        run = json.loads(record.read_text()) if record.is_file() else {}
        f1 = run.get("selection", {}).get("confirmation_f1")
        print(f"{result.name}: {'unfinished' if f1 is None else f'{f1:.2f}'} "
              f"({run.get('steps', '?')} steps, {run.get('train_seconds', '?')} s)", flush=True)
        if f1 is not None:
            scored.append((f1, result))
    kept = [result for _f1, result in sorted(scored, key=lambda item: -item[0])[:keep]]
    for result in kept:
        shutil.copytree(result, out / result.name, dirs_exist_ok=True)
    return [out / result.name for result in kept]


def write_result(run: Path, result: Path) -> list[Path]:
    """The run's final weights (else its best, else its last), less a frozen embedding table,
    as fp16 safetensors chunks, with training_run.json."""
    import torch
    from safetensors.torch import load_file, save_file

    result.mkdir(parents=True, exist_ok=True)
    if (run / "final" / "model.safetensors").exists():
        state, status = load_file(str(run / "final" / "model.safetensors")), "complete"
        shutil.copyfile(run / "final" / "training_run.json", result / "training_run.json")
    else:
        source = run / "best_model.pt" if (run / "best_model.pt").exists() else run / "checkpoint.pt"
        if not source.exists():
            return []
        saved = torch.load(source, weights_only=False, map_location="cpu")
        state, status = saved["model"], f"stopped early: {source.name} at step {saved['step']}"
        last = saved if source.name == "checkpoint.pt" else torch.load(
            run / "checkpoint.pt", weights_only=False, map_location="cpu")
        (result / "training_run.json").write_text(json.dumps({"incomplete": status, "history": last["history"]}))
    args = json.loads((run / "args.json").read_text()) if (run / "args.json").is_file() else {}
    frozen = args.get("freeze_word_embeddings", True)
    state = {k: v.to(torch.float16).contiguous() for k, v in state.items()
             if not (frozen and k.endswith("word_embeddings.weight"))}
    chunks = chunked(state, CHUNK_BYTES)
    paths = []
    for i, chunk in enumerate(chunks):
        paths.append(result / f"weights-{i:02d}.safetensors")
        save_file(chunk, str(paths[-1]))
    print(f"result: {status}; {len(paths)} weight files in {result}", flush=True)
    return paths


def chunked(state: dict, limit: int) -> list[dict]:
    """The tensors in chunks of at most `limit` bytes, filled in name order; a tensor that does not
    fit what is left of a chunk is cut by rows (`name@first_row`), so the chunks number
    ceil(total / limit) and no file is larger than a returned file may be."""
    chunks, current, size = [], {}, 0
    for name in sorted(state):
        tensor, first = state[name], 0
        row_bytes = max(1, tensor[0].numel() * tensor.element_size()) if tensor.dim() else tensor.element_size()
        rows = tensor.shape[0] if tensor.dim() else 1
        while first < rows:
            fit = rows - first if not tensor.dim() else min(rows - first, (limit - size) // row_bytes)
            if fit <= 0:
                chunks.append(current)
                current, size = {}, 0
                continue
            whole = first == 0 and fit == rows
            current[name if whole else f"{name}@{first}"] = tensor if whole else tensor[first:first + fit].clone()
            size += fit * row_bytes
            first += fit
    chunks.append(current)
    return [chunk for chunk in chunks if chunk]


def read_returned(files: list[Path]) -> dict:
    """The state dict that `write_result` chunked, with cut tensors joined again."""
    import torch
    from safetensors.torch import load_file

    pieces: dict[str, list] = {}
    for path in files:
        for key, value in load_file(str(path)).items():
            name, _, first = key.rpartition("@") if "@" in key else (key, "", "0")
            pieces.setdefault(name, []).append((int(first), value))
    return {name: parts[0][1] if len(parts) == 1 else torch.cat([v for _first, v in sorted(parts, key=lambda p: p[0])])
            for name, parts in pieces.items()}


def merge(result: Path, pack_dir: Path, base: Path, work: Path) -> Path:
    """`work/final` as if the run had trained here: the full base (for a prepared run's pack, the
    checkpoint it continued from) plus the returned tensors."""
    from safetensors.torch import save_file

    from qa_desktop.training.init_weights import materialize

    run = json.loads((result / "training_run.json").read_text())
    if "incomplete" in run:
        raise SystemExit(f"the device run did not finish ({run['incomplete']}): not merged")
    plan = json.loads((pack_dir / "plan.json").read_text())
    final = work / "final"
    work.mkdir(parents=True, exist_ok=True)
    joined = work / "returned-weights.safetensors"
    save_file(read_returned(sorted(result.glob("weights-*.safetensors"))), str(joined))
    materialize(base, joined, final)
    joined.unlink()
    run.update({"base_model": str(base), "data": plan["data"],
                "device_pack": {k: plan[k] for k in PACK_FACTS if k in plan},
                "returned_precision": "fp16 (trained in fp32 master weights with bf16 autocast)"})
    if plan.get("init_weights"):
        run["init_weights"] = plan["init_weights"]
    if run.get("device_windows"):  # trained on windows add-windows packed, not the pack's own
        run["device_pack"].update({k: run["device_windows"][k] for k in ("windows", "examples", "unanswerable")
                                   if k in run["device_windows"]})
    (final / "training_run.json").write_text(json.dumps(run, indent=2))
    return final


# What a card may say about how the pack was made (a recipe's pack or a prepared run's).
PACK_FACTS = ("pieces_kept", "pieces_in_base", "windows", "examples", "unanswerable",
              "windows_checked_against_full_tokenizer", "weights", "note", "run", "windows_key", "teacher_targets",
              "distillation")
