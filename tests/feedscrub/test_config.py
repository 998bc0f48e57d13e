"""Settings and feed lists: a bad file stops at start with a message naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedscrub.config import build_pipeline, load_feeds, load_settings, write_opml
from feedscrub.errors import ConfigError


def test_bundled_settings_and_feed_list_load():
    settings = load_settings()
    assert settings.store == "sqlite:///data/feedscrub.db"
    feeds = load_feeds(None, settings)
    assert len(feeds) >= 2
    for f in feeds:
        assert f.url.startswith("file://")
        assert Path(f.url.removeprefix("file://")).is_file(), f.url


def test_invalid_setting_names_file_and_field(tmp_path):
    bad = tmp_path / "feedscrub.yaml"
    bad.write_text("fetch:\n  concurrency: -3\n  timeout: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(bad)
    msg = str(exc.value)
    assert str(bad) in msg
    assert "fetch.concurrency" in msg
    assert "fetch.timeout" in msg  # unknown keys are errors, not silently ignored


def test_broken_yaml_names_the_file(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\.yaml: not valid YAML"):
        load_feeds([str(bad)])


def test_feed_without_scheme_is_rejected_with_its_position(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: https://ok.example/rss\n  - url: ftp://nope.example/rss\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_feeds([str(bad)])
    assert "feeds.1.url" in str(exc.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_feed_list_options_relative_paths_and_duplicates(tmp_path):
    (tmp_path / "local.xml").write_text("<rss/>", encoding="utf-8")
    lst = tmp_path / "feeds.yaml"
    lst.write_text(
        "feeds:\n"
        "  - {url: https://a.example/rss, name: A, language: es, group: spain}\n"
        "  - https://b.example/atom\n"
        "  - {url: local.xml, enabled: false}\n"
        "  - {url: https://a.example/rss, name: A again}\n",
        encoding="utf-8")
    feeds = load_feeds([str(lst)])
    assert [f.url for f in feeds] == ["https://a.example/rss", "https://b.example/atom",
                                      (tmp_path / "local.xml").as_uri()]
    assert (feeds[0].name, feeds[0].language, feeds[0].group) == ("A", "es", "spain")
    assert feeds[2].enabled is False


def test_opml_round_trip(tmp_path):
    lst = tmp_path / "feeds.yaml"
    lst.write_text("feeds:\n  - {url: https://a.example/rss, name: Diario A, language: es}\n"
                   "  - {url: https://b.example/atom}\n", encoding="utf-8")
    feeds = load_feeds([str(lst)])
    opml = tmp_path / "feeds.opml"
    write_opml(feeds, opml)
    again = load_feeds([str(opml)])
    assert [(f.url, f.language) for f in again] == [("https://a.example/rss", "es"), ("https://b.example/atom", None)]
    assert again[0].name == "Diario A"


def test_bad_rules_dir_is_a_config_error(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(f"cleaning:\n  rules_dir: {tmp_path / 'missing'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rules folder not found"):
        build_pipeline(load_settings(cfg))
