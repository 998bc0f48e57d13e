"""Validated settings and feed lists (pydantic). Loading files is in ``feedscrub.config``.

Every field has a documented default, so an empty ``config/feedscrub.yaml`` is a working setup.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchSettings(_Strict):
    """HTTP behaviour. Per-feed values in the feed list override these."""

    connect_timeout_s: float = Field(10.0, gt=0, description="TCP/TLS connect timeout")
    read_timeout_s: float = Field(20.0, gt=0, description="longest silence while reading the body")
    total_timeout_s: float = Field(60.0, gt=0, description="whole fetch, redirects included")
    max_bytes: int = Field(15 * 1024 * 1024, gt=0, description="body cap, after decompression")
    max_redirects: int = Field(5, ge=0)
    concurrency: int = Field(50, ge=1, description="feeds fetched at once, in total")
    per_host_concurrency: int = Field(2, ge=1, description="feeds fetched at once from one host")
    per_host_interval_s: float = Field(0.0, ge=0, description="least time between two requests to a host")
    user_agent: str = "feedscrub/0.1 (+https://github.com/feedscrub/feedscrub)"
    backoff_base_s: float = Field(300.0, gt=0, description="first retry delay after a failure")
    backoff_max_s: float = Field(4 * 3600.0, gt=0, description="cap of the exponential backoff")
    redirect_confirm_runs: int = Field(3, ge=1, description="permanent redirects seen in a row before the URL is updated")
    allow_private_addresses: list[str] = Field(default_factory=list,
                                               description="CIDRs that full-text fetching may reach (SSRF guard)")
    full_text_concurrency: int = Field(8, ge=1, description="article pages fetched at once for full text, in total")

    @field_validator("allow_private_addresses")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            ipaddress.ip_network(cidr.strip(), strict=False)  # ValueError names the bad entry
        return v


class SourceCleaning(_Strict):
    disabled_steps: list[str] = Field(default_factory=list)
    disabled_rules: list[str] = Field(default_factory=list)
    learned_boilerplate: bool = True


class CleaningSettings(_Strict):
    """Maps onto ``cleaners.settings.CleanSettings``; see its docstring for each field."""

    rules_dir: str | None = Field(None, description="folder of rule packs; default: the bundled config/rules")
    glossary: str | None = Field(None, description="glossary file; default: the bundled config/glossary.yaml")
    disabled_steps: list[str] = Field(default_factory=list)
    disabled_rules: list[str] = Field(default_factory=list)
    learned_min_articles: int = Field(10, ge=1)
    learned_min_count: int = Field(5, ge=2)
    learned_window: int = Field(50, ge=2)
    machine_translated_threshold: float = Field(0.5, ge=0, le=1)
    foreign_min_score: float = Field(0.5, gt=0, description="least score of a reported foreign fragment")
    edge_call_threshold: float = Field(4.0, gt=0, description="score from which a short call to action at the article's edge is removed")
    language_max_chars: int = Field(1500, ge=100)
    language_seed: int = 0
    sources: dict[str, SourceCleaning] = Field(default_factory=dict)


class PrefectSettings(_Strict):
    chunk_feeds: int = Field(25, ge=1, description="most changed feeds per worker task run (fewer near the end of a run, "
                             "so the workers finish together); a task run costs ~10-15 ms")
    task_retries: int = Field(2, ge=0)
    task_retry_delay_s: float = Field(10.0, ge=0)
    alert_after_failures: int = Field(3, ge=1, description="emit feedscrub.feed.failing after this many failed runs in a row")
    overlap_wait_s: float = Field(15.0, ge=0, description="how long a run waits for its predecessor before skipping")


class Settings(_Strict):
    """The whole of ``config/feedscrub.yaml``."""

    store: str = Field("sqlite:///data/feedscrub.db", description="sqlite:///PATH or postgresql://...")
    feeds: str | None = Field(None, description="default feed list (YAML or OPML); default: the bundled samples")
    batch_size: int = Field(500, ge=1, description="articles per store write")
    near_duplicate_threshold: float | None = Field(
        0.4, gt=0, le=1,
        description="mark an article duplicate_of the earliest stored one whose estimated Jaccard "
                    "similarity (MinHash of word shingles of the cleaned text) is at least this; "
                    "None: exact duplicates only. 0.4: edited rewrites of one wire story measure "
                    "0.50-0.90, different stories on the same topic 0.09 or less (sinks/neardup.py)")
    near_duplicate_shingle_words: int = Field(5, ge=1, le=20, description="words per shingle")
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    cleaning: CleaningSettings = Field(default_factory=CleaningSettings)
    prefect: PrefectSettings = Field(default_factory=PrefectSettings)


class FeedSpec(_Strict):
    """One feed of a feed list."""

    url: str
    name: str | None = None
    language: str | None = Field(None, description="declared language (ISO 639-1), checked against detection")
    enabled: bool = True
    group: str = "default"
    full_text: bool = Field(False, description="fetch each article page and extract its text")
    connect_timeout_s: float | None = Field(None, gt=0)
    read_timeout_s: float | None = Field(None, gt=0)
    total_timeout_s: float | None = Field(None, gt=0)
    max_bytes: int | None = Field(None, gt=0)

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, v: str) -> str:
        v = v.strip()
        if not v.startswith(("http://", "https://", "file://")):
            raise ValueError("must start with http://, https:// or file://")
        return v

    @property
    def source(self) -> str:
        return self.name or self.url


class FeedList(_Strict):
    feeds: list[FeedSpec]
