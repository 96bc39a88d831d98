"""Passages and questions the benchmark uses when no SQuAD-format file is at hand.

Written for qa-desktop (no third-party text): SQuAD-sized paragraphs, each with questions whose
answers are spans of the paragraph.
"""

from __future__ import annotations

# (title, paragraph, ((question, answer), ...))
PASSAGES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Lighthouses",
        "The first lighthouse on the headland was a stone tower lit by a coal fire, built in 1698 "
        "after three merchant ships ran aground in a single winter. It was replaced in 1759 by a "
        "taller tower designed by the engineer Mary Caldwell, who dovetailed its granite blocks so "
        "that waves could not loosen them. Oil lamps with silvered reflectors followed in 1810, "
        "and in 1871 a rotating lens made the light visible from thirty kilometres away. The "
        "keepers left in 1982, when the lamp was automated and connected to the mainland grid.",
        (
            ("When was the first lighthouse on the headland built?", "1698"),
            ("Who designed the tower of 1759?", "Mary Caldwell"),
            ("How far away could the light be seen after 1871?", "thirty kilometres"),
            ("When did the keepers leave?", "1982"),
        ),
    ),
    (
        "Sourdough",
        "Sourdough bread is leavened by a culture of wild yeasts and lactic acid bacteria rather "
        "than by baker's yeast. The bacteria produce lactic and acetic acids, which give the bread "
        "its sour taste and help it keep longer. A baker feeds the culture, called a starter, with "
        "flour and water every day or two. A typical loaf rises for eight to twelve hours, much "
        "longer than bread made with commercial yeast, and is baked at about 230 degrees Celsius "
        "in a covered pot so that the steam keeps the crust soft while the loaf expands.",
        (
            ("What leavens sourdough bread?", "a culture of wild yeasts and lactic acid bacteria"),
            ("What is the culture called?", "a starter"),
            ("How long does a typical loaf rise?", "eight to twelve hours"),
            ("At what temperature is the loaf baked?", "about 230 degrees Celsius"),
        ),
    ),
    (
        "River Tamsel",
        "The River Tamsel rises in the Harrow Hills and flows 212 kilometres to the sea at Port "
        "Elling. Its largest tributary is the Brede, which joins it below the market town of "
        "Ashcombe. In the nineteenth century the lower river was canalised and lined with mills, "
        "and by 1850 more than forty water wheels turned along its banks. Salmon returned to the "
        "Tamsel in 1994, ten years after the last paper mill closed and the water was cleaned.",
        (
            ("How long is the River Tamsel?", "212 kilometres"),
            ("What is the largest tributary of the Tamsel?", "the Brede"),
            ("How many water wheels turned along the river by 1850?", "more than forty"),
            ("When did salmon return to the Tamsel?", "1994"),
        ),
    ),
    (
        "Typewriters",
        "Early typewriters placed the type bars in a circle beneath the carriage, so the typist "
        "could not see the line being written. Visible writing arrived with front-strike machines "
        "in the 1890s, in which the bars swung up to hit the front of the platen. The layout of "
        "the keys was chosen partly to keep frequently paired letters apart, because neighbouring "
        "bars struck in quick succession tended to jam. Electric typewriters became common in "
        "offices after 1950, and the golf-ball mechanism of 1961 removed the type bars entirely.",
        (
            ("Why could the typist not see the line on early typewriters?",
             "the type bars in a circle beneath the carriage"),
            ("When did visible writing arrive?", "in the 1890s"),
            ("When did electric typewriters become common in offices?", "after 1950"),
            ("Which mechanism removed the type bars entirely?", "the golf-ball mechanism"),
        ),
    ),
    (
        "Honeybees",
        "A honeybee colony in summer holds one queen, a few hundred drones and up to sixty "
        "thousand workers. Workers live about six weeks in the busy season; the first half of that "
        "time they spend inside the hive cleaning cells, feeding larvae and building comb, and "
        "only then do they fly out to forage. A forager tells her sisters where flowers are with "
        "the waggle dance, whose angle gives the direction relative to the sun and whose length "
        "gives the distance. In autumn the drones are driven out, and the workers cluster around "
        "the queen to keep her warm through the winter.",
        (
            ("How many workers can a colony hold in summer?", "up to sixty thousand"),
            ("How long do workers live in the busy season?", "about six weeks"),
            ("How does a forager tell her sisters where flowers are?", "the waggle dance"),
            ("What happens to the drones in autumn?", "the drones are driven out"),
        ),
    ),
    (
        "Glass",
        "Ordinary window glass is made by melting sand, soda ash and limestone at about 1,500 "
        "degrees Celsius. Since the 1960s most flat glass has been made by the float process, in "
        "which the molten glass is poured onto a bath of liquid tin and spreads into a sheet of "
        "even thickness. The sheet then passes slowly through a long oven called a lehr, where it "
        "cools without building up stresses that would make it shatter. Toughened glass is heated "
        "again and cooled quickly with jets of air, which leaves its surface in compression.",
        (
            ("What is window glass made from?", "sand, soda ash and limestone"),
            ("What is the molten glass poured onto in the float process?", "a bath of liquid tin"),
            ("What is the long oven called?", "a lehr"),
            ("How is toughened glass cooled?", "quickly with jets of air"),
        ),
    ),
    (
        "Observatory",
        "The Kestrel Ridge Observatory stands 2,400 metres above sea level, where the air is dry "
        "and steady. Its main telescope has a mirror 3.6 metres across, cast in 1986 and polished "
        "for two years before first light in 1989. Astronomers use it mostly for spectroscopy of "
        "distant galaxies. A second, robotic telescope was added in 2011 to follow up alerts from "
        "survey satellites within minutes, and the site's visitor centre is open every weekend "
        "from April to October.",
        (
            ("How high is the Kestrel Ridge Observatory?", "2,400 metres above sea level"),
            ("How wide is the mirror of the main telescope?", "3.6 metres"),
            ("When was first light?", "1989"),
            ("When was the robotic telescope added?", "2011"),
        ),
    ),
    (
        "Marathon",
        "The marathon distance of 42.195 kilometres was fixed in 1921, after it had varied between "
        "races for more than two decades. Runners usually hit the so-called wall after about 30 "
        "kilometres, when the glycogen stored in their muscles runs low and the body turns to fat, "
        "a slower fuel. For that reason most runners eat carbohydrate-rich meals in the days "
        "before a race and take energy gels along the course. The fastest marathons are run on "
        "flat courses in cool weather, at temperatures between 7 and 12 degrees Celsius.",
        (
            ("When was the marathon distance fixed?", "1921"),
            ("When do runners usually hit the wall?", "after about 30 kilometres"),
            ("What fuel does the body turn to when glycogen runs low?", "fat"),
            ("What temperatures are best for the fastest marathons?", "between 7 and 12 degrees Celsius"),
        ),
    ),
    (
        "Printing press",
        "The printing workshop of Anselm Kroll opened in Mainzburg in 1471 with two presses and "
        "six journeymen. Kroll's first book was a psalter set in a heavy black-letter type that he "
        "cut himself. Paper came from a mill upriver, while vellum copies for wealthy buyers were "
        "printed on calfskin bought from the town's tanners. By 1480 the workshop had printed "
        "nearly ninety titles, and its books were sold at the autumn fair in Frankfurt.",
        (
            ("When did Anselm Kroll's workshop open?", "1471"),
            ("What was Kroll's first book?", "a psalter"),
            ("What were vellum copies printed on?", "calfskin"),
            ("Where were the books sold?", "at the autumn fair in Frankfurt"),
        ),
    ),
    (
        "Volcanic island",
        "The island of Sarn formed about 80,000 years ago from eruptions on the sea floor, and its "
        "highest peak, Mount Orra, rises 1,312 metres. The last eruption, in 1924, sent a lava flow "
        "down the eastern slope and destroyed the fishing village of Tell. Since then the island's "
        "volcano has been watched by a seismic station built in 1956. Black sand beaches ring the "
        "western shore, and about four thousand people live on the island, most of them in the "
        "harbour town of Venn.",
        (
            ("How high is Mount Orra?", "1,312 metres"),
            ("When was the last eruption?", "1924"),
            ("Which village did the lava flow destroy?", "Tell"),
            ("Where do most of the islanders live?", "the harbour town of Venn"),
        ),
    ),
)
