"""Turns what the steps found into the article's flags, language and title (stub)."""

from __future__ import annotations

from feedscrub.models import Flags

from .pipeline import CleanResult, Context


def finish(ctx: Context, text: str) -> CleanResult:
    flags = Flags()
    for name, ev in ctx.evidence:
        flags.evidence.setdefault(name, []).append(ev)
    flags.unedited_feed = bool(flags.evidence.get("unedited_feed"))
    return CleanResult(text=text.strip(), title=ctx.document.title, language=ctx.document.feed_language,
                       flags=flags, edits=list(ctx.edits), foreign_fragments=list(ctx.fragments))
