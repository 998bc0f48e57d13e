"""`feedscrub run` stops at start, with the file and field named and no traceback, on bad config."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "feedscrub.cli", "run", "--no-progress", *args],
                          capture_output=True, text=True, timeout=120)


def test_invalid_settings_stop_the_run_with_a_clear_message(tmp_path):
    cfg = tmp_path / "feedscrub.yaml"
    cfg.write_text("fetch:\n  per_host_concurrency: zero\n", encoding="utf-8")
    res = _run("--config", str(cfg))
    assert res.returncode == 2
    assert str(cfg) in res.stderr and "fetch.per_host_concurrency" in res.stderr
    assert "Traceback" not in res.stderr


def test_broken_rule_pack_stops_the_run_before_anything_is_fetched(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "site.yaml").write_text("rules:\n  - id: x\n    patterns: [unclosed\n", encoding="utf-8")
    cfg = tmp_path / "feedscrub.yaml"
    cfg.write_text(f"cleaning:\n  rules_dir: {rules}\n", encoding="utf-8")
    res = _run("--config", str(cfg), "--store", f"sqlite:///{tmp_path / 'x.db'}")
    assert res.returncode == 2
    assert "site.yaml" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.db").exists()


def test_missing_feed_list_is_named(tmp_path):
    res = _run("--feeds", str(tmp_path / "nope.yaml"))
    assert res.returncode == 2 and "nope.yaml: file not found" in res.stderr
