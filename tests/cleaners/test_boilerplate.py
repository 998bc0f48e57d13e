"""The boilerplate step, data-driven (cases/boilerplate*.yaml) plus its mechanics.

The cases run through this area's steps only (html → unicode → boilerplate → learned), so a
change in another team's step cannot break them and a failure here names this area.
"""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.boilerplate import RemoveBoilerplate
from feedscrub.cleaners.html import HtmlToText
from feedscrub.cleaners.learned import RemoveLearnedBoilerplate
from feedscrub.cleaners.pipeline import CleanResult, Context, Document, Pipeline
from feedscrub.cleaners.resources import build_resources
from feedscrub.cleaners.settings import CleanSettings, SourceOverrides
from feedscrub.cleaners.unicode import RepairUnicode

from feedscrub.models import Flags

ROOT = Path(__file__).resolve().parents[2]

def _load_cases() -> dict[str, list[dict]]:
    """cases/boilerplate.yaml and its companions (cases/boilerplate_*.yaml, e.g. other languages)."""
    cases: dict[str, list[dict]] = {"in_the_wild": [], "negative": [], "known_failures": []}
    for p in sorted((Path(__file__).parent / "cases").glob("boilerplate*.yaml")):
        for part, items in yaml.safe_load(p.read_text(encoding="utf-8")).items():
            cases[part] += items or []
    return cases


CASES = _load_cases()


def load_resources():
    packs = []
    for p in sorted(glob.glob(str(ROOT / "config" / "rules" / "*.yaml"))):
        packs.append({**yaml.safe_load(Path(p).read_text(encoding="utf-8")), "__file__": p})
    return build_resources(packs, {})


RESOURCES = load_resources()


def _finish(ctx: Context, text: str) -> CleanResult:
    flags = Flags()
    for name, ev in ctx.evidence:
        flags.evidence.setdefault(name, []).append(ev)
    flags.unedited_feed = bool(flags.evidence.get("unedited_feed"))
    return CleanResult(text=text.strip(), title=ctx.document.title, language=None, flags=flags,
                       edits=list(ctx.edits), foreign_fragments=[])


def pipeline(settings: CleanSettings | None = None, resources=RESOURCES) -> Pipeline:
    steps = [HtmlToText(), RepairUnicode(), RemoveBoilerplate(), RemoveLearnedBoilerplate()]
    return Pipeline(steps, _finish, settings or CleanSettings(), resources)


def clean(text: str, content_type: str = "text/plain", source: str | None = None,
          settings: CleanSettings | None = None) -> CleanResult:
    return pipeline(settings).clean(Document(text, content_type, source=source))  # type: ignore[arg-type]


def _check(case: dict) -> None:
    res = clean(case["text"], case.get("content_type", "text/plain"))
    for span in case.get("remove", []):
        assert span.lower() not in res.text.lower(), f"{case['id']}: still has {span!r}"
    for span in case.get("keep", []):
        assert span in res.text, f"{case['id']}: lost {span!r}"
    if "unedited_feed" in case:
        assert res.flags.unedited_feed == case["unedited_feed"], case["id"]
    for e in res.edits:
        assert e.rule and e.reason, "every edit names its rule and says why"


@pytest.mark.parametrize("case", CASES["in_the_wild"], ids=lambda c: c["id"])
def test_in_the_wild(case):
    _check(case)


@pytest.mark.parametrize("case", CASES["negative"], ids=lambda c: c["id"])
def test_do_no_harm(case):
    res = clean(case["text"])
    assert res.text == case["text"].strip()
    assert not res.edits
    assert not res.flags.unedited_feed


@pytest.mark.parametrize("case", CASES["known_failures"], ids=lambda c: c["id"])
@pytest.mark.xfail(strict=True, reason="accepted limit (see the case's reason)")
def test_known_failures(case):
    _check(case)


# --- mechanics ----------------------------------------------------------------------------------

ARTICLE = ("The ferry timetable changes on Monday, with two extra sailings on weekdays.\n\n"
           "Tickets can be bought on board or at the harbour office.\n\n")


def _replay(text: str, edits) -> str:
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        assert text[e.start:e.end] == e.before
        text = text[:e.start] + e.after + text[e.end:]
    return text


def test_edits_index_the_step_input_and_replay():
    text = ARTICLE + "Share this:\nClick to share on X (Opens in new window)\n\nLeave a Comment\n"
    ctx = Context(Document(text), CleanSettings(), RESOURCES)
    res = RemoveBoilerplate()(text, ctx)
    assert _replay(text, res.edits) == res.text
    assert {e.rule for e in res.edits} == {"en.share_widget", "en.comment_call"}
    assert res.text.strip() == ARTICLE.strip()


