"""Reading configuration from disk: settings, feed lists (YAML, OPML or URLs), rule packs.

This is the I/O side of configuration; the shapes live in ``feedscrub.settings`` and the cleaners
receive compiled rules from here. Any invalid file stops at start with a ``ConfigError`` naming the
file and the field, never a stack trace.
"""

from __future__ import annotations

import functools
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from feedscrub.bundled import DIR as BUNDLED
from feedscrub.cleaners.build import default_pipeline
from feedscrub.cleaners.pipeline import Pipeline
from feedscrub.cleaners.resources import Resources, build_resources
from feedscrub.cleaners.settings import CleanSettings, SourceOverrides
from feedscrub.errors import ConfigError
from feedscrub.settings import FeedList, FeedSpec, Settings

DEFAULT_SETTINGS = BUNDLED / "feedscrub.yaml"
DEFAULT_FEEDS = BUNDLED / "feeds.yaml"
DEFAULT_RULES = BUNDLED / "rules"
DEFAULT_GLOSSARY = BUNDLED / "glossary.yaml"
DEFAULT_TRANSLATIONESE = BUNDLED / "translationese.yaml"
DEFAULT_LOANWORDS = BUNDLED / "loanwords.yaml"


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def _explain(path: Path, exc: ValidationError) -> ConfigError:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        problems.append(f"{where}: {err['msg']}")
    return ConfigError(f"{path}: invalid configuration\n  " + "\n  ".join(problems))


def load_settings(path: str | Path | None = None) -> Settings:
    """Settings from ``path`` (default: the bundled ``config/feedscrub.yaml``)."""
    p = Path(path) if path else DEFAULT_SETTINGS
    data = _read_yaml(p) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of settings at the top level")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _explain(p, exc) from None


def load_feeds(sources: Sequence[str] | None, settings: Settings | None = None) -> list[FeedSpec]:
    """Feeds from feed-list files (YAML or OPML) and/or bare URLs; default: the settings' list.

    Relative paths in a YAML list (``url: samples/x.xml``) are resolved against the list's folder
    and become ``file://`` URLs, so a feed list can ship with local sample feeds.
    """
    if not sources:
        sources = [settings.feeds] if settings and settings.feeds else [str(DEFAULT_FEEDS)]
    feeds: list[FeedSpec] = []
    for src in sources:
        if src.startswith(("http://", "https://", "file://")):
            feeds.append(FeedSpec(url=src))
            continue
        path = Path(src)
        if path.suffix.lower() in {".opml", ".xml"}:
            feeds.extend(_load_opml(path))
        else:
            feeds.extend(_load_feed_yaml(path))
    seen: set[str] = set()
    unique = []
    for f in feeds:
        if f.url not in seen:
            seen.add(f.url)
            unique.append(f)
    return unique


def _load_feed_yaml(path: Path) -> list[FeedSpec]:
    data = _read_yaml(path)
    if isinstance(data, list):
        data = {"feeds": data}
    if not isinstance(data, dict) or "feeds" not in data:
        raise ConfigError(f"{path}: expected a list of feeds, or a mapping with a 'feeds' list")
    items = []
    for item in data.get("feeds") or []:
        if isinstance(item, str):
            item = {"url": item}
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            item = {**item, "url": _resolve_url(item["url"], path.parent)}
        items.append(item)
    try:
        return FeedList.model_validate({"feeds": items}).feeds
    except ValidationError as exc:
        raise _explain(path, exc) from None


def _resolve_url(url: str, base: Path) -> str:
    if "://" in url:
        return url
    return (base / url).resolve().as_uri()


def _load_opml(path: Path) -> list[FeedSpec]:
    try:
        # OPML files are small and come from the operator; defusedxml-like protection is still
        # wanted: ElementTree does not expand external entities.
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not valid OPML: {exc}") from None
    feeds = []
    for n, outline in enumerate(root.iter("outline"), 1):
        url = outline.get("xmlUrl")
        if not url:
            continue
        try:
            feeds.append(FeedSpec(url=url, name=outline.get("title") or outline.get("text"),
                                  language=outline.get("language") or None))
        except ValidationError as exc:
            raise _explain(path, exc) from ConfigError(f"{path}: outline {n}")
    return feeds


