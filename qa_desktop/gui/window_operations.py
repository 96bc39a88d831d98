"""The window's user operations, each a short function around the one background-operation
pattern (as Anki's qt/aqt/operations/ does): the work runs on a worker thread and returns a
result; the window attaches what happens on success, failure and progress, on the GUI thread.

Each function returns the operation unstarted, so the caller chains its callbacks and calls
run_in_background().
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa_desktop.engine import model_store
from qa_desktop.gui.background_operation import BackgroundOperation, OperationContext
from qa_desktop.gui.draft_autosave import DraftAutosave
from qa_desktop.gui.model_import import ModelImportRequest, import_checkpoint
from qa_desktop.gui.prepared_answer import ModelInfo, PreparedAnswer

if TYPE_CHECKING:  # not before the window's first paint: numpy, the tokenizer, the file readers
    from qa_desktop.engine.document_reader import Document
    from qa_desktop.engine.span_loss import SpanLoss
    from qa_desktop.gui.loaded_models import LoadedModels


def _answerer(ctx: OperationContext, models: LoadedModels, spec: str, passage: str):
    path = model_store.resolve(spec, passage)
    answerer = models.loaded(path)
    if answerer is None:
        ctx.say(f"Loading {path.name}…")
        answerer = models.get(path)
    return answerer


def load_model(parent, models: LoadedModels, spec: str, passage: str) -> BackgroundOperation[ModelInfo]:
    """The model for `spec` (and this passage, for auto), loaded or found loaded."""
    return BackgroundOperation(parent, lambda ctx: ModelInfo.of(_answerer(ctx, models, spec, passage)))


def answer_question(parent, models: LoadedModels, spec: str, question: str, passage: str, top_k: int,
                    threshold: float | None, windows_mode: str = "auto") -> BackgroundOperation[PreparedAnswer]:
    """`windows_mode` "auto": a long passage is read only where its words match the question's
    (engine/window_preselection); "all": every window."""
    def work(ctx: OperationContext) -> PreparedAnswer:
        answerer = _answerer(ctx, models, spec, passage)
        ctx.raise_if_cancelled()
        ctx.say("Reading the passage…")
        prediction = answerer.answer(
            question, passage, top_k=top_k, threshold=threshold, windows_mode=windows_mode,
            progress=lambda done, total: ctx.report(done, total, f"Reading window {done} of {total}"),
            cancelled=ctx.cancelled)
        ctx.say("Preparing the plots…")
        return PreparedAnswer.build(prediction, ModelInfo.of(answerer))

    return BackgroundOperation(parent, work)


def open_document(parent, path: Path) -> BackgroundOperation[Document]:
    def work(ctx: OperationContext) -> Document:
        from qa_desktop.engine.document_reader import read_document

        ctx.say(f"Opening {path.name}…")
        return read_document(path, progress=lambda done, total: ctx.report(done, total, f"Page {done} of {total}"),
                             cancelled=ctx.cancelled)

    return BackgroundOperation(parent, work)


def import_model(parent, request: ModelImportRequest) -> BackgroundOperation[Path]:
    return BackgroundOperation(parent, lambda ctx: import_checkpoint(
        request, lambda text, done, total: ctx.report(done, total, text), ctx.cancelled))


def save_draft(parent, autosave: DraftAutosave, passage: str, question: str,
               history: list[str]) -> BackgroundOperation[bool]:
    """The write (with fsync, which can take a disk hundreds of milliseconds) on a worker."""
    return BackgroundOperation(parent, lambda ctx: autosave.save(passage, question, history))


@dataclass(frozen=True)
class GoldSpan:
    loss: SpanLoss
    qt_span: tuple[int, int]  # the gold tokens' characters, as Qt positions
    text: str


def gold_span(answer: PreparedAnswer, selection: tuple[int, int]) -> GoldSpan:
    """The loss of the true answer selected at Qt positions `selection` (milliseconds: runs on
    the GUI thread). InputError says what is wrong with the selection."""
    from qa_desktop.engine.span_loss import gold_token_span, span_loss

    prediction, offsets = answer.prediction, answer.offsets
    start, end = offsets.to_python(selection[0]), offsets.to_python(selection[1])
    first, last = gold_token_span(prediction.tokens, start, end)
    loss = span_loss(prediction, first, last)
    t = prediction.tokens
    gold_start, gold_end = int(t.start[first]), int(t.end[last])
    return GoldSpan(loss, answer.qt_tokens(first, last), prediction.passage[gold_start:gold_end])
