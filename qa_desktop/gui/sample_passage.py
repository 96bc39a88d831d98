"""Sample passages with suggested questions: "Try an example" in an empty window (one click loads
and asks), and the passage and question `--screenshot` shows when none is given."""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_QUESTION = "When was the Forth Bridge opened?"

SAMPLE_PASSAGE = """\
The Forth Bridge is a cantilever railway bridge across the Firth of Forth in the east of \
Scotland, 9 miles west of central Edinburgh. Construction began in 1882 and the bridge was \
opened on 4 March 1890 by the Prince of Wales, the future King Edward VII. It spans the Forth \
between the villages of South Queensferry and North Queensferry and has a total length of \
8,094 feet.

The bridge was designed by the English engineers Sir John Fowler and Sir Benjamin Baker. At the \
peak of construction around 4,600 workers were employed, and 57 lives were lost. When it opened \
it had the longest single cantilever bridge span in the world, until 1919, when the Quebec \
Bridge in Canada was completed.

In 2015 the bridge was inscribed as a UNESCO World Heritage Site. It continues to carry the \
Fife Circle line and about 200 trains a day cross it. Its distinctive red colour comes from \
the paint known as "Forth Bridge Red", and the phrase "painting the Forth Bridge" is used for a \
task that never ends.
"""

KOREAN_WIKI_PASSAGE = (
    "출처 위키는 간단한 마크업 언어와 웹 브라우저를 이용, 함께 문서를 작성하는 공동체를 가능케 한다. "
    "위키 웹사이트의 한 문서는 “위키 문서”라 부르며, 하이퍼링크로 서로 연결된 전체 문서를 “위키”라 한다. "
    "위키는 본질적으로 정보를 만들고, 찾아보고, 검색하기 위한 데이터베이스다. 위키는 비선형적인, 진화하는, "
    "복잡하게 얽힌 문서, 토론, 상호 작용을 할 수 있게 돕는다.")

ADA_PASSAGE = """Ada Lovelace was an English mathematician and writer, chiefly known for her work on Charles \
Babbage's proposed mechanical general-purpose computer, the Analytical Engine. She was the first \
to recognise that the machine had applications beyond pure calculation. Her notes on the engine, \
published in 1843, include what is often called the first computer program: an algorithm to \
compute Bernoulli numbers.
"""


@dataclass(frozen=True)
class Sample:
    title: str  # what the button says
    passage: str
    questions: tuple[str, ...]  # the first is asked at once; the others are suggested


SAMPLES = (
    Sample("The Forth Bridge (English)", SAMPLE_PASSAGE,
           (SAMPLE_QUESTION, "Who designed the bridge?", "How many trains cross it a day?")),
    Sample("Ada Lovelace (English)", ADA_PASSAGE,
           ("What did her notes include?", "When were her notes published?",
            "What is the capital of France?")),  # the last: the passage does not answer it
    Sample("위키 (Korean)", KOREAN_WIKI_PASSAGE, ("위키는 어떤 언어를 이용하는가?", "위키 문서는 무엇으로 연결되는가?")),
)