def write_opml(feeds: Sequence[FeedSpec], path: Path) -> None:
    """Export feeds as OPML 2.0."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = "feedscrub feeds"
    body = ET.SubElement(opml, "body")
    for f in feeds:
        attrs = {"type": "rss", "text": f.name or f.url, "xmlUrl": f.url}
        if f.name:
            attrs["title"] = f.name
        if f.language:
            attrs["language"] = f.language
        ET.SubElement(body, "outline", attrs)
    ET.indent(opml)
    path.write_bytes(ET.tostring(opml, encoding="utf-8", xml_declaration=True))


def clean_settings(settings: Settings) -> CleanSettings:
    c = settings.cleaning
    return CleanSettings(
        disabled_steps=frozenset(c.disabled_steps),
        disabled_rules=frozenset(c.disabled_rules),
        learned_min_articles=c.learned_min_articles,
        learned_min_count=c.learned_min_count,
        learned_window=c.learned_window,
        machine_translated_threshold=c.machine_translated_threshold,
        foreign_min_score=c.foreign_min_score,
        edge_call_threshold=c.edge_call_threshold,
        language_max_chars=c.language_max_chars,
        language_seed=c.language_seed,
        sources={name: SourceOverrides(frozenset(s.disabled_steps), frozenset(s.disabled_rules),
                                       s.learned_boilerplate)
                 for name, s in c.sources.items()},
    )


def load_resources(settings: Settings, learned: Any = None) -> Resources:
    """Rule packs (every ``*.yaml`` in the rules folder) and the glossary, compiled for the cleaners."""
    rules_dir = Path(settings.cleaning.rules_dir) if settings.cleaning.rules_dir else DEFAULT_RULES
    glossary_path = Path(settings.cleaning.glossary) if settings.cleaning.glossary else DEFAULT_GLOSSARY
    packs = _read_rule_packs(str(rules_dir))
    glossary = _read_yaml(glossary_path) if glossary_path.exists() else {}
    translationese = _read_translationese(str(DEFAULT_TRANSLATIONESE))
    loanwords = _read_yaml(DEFAULT_LOANWORDS) if DEFAULT_LOANWORDS.exists() else None
    try:
        return build_resources(packs, glossary, learned, translationese, loanwords)
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{rules_dir}: invalid rule pack: {exc}") from None


@functools.lru_cache(maxsize=2)
def _read_translationese(path: str) -> dict[str, Any] | None:
    """The translationese pack (cleaners.translationese), with ``__file__`` so errors name it."""
    p = Path(path)
    if not p.exists():
        return None
    data = _read_yaml(p)
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the translationese pack must be a mapping")
    return {**data, "__file__": str(p)}


@functools.lru_cache(maxsize=8)
def _read_rule_packs(rules_dir: str) -> list[dict[str, Any]]:
    d = Path(rules_dir)
    if not d.is_dir():
        raise ConfigError(f"{d}: rules folder not found")
    packs = []
    for p in sorted(d.glob("*.yaml")):
        data = _read_yaml(p)
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: a rule pack must be a mapping")
        packs.append({**data, "__file__": str(p)})
    return packs


def build_pipeline(settings: Settings, learned: Any = None) -> Pipeline:
    """The cleaning pipeline as configured: the one both the flow and ``feedscrub clean`` use."""
    return default_pipeline(clean_settings(settings), load_resources(settings, learned))


_pipelines: dict[str, Pipeline] = {}
_pipelines_lock = threading.Lock()


def pipeline_for(settings: Settings) -> Pipeline:
    """``build_pipeline(settings)``, built once per process and kept (rule packs, word lists): the
    CLI's check before a run, the flow and every ingest chunk in a worker share it."""
    key = settings.cleaning.model_dump_json()  # everything the pipeline is built from
    with _pipelines_lock:
        pipeline = _pipelines.get(key)
        if pipeline is None:
            pipeline = _pipelines[key] = build_pipeline(settings)
    return pipeline
