"""``feedscrub clean``: one article, or the JSONL batch contract used by downstream tools.

Batch contract: each input line ``{"id", "content", "content_type", "title", "feed_language"}``;
each output line, in the same order, the cleaning result with that id (see docs/schema.md). A
malformed line gets ``{"id": ..., "error": "..."}`` and the batch goes on.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

from feedscrub.cleaners.pipeline import CleanResult, Document, Pipeline

_LOOKS_HTML = re.compile(r"<(p|div|br|span|a|em|strong|h[1-6]|ul|li|figure|img|script|blockquote)\b", re.I)


def guess_content_type(content: str) -> str:
    return "text/html" if _LOOKS_HTML.search(content[:5000]) else "text/plain"


def clean_one(pipeline: Pipeline, content: str, *, html: bool | None = None, title: str | None = None,
              language: str | None = None, source: str | None = None) -> CleanResult:
    ctype = guess_content_type(content) if html is None else ("text/html" if html else "text/plain")
    return pipeline.clean(Document(content=content, content_type=ctype,  # type: ignore[arg-type]
                                   title=title, feed_language=language, source=source))


def clean_jsonl(pipeline: Pipeline, inp: IO[str], out: IO[str]) -> None:
    for n, line in enumerate(inp, 1):
        if not line.strip():
            continue
        out.write(json.dumps(_clean_line(pipeline, line, n), ensure_ascii=False) + "\n")
    out.flush()


def _clean_line(pipeline: Pipeline, line: str, n: int) -> dict[str, Any]:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "line": n, "error": f"line {n}: not valid JSON: {exc.msg}"}
    if not isinstance(rec, dict):
        return {"id": None, "line": n, "error": f"line {n}: expected a JSON object"}
    rid = rec.get("id")
    content = rec.get("content")
    if not isinstance(content, str):
        return {"id": rid, "line": n, "error": f"article {rid!r}: 'content' must be a string"}
    ctype = rec.get("content_type") or guess_content_type(content)
    if ctype not in ("text/plain", "text/html"):
        return {"id": rid, "line": n, "error": f"article {rid!r}: unknown content_type {ctype!r}"}
    title = rec.get("title") if isinstance(rec.get("title"), str) else None
    lang = rec.get("feed_language") if isinstance(rec.get("feed_language"), str) else None
    try:
        result = pipeline.clean(Document(content=content, content_type=ctype, title=title,
                                         feed_language=lang, source=rec.get("source")))
    except Exception as exc:  # one bad article must not stop the batch
        return {"id": rid, "line": n, "error": f"article {rid!r}: cleaning failed: {type(exc).__name__}: {exc}"}
    return {"id": rid, **result.as_json()}
