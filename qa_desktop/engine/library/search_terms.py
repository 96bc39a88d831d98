"""Text → what the FTS5 index holds, and a question → an FTS5 query, alike for every script.

The index uses SQLite's `unicode61` tokenizer (case and diacritics folded, Porter stemming for
English words). unicode61 splits on spaces and punctuation, so a run of Han, Kana, Hangul or
Thai letters would be one long token that a question never matches. Such runs are written into
the index as overlapping character bigrams ("東京タワー" → "東京 京タ タワ ワー"), as Lucene's CJK
analyzer does, and questions are cut the same way, so "東京" finds a passage about 東京タワー and a
two-letter Korean stem ("설계") finds "설계된" — which the `trigram` tokenizer cannot: it
matches nothing for a query shorter than three characters, and Korean stems are often two.
"""

from __future__ import annotations

import re

# Bump when index_form changes: the index is rebuilt from the stored document text.
FORM_VERSION = 1
TOKENIZER = "porter unicode61 remove_diacritics 2"

_NO_SPACE = ("\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
             "\uf900-\ufaff\u0e00-\u0e7f\U00020000-\U0002ffff")
_RUN = re.compile(f"[{_NO_SPACE}]+")
_WORD = re.compile(f"[^\\W_{_NO_SPACE}]+")


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def index_form(text: str) -> str:
    """The text as the index holds it: unchanged, except runs of no-space scripts as bigrams."""
    return _RUN.sub(lambda m: " " + " ".join(_bigrams(m.group())) + " ", text)


def question_terms(question: str) -> list[str]:
    """The question's words and bigrams, lower case, each once, in order."""
    terms: list[str] = []
    position = 0
    for run in _RUN.finditer(question):
        terms.extend(w.lower() for w in _WORD.findall(question[position:run.start()]))
        terms.extend(_bigrams(run.group()))
        position = run.end()
    terms.extend(w.lower() for w in _WORD.findall(question[position:]))
    return list(dict.fromkeys(terms))


def match_expression(question: str) -> str | None:
    """An FTS5 MATCH expression: any of the question's terms (BM25 ranks by how many and how
    rare), each quoted so no word is read as FTS5 syntax. None when there is nothing to match."""
    terms = question_terms(question)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
