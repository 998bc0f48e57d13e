"""The article factory of the sink tests: realistic, varied, deterministic Articles.

Imported by the test modules as ``sink_factory`` (conftest.py puts this folder on sys.path).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from feedscrub.models import Article, Edit, Evidence, Flags, ForeignFragment, content_hash

_TEXTS = [
    "The city council approved the new budget on Tuesday after a long debate about school funding.",
    "Der Stadtrat hat am Dienstag den neuen Haushalt beschlossen – nach langer Debatte über Schulen.",
    "Le conseil municipal a adopté mardi le nouveau budget après un long débat sur les écoles.",
    "市议会周二在就学校经费进行长时间辩论后批准了新预算。",
    "Городской совет во вторник утвердил новый бюджет после долгих дебатов о школах.",
    "مجلس المدينة وافق يوم الثلاثاء على الميزانية الجديدة بعد نقاش طويل حول تمويل المدارس.",
    "Emoji and marks survive: 🎉 naïve café — “quoted” ‘text’ … ½ ℃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.",
]
_FEEDS = [
    "https://news.example.com/rss",
    "https://blog.example.org/atom.xml",
    "https://zeitung.example.de/feed",
]
BASE_TIME = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)


def make_article(i: int = 0, *, size: int = 600, **overrides: Any) -> Article:
    """A realistic, varied Article: unicode text, edits, evidence, foreign fragments, raw HTML.

    Deterministic for a given ``i``; ``size`` is the approximate text length in characters.
    """
    rng = random.Random(i)
    paras = []
    while sum(len(p) for p in paras) < size:
        paras.append(rng.choice(_TEXTS) + f" ({i}/{len(paras)})")
    text = "\n\n".join(paras)
    feed = _FEEDS[i % len(_FEEDS)]
    fetched = BASE_TIME + timedelta(days=i % 5, minutes=i)
    published = fetched - timedelta(hours=rng.randint(1, 48)) if i % 7 else None
    mt = i % 3 == 0
    flags = Flags(
        unedited_feed=i % 4 == 0,
        machine_translated=mt,
        machine_translated_score=round(rng.random(), 6) if mt else 0.0,
        language_mismatch=i % 5 == 0,
        evidence={
            "machine_translated": [
                Evidence("mt.calque", "en el otro mano", 0.83),
                Evidence("mt.lm", "perplexity 212.5", None),
            ]
        }
        if mt
        else {},
    )
    edits = (
        [
            Edit(
                "boilerplate.subscribe",
                120,
                161,
                "Subscribe to our newsletter for more news!",
                "",
                "subscription call",
                "boilerplate",
            ),
            Edit("punctuation.spaces", 10, 12, "  ", " ", "", "punctuation"),
        ]
        if i % 2 == 0
        else []
    )
    fragments = (
        [ForeignFragment("esto es una prueba", 40, 58, "es", 0.91, repaired=i % 4 == 0)] if i % 3 == 1 else []
    )
    title = f"Städtischer Haushalt Nr. {i} – „Einigung“ 🎉"
    article = Article(
        id=f"{feed}#{i:06d}",
        feed_url=feed,
        source=feed.split("/")[2],
        url=f"https://{feed.split('/')[2]}/2024/05/story-{i}",
        guid=f"urn:uuid:{uuid.UUID(int=i)}" if i % 6 else None,
        title=title,
        author="María José Ñúñez" if i % 2 else None,
        published_at=published,
        updated_at=published + timedelta(minutes=5) if published and i % 2 else None,
        fetched_at=fetched,
        language=["en", "de", "fr", "zh", "ru", "ar", "en"][i % 7],
        feed_language=None if i % 4 == 3 else ["en", "de", "fr"][i % 3],
        text=text,
        summary=text[:140] if i % 3 else None,
        flags=flags,
        edits=edits,
        foreign_fragments=fragments,
        content_hash=content_hash(text, title),
        pipeline_version="0.1.0+rules.7",
        raw_content=f"<p>{text.replace(chr(10) * 2, '</p><p>')}</p><div class=ad>Subscribe!</div>",
        raw_content_type="text/html",
        raw_title=f"Städtischer Haushalt Nr. {i}",
    )
    return replace(article, **overrides) if overrides else article


def with_text(article: Article, text: str) -> Article:
    """The same article with new text (and the matching content hash)."""
    return replace(article, text=text, content_hash=content_hash(text, article.title))


NON_UTC = timezone(timedelta(hours=2))


def run_together(n: int, body: Callable[[int, threading.Barrier], None]) -> None:
    """``body(k, barrier)`` for k in 0..n-1, each in its own thread; ``barrier.wait()`` releases
    them at once (e.g. all sinks open, then all write). Fails the test with any thread's error."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            body(k, barrier)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
