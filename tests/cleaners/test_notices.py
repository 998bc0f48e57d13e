"""Notices about the text itself, found by slots (cleaners.notices): the classifier on its own
(cases/notices.yaml, both ways) and inside the boilerplate step (whole units, edge sentences,
quoted notices, flags)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.notices import classify, compile_slots
from feedscrub.cleaners.settings import CleanSettings, SourceOverrides

from .test_boilerplate import RESOURCES, clean

ROOT = Path(__file__).resolve().parents[2]
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "notices.yaml").read_text(encoding="utf-8"))
SLOTS = RESOURCES.rules.notices

BODY = (
    "The harbour board approved a new mooring fee schedule on Tuesday, raising the annual charge for "
    "small boats by 8 percent.\n\n"
    "Board chair Ines Dorado said the money would pay for dredging the inner basin, which has not "
    "been cleared since 2011.\n\n"
    "\"We either dredge or we lose the basin,\" Dorado said.\n\n"
)


def test_slots_load_from_the_packs():
    assert SLOTS is not None and SLOTS.trigger is not None and SLOTS.keywords


@pytest.mark.parametrize("case", CASES["fires"], ids=lambda c: c["text"][:40])
def test_notice_fires(case):
    found = classify(case["text"], SLOTS)
    assert found is not None, case["text"]
    assert found[0] == case["kind"]
    lowered = case["text"].lower()
    assert any(k in lowered for k in SLOTS.keywords), "the keyword prefilter must let it through"


@pytest.mark.parametrize("text", CASES["quiet"], ids=lambda t: t[:40])
def test_notice_stays_quiet(text):
    assert classify(text, SLOTS) is None


def test_unknown_slot_is_named():
    with pytest.raises(ValueError, match="unknown notice slot 'proces'"):
        compile_slots({"proces": ["x"]})


def test_unreviewed_translation_notice_goes_and_flags():
    res = clean(BODY + "This report was translated by machine and published without editorial checks.")
    assert "translated by machine" not in res.text
    assert "Dorado said" in res.text
    assert res.flags.unedited_feed
    assert [e.rule for e in res.edits] == ["notice.unedited"]


def test_translation_only_notice_goes_without_the_unedited_flag():
    res = clean(BODY + "Diese Meldung wurde maschinell aus dem Spanischen übersetzt.")
    assert "maschinell" not in res.text
    assert not res.flags.unedited_feed


def test_notice_glued_to_the_last_paragraph_takes_only_its_sentence():
    res = clean(BODY + "The fees apply from June. Este texto fue traducido automáticamente, sin revisión humana.")
    assert res.text.endswith("The fees apply from June.")
    assert res.flags.unedited_feed


def test_unreviewed_sentence_after_a_notice_joins_it():
    # the second sentence says no person checked the text the first one named
    notice = ("Note to subscribers: this report is relayed automatically from our wire partners. "
              "It has not been checked or edited by Harbour Ledger staff.")
    res = clean(BODY + notice)
    assert "relayed automatically" not in res.text and "Harbour Ledger staff" not in res.text
    assert "Dorado said" in res.text
    assert res.flags.unedited_feed


def test_translation_notice_and_unreviewed_sentence_are_unedited_together():
    res = clean(BODY + "Este texto fue traducido automáticamente. No ha sido revisado por la redacción.")
    assert "traducido" not in res.text and "revisado" not in res.text
    assert res.flags.unedited_feed


def test_agency_text_relayed_unedited_goes_and_flags():
    # the site as the subject, a long name: provenance (an agency report) and unaltered (as received)
    notice = "Disclaimer: The Lakeshore Evening Courier Online publishes this agency report as received and has not edited it."
    res = clean(BODY + notice)
    assert "Lakeshore" not in res.text and "Dorado said" in res.text
    assert res.flags.unedited_feed
    res = clean(BODY + "Nota: este despacho fue suministrado por una agencia y se publica sin cambios.")
    assert "suministrado" not in res.text and res.flags.unedited_feed


def test_agency_credit_and_correction_stay():
    for line in ("This article was supplied by Reuters.",
                 "Correction: An earlier version of this wire story, published without alteration, gave the wrong date.",
                 "Disclaimer: This content is provided by a third-party partner and does not necessarily reflect "
                 "the views of the Harbour Ledger."):
        res = clean(BODY + line)
        assert res.text == (BODY + line).strip(), line
        assert not res.flags.unedited_feed


def test_unreviewed_sentence_without_a_notice_before_it_stays():
    text = BODY + "The inspection report has not been reviewed by the board yet."
    res = clean(text)
    assert res.text == text.strip()
    assert not res.flags.unedited_feed


def test_news_sentence_quoting_a_notice_stays():
    text = BODY + ("Readers complained after the site ran a banner saying the story was translated "
                   "automatically and published without review.")
    res = clean(text)
    assert res.text == text.strip()
    assert not res.flags.unedited_feed


def test_ai_caveat_at_the_end_goes_but_not_in_the_middle():
    caveat = "Please note that exact details such as the fee levels were not available to me."
    res = clean(BODY + caveat)
    assert caveat not in res.text and res.flags.unedited_feed
    middle = BODY + caveat + "\n\n" + BODY.replace("Tuesday", "Friday") + "The vote was 5 to 2."
    assert caveat in clean(middle).text


def test_service_note_in_a_service_piece_stays():
    text = BODY + "Please note that the museum is closed on Mondays."
    assert clean(text).text == text.strip()


def test_notice_rules_switch_off_per_source():
    settings = CleanSettings(sources={"harbour": SourceOverrides(disabled_rules=frozenset({"notice.translated"}))})
    text = BODY + "This article was machine translated from Greek."
    assert "machine translated" in clean(text, source="harbour", settings=settings).text
    assert "machine translated" not in clean(text, source="other", settings=settings).text
