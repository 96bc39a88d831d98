"""`--screenshot`: the real window answers a sample (or a given) passage and saves a PNG."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from qa_desktop.gui.app import SCREENSHOT_SIZE


def run_screenshot(args: list[str], env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **(env_extra or {}))
    code = ("import sys; from qa_desktop.gui.__main__ import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=180)


def mean_lightness(image: QImage) -> float:
    step = 7
    values = [image.pixelColor(x, y).lightness()
              for x in range(0, image.width(), step * 5) for y in range(0, image.height(), step * 5)]
    return sum(values) / len(values)


@pytest.fixture(scope="module")
def light_and_dark(tmp_path_factory, tiny_bert_model):
    out = tmp_path_factory.mktemp("shots")
    light = run_screenshot(["--model", str(tiny_bert_model), "--screenshot", str(out / "light.png")],
                           {"QA_DESKTOP_THEME": "light"})
    dark = run_screenshot(["--model", str(tiny_bert_model), "--screenshot", str(out / "dark.png")],
                          {"QA_DESKTOP_THEME": "dark"})
    return out, light, dark


def test_screenshot_of_the_sample_answer(light_and_dark):
    out, light, _ = light_and_dark
    assert light.returncode == 0, light.stderr
    image = QImage(str(out / "light.png"))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    assert "screenshot saved" in light.stderr


def test_dark_theme_screenshot_is_dark_and_light_is_light(light_and_dark):
    out, light, dark = light_and_dark
    assert dark.returncode == 0, dark.stderr
    assert mean_lightness(QImage(str(out / "light.png"))) > 170
    assert mean_lightness(QImage(str(out / "dark.png"))) < 90


def test_screenshot_of_a_given_file_and_question(tmp_path, tiny_bert_model):
    passage = tmp_path / "passage.txt"
    passage.write_text("Ada Lovelace wrote the first program for the analytical engine.", encoding="utf-8")
    out = tmp_path / "given.png"
    result = run_screenshot(["--model", str(tiny_bert_model), "--screenshot", str(out),
                             "--file", str(passage), "--question", "Who wrote the first program?"])
    assert result.returncode == 0, result.stderr
    assert QImage(str(out)).width() == SCREENSHOT_SIZE[0]


def test_screenshot_without_a_model_still_shows_the_window_and_fails(tmp_path, no_bundled_models):
    out = tmp_path / "nomodel.png"
    result = run_screenshot(["--screenshot", str(out)])  # the environment carries the empty models dir
    assert result.returncode == 1
    assert "No model loaded: open a model directory" in result.stderr
    assert out.exists()


def test_screenshot_of_an_unreadable_file_fails_clearly(tmp_path, tiny_bert_model):
    result = run_screenshot(["--model", str(tiny_bert_model), "--screenshot", str(tmp_path / "x.png"),
                             "--file", str(tmp_path / "missing.txt")])
    assert result.returncode == 2
    assert "No file at" in result.stderr
