"""Whether a model reads a passage's script, said in words with the model that does."""

from __future__ import annotations

import json

from qa_desktop.engine.language_coverage import HOW_TO_GET_ONE, coverage, coverage_warning, model_scripts

KOREAN = ("출처 위키는 간단한 마크업 언어와 웹 브라우저를 이용, 함께 문서를 작성하는 공동체를 가능케 한다. "
          "위키 웹사이트의 한 문서는 “위키 문서”라 부르며, 하이퍼링크로 서로 연결된 전체 문서를 “위키”라 한다.")
JAPANESE = "東京は日本の首都であり、人口はおよそ千四百万人である。"
ENGLISH = "The Forth Bridge was opened on 4 March 1890 by the Prince of Wales."


def test_english_model_reads_latin_only():
    assert coverage(["en"], ENGLISH).covered
    korean = coverage(["en"], KOREAN)
    assert not korean.covered and korean.unread == ("Hangul",)
    assert coverage(["en"], JAPANESE).unread[0] in ("Han", "Kana")
    # An English passage that mentions one Korean word is still English.
    assert coverage(["en"], ENGLISH + " 위키").covered


def test_multilingual_model_reads_korean_japanese_chinese_and_english():
    languages = ["ko", "ja", "zh", "en"]
    for passage in (KOREAN, JAPANESE, ENGLISH, "北京是中华人民共和国的首都。"):
        assert coverage(languages, passage).covered
    assert not coverage(languages, "Москва — столица России и крупнейший город страны.").covered


def test_unknown_language_claims_nothing():
    assert model_scripts(["xx"]) is None
    assert coverage(["xx"], KOREAN).covered
    assert coverage([], KOREAN).covered


def test_warning_offers_the_model_that_reads_it_or_how_to_get_one():
    assert coverage_warning("minilm", ["en"], ENGLISH, None) is None
    without = coverage_warning("minilm", ["en"], KOREAN, None)
    assert "does not read Hangul" in without and HOW_TO_GET_ONE in without and "qa-desktop export" in without
    with_one = coverage_warning("minilm", ["en"], KOREAN, "e5-small-qa-multilingual")
    assert "e5-small-qa-multilingual" in with_one and "--model multilingual" in with_one


def test_ask_json_warns_when_the_model_does_not_read_the_passage(tiny_bert_model, no_bundled_models, capsys):
    from qa_desktop.cli import main

    code = main(["ask", "--model", str(tiny_bert_model), "--question", "위키는 어떤 언어를 이용하는가?",
                 "--context", KOREAN, "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert any("does not read Hangul" in w and "qa-desktop export" in w for w in result["warnings"])
    assert 0.0 <= result["no_answer_probability"] <= 1.0
    main(["ask", "--model", str(tiny_bert_model), "--question", "Who opened it?", "--context", ENGLISH, "--json"])
    assert not any("does not read" in w for w in json.loads(capsys.readouterr().out)["warnings"])
