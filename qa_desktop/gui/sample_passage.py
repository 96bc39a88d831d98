"""The passage and question the window shows for `--screenshot` when none is given."""

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
