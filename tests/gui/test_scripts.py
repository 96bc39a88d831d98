"""Every script: Korean, Japanese, Chinese and Arabic passages (and emoji, which take two UTF-16
units in Qt) render and highlight at exactly the answer's characters."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFontDatabase, QTextCursor

from qa_desktop.engine.results import PassageTokens
from qa_desktop.gui.utf16_offsets import Utf16Offsets
from qa_desktop.gui.word_groups import WordArrays

from gui.window_driver import ask

PASSAGES = {
    "korean": ("위키는 간단한 마크업 언어와 웹 브라우저를 이용한다. 위키는 누구나 편집할 수 있다. " * 4,
               "위키는 무엇을 이용하나?"),
    "japanese": ("東京は日本の首都です。人口は多い。東京には多くの人が住んでいます。" * 4, "日本の首都はどこですか?"),
    "chinese": ("北京是中国的首都。北京有很多人。长城在北京附近。" * 4, "中国的首都是哪里?"),
    "arabic": ("مرحبا بالعالم. القاهرة هي عاصمة مصر وأكبر مدنها. " * 4, "ما هي عاصمة مصر؟"),
    "emoji": ("Emoji 😀 and accents café naïve façade 😀😀 the quick brown fox 🦊 jumps. " * 4,
              "What jumps?"),
}


@pytest.fixture(params=["bert", "xlmr"])
def script_window(request, make_window, tiny_bert_model, tiny_xlmr_model):
    return make_window(model=str(tiny_bert_model if request.param == "bert" else tiny_xlmr_model))


@pytest.mark.parametrize("script", sorted(PASSAGES))
def test_every_candidate_highlights_at_its_characters(qtbot, script_window, script):
    passage, question = PASSAGES[script]
    answer = ask(qtbot, script_window, question, passage)
    assert script_window.passage.toPlainText() == passage
    offsets = Utf16Offsets(passage)
    for index, a in enumerate(answer.prediction.candidates):
        script_window.choose_answer(index)
        assert a.text == passage[a.start:a.end]
        assert script_window.passage.highlight("answer") == (offsets.to_qt(a.start), offsets.to_qt(a.end))
        assert script_window.passage.highlighted_text("answer") == a.text


def test_selection_after_emoji_maps_to_the_right_tokens(qtbot, make_window):
    passage, question = PASSAGES["emoji"]
    window = make_window()
    answer = ask(qtbot, window, question, passage)
    start = passage.index("fox")
    offsets = answer.offsets
    cursor = window.passage.textCursor()
    cursor.setPosition(offsets.to_qt(start))
    cursor.setPosition(offsets.to_qt(start + 3), QTextCursor.MoveMode.KeepAnchor)
    window.passage.setTextCursor(cursor)
    assert cursor.selectedText() == "fox"
    first, last = window.plot.selection_tokens
    tokens = answer.prediction.tokens
    assert "".join(passage[t.start:t.end] for t in tokens[first:last + 1]).strip() == "fox"


def test_utf16_offsets_round_trip():
    text = "a😀b東c🦊"
    offsets = Utf16Offsets(text)
    assert [offsets.to_qt(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 5, 6, 8]
    assert [offsets.to_python(q) for q in (0, 1, 3, 4, 5, 6, 8)] == list(range(len(text) + 1))
    assert offsets.to_python(2) == 1  # inside the emoji's surrogate pair
    assert Utf16Offsets("plain").identity and Utf16Offsets("東京").identity


def test_word_view_does_not_need_spaces(qtbot, make_window, tiny_xlmr_model):
    """The XLM-R tokenizer calls a whole unspaced Japanese sentence one "word"; the word view
    still splits it at Unicode word boundaries, and groups pieces of one word elsewhere."""
    passage, question = PASSAGES["japanese"]
    window = make_window(model=str(tiny_xlmr_model))
    answer = ask(qtbot, window, question, passage)
    tokens, words = answer.prediction.tokens, answer.words
    first_sentence_tokens = int(np.sum(tokens.end <= passage.index("。") + 1))
    assert len(set(tokens.word[:first_sentence_tokens].tolist())) <= 2  # the tokenizer's "words"
    assert int(words.token_to_word[first_sentence_tokens - 1]) >= 3  # the word view's words
    assert words.start_prob.sum() == pytest.approx(1.0)
    assert np.all(words.char_start[1:] >= words.char_end[:-1])


def test_word_grouping_merges_pieces_of_one_word():
    text = "Lovelace wrote"
    tokens = PassageTokens(
        text=("Love", "##lace", "wrote"), start=np.array([0, 4, 9]), end=np.array([4, 8, 14]),
        start_prob=np.array([0.5, 0.25, 0.25]), end_prob=np.array([0.1, 0.2, 0.7]),
        start_logit=np.zeros(3), end_logit=np.zeros(3), window=np.zeros(3, dtype=np.int64),
        word=np.array([0, 0, 1]))
    words = WordArrays.group(tokens, text, Utf16Offsets(text))
    assert words.first_token.tolist() == [0, 2] and words.last_token.tolist() == [1, 2]
    assert words.start_prob.tolist() == [0.75, 0.25]
    assert words.token_to_word.tolist() == [0, 0, 1]


@pytest.mark.parametrize("system", ["Korean", "Japanese", "SimplifiedChinese", "Arabic"])
def test_a_font_for_each_script_is_installed(qapp, system):
    families = QFontDatabase.families(getattr(QFontDatabase.WritingSystem, system))
    assert families, (f"no font for {system}: install fonts-noto-cjk (Korean, Japanese, Chinese) and "
                      "fonts-dejavu-core or fonts-noto-core (Arabic)")
