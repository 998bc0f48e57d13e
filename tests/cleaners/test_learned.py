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


def test_the_pipelines_converted_text_counts_as_the_html_does():
    """Learning from ``CleanResult.as_text`` (no second HTML parse) gives the state the HTML gives."""
    from feedscrub.config import build_pipeline, load_settings

    pipeline = build_pipeline(load_settings())
    from_html = from_text = None
    for i in range(12):
        page = (f"<p>Story {i} about the port and the tides today.</p><div class='share'>Share</div>"
                f"<p>{FOOTER}</p>")
        result = pipeline.clean(Document(page, "text/html", source="harbour"))
        assert result.as_text is not None and FOOTER in result.as_text
        from_html = update_learned_state(from_html, "harbour", page, SETTINGS, content_type="text/html")
        from_text = update_learned_state(from_text, "harbour", result.as_text, SETTINGS)
    assert from_text == from_html
    assert run(article(5), from_text).edits


def test_converted_text_is_the_input_for_plain_text_and_absent_without_the_html_step():
    from feedscrub.config import build_pipeline, load_settings

    settings = load_settings()
    plain = build_pipeline(settings).clean(Document(f"Story one.\n\n{FOOTER}", source="harbour"))
    assert plain.as_text == f"Story one.\n\n{FOOTER}"
    no_html = settings.model_copy(update={"cleaning": settings.cleaning.model_copy(update={"disabled_steps": ["html"]})})
    result = build_pipeline(no_html).clean(Document(f"<p>{FOOTER}</p>", "text/html", source="harbour"))
    assert result.as_text is None  # the caller then learns from the HTML itself
