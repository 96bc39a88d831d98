"""The Inspector's qa_outputs views as standalone widgets: strips of h, w_start, w_end and the
products with the right shapes, the sorted contributions summing to the logit, the 2-D view with
one point per passage token and two arrows, the occlusion list and overlay, PNG/SVG export."""

from __future__ import annotations

import numpy as np
import pytest

from qa_desktop.engine.head_decomposition import HeadExplainer
from qa_desktop.engine.head_projection import project_window
from qa_desktop.engine.occlusion import PASSAGE, QUESTION, plan_occlusion, run_occlusion
from qa_desktop.engine.question_answerer import QuestionAnswerer

QUESTION_TEXT = "Who wrote the first program?"
PASSAGE_TEXT = "Ada Lovelace wrote the first program for the analytical engine. The fox jumps over the dog."


@pytest.fixture(scope="module")
def explained(tiny_bert_model, tmp_path_factory):
    answerer = QuestionAnswerer.load(tiny_bert_model, threads=1)
    prediction = answerer.answer(QUESTION_TEXT, PASSAGE_TEXT)
    explainer = HeadExplainer(answerer, cache_dir=tmp_path_factory.mktemp("explain-cache"))
    states = explainer.hidden_states(prediction)
    start, _ = explainer.explain_answer(prediction)
    projection = project_window(prediction, states, explainer.weights, states.windows[0])
    occlusion = run_occlusion(answerer, prediction, plan_occlusion(answerer, prediction))
    return prediction, explainer.weights, start, projection, occlusion


def test_strips_show_the_vectors_and_the_sorted_sum(qtbot, explained, tmp_path):
    from qa_desktop.gui.head_dimension_strips import STRIPS, HeadDimensionStrips

    _, weights, start, _, _ = explained
    view = HeadDimensionStrips()
    qtbot.addWidget(view)
    view.set_decomposition(weights, start)
    view.show()
    data = view.strip_data()
    assert set(data) == set(STRIPS)
    assert all(values.shape == (1, weights.hidden_size) for values in data.values())
    for name in STRIPS:
        assert view.strip_images[name].image.shape == (1, weights.hidden_size)
    np.testing.assert_allclose(data["products"][0], start.start_products)
    ordered = view.sorted_products()
    assert np.all(np.diff(ordered) <= 0)
    assert ordered.sum() + start.b_start == pytest.approx(start.start_sum)
    assert f"{start.start_sum:+.4f}" in view.title.text()
    view.set_which("end")
    np.testing.assert_allclose(view.strip_data()["products"][0], start.end_products)
    assert view.which_choice.currentIndex() == 1 and "end logit" in view.title.text()
    for suffix in (".png", ".svg"):
        assert view.export(tmp_path / f"strips{suffix}").stat().st_size > 0


def test_projection_view_shows_points_arrows_and_cosine(qtbot, explained, tmp_path):
    from qa_desktop.gui.head_projection_view import LOG_FLOOR, HeadProjectionView

    _, weights, _, projection, _ = explained
    view = HeadProjectionView()
    qtbot.addWidget(view)
    view.set_projection(projection)
    view.show()
    points = view.point_data()
    assert points.shape == projection.points.shape
    assert sorted(map(tuple, points.round(6))) == sorted(map(tuple, projection.points.round(6)))
    tips = view.arrow_tips()
    assert set(tips) == {"start", "end"}
    for name, arrow in (("start", projection.start_arrow), ("end", projection.end_arrow)):
        # Drawn along the projected direction of the weight vector.
        assert float(tips[name] @ arrow) > 0
        assert abs(tips[name][0] * arrow[1] - tips[name][1] * arrow[0]) < 1e-6 * np.linalg.norm(tips[name]) * np.linalg.norm(arrow) + 1e-9
    assert f"{weights.cosine:+.3f}" in view.info.text()
    values = view.colour_values()
    assert values.shape == (len(projection.passage_tokens),) and values.min() >= LOG_FLOOR and values.max() <= 0
    view.set_colour_by("end")
    assert not np.array_equal(view.colour_values(), values) or np.allclose(projection.start_prob, projection.end_prob)
    for suffix in (".png", ".svg"):
        assert view.export(tmp_path / f"projection{suffix}").stat().st_size > 0


def test_occlusion_list_and_overlay(qtbot, explained):
    from qa_desktop.gui.occlusion_words import OcclusionWordList, heat_html

    prediction, _, _, _, occlusion = explained
    table = OcclusionWordList()
    qtbot.addWidget(table)
    table.set_occlusion(occlusion)
    assert table.rowCount() == len(occlusion.texts)
    first = table.word_at_row(0)
    assert occlusion.drop[first] == occlusion.drop.max()
    assert table.item(0, 2).text() == occlusion.texts[first]
    passage_html = heat_html(prediction.passage, occlusion, PASSAGE)
    assert passage_html.count("<span") == int((occlusion.side == PASSAGE).sum())
    question_html = heat_html(prediction.question, occlusion, QUESTION)
    assert question_html.count("<span") == int((occlusion.side == QUESTION).sum())
