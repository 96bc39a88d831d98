"""Question + passage → model windows, reusing the passage's tokenization across questions.

The passage is tokenized once (no special tokens) by the model's fast tokenizer; each question
is tokenized alone; windows are then assembled as the tokenizer's own post-processor would
(`[CLS] q [SEP] p [SEP]` for BERT, `<s> q </s></s> p </s>` for XLM-R), learnt once from the
tokenizer itself. Only the passage is cut: consecutive windows share `doc_stride` passage
tokens, as in the transformers question-answering pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from tokenizers import Encoding, Tokenizer

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.results import Window


@dataclass(frozen=True)
class PairTemplate:
    """Where the special tokens go around a (question, passage) pair, and their segment ids."""

    prefix: tuple[int, ...]
    middle: tuple[int, ...]
    suffix: tuple[int, ...]
    prefix_strings: tuple[str, ...]
    middle_strings: tuple[str, ...]
    suffix_strings: tuple[str, ...]
    question_type: int
    passage_type: int
    special_types: tuple[int, ...]  # type ids of prefix + middle + suffix, in order

    @property
    def special_count(self) -> int:
        return len(self.prefix) + len(self.middle) + len(self.suffix)

    @classmethod
    def learn(cls, tokenizer: Tokenizer) -> "PairTemplate":
        pair = tokenizer.encode("a", "b", add_special_tokens=True)
        seq = pair.sequence_ids
        q_positions = [i for i, s in enumerate(seq) if s == 0]
        p_positions = [i for i, s in enumerate(seq) if s == 1]
        if not q_positions or not p_positions:
            raise InputError("The tokenizer does not build question/passage pairs.")
        q0, q1 = q_positions[0], q_positions[-1] + 1
        p0, p1 = p_positions[0], p_positions[-1] + 1
        ids, types, toks = pair.ids, pair.type_ids, pair.tokens
        return cls(
            prefix=tuple(ids[:q0]), middle=tuple(ids[q1:p0]), suffix=tuple(ids[p1:]),
            prefix_strings=tuple(toks[:q0]), middle_strings=tuple(toks[q1:p0]),
            suffix_strings=tuple(toks[p1:]),
            question_type=types[q0], passage_type=types[p0],
            special_types=tuple(types[:q0]) + tuple(types[q1:p0]) + tuple(types[p1:]),
        )


@dataclass(frozen=True)
class WordBounds:
    """For each passage token, the first and last token of its word, where widening a span to
    whole words is right. Words in scripts written without spaces between words (Han, Kana,
    Thai) or with particles glued to words (Hangul) are not widened: their tokenizer "words"
    can be whole phrases, and "마크업 언어" must not grow into "마크업 언어와"."""

    first: np.ndarray
    last: np.ndarray

    @classmethod
    def of(cls, passage: TokenizedPassage) -> "WordBounds":
        n = len(passage)
        words = passage.word_ids
        first, last = np.arange(n), np.arange(n)
        if n == 0:
            return cls(first, last)
        change = np.flatnonzero(np.diff(words)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [n]])
        for a, b in zip(starts, ends):
            text = passage.text[passage.offsets[a, 0]: passage.offsets[b - 1, 1]]
            if not any(_no_space_script(ch) for ch in text):
                first[a:b], last[a:b] = a, b - 1
        return cls(first, last)


def _no_space_script(char: str) -> bool:
    code = ord(char)
    return (0x1100 <= code <= 0x11FF or 0x3040 <= code <= 0x30FF or 0x3130 <= code <= 0x318F
            or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF
            or 0xF900 <= code <= 0xFAFF or 0x0E00 <= code <= 0x0E7F or 0x20000 <= code <= 0x2FFFF)


@dataclass(frozen=True)
class TokenizedPassage:
    """A passage tokenized once: ids, tokens, char offsets and word ids, without special tokens."""

    text: str
    ids: np.ndarray
    tokens: tuple[str, ...]
    offsets: np.ndarray  # (n, 2) character offsets into text
    word_ids: np.ndarray  # (n,) int64, words numbered densely 0..W-1 in passage order

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @cached_property
    def word_bounds(self) -> WordBounds:
        """Computed once per passage, however many questions are asked about it."""
        return WordBounds.of(self)


def _char_offsets(encoding: Encoding, text: str) -> np.ndarray:
    offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    return np.clip(offsets, 0, len(text))


@dataclass(frozen=True)
class FittedQuestion:
    ids: list[int]
    tokens: list[str]
    length: int  # tokens in the whole question
    note: str | None  # set when the question is longer than the model was trained on


class WindowedFeatures:
    """Builds windows for one tokenizer and one set of windowing parameters."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        max_seq_len: int = 384,
        doc_stride: int = 128,
        max_question_len: int = 64,
    ):
        self.tokenizer = tokenizer
        # Our own truncation and padding decide the windows: the tokenizer must not.
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.template = PairTemplate.learn(tokenizer)
        self.max_seq_len = max_seq_len
        self.doc_stride = doc_stride
        self.max_question_len = max_question_len
        if max_seq_len - max_question_len - self.template.special_count < 1:
            raise ValueError("max_seq_len leaves no room for the passage")

    def tokenize_passage(self, passage: str) -> TokenizedPassage:
        # encode_batch, not encode: tokenizers' encode keeps the GIL for the whole call (~35 ms
        # CPU for 100k characters, far longer on a busy CPU) and freezes the window's event loop;
        # encode_batch releases it while Rust works. Same ids, tokens, offsets and words.
        enc = self.tokenizer.encode_batch([passage], add_special_tokens=False)[0]
        words = enc.word_ids
        word_ids = []
        last = -1
        for i, w in enumerate(words):
            # Pieces the tokenizer puts in no word (rare) start a word of their own.
            last = w if w is not None else last + 1 + i
            word_ids.append(last)
        # Renumber words densely 0..W-1 in passage order.
        dense, mapping = [], {}
        for w in word_ids:
            mapping.setdefault(w, len(mapping))
            dense.append(mapping[w])
        return TokenizedPassage(
            text=passage,
            ids=np.asarray(enc.ids, dtype=np.int64),
            tokens=tuple(enc.tokens),
            offsets=_char_offsets(enc, passage),
            word_ids=np.asarray(dense, dtype=np.int64),
        )

    @property
    def question_room(self) -> int:
        """The most question tokens a window takes: the trained max_question_len, or more as long
        as half the window stays passage (a longer question costs more, shorter windows)."""
        return max(self.max_question_len, self.max_seq_len // 2 - self.template.special_count)

    def fit_question(self, question: str) -> FittedQuestion:
        """The question's tokens as the windows hold them. A question longer than the model was
        trained on is read whole while it fits `question_room`; a longer one keeps its opening
        (the question word) and its end (usually the question itself), and says so."""
        enc = self.tokenizer.encode(question, add_special_tokens=False)
        ids, tokens, n = list(enc.ids), list(enc.tokens), len(enc.ids)
        room = self.question_room
        if n <= self.max_question_len:
            return FittedQuestion(ids, tokens, n, None)
        if n <= room:
            return FittedQuestion(ids, tokens, n, (
                f"The question is {n} tokens long, more than the {self.max_question_len} this model was "
                "trained on: it was read whole, and each window holds less of the passage."))
        head = room // 4
        tail = room - head
        return FittedQuestion(ids[:head] + ids[n - tail:], tokens[:head] + tokens[n - tail:], n, (
            f"The question is {n} tokens long; a window holds at most {room} question tokens, so its "
            f"first {head} and last {tail} were read and the {n - room} between them left out. "
            "A shorter question may be answered better."))

    def question_ids(self, question: str) -> tuple[list[int], list[str]]:
        fitted = self.fit_question(question)
        return fitted.ids, fitted.tokens

    def passage_capacity(self, question_len: int) -> int:
        return self.max_seq_len - question_len - self.template.special_count

    def window_starts(self, passage_len: int, capacity: int) -> list[int]:
        """First passage token of each window; the last window ends at the passage's end."""
        step = max(1, capacity - self.doc_stride)
        # As the tokenizers' overflow (and so the transformers pipeline) cuts: windows every
        # `step` tokens, the last one ending at the passage's end, possibly shorter.
        starts = [0]
        while starts[-1] + capacity < passage_len:
            starts.append(starts[-1] + step)
        return starts

    def build(self, question: str, passage: TokenizedPassage) -> list[Window]:
        if len(passage) == 0:
            raise InputError("The passage has no text the model can read. Paste or open a passage.")
        q_ids, q_tokens = self.question_ids(question)
        if not q_ids:
            raise InputError("The question is empty. Type a question.")
        t = self.template
        capacity = self.passage_capacity(len(q_ids))
        windows = []
        for index, first in enumerate(self.window_starts(len(passage), capacity)):
            last = min(first + capacity, len(passage))
            p_ids = passage.ids[first:last]
            ids = np.concatenate(
                [np.asarray(t.prefix, np.int64), np.asarray(q_ids, np.int64),
                 np.asarray(t.middle, np.int64), p_ids, np.asarray(t.suffix, np.int64)]
            )
            n_pre, n_mid, n_suf = len(t.prefix), len(t.middle), len(t.suffix)
            special = list(t.special_types)
            types = (
                special[:n_pre] + [t.question_type] * len(q_ids) + special[n_pre:n_pre + n_mid]
                + [t.passage_type] * (last - first) + special[n_pre + n_mid:]
            )
            seq_ids = (
                (None,) * n_pre + (0,) * len(q_ids) + (None,) * n_mid + (1,) * (last - first)
                + (None,) * n_suf
            )
            strings = (
                t.prefix_strings + tuple(q_tokens) + t.middle_strings + passage.tokens[first:last]
                + t.suffix_strings
            )
            windows.append(
                Window(
                    index=index,
                    input_ids=ids,
                    token_type_ids=np.asarray(types, dtype=np.int64),
                    sequence_ids=seq_ids,
                    token_strings=strings,
                    passage_token_start=first,
                    passage_token_end=last,
                    char_start=int(passage.offsets[first, 0]),
                    char_end=int(passage.offsets[last - 1, 1]),
                    context_offset=n_pre + len(q_ids) + n_mid,
                )
            )
        return windows
