"""Document text → passages: character ranges the full-text index ranks, about one model window.

Paragraphs (blocks between blank lines) are packed together up to `target_chars`; a paragraph
longer than `max_chars` is cut at white space (anywhere, in text written without spaces) into
pieces that overlap by `overlap_chars`, so an answer on a cut is whole in one piece. Passages are
ranges into the document, never copies, so an answer found in one maps back to the document.
"""

from __future__ import annotations

import re

TARGET_CHARS = 1000
MAX_CHARS = 1500
OVERLAP_CHARS = 200

_BLANK_LINES = re.compile(r"\n[^\S\n]*\n")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs: ranges between blank lines, without their outer white space."""
    blocks = []
    position = 0
    for separator in [*_BLANK_LINES.finditer(text), None]:
        end = separator.start() if separator is not None else len(text)
        start = position
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            blocks.append((start, end))
        if separator is not None:
            position = separator.end()
    return blocks


def _cut(text: str, start: int, end: int, target: int, overlap: int) -> list[tuple[int, int]]:
    """Pieces of text[start:end] of about `target` characters, overlapping by about `overlap`."""
    pieces = []
    begin = start
    while True:
        if end - begin <= target + target // 4:
            pieces.append((begin, end))
            return pieces
        stop = begin + target
        space = text.rfind(" ", begin + target // 2, stop)
        newline = text.rfind("\n", begin + target // 2, stop)
        stop = max(space, newline) if max(space, newline) > 0 else stop
        pieces.append((begin, stop))
        nxt = max(begin + 1, stop - overlap)
        # Start the next piece at a word (after white space), when there is one nearby.
        gap = text.find(" ", nxt, stop)
        begin = gap + 1 if gap != -1 else nxt
        while begin < end and text[begin].isspace():
            begin += 1


def split_passages(text: str, target_chars: int = TARGET_CHARS, max_chars: int = MAX_CHARS,
                   overlap_chars: int = OVERLAP_CHARS) -> list[tuple[int, int]]:
    passages: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for start, end in _blocks(text):
        if end - start > max_chars:
            if current is not None:
                passages.append(current)
                current = None
            passages.extend(_cut(text, start, end, target_chars, overlap_chars))
            continue
        if current is not None and end - current[0] <= target_chars:
            current = (current[0], end)
        else:
            if current is not None:
                passages.append(current)
            current = (start, end)
    if current is not None:
        passages.append(current)
    return passages
