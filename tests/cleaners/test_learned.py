"""Learned boilerplate: a paragraph recurring across one source's recent articles goes."""

from __future__ import annotations

import json

from feedscrub.cleaners.learned import LearnedState, RemoveLearnedBoilerplate, state_for, update_learned_state
from feedscrub.cleaners.pipeline import Context, Document
from feedscrub.cleaners.resources import Resources
from feedscrub.cleaners.settings import CleanSettings, SourceOverrides

FOOTER = "Tips? Write to the Harbour Desk at desk@harbour.example or call 555-0100."
SETTINGS = CleanSettings(learned_min_articles=10, learned_min_count=5, learned_window=50)


def article(i: int, footer: bool = True) -> str:
    body = f"Story number {i} is about the ferry, the port and the weather on day {i}."
    return body + (f"\n\n{FOOTER}" if footer else "")


def learned_after(n: int, source: str = "harbour", settings: CleanSettings = SETTINGS) -> LearnedState:
    state = None
    for i in range(n):
        state = update_learned_state(state, source, article(i), settings)
    assert state is not None
    return state


def run(text: str, learned, source: str = "harbour", settings: CleanSettings = SETTINGS):
    ctx = Context(Document(text, source=source), settings, Resources(learned=learned))
    return RemoveLearnedBoilerplate()(text, ctx)


def test_recurring_paragraph_removed_with_source_rule():
    res = run(article(99), learned_after(12))
    assert res.text.strip() == article(99, footer=False)
    (e,) = res.edits
    assert e.rule == "learned:harbour"
    assert FOOTER in e.before and e.reason


def test_three_articles_lose_nothing():
    res = run(article(99), learned_after(3))
    assert res.text == article(99) and not res.edits


def test_switch_off_per_source_and_by_rule():
    state = learned_after(12)
    off = CleanSettings(sources={"harbour": SourceOverrides(learned_boilerplate=False)})
    assert not run(article(99), state, settings=off).edits
    rule_off = CleanSettings(disabled_rules=frozenset({"learned:harbour"}))
    assert not run(article(99), state, settings=rule_off).edits


def test_other_source_state_is_not_used():
    assert not run(article(99), {"harbour": learned_after(12)}, source="valley").edits
    assert run(article(99), {"harbour": learned_after(12)}).edits  # mapping form


def test_state_is_json_round_trip_and_window_bounded():
    small = CleanSettings(learned_window=7)
    state = learned_after(20, settings=small)
    assert len(state.articles) == 7
    again = LearnedState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again.articles == state.articles and again.source == "harbour"
    assert state_for({"harbour": state.to_dict()}, "harbour") == state


def test_never_removes_most_of_an_article():
    state = None
    for _ in range(12):
        state = update_learned_state(state, "wire", FOOTER, SETTINGS)
    res = run(FOOTER, state, source="wire")
    assert res.text == FOOTER and res.near_misses


def test_html_article_fingerprints_match_text():
    state = None
    for i in range(12):
        html = f"<p>Story {i} about the port and the tides today.</p><p>{FOOTER}</p>"
        state = update_learned_state(state, "harbour", html, SETTINGS, content_type="text/html")
    assert run(article(5), state).edits
