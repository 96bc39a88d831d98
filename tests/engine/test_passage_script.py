from qa_desktop.engine.passage_script import dominant_script, needs_multilingual

KOREAN = "출처 위키는 간단한 마크업 언어와 웹 브라우저를 이용, 함께 문서를 작성하는 공동체를 가능케 한다."


def test_scripts():
    assert dominant_script(KOREAN) == "Hangul"
    assert dominant_script("東京は日本の首都です") in ("Han", "Kana")
    assert dominant_script("مرحبا بالعالم") == "Arabic"
    assert dominant_script("The tower is in Paris.") == "Latin"
    assert dominant_script("1234 !!") is None


def test_multilingual_choice():
    assert needs_multilingual(KOREAN)
    assert needs_multilingual("東京は日本の首都です。")
    assert not needs_multilingual("The Eiffel Tower is in Paris. Café, naïve, façade.")
    # A few foreign words in an English text stay English.
    assert not needs_multilingual("The word 위키 means wiki in Korean; the rest of this text is English prose.")
