"""The window's explanation operations, each a short function around the one background-operation
pattern (as window_operations does for answering): the qa_outputs decomposition of some tokens
of an answer, and word occlusion. Both only run when the user asks (the Inspector's qa_outputs
tab shown, "Why this answer?"), never on the answer path; both read the answer's own windows
again, so what they show is about the answer on screen.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Mapping

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.head_decomposition import HeadExplainer, HeadWeights, HiddenStates, TokenDecomposition
from qa_desktop.engine.head_projection import HeadProjection, project_window
from qa_desktop.engine.occlusion import PASSAGE, QUESTION, OcclusionPlan, WordOcclusion, plan_occlusion, run_occlusion
from qa_desktop.engine.results import Prediction
from qa_desktop.gui.background_operation import BackgroundOperation, OperationContext
from qa_desktop.gui.color_theme import ColorTheme
from qa_desktop.gui.loaded_models import LoadedModels
from qa_desktop.gui.occlusion_words import heat_html
from qa_desktop.gui.prepared_answer import PreparedAnswer

ANSWER_START, ANSWER_END, CLICKED = "answer start", "answer end", "clicked token"

# One HeadExplainer per loaded model: its explanation session (and the graph surgery behind it)
# is made once, on the first explanation, and reused for every later one.
_EXPLAINERS: "weakref.WeakKeyDictionary[object, HeadExplainer]" = weakref.WeakKeyDictionary()
_EXPLAINERS_LOCK = threading.Lock()


def explainer_for(answerer) -> HeadExplainer:
    with _EXPLAINERS_LOCK:
        explainer = _EXPLAINERS.get(answerer)
        if explainer is None:
            explainer = _EXPLAINERS[answerer] = HeadExplainer(answerer)
        return explainer


def _answerer(ctx: OperationContext, models: LoadedModels, answer: PreparedAnswer):
    """The QuestionAnswerer that produced `answer` (loaded again only if the device changed since)."""
    answerer = models.loaded(answer.model.path)
    if answerer is None:
        ctx.say(f"Loading {answer.model.name}…")
        answerer = models.get(answer.model.path)
    return answerer


@dataclass(frozen=True)
class ExplainedToken:
    role: str  # ANSWER_START, ANSWER_END or CLICKED
    passage_token: int
    which: str  # the logit shown first: "start" or "end"
    decomposition: TokenDecomposition


@dataclass(frozen=True)
class HeadExplanation:
    """qa_outputs for some tokens of one answer: their decompositions and their windows' 2-D views."""

    weights: HeadWeights
    tokens: tuple[ExplainedToken, ...]
    projections: Mapping[int, HeadProjection]  # window → its 2-D view
    states: Mapping[int, HiddenStates]  # window → the hidden states read (kept to reuse)

    def token(self, role: str) -> ExplainedToken | None:
        return next((t for t in self.tokens if t.role == role), None)


def token_requests(prediction: Prediction, candidate: int | None, clicked: int | None) -> list[tuple[str, int, int]]:
    """(role, passage token, window) for the chosen answer's start and end and the clicked token.
    The answer's tokens are explained in the window the answer was read from; a clicked token in
    the window its merged logits come from (the one the plot shows)."""
    requests = []
    if candidate is not None and 0 <= candidate < len(prediction.candidates):
        a = prediction.candidates[candidate]
        requests += [(ANSWER_START, a.start_token, a.window), (ANSWER_END, a.end_token, a.window)]
    if clicked is not None:
        if not 0 <= clicked < len(prediction.tokens):
            raise InputError(f"Token {clicked} is not in the passage.")
        requests.append((CLICKED, clicked, int(prediction.tokens.window[clicked])))
    return requests


def explain_head(parent, models: LoadedModels, answer: PreparedAnswer, candidate: int | None,
                 clicked: int | None, known: Mapping[int, HiddenStates]) -> BackgroundOperation[HeadExplanation]:
    """Decompositions of the answer's start/end tokens and the clicked token, and 2-D views of
    their windows. Windows in `known` are not read again."""
    prediction = answer.prediction
    requests = token_requests(prediction, candidate, clicked)
    if not requests:
        raise InputError("There is no answer span to explain: click a token in the plot or the passage.")

    def work(ctx: OperationContext) -> HeadExplanation:
        answerer = _answerer(ctx, models, answer)
        explainer = explainer_for(answerer)
        ctx.say("Preparing the explanation graph…")
        weights = explainer.weights  # builds (or reads the cached) explanation graph
        states = dict(known)
        missing = sorted({window for _, _, window in requests} - set(states))
        if missing:
            read = explainer.hidden_states(
                prediction, missing, cancelled=ctx.cancelled,
                progress=lambda done, total: ctx.report(done, total, f"Reading hidden states: batch {done} of {total}"))
            states.update({window: read for window in missing})
        ctx.raise_if_cancelled()
        tokens = tuple(
            ExplainedToken(role, token, "end" if role == ANSWER_END else "start",
                           explainer.decompose_passage_token(prediction, states[window], token, window))
            for role, token, window in requests)
        projections = {}
        for window in dict.fromkeys(window for _, _, window in requests):
            try:
                projections[window] = project_window(prediction, states[window], weights, window)
            except InputError:
                pass  # a window with a single passage token has no 2-D view
        return HeadExplanation(weights, tokens, projections, states)

    return BackgroundOperation(parent, work)


def plan_words(parent, models: LoadedModels, answer: PreparedAnswer,
               candidate: int) -> BackgroundOperation[OcclusionPlan]:
    """What occlusion of candidate `candidate` will mask and how many windows it will read."""
    return BackgroundOperation(parent, lambda ctx: plan_occlusion(_answerer(ctx, models, answer),
                                                                  answer.prediction, candidate))


@dataclass(frozen=True)
class ShownOcclusion:
    occlusion: WordOcclusion
    question_html: str  # the question with each word shaded by its drop
    passage_html: str  # the passage, likewise (words outside the answer's window stay plain)


def occlude_words(parent, models: LoadedModels, answer: PreparedAnswer, plan: OcclusionPlan,
                  theme: ColorTheme) -> BackgroundOperation[ShownOcclusion]:
    prediction = answer.prediction

    def work(ctx: OperationContext) -> ShownOcclusion:
        answerer = _answerer(ctx, models, answer)
        occlusion = run_occlusion(
            answerer, prediction, plan, cancelled=ctx.cancelled,
            progress=lambda done, total: ctx.report(done, total, f"Masked windows read: {done} of {total}"))
        # The overlay's HTML is built here: for a long passage it is a large string.
        return ShownOcclusion(occlusion, heat_html(prediction.question, occlusion, QUESTION, theme),
                              heat_html(prediction.passage, occlusion, PASSAGE, theme))

    return BackgroundOperation(parent, work)
