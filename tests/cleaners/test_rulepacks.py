"""Every rule in config/rules is data with examples: each `match` must fire, each `no_match` not.

Packs are read here with yaml.safe_load and compiled with build_resources, exactly as
feedscrub.config.load_resources does for the app (the library itself reads no files).
"""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.boilerplate import match_unit
from feedscrub.cleaners.resources import build_resources
from feedscrub.cleaners.rules import compile_rules

ROOT = Path(__file__).resolve().parents[2]
PACK_FILES = sorted(glob.glob(str(ROOT / "config" / "rules" / "*.yaml")))


def _packs() -> list[dict]:
    return [{**yaml.safe_load(Path(p).read_text(encoding="utf-8")), "__file__": p} for p in PACK_FILES]


RULES = list(build_resources(_packs(), {}).rules)


def _fires(rule, text: str) -> bool:
    whole, cuts = match_unit([rule], text, 0, len(text))
    return bool(whole) or any(c[0].id == rule.id for c in cuts)


def test_packs_exist_and_ids_are_unique():
    assert PACK_FILES, "no rule packs in config/rules"
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        # <pack>.<family>: the prefix names the pack file the rule lives in (en, es, ... ca, nl)
        assert r.id.split(".")[0] == Path(r.source_file).stem, r.id
        assert r.description and r.languages, r.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_examples_both_ways(rule):
    assert rule.examples_match, f"{rule.id}: no `match` example"
    assert rule.examples_no_match, f"{rule.id}: no `no_match` example"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_match_examples_fire(rule):
    for ex in rule.examples_match:
        assert _fires(rule, ex), f"{rule.id} should fire on {ex!r}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_no_match_examples_stay_quiet(rule):
    for ex in rule.examples_no_match:
        assert not _fires(rule, ex), f"{rule.id} fired on {ex!r}"


def test_keyword_scan_finds_exactly_the_keywords_in_the_text():
    """The sampled-trigram scan (KeywordIndex.present) agrees with a plain search for every keyword."""
    from feedscrub.cleaners.rules import KeywordIndex

    index = KeywordIndex(RULES)
    keywords = {k for r in RULES for k in r.keywords}
    texts = [ex.lower() for r in RULES for ex in (*r.examples_match, *r.examples_no_match)]
    texts.append("\n\n".join(texts))  # one long article made of every example
    texts += ["", "ab", "subscribe", " ai ", "x" * 50 + "newsletter"]
    for t in texts:
        assert set(index.present(t)) == {k for k in keywords if k in t}, t[:80]


def test_flagging_rules_name_a_known_flag():
    flagged = {r.id for r in RULES if r.flag == "unedited_feed"}
    assert {"en.unedited_feed_disclaimer", "en.ai_assistant_text", "es.unedited_feed_disclaimer"} <= flagged


@pytest.mark.parametrize(("pack", "message"), [
    ({"rules": [{"id": "x.a", "patterns": ["("]}]}, "does not compile"),
    ({"rules": [{"id": "x.a", "patterns": ["a"], "scope": "page"}]}, "scope"),
    ({"rules": [{"id": "x.a", "patterns": ["{nope}"]}]}, "unknown piece"),
    ({"rules": [{"id": "x.a", "patterns": ["a"]}, {"id": "x.a", "patterns": ["b"]}]}, "duplicate"),
    ({"rules": [{"id": "x.a", "patterns": ["a"], "after": ["x.zz"]}]}, "unknown rules"),
    ({"rules": [{"id": "x.a"}]}, "no patterns"),
    ({"rules": [{"id": "x.a", "patterns": ["a"], "position": {"last": "end"}}]}, "positive whole number"),
])
def test_invalid_packs_name_file_and_rule(pack, message):
    with pytest.raises(ValueError, match=message) as info:
        compile_rules([{**pack, "__file__": "config/rules/x.yaml"}])
    assert "config/rules/x.yaml" in str(info.value)


def test_family_wildcard_in_after_names_every_pack():
    rules = compile_rules([
        {"rules": [{"id": "en.cookie_banner", "patterns": ["we use cookies"]},
                   {"id": "en.button", "patterns": ["accept all"], "after": ["*.cookie_banner"]}]},
        {"rules": [{"id": "it.cookie_banner", "patterns": ["usiamo i cookie"]}]},
    ])
    assert rules.by_id["en.button"].after == {"en.cookie_banner", "it.cookie_banner"}
    with pytest.raises(ValueError, match="no rule of family"):
        compile_rules([{"rules": [{"id": "x.a", "patterns": ["a"], "after": ["*.nothing"]}],
                        "__file__": "config/rules/x.yaml"}])


def test_pieces_and_whitespace_syntax():
    (rule,) = compile_rules([{"pieces": {"site": "[A-Z][a-z]+"},
                              "rules": [{"id": "x.a", "patterns": ["from {site} ?: news"]}]}])
    assert rule.fullmatch("from Harbour:\n news")
    assert rule.fullmatch("from Harbour : news")
    assert not rule.fullmatch("from harbour-news")