def test_sentence_scope_removes_only_the_trailing_sentence():
    text = "The library will open on Sundays from June. Continue reading →"
    res = clean(text)
    assert res.text == "The library will open on Sundays from June."
    assert [e.rule for e in res.edits] == ["en.continue_reading"]


def test_quoted_notice_mid_article_is_kept():
    text = ARTICLE + ('Visitors saw a banner that read "Subscribe to our newsletter" above every story.\n\n'
                      "The harbour office opens at 8 a.m.")
    assert clean(text).text == text.strip()


def test_position_hint_failure_is_a_near_miss():
    text = "Website\n\n" + ARTICLE + "The office is on Quay Street."
    res = clean(text)
    assert res.text.startswith("Website")
    assert any(ev.rule == "en.comment_field" for ev in res.near_misses)


def test_rule_disabled_for_one_source_only():
    text = ARTICLE + "Leave a Reply"
    settings = CleanSettings(sources={"quay-news": SourceOverrides(disabled_rules=frozenset({"en.comment_call"}))})
    assert "Leave a Reply" in clean(text, source="quay-news", settings=settings).text
    assert "Leave a Reply" not in clean(text, source="other", settings=settings).text
    assert "Leave a Reply" in clean(text, settings=CleanSettings(disabled_rules=frozenset({"en.comment_call"}))).text


def test_disclaimer_raises_unedited_feed_with_evidence():
    text = ARTICLE + "Disclaimer: This story was created from the feed and has not been edited by our team."
    res = clean(text)
    assert res.flags.unedited_feed
    (ev,) = res.flags.evidence["unedited_feed"]
    assert ev.rule == "en.unedited_feed_disclaimer"
    assert "has not been edited" in ev.text


def test_no_rules_no_change():
    res = pipeline(resources=build_resources([], {})).clean(Document(ARTICLE + "Leave a Reply"))
    assert res.text.endswith("Leave a Reply")


def test_removing_a_block_tail_keeps_the_paragraph_break():
    text = ("The pool reopens on Monday after repairs.\nShare this:\nClick to print (Opens in new window)\n\n"
            "Opening hours are unchanged.")
    res = clean(text)
    assert res.text == "The pool reopens on Monday after repairs.\n\nOpening hours are unchanged."


EDGE_ARTICLE = (
    "The county opened a second cooling centre on Tuesday as temperatures passed 38C.\n\n"
    "The centre, in the old fire station, will stay open until 10 p.m. through the weekend.\n\n"
    "Officials asked residents to check on elderly neighbours.\n\n"
    "Heat alerts are free: install our app and never miss a warning again.\n"
)


def test_edge_call_removed_with_its_rule_id_and_features():
    res = clean(EDGE_ARTICLE)
    assert "install our app" not in res.text
    assert "check on elderly neighbours" in res.text
    assert [e.rule for e in res.edits] == ["edge.cta"]
    assert "edge_calls" in res.edits[0].reason


def test_edge_call_switchable_per_source():
    settings = CleanSettings(sources={"heat": SourceOverrides(disabled_rules=frozenset({"edge.cta"}))})
    assert "install our app" in clean(EDGE_ARTICLE, source="heat", settings=settings).text
    assert "install our app" not in clean(EDGE_ARTICLE, source="other", settings=settings).text


def test_edge_call_only_at_the_edge():
    lines = EDGE_ARTICLE.strip().split("\n\n")
    middle = "\n\n".join([lines[0], lines[3], lines[1], lines[2]])
    assert "install our app" in clean(middle).text


def test_edge_call_weak_line_is_a_near_miss():
    text = EDGE_ARTICLE.replace("Heat alerts are free: install our app and never miss a warning again.",
                                "You can download the heat map from our website.")
    res = clean(text)
    assert "heat map" in res.text
    assert any(n.rule == "edge.cta" for n in res.near_misses)


def test_edge_call_scores():
    from feedscrub.cleaners.edge_calls import score_call

    assert score_call("Tags: heat, weather, county")[0] >= 4
    assert score_call("Abonnez-vous à notre newsletter pour ne rien manquer.")[0] >= 4
    assert score_call("Suscríbete a nuestro boletín y recibe las noticias de Cádiz cada mañana.")[0] >= 4
    assert score_call("Baixe o aplicativo do Jornal do Vale e receba alertas no seu celular.")[0] >= 4
    assert score_call("Laden Sie jetzt unsere App herunter und verpassen Sie keine Nachricht mehr.")[0] >= 4
    assert score_call("Iscriviti al nostro canale WhatsApp per restare aggiornato.")[0] >= 4
    assert score_call("Download speeds doubled in 2023, according to the regulator.")[0] < 4
    assert score_call("The city launched an app for parking last year.")[0] < 4
    assert score_call("Estimated reading time: 5 min")[0] >= 4
    assert score_call("Be part of our community: sign in and share your view.")[0] >= 4
    assert score_call("Back at the depot, drivers were less enthusiastic.")[0] < 4
    assert score_call("The crossing takes 45 minutes.")[0] < 4
    assert score_call("Residents can sign up at the library, the mayor said.")[0] < 4
    assert score_call("Get 20% off your first order.")[0] <= 0  # no anchor: a sponsor read


