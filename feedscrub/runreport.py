"""Renders a ``RunSummary`` for people: table rows and markdown for Prefect artifacts."""

from __future__ import annotations

from feedscrub.reclean import RecleanReport
from feedscrub.report import RunSummary


def feed_rows(summary: RunSummary) -> list[dict[str, object]]:
    return [
        {
            "feed": f.name,
            "status": f.status,
            "http": f.http_status or "",
            "entries": f.entries,
            "new": f.new,
            "updated": f.updated,
            "unchanged": f.unchanged,
            "duplicates": f.duplicates,
            "spooled": f.spooled,
            "flagged": f.flagged,
            "warnings": len(f.warnings),
            "error": f"{f.error_kind}: {f.error}" if f.error_kind else "",
        }
        for f in summary.feeds
    ]


def feed_health_rows(summary: RunSummary) -> list[dict[str, object]]:
    return [
        {
            "feed": f.name,
            "url": f.url,
            "cause": f"{f.error_kind}: {f.error}",
            "consecutive failures": f.consecutive_failures,
            "failing since": f.failing_since.isoformat(timespec="minutes") if f.failing_since else "",
        }
        for f in summary.failing
    ]


def _md(s: str | None) -> str:
    return (s or "").replace("|", "\\|").replace("\n", " ")


def flagged_markdown(summary: RunSummary, limit: int = 50) -> str:
    items = summary.flagged_articles
    lines = [f"# Flagged articles: {len(items)}", ""]
    if not items:
        lines.append("No article was flagged in this run.")
        return "\n".join(lines)
    for a in items[:limit]:
        title = _md(a.title) or a.article_id
        link = f"[{title}]({a.url})" if a.url and a.url.startswith("http") else title
        lines += [f"## {link}", "", f"*{_md(a.feed)}* · flags: **{', '.join(a.flags)}**", ""]
        lines += [f"- {_md(e)}" for e in a.evidence]
        if a.before or a.after:
            lines += ["", f"> before: {_md(a.before)}", ">", f"> after: {_md(a.after)}"]
        lines.append("")
    if len(items) > limit:
        lines.append(f"… and {len(items) - limit} more.")
    return "\n".join(lines)


def reclean_markdown(report: RecleanReport) -> str:
    verb = "would change" if report.dry_run else "changed"
    lines = [f"# Re-clean{' (dry run)' if report.dry_run else ''}: {report.changed} of {report.examined} articles {verb}", ""]
    if report.rules_added or report.rules_dropped:
        lines += ["| rule | articles gaining it | articles losing it |", "|---|---|---|"]
        for rule in sorted(set(report.rules_added) | set(report.rules_dropped)):
            lines.append(f"| `{rule}` | {report.rules_added.get(rule, 0)} | {report.rules_dropped.get(rule, 0)} |")
        lines.append("")
    for ex in report.examples:
        lines += [f"## {_md(ex.title) or ex.article_id}", "", f"rules: {', '.join(ex.rules) or '(same rules)'}", "",
                  f"> before: {_md(ex.before)}", ">", f"> after: {_md(ex.after)}", ""]
    if report.failed:
        lines += [f"{len(report.failed)} article(s) could not be re-cleaned and were left as stored:", ""]
        lines += [f"- {aid}: {_md(why)}" for aid, why in report.failed[:20]]
    return "\n".join(lines)
