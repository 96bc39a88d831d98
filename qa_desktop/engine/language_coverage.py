"""Does a model read the passage's writing system? The model's manifest lists its languages;
each language is written in known scripts (passage_script names them), so a Korean passage
given to the English model is said to be out of its reach instead of answered silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_desktop.engine.passage_script import script_counts

# The scripts a language is written in (passage_script's names). A language not listed here
# makes no claim: a model with such a language is assumed to read every script.
LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **{code: frozenset({"Latin"}) for code in (
        "en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "nb", "fi", "pl", "cs", "sk",
        "sl", "hr", "ro", "hu", "tr", "id", "ms", "vi", "ca", "eu", "et", "lv", "lt", "sw", "tl")},
    "ko": frozenset({"Hangul", "Han"}),
    "ja": frozenset({"Kana", "Han"}),
    "zh": frozenset({"Han"}),
    "ru": frozenset({"Cyrillic"}), "uk": frozenset({"Cyrillic"}), "bg": frozenset({"Cyrillic"}),
    "sr": frozenset({"Cyrillic", "Latin"}),
    "ar": frozenset({"Arabic"}), "fa": frozenset({"Arabic"}), "ur": frozenset({"Arabic"}),
    "he": frozenset({"Hebrew"}), "el": frozenset({"Greek"}), "th": frozenset({"Thai"}),
    "hi": frozenset({"Devanagari"}), "bn": frozenset({"Bengali"}),
}
# A script counts as the passage's when at least this share of its letters are in it (the
# share at which `auto` switches to the multilingual model: passage_script.needs_multilingual).
SCRIPT_SHARE = 0.2

HOW_TO_GET_ONE = (
    "No multilingual model is installed: import one (Model → Open model directory… or Import…), "
    "or make one with `qa-desktop export CHECKPOINT OUT_DIR --languages ko,ja,zh,en`.")


@dataclass(frozen=True)
class LanguageCoverage:
    scripts: tuple[str, ...]  # the passage's scripts, most letters first
    unread: tuple[str, ...]  # those the model does not read

    @property
    def covered(self) -> bool:
        return not self.unread


def model_scripts(languages) -> frozenset[str] | None:
    """The scripts a model with these languages reads; None when one language is unknown here
    (then nothing is claimed)."""
    scripts: set[str] = set()
    for language in languages:
        known = LANGUAGE_SCRIPTS.get(str(language).lower().split("-")[0])
        if known is None:
            return None
        scripts |= known
    return frozenset(scripts)


def coverage(languages, passage: str) -> LanguageCoverage:
    counts = script_counts(passage)
    total = sum(counts.values())
    scripts = tuple(s for s, n in counts.most_common() if total and n / total >= SCRIPT_SHARE)
    reads = model_scripts(languages)
    if reads is None or not languages:
        return LanguageCoverage(scripts, ())
    return LanguageCoverage(scripts, tuple(s for s in scripts if s not in reads))


def coverage_warning(model_name: str, languages, passage: str, multilingual: str | None) -> str | None:
    """One line for `ask` and the window when the model does not read the passage's script, with
    the model that does (`multilingual`: its name, None when none is installed) or how to get it."""
    found = coverage(languages, passage)
    if found.covered:
        return None
    unread = " and ".join(found.unread)
    offer = (f"The multilingual model {multilingual} reads it: choose it (--model multilingual)."
             if multilingual else HOW_TO_GET_ONE)
    return (f"{model_name} does not read {unread} script (it reads {', '.join(languages)}), so its "
            f"answers to this passage are guesses. {offer}")