def test_edge_call_audience_fineprint_and_appeal_features():
    from feedscrub.cleaners.edge_calls import score_call

    # the readership as a crowd, a form's small print, an appeal to the reader: no wording listed
    assert score_call("Over 12,000 locals start their day with our briefing. No spam, cancel anytime.")[0] >= 5
    assert score_call("Supporters like you fund our nonprofit newsroom. Become a member today.")[0] >= 6.5
    assert score_call("Dé clic aquí para seguirnos en Telegram.")[0] >= 4
    # ... while numbers of people and members in a story are not
    assert score_call("About 3,000 people read the report on the dam, the mayor said.")[0] < 4
    assert score_call("The club now has 4,200 members and a waiting list.")[0] < 4
    assert score_call("More than 500 residents get their water from the well.")[0] < 4
    assert score_call("Don't forget to like and share this post!")[0] >= 4
    assert score_call("Don't forget to download your boarding pass from the airline app.")[0] < 4
    assert score_call("Mehr Nachrichten aus der Region finden Sie auf unserer Startseite.")[0] >= 4
    assert score_call("Become a member of the library and you can borrow e-books for free.")[0] < 4


def test_call_inside_the_article_needs_a_higher_score():
    body = "\n\n".join(f"Paragraph {i} of the council story, with the vote and the figures in it." for i in range(4))
    weak = "Ask our reporters your questions on Telegram."  # enough at the edge, not alone inside
    text = body.replace("Paragraph 2", weak + "\n\nParagraph 2")
    res = clean(text)
    assert weak in res.text
    assert any(ev.rule == "edge.cta" and "inside the article" in ev.text for ev in res.near_misses)
    assert weak not in clean(body + "\n\n" + weak).text  # at the edge it goes


def test_chained_rules_are_not_tried_below_a_line_none_of_their_heads_matched():
    from feedscrub.cleaners.boilerplate import match_unit

    line = "Jane Ruiz, press officer, 555-0134"  # en.press_release_note's pattern takes any line
    note = RESOURCES.rules.by_id["en.press_release_note"]
    whole, _ = match_unit([note], line, 0, len(line), prev_ids=frozenset())
    assert whole == []  # the line above matched no heading: the regex is skipped
    whole, _ = match_unit([note], line, 0, len(line), prev_ids=frozenset({"en.press_release_tail"}))
    assert [r.id for r, _ in whole] == ["en.press_release_note"]
    whole, _ = match_unit([note], line, 0, len(line))  # unknown (None): tried as before
    assert [r.id for r, _ in whole] == ["en.press_release_note"]


def test_press_release_contact_block_still_closes_the_text():
    text = ARTICLE + "Media contact:\nJane Ruiz, press officer, 555-0134\n"
    res = clean(text)
    assert "Jane Ruiz" not in res.text
    assert {e.rule for e in res.edits} == {"en.press_release_tail", "en.press_release_note"}


def test_a_heading_takes_its_list_before_a_link_rule_takes_it_alone():
    # "Keep reading" is also a "Continue reading" link; above two headlines it heads them
    text = ARTICLE + "Keep reading\n\nHarbour office adds Saturday hours\n\nFerry crew wins safety award\n"
    res = clean(text)
    assert res.text.strip() == ARTICLE.strip()
    assert res.edits[0].rule == "en.related_header"
    alone = ARTICLE + "Keep reading →\n"  # no list below: the link rule
    assert [e.rule for e in clean(alone).edits] == ["en.continue_reading"]


def test_markup_in_a_plain_text_feed_is_matched_on_its_text():
    footer = ('<p>The post <a href="https://quay.example/ferry/">Ferry adds sailings</a> appeared first on '
              '<a href="https://quay.example">Quay News</a>.</p>')
    res = clean(ARTICLE + footer)
    assert "appeared first" not in res.text and "Tickets can be bought" in res.text
    assert [e.rule for e in res.edits] == ["en.post_appeared_first"]
    story = '<p>The council said <a href="https://town.example/plan">the plan</a> would be published in June.</p>'
    assert clean(ARTICLE + story).text.endswith(story)
