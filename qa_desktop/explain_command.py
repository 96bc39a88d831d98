"""`qa-desktop explain`: why the answer's start and end logits are what they are, and (with
--words) which words of the question and passage the answer depends on.

    qa-desktop explain --question Q (--context TEXT | --file F) [--model M] [--token I] [--words] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from qa_desktop.engine.errors import QaDesktopError

TOP_DIMENSIONS = 8


def register(sub) -> None:
    """Adds the `explain` subcommand to the CLI's subparsers."""
    from qa_desktop.cli import add_model_option

    explain = sub.add_parser("explain", help="decompose the answer's logits (qa_outputs) and score words by occlusion",
                             formatter_class=argparse.RawDescriptionHelpFormatter, description=__doc__)
    add_model_option(explain)
    explain.add_argument("--question", required=True)
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument("--context", help="the passage text")
    source.add_argument("--file", help="a file holding the passage")
    explain.add_argument("--token", type=int, default=None, metavar="I",
                         help="explain passage token I (as numbered in the Inspector) instead of the answer's tokens")
    explain.add_argument("--words", action="store_true",
                         help="also mask each word of the answer's window and report the score drop")
    explain.add_argument("--top", type=int, default=TOP_DIMENSIONS,
                         help=f"dimensions listed per logit (default {TOP_DIMENSIONS})")
    explain.add_argument("--json", action="store_true")


def _dimensions(decomposition, which: str, top: int) -> list[dict]:
    products = decomposition.start_products if which == "start" else decomposition.end_products
    order = decomposition.order(which)
    # The largest pushes up and the largest pushes down: the few dimensions that decide.
    picked = list(order[:top]) + [i for i in order[::-1][:top] if i not in order[:top]]
    return [{"dim": int(i), "h": round(float(decomposition.hidden[i]), 6),
             "product": round(float(products[i]), 6)} for i in picked]


def _logit_json(decomposition, which: str, weights, top: int) -> dict:
    start = which == "start"
    products = decomposition.start_products if start else decomposition.end_products
    out = {
        "sum": round(decomposition.start_sum if start else decomposition.end_sum, 6),
        "products_sum": round(float(products.sum()), 6),
        "bias": round(decomposition.b_start if start else decomposition.b_end, 6),
        "model_logit": round(decomposition.model_start_logit if start else decomposition.model_end_logit, 6),
        "top_dimensions": _dimensions(decomposition, which, top),
    }
    quantized = decomposition.quantized_start_sum if start else decomposition.quantized_end_sum
    if quantized is not None:
        saturated = decomposition.saturated_start_sum if start else decomposition.saturated_end_sum
        out["int8_sum"] = round(quantized, 6)
        out["int8_saturated_sum"] = round(saturated, 6)
    w = weights.w_start if start else weights.w_end
    for item in out["top_dimensions"]:
        item["w"] = round(float(w[item["dim"]]), 6)
    return out


def _token_json(role: str, decomposition, weights, top: int) -> dict:
    return {
        "role": role, "passage_token": decomposition.passage_token, "window": decomposition.window,
        "position": decomposition.position, "text": decomposition.token,
        "start": _logit_json(decomposition, "start", weights, top),
        "end": _logit_json(decomposition, "end", weights, top),
        "note": decomposition.difference_explained(),
    }


def _print_token(item: dict) -> None:
    print(f"\n{item['role']} token {item['passage_token']} {item['text']!r} (window {item['window']}, "
          f"position {item['position']})")
    for which in ("start", "end"):
        logit = item[which]
        line = (f"  {which} logit = h·w_{which} + b_{which} = {logit['products_sum']:+.4f} {logit['bias']:+.4f} "
                f"= {logit['sum']:+.4f}   model: {logit['model_logit']:+.4f}")
        if "int8_sum" in logit:
            line += f"   int8 sum: {logit['int8_sum']:+.4f}"
        print(line)
        dims = ", ".join(f"d{d['dim']} {d['h']:+.2f}×{d['w']:+.3f}={d['product']:+.3f}"
                         for d in logit["top_dimensions"][:4])
        print(f"    largest: {dims}")
    print(f"  {item['note']}")


