"""Help → "What the tabs show": the plot, the span scores and the inspector in plain words."""

GUIDE_TITLE = "What the tabs show"

GUIDE_HTML = """
<h3>How an answer is found</h3>
<p>The model reads the question and the passage and gives every passage <i>token</i> (a word or a
piece of one) two numbers: how likely the answer <b>starts</b> there, and how likely it
<b>ends</b> there. The answer is the start and end pair that scores best. Long passages are read
in overlapping <i>windows</i> of a few hundred tokens; in a very long passage only the windows
whose words match the question's are read (a note above says how many, with a button to read
everything).</p>
<h3>Start/end probabilities</h3>
<p>One point per passage token, from the beginning of the passage (left) to its end (right):
the blue curve is the chance the answer starts at that token, the red one that it ends there.
The shaded band is the chosen answer; grey stripes behind are the windows read. Hover a point to read
it, click it to find that token in the passage, use the wheel to zoom (zoomed in, the tokens'
text labels the axis). <i>Words</i> adds up the pieces of each word; <i>Log scale</i> shows the
small chances too.</p>
<h3>Span scores</h3>
<p>Every answer the model could give in one window, as a square: the row is where the answer
starts, the column where it ends (both numbered as passage tokens, like the plot). Brighter is
more likely. Grey cells are answers the model never considers: ending before they start, too
long, or outside the passage (the question). Drag to move around, wheel to zoom, click a cell to
see that span in the passage.</p>
<h3>Inspector</h3>
<p>What the model was really given and what it gave back: the tokens of each window, the shapes
of the tensors from token ids to the start and end logits, and, after you select the true answer
in the passage and choose <i>Mark the true answer</i> (also in the passage's right-click menu),
how far the model was from it (the loss).</p>
<h3>The numbers in the answer list</h3>
<p><b>Probability</b> is the model's calibrated chance that this is the answer; the list is
ordered by it. <b>Score</b> is the raw number it comes from. The chance that the passage holds
no answer at all is shown above the list.</p>
"""
