"""config/loanwords.yaml: names and terms an editor keeps on purpose, and what the flags make of them.

The word-level cases live in cases/foreign.yaml (dishes, streets, glossed terms); these tests check
the pack itself, that the configured pipeline loads it, and that machine_translated weighs a set
phrase (noun, link, noun) less than a leftover function word.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.capitals import RepairCapitals
from feedscrub.cleaners.flags import finish
from feedscrub.cleaners.foreign import FindForeignFragments, Loanwords, compile_loanwords, find_fragments
from feedscrub.cleaners.pipeline import Document, Pipeline
from feedscrub.cleaners.punctuation import RepairPunctuation
from feedscrub.cleaners.resources import build_resources
from feedscrub.cleaners.settings import CleanSettings

CONFIG = Path(__file__).parents[2] / "config"
LOANWORDS_DOC = yaml.safe_load((CONFIG / "loanwords.yaml").read_text(encoding="utf-8"))
GLOSSARY = yaml.safe_load((CONFIG / "glossary.yaml").read_text(encoding="utf-8"))
TRANSLATIONESE = yaml.safe_load((CONFIG / "translationese.yaml").read_text(encoding="utf-8"))

REVIEW = """\
The dining room of Le Petit Comptoir holds twenty people, and on a Friday night every seat is
taken by seven. The menu changes little from one season to the next, which is the point.

We started with a terrine de campagne, coarse and peppery, and a salade niçoise that came with
more tuna than anyone could want. The boeuf bourguignon, served in a cast-iron pot, had been
braised long enough to fall apart under a fork, and the moules marinières were sweet and clean.

Dessert was a crème brûlée with a crust thick enough to crack properly. Dinner for two, with a
bottle of wine from the short list, came to about $110 before the tip.
"""

TRANSLATED = """\
The fair of the city closed this Sunday with a record of visitors, according to the organisers,
who counted 40,000 people in the three days. The stalls of the producers of the region sold the
cheese e do butter in a few hours, y la organisation already prepares the next edition.

The mayor affirmed that the event will return in the next year with more space for the small
producers della Province, and that the works of the new pavilion will be finished até 2027.
"""


def pipeline(loanwords: dict | None = LOANWORDS_DOC) -> Pipeline:
    steps = [FindForeignFragments(), RepairPunctuation(), RepairCapitals()]
    resources = build_resources([], GLOSSARY, translationese=TRANSLATIONESE, loanwords=loanwords)
    return Pipeline(steps, finish, CleanSettings(), resources)


def test_bundled_pack_compiles_with_every_list():
    lw = compile_loanwords(LOANWORDS_DOC)
    assert {"coq", "vin", "huevo", "queijo"} <= lw.culinary
    assert {"via", "rua", "palazzo", "calle"} <= lw.name_heads
    assert {"serra", "sierra", "vale"} <= lw.place_features
    assert "menu" in lw.food_context and lw.food_context_min >= 1


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"culinary": "coq vin"}, "culinary"),
        ({"name_heads": [1, 2]}, "name_heads"),
        ({"food_context_min": 0}, "food_context_min"),
        (["coq"], "mapping"),
    ],
)
def test_invalid_pack_names_the_field(doc, field):
    with pytest.raises(ValueError, match=field):
        compile_loanwords(doc)


def test_configured_pipeline_loads_the_pack():
    from feedscrub.config import load_resources
    from feedscrub.settings import Settings

    resources = load_resources(Settings())
    assert isinstance(resources.loanwords, Loanwords)
    assert "bourguignon" in resources.loanwords.culinary


def test_restaurant_review_with_dish_names_is_untouched_and_not_machine_translated():
    res = pipeline().clean(Document(content=REVIEW, feed_language="en"))
    assert res.foreign_fragments == []
    assert res.flags.machine_translated is False
    assert res.text == REVIEW.strip()


def test_without_the_pack_dish_names_are_reported():
    # the pack is what spares them: without it the same review reads as leftovers
    res = pipeline(loanwords=None).clean(Document(content=REVIEW, feed_language="en"))
    assert res.foreign_fragments


def test_function_word_leftovers_in_a_food_story_still_flag():
    res = pipeline().clean(Document(content=TRANSLATED, feed_language="en"))
    found = {f.text.lower() for f in res.foreign_fragments}
    assert {"e do", "y la", "della", "até"} <= found
    assert res.flags.machine_translated is True


def test_set_phrase_is_reported_weak_and_function_words_strong():
    lw = compile_loanwords(LOANWORDS_DOC)
    (phrase,) = find_fragments("The mayor said the festa da cidade will return in June.", loanwords=lw)
    (link,) = find_fragments("The talks brought together the unions e i representatives.", loanwords=lw)
    assert phrase.set_phrase and not link.set_phrase
    res = pipeline().clean(Document(content="The mayor said the festa da cidade will return in June."))
    assert [f.score for f in res.foreign_fragments] == [0.5]
