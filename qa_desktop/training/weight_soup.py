"""A uniform weight soup: the element-wise mean of the weights of several runs of one base.

Why: on the 3,449 answerable questions of the held-out English evaluation file (PyTorch, never
abstaining), the English recipe's run scored F1 74.37, two runs of the same recipe trained
longer on a lent GPU 74.66 and about as much, and the mean of those three runs' weights 75.49.
Runs fine-tuned from one pretrained base stay in one basin, so their mean is a model too (model
soups: Wortsman et al., 2022), and it costs nothing at inference. The ingredients must differ:
the mean of three distillation runs continued from one checkpoint gained nothing (74.67). And
their qa_outputs heads must start from the same weights (`train_reader --head-seed`): with 8
runs whose heads started elsewhere added, a soup of 13 scored 74.66.

    python -m qa_desktop.training.weight_soup OUT_RUN RUN_A/final RUN_B/final ...

Writes OUT_RUN/final/ (weights, tokenizer and config of the first ingredient) with a
training_run.json that is the first ingredient's record plus "soup": every ingredient's file,
sha256 and training facts, and OUT_RUN/args.json (the first ingredient's run settings, which say
e.g. whether the word embeddings trained). `build_model --work OUT_RUN` then exports, calibrates,
evaluates and writes the card from it; on a lent GPU machine, `device_result.write_result(OUT_RUN,
RESULT)` sends the soup back as one model (runs trained side by side return as one).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

# What the card says about each ingredient's training (from its own training_run.json).
INGREDIENT_FACTS = ("steps", "final_step", "seed", "devices", "train_seconds", "windows")


def ingredient_record(final: Path) -> dict:
    from qa_desktop.training.squad_corpus import file_sha256

    run = json.loads((final / "training_run.json").read_text())
    hyper = run.get("hyperparameters", {})
    budget = [h["time_budget"] for h in run.get("history", []) if "time_budget" in h]
    return {"file": str(final / "model.safetensors"), "sha256": file_sha256(final / "model.safetensors"),
            **{k: run.get(k) for k in INGREDIENT_FACTS},
            "epochs_planned": hyper.get("epochs"), "lr": hyper.get("lr"),
            "epochs_trained": round(run["steps"] / budget[-1]["planned_steps"] * hyper["epochs"], 2)
            if budget else hyper.get("epochs"),
            "head_seed": hyper.get("head_seed") if hyper.get("head_seed") is not None else run.get("seed"),
            "windows_seed": windows_seed(run),
            "init_weights": run.get("init_weights"),
            "distilled": bool(hyper.get("teacher_targets")),
            "distillation": ({"weight": hyper.get("distill_weight"),
                              **((run.get("device_pack") or {}).get("distillation")
                                 or run.get("distillation") or {})}
                             if hyper.get("teacher_targets") else None)}


def windows_seed(run: dict) -> int | None:
    """The seed its unanswerable questions were drawn with: a lent machine's run trains on its
    pack's windows, not on ones drawn with its own --seed (None: a pack's, seed not recorded)."""
    if run.get("device_windows"):
        return run["device_windows"]["seed"]
    return None if run.get("hyperparameters", {}).get("prebuilt_windows") else run.get("seed")


# Below this cosine between two runs' trained qa_outputs weights, their heads started apart and
# their mean is a worse model. Measured on the English runs: 1.00 between runs whose heads shared
# their first weights, -0.05 to 0.07 between runs whose heads did not.
RELATED_HEADS = 0.5
HEAD = "qa_outputs.weight"


def head_cosines(states: list[dict]) -> list[float]:
    """Cosine between the first ingredient's qa_outputs weights and each other's."""
    import torch

    first = states[0][HEAD].flatten().double()
    return [float(torch.nn.functional.cosine_similarity(first, s[HEAD].flatten().double(), dim=0))
            for s in states[1:]]


def make_soup(out: Path, finals: list[Path], allow_unrelated_heads: bool = False) -> Path:
    """`out/final`: the mean of the ingredients' weights. Every ingredient must hold the same
    tensors with the same shapes (runs of one base), and their heads must have started from the
    same weights (unless `allow_unrelated_heads`), else SystemExit."""
    from safetensors.torch import load_file, save_file

    if len(finals) < 2:
        raise SystemExit("a soup needs at least two runs")
    states = [load_file(str(f / "model.safetensors")) for f in finals]
    first = states[0]
    for final, state in zip(finals[1:], states[1:]):
        if state.keys() != first.keys() or any(state[k].shape != first[k].shape for k in first):
            raise SystemExit(f"{final} is not a run of the same base as {finals[0]}: no soup")
    if HEAD in first and not allow_unrelated_heads:
        apart = [f"{final} ({cos:.2f})" for final, cos in zip(finals[1:], head_cosines(states)) if cos < RELATED_HEADS]
        if apart:
            raise SystemExit(f"these runs' heads did not start from {finals[0]}'s first head weights (cosine of the "
                             f"trained heads): {', '.join(apart)}; their mean would be a worse model (train them with "
                             "train_reader --head-seed, or pass --allow-unrelated-heads)")
    mean = {k: (sum(s[k].double() for s in states) / len(states)).to(first[k].dtype).contiguous() for k in first}
    target = out / "final"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(finals[0], target, ignore=shutil.ignore_patterns("model.safetensors", "training_run.json"))
    save_file(mean, str(target / "model.safetensors"), metadata={"format": "pt"})
    run = json.loads((finals[0] / "training_run.json").read_text())
    run["soup"] = [ingredient_record(f) for f in finals]
    run["train_seconds"] = sum(i["train_seconds"] or 0 for i in run["soup"])
    run["devices"] = sorted({d for i in run["soup"] for d in (i["devices"] or [])})
    (target / "training_run.json").write_text(json.dumps(run, indent=2))
    settings = finals[0].parent / "args.json"
    if settings.is_file():  # write_result reads it: a trained embedding table travels back
        shutil.copyfile(settings, out / "args.json")
    return target


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="the soup's run directory (its final/ is written)")
    p.add_argument("finals", type=Path, nargs="+", help="the ingredients' final/ directories")
    p.add_argument("--allow-unrelated-heads", action="store_true",
                   help="average runs whose qa_outputs heads started from other weights (an experiment)")
    args = p.parse_args(argv)
    print(make_soup(args.out, args.finals, args.allow_unrelated_heads))


if __name__ == "__main__":
    main()
