"""Re-cleaning stored articles after a rule change: the dry run reports, the real run rewrites."""

from __future__ import annotations

import json
import sqlite3

from feedscrub.bundled import DIR as BUNDLED
from feedscrub.sinks import open_sink
from typer.testing import CliRunner

from feedscrub.cli import app
from feedscrub.config import build_pipeline, load_feeds, load_settings
from feedscrub.ingest import run_shard
from feedscrub.reclean import reclean

runner = CliRunner()


def _ingest_samples(tmp_path):
    settings = load_settings()
    store = f"sqlite:///{tmp_path / 'store.db'}"
    run_shard(load_feeds([str(BUNDLED / "feeds.yaml")], settings), settings, store)
    return store


def _texts(store):
    con = sqlite3.connect(store.removeprefix("sqlite:///"))
    try:
        return dict(con.execute("SELECT id, text FROM articles"))
    finally:
        con.close()


def test_nothing_changes_when_the_rules_did_not(tmp_path):
    store = _ingest_samples(tmp_path)
    with open_sink(store) as sink:
        report = reclean(sink, build_pipeline(load_settings()), dry_run=True)
    assert report.examined == 7 and report.changed == 0 and not report.failed


def test_switching_a_rule_off_shows_in_the_dry_run_then_the_real_run(tmp_path):
    store = _ingest_samples(tmp_path)
    before = _texts(store)
    assert not any("appeared first on" in t for t in before.values())
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("cleaning:\n  disabled_rules: [en.post_appeared_first]\n", encoding="utf-8")
    pipeline = build_pipeline(load_settings(cfg))

    with open_sink(store) as sink:
        dry = reclean(sink, pipeline, dry_run=True)
    assert dry.changed == 2  # the two Valley Wire posts with an "appeared first on" footer
    assert dry.rules_dropped["en.post_appeared_first"] == 2 and not dry.rules_added
    assert dry.examples and "appeared first on" in dry.examples[0].after
    assert _texts(store) == before  # a dry run writes nothing

    with open_sink(store) as sink:
        real = reclean(sink, pipeline)
    assert real.changed == 2 and len(real.written.updated) == 2
    after = _texts(store)
    assert sum("appeared first on" in t for t in after.values()) == 2
    assert len(after) == 7


def test_cli_reclean_and_export(tmp_path):
    store = _ingest_samples(tmp_path)
    res = runner.invoke(app, ["reclean", "--dry-run", "--store", store])
    assert res.exit_code == 0, res.output
    assert "7 articles examined, 0 would change, 0 failed" in res.output
    out = tmp_path / "export"
    res = runner.invoke(app, ["export", "--store", store, "--format", "jsonl", "--out", str(out)])
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for f in sorted(out.rglob("*.jsonl")) for line in f.read_text().splitlines()]
    assert len(records) == 7
    assert {r["title"] for r in records} >= {"Court in The Hague hears appeal over fishing quotas"}
