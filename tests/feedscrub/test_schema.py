"""The record schema is the contract with downstream teams: code, JSON Schema and docs agree."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from feedscrub.models import SCHEMA_VERSION, Article, Edit, Evidence, Flags, ForeignFragment
from feedscrub.schema import article_json_schema, article_to_json

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_json_schema_matches_the_model():
    committed = json.loads((DOCS / "article.schema.json").read_text(encoding="utf-8"))
    assert committed == article_json_schema(), "run: python -m feedscrub.schema > docs/article.schema.json"


def _documented_fields(section: str) -> set[str]:
    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", body, flags=re.M))


def test_schema_md_documents_every_field_and_no_other():
    for section, cls in [("Article", Article), ("Edit", Edit), ("Evidence", Evidence),
                         ("ForeignFragment", ForeignFragment), ("Flags", Flags)]:
        assert _documented_fields(section) == {f.name for f in fields(cls)}, section


def test_schema_md_names_the_current_version():
    assert f"schema version {SCHEMA_VERSION})" in (DOCS / "schema.md").read_text(encoding="utf-8")


def test_article_serialises_to_what_the_schema_says():
    import jsonschema

    flags = Flags(unedited_feed=True, evidence={"unedited_feed": [Evidence("en.disclaimer", "not edited")]})
    a = Article(id="a1", feed_url="https://x.example/feed", source="X", url="https://x.example/1", guid="g1",
                title="T", author=None, published_at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC), updated_at=None,
                fetched_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC), language="en", feed_language="en", text="Body.", summary="Body.",
                flags=flags, edits=[Edit("en.leave_comment", 6, 21, "Leave a Comment", "", "boilerplate")],
                foreign_fragments=[ForeignFragment("o en", 3, 7, "es", 0.9)], content_hash="0" * 64,
                pipeline_version="1")
    doc = article_to_json(a)
    jsonschema.validate(doc, article_json_schema())
    assert doc["published_at"].startswith("2024-05-01T08:00:00")
    assert doc["flags"]["evidence"]["unedited_feed"][0]["rule"] == "en.disclaimer"