def run(args) -> int:
    import numpy as np  # here, not at the top: the window's start-up builds this parser

    from qa_desktop.cli import load_answerer, read_passage
    from qa_desktop.engine.head_decomposition import HeadExplainer
    from qa_desktop.engine.occlusion import PASSAGE, plan_occlusion, run_occlusion

    if args.top < 1:
        raise QaDesktopError("--top must be at least 1.")
    passage, warnings = read_passage(args)
    answerer = load_answerer(args.model, passage, args.device, args.threads)
    prediction = answerer.answer(args.question, passage, top_k=1)
    for warning in tuple(warnings) + prediction.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.token is not None and not 0 <= args.token < len(prediction.tokens):
        raise QaDesktopError(f"--token must be between 0 and {len(prediction.tokens) - 1} "
                             f"(the passage has {len(prediction.tokens)} tokens).")
    if args.token is None and not prediction.candidates:
        raise QaDesktopError("The model found no answer span to explain; name a token with --token.")
    explainer = HeadExplainer(answerer)
    weights = explainer.weights
    if args.token is None:
        best = prediction.best
        states = explainer.hidden_states(prediction, [best.window])
        tokens = [("start", explainer.decompose_passage_token(prediction, states, best.start_token, best.window)),
                  ("end", explainer.decompose_passage_token(prediction, states, best.end_token, best.window))]
    else:
        window = int(prediction.tokens.window[args.token])
        states = explainer.hidden_states(prediction, [window])
        tokens = [("token", explainer.decompose_passage_token(prediction, states, args.token, window))]
    result = {
        "question": prediction.question,
        "answer": None if prediction.best is None else {
            "text": prediction.best.text, "start": prediction.best.start, "end": prediction.best.end,
            "score": round(prediction.best.score, 6), "window": prediction.best.window,
            "start_token": prediction.best.start_token, "end_token": prediction.best.end_token,
            "abstained": prediction.abstained,
        },
        "head": {
            "hidden_size": weights.hidden_size, "quantized": weights.quantized,
            "activation_quantization": weights.activation_quantization,
            "b_start": round(weights.b_start, 6), "b_end": round(weights.b_end, 6),
            "cosine_start_end": round(weights.cosine, 6),
            "norm_w_start": round(float(np.linalg.norm(weights.w_start)), 6),
            "norm_w_end": round(float(np.linalg.norm(weights.w_end)), 6),
        },
        "tokens": [_token_json(role, d, weights, args.top) for role, d in tokens],
        "model": prediction.model,
    }
    occlusion = None
    if args.words:
        if not prediction.candidates:
            raise QaDesktopError("--words needs an answer span; the model found none.")
        plan = plan_occlusion(answerer, prediction)
        print(f"masking {len(plan.texts)} words: {plan.extra_windows} extra windows", file=sys.stderr)
        occlusion = run_occlusion(answerer, prediction, plan)
        result["words"] = occlusion.to_json(prediction.question, prediction.passage)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    head = result["head"]
    answer = result["answer"]
    if answer is not None:
        print(f"answer: {answer['text']!r} (score {answer['score']:.3f}, window {answer['window']}, "
              f"tokens {answer['start_token']}–{answer['end_token']})"
              + ("  [the model abstains]" if answer["abstained"] else ""))
    print(f"qa_outputs: Linear({head['hidden_size']} → 2){', int8 weights (dequantized)' if head['quantized'] else ''}; "
          f"cos(w_start, w_end) = {head['cosine_start_end']:+.3f}")
    for item in result["tokens"]:
        _print_token(item)
    if occlusion is not None:
        print(f"\nwords that moved the answer (score {occlusion.base_score:.3f} unmasked; drop when masked):")
        for i in occlusion.ranked()[:15]:
            side = "passage " if occlusion.side[i] == PASSAGE else "question"
            print(f"  {occlusion.drop[i]:+8.3f}  {side}  {occlusion.texts[i]}")
    return 0
