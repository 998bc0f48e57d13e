"""Deterministic, realistic synthetic news articles for benchmarks (no external data).

Articles are 1-10 KB, plain text or WordPress-style HTML, some wrapped in feed boilerplate, some
machine-translated with leftovers, some in Spanish; the mix is fixed by the seed, so two runs
measure the same work.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PLACES = ["Harbor County", "Riverton", "the port of Vigo", "Lakeside", "Valencia", "the northern hills",
          "Cedar Grove", "Almaty", "the coastal line", "Eastbank"]
PEOPLE = ["council member Dana Whitfield", "the mayor, Esteban Duque", "analyst Rina Hartono",
          "spokesperson Janet Morrow", "director Angela Brooks", "minister Claudia Fuenzalida"]
VERBS = ["approved", "rejected", "postponed", "announced", "reviewed", "expanded", "cut", "questioned"]
THINGS = ["a $14 million plan to rebuild nine bridges", "new limits on short-term rentals",
          "a program of aid for small farmers", "the timetable for the new metro line",
          "a study of flood defences", "the budget for the public libraries", "extra night buses"]
QUOTES = ["We cannot wait another season", "This is the most damage we have seen since 2016",
          "Nobody should live in a zone of high risk", "It is a fair deal for everyone involved",
          "The people of this town will decide"]
MT_SENTENCES = [
    "The official attributed the delay to problems with the supply y la relocation of networks, según the report.",
    "The works advance in The middle of the avenue and [el país] will have to rethink its model of irrigation.",
    "The residents assure that they had warned [la alcaldía] on several occasions o en public meetings .",
    "The losses were calculated by the chamber (according to the local data). ) and the sector asked for help.",
]
BOILERPLATE = ["Join The Daily Wire to follow all the news and read without limits.",
               "Follow all the information in Facebook and Twitter, or in our weekly newsletter.",
               "Disclaimer: This article was created from the feed and has not been edited by our team.",
               "Leave a Comment", "Share this:", "Click to share on Facebook (Opens in new window)"]
SPANISH = ["El ayuntamiento aprobó este martes un plan de ayudas para los comercios del centro histórico.",
           "Los vecinos denunciaron que las obras se han retrasado más de seis meses sin explicación.",
           "«No podemos esperar otra temporada», explicó la presidenta de la asociación de vecinos."]


@dataclass(slots=True)
class Article:
    id: str
    content: str
    content_type: str
    title: str
    language: str


FIRST = ["Ana", "Tomas", "Priya", "Kwame", "Lena", "Marco", "Sofia", "Dmitri", "Aisha", "Jonas", "Mei", "Rafael"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Castillo", "Brandt", "Nakamura", "Haddad", "Kowalski", "Reyes", "Osei"]
NOUNS = ["budget", "bridge", "clinic", "school", "harbour", "tram line", "reservoir", "library", "market",
         "housing plan", "ferry", "stadium", "water plant", "bus depot", "cycle lane", "museum", "pier"]
ADJS = ["delayed", "disputed", "long-awaited", "costly", "temporary", "revised", "smaller", "regional"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _sentence(rng: random.Random) -> str:
    # numbers, names and word choices vary in every sentence, as in real copy, so two articles
    # share few 5-word runs (what near-duplicate detection looks at)
    n = rng.randint(2, 980)
    kind = rng.random()
    if kind < 0.2:
        return f"\u201c{rng.choice(QUOTES)} on the {rng.choice(NOUNS)},\u201d said {_name(rng)}, {rng.randint(24, 80)}."
    if kind < 0.5:
        return (f"The {rng.choice(ADJS)} {rng.choice(NOUNS)} in {rng.choice(PLACES)} will cost about "
                f"${n} million, {rng.randint(2, 40)}% more than planned in {rng.randint(2015, 2024)}.")
    if kind < 0.75:
        return (f"{_name(rng)}, who {rng.choice(VERBS)} the {rng.choice(NOUNS)} plan, told {rng.randint(3, 300)} "
                f"residents at a meeting on {rng.choice(['Monday', 'Tuesday', 'Friday', 'Sunday'])} that "
                f"{rng.choice(THINGS)} would follow within {rng.randint(2, 18)} months.")
    return (f"On {rng.choice(['Monday', 'Tuesday', 'Friday'])}, officials in {rng.choice(PLACES)} "
            f"{rng.choice(VERBS)} {rng.choice(THINGS)} after {rng.randint(2, 60)} complaints, {_name(rng)} said.")


def article(i: int, rng: random.Random, size: int | None = None) -> Article:
    size = size or rng.randint(1000, 10000)
    kind = rng.random()
    spanish = kind < 0.05
    mt = 0.05 <= kind < 0.25
    paras: list[str] = []
    total = 0
    while total < size:
        sents = [rng.choice(SPANISH) if spanish else _sentence(rng) for _ in range(rng.randint(2, 5))]
        if mt and rng.random() < 0.4:
            sents.append(rng.choice(MT_SENTENCES))
        para = " ".join(sents)
        paras.append(para)
        total += len(para) + 2
    if rng.random() < 0.5 and not spanish:
        paras += rng.sample(BOILERPLATE, rng.randint(1, 3))
    html = rng.random() < 0.5
    if html:
        body = "\n".join(f"<p>{p.replace('&', '&amp;')}</p>" for p in paras)
        if rng.random() < 0.3:
            body += ('\n<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>'
                     '<ul><li class="share-x"><a href="#">Click to share on X (Opens in new window)</a></li></ul></div>')
    else:
        body = "\n\n".join(paras)
    title = f"{rng.choice(PLACES).title()} {rng.choice(VERBS)} {rng.choice(THINGS)} | News"
    return Article(f"a{i}", body, "text/html" if html else "text/plain", title, "es" if spanish else "en")


def articles(n: int, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    return [article(i, rng) for i in range(n)]
