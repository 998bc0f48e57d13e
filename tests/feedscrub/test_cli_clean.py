"""`feedscrub clean`: one article, --diff, and the --jsonl batch contract."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from feedscrub.cli import app

runner = CliRunner()

DIRTY = (
    "The council approved the budget on Tuesday after a long debate about the new library.\n\n"
    "Critics said the plan came too late for the families who had waited since 2019.\n\n"
    "Leave a Comment"
)


def _jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_jsonl_keeps_order_and_ids_and_reports_bad_lines():
    inp = _jsonl(
        {"id": "a", "content": DIRTY, "content_type": "text/plain", "title": "Budget passes", "feed_language": "en"},
        "{not json",
        {"id": "c", "content": 42},
        {"id": "d", "content": "<p>Short <b>html</b> text about the port.</p>", "content_type": "text/html",
         "title": None, "feed_language": None},
    )
    res = runner.invoke(app, ["clean", "--jsonl"], input=inp)
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x.get("id") for x in lines] == ["a", None, "c", "d"]
    assert "not valid JSON" in lines[1]["error"] and lines[1]["line"] == 2
    assert "'content' must be a string" in lines[2]["error"] and "'c'" in lines[2]["error"]
    a = lines[0]
    assert set(a) >= {"text", "title", "language", "flags", "foreign_fragments", "edits"}
    assert set(a["flags"]) >= {"unedited_feed", "machine_translated"}
    assert "<b>" not in lines[3]["text"]


def test_clean_prints_text_and_json(tmp_path):
    f = tmp_path / "article.txt"
    f.write_text(DIRTY, encoding="utf-8")
    res = runner.invoke(app, ["clean", str(f), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["text"].startswith("The council approved the budget")
    res = runner.invoke(app, ["clean", str(f)])
    assert "The council approved the budget" in res.stdout


def test_clean_missing_file_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["clean", str(tmp_path / "nope.txt")])
    assert res.exit_code != 0


def test_diff_shows_each_edit_with_its_rule_and_keeps_bracketed_text(tmp_path):
    f = tmp_path / "mt.txt"
    f.write_text("The strike began in The middle of April and right Now [el país] owes the union money "
                 "según the ministry.\n\nLeave a Comment\n", encoding="utf-8")
    res = runner.invoke(app, ["clean", str(f), "--diff"])
    assert res.exit_code == 0, res.output
    assert "[el país]" in res.stdout  # the before side of the glossary repair
    assert "en.comment_call" in res.stdout and "Leave a Comment" in res.stdout
    assert "machine_translated True" in res.stdout
    res = runner.invoke(app, ["clean", str(f), "--explain"])
    assert "came close, did not fire" in res.stdout
