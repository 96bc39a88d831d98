"""Training windows with start/end token labels, as the seed describes.

A window whose passage slice does not hold the whole answer (and every window of an
unanswerable example) is labelled at [CLS], index 0: that is what gives the null score its
meaning at inference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.training.squad_corpus import QAExample


@dataclass
class TrainingWindows:
    input_ids: list[np.ndarray]
    token_type_ids: list[np.ndarray] | None
    start_positions: np.ndarray
    end_positions: np.ndarray
    # Only with build_windows(keep_offsets=True) (distillation targets need them; the cache does
    # not keep them): each window's example and its tokens' character offsets in the example's
    # context, (-1, -1) for question and special tokens.
    example_index: np.ndarray | None = None
    offsets: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(ids) for ids in self.input_ids])


def build_windows(
    tokenizer, examples: list[QAExample], max_seq_len: int = 384, doc_stride: int = 128,
    max_question_len: int = 64, chunk: int = 2000, keep_offsets: bool = False,
) -> TrainingWindows:
    input_ids: list[np.ndarray] = []
    type_ids: list[np.ndarray] = []
    example_index: list[int] = []
    passage_offsets: list[np.ndarray] = []
    starts: list[int] = []
    ends: list[int] = []
    pad_right = tokenizer.padding_side == "right"
    assert pad_right, "question-first windows expect right padding"
    for begin in range(0, len(examples), chunk):
        batch = examples[begin : begin + chunk]
        questions = []
        for ex in batch:
            q_ids = tokenizer(ex.question.strip(), add_special_tokens=False)["input_ids"]
            if len(q_ids) > max_question_len:
                questions.append(tokenizer.decode(q_ids[:max_question_len]))
            else:
                questions.append(ex.question.strip())
        enc = tokenizer(
            questions,
            [ex.context for ex in batch],
            truncation="only_second",
            max_length=max_seq_len,
            stride=doc_stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for i in range(len(enc["input_ids"])):
            ex = batch[enc["overflow_to_sample_mapping"][i]]
            if keep_offsets:
                example_index.append(begin + enc["overflow_to_sample_mapping"][i])
                passage_offsets.append(np.array([o if s == 1 else (-1, -1) for o, s in
                                                 zip(enc["offset_mapping"][i], enc.sequence_ids(i))],
                                                dtype=np.int32).reshape(-1, 2))
            seq_ids = enc.sequence_ids(i)
            offsets = enc["offset_mapping"][i]
            start_token = end_token = 0
            if not ex.is_impossible:
                char_start = ex.answer_starts[0]
                char_end = char_start + len(ex.answer_texts[0])
                passage = [k for k, s in enumerate(seq_ids) if s == 1]
                first, last = passage[0], passage[-1]
                if offsets[first][0] <= char_start and offsets[last][1] >= char_end:
                    start_token = next(
                        k for k in passage if offsets[k][0] <= char_start < offsets[k][1]
                        or offsets[k][0] >= char_start
                    )
                    end_token = next(
                        k for k in reversed(passage) if offsets[k][0] < char_end
                    )
            input_ids.append(np.asarray(enc["input_ids"][i], dtype=np.int32))
            if "token_type_ids" in enc:
                type_ids.append(np.asarray(enc["token_type_ids"][i], dtype=np.int8))
            starts.append(start_token)
            ends.append(end_token)
    return TrainingWindows(
        input_ids=input_ids,
        token_type_ids=type_ids or None,
        start_positions=np.asarray(starts, dtype=np.int64),
        end_positions=np.asarray(ends, dtype=np.int64),
        example_index=np.asarray(example_index, dtype=np.int64) if keep_offsets else None,
        offsets=passage_offsets if keep_offsets else None,
    )


def length_grouped_batches(
    lengths: np.ndarray, batch_size: int, pad_multiple: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Batches of windows with the same padded length (few distinct shapes), in random order."""
    padded = ((lengths + pad_multiple - 1) // pad_multiple) * pad_multiple
    batches = []
    for size in np.unique(padded):
        members = np.flatnonzero(padded == size)
        rng.shuffle(members)
        for begin in range(0, len(members), batch_size):
            batches.append(members[begin : begin + batch_size])
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def padded_batch(windows: TrainingWindows, members: np.ndarray, pad_multiple: int, pad_id: int) -> dict[str, np.ndarray]:
    """The model inputs of these windows, right-padded to a multiple of `pad_multiple` (few shapes)."""
    length = int(windows.lengths[members].max())
    length = ((length + pad_multiple - 1) // pad_multiple) * pad_multiple
    ids = np.full((len(members), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(members), length), dtype=np.int64)
    types = np.zeros((len(members), length), dtype=np.int64)
    for row, index in enumerate(members):
        n = len(windows.input_ids[index])
        ids[row, :n] = windows.input_ids[index]
        mask[row, :n] = 1
        if windows.token_type_ids is not None:
            types[row, :n] = windows.token_type_ids[index]
    inputs = {"input_ids": ids, "attention_mask": mask}
    if windows.token_type_ids is not None:
        inputs["token_type_ids"] = types
    return inputs
