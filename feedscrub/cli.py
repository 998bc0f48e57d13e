"""The ``feedscrub`` command line: run, clean, feeds, export.

Thin: each command parses its options, calls library code and prints. Prefect is imported only by
the commands that run flows, so ``feedscrub clean`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from feedscrub.errors import FeedscrubError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Fetch news feeds, clean their articles, flag unedited and machine-translated "
                       "content, store clean records.")
feeds_app = typer.Typer(no_args_is_help=False, help="List, import and export feeds.")
app.add_typer(feeds_app, name="feeds")
automations_app = typer.Typer(no_args_is_help=True, help="Server-side Prefect automations.")
app.add_typer(automations_app, name="automations")

err = Console(stderr=True)
out = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="settings file (default: bundled config/feedscrub.yaml)")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="sqlite:///PATH or postgresql://... (default from settings)")]


def main() -> None:
    try:
        app()
    except FeedscrubError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


# --- clean ------------------------------------------------------------------------------------


@app.command()
def clean(
    file: Annotated[Path | None, typer.Argument(help="article file; '-' or nothing for stdin")] = None,
    html: Annotated[bool | None, typer.Option("--html/--text", help="content type (default: guessed)")] = None,
    title: Annotated[str | None, typer.Option(help="the article's title")] = None,
    language: Annotated[str | None, typer.Option("--language", help="the feed's declared language")] = None,
    source: Annotated[str | None, typer.Option(help="source name (per-source settings)")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="show each edit with its rule")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="--diff plus rules that came close")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result as JSON")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="batch mode: JSONL in on stdin, JSONL out")] = False,
    config: ConfigOpt = None,
) -> None:
    """Clean one article (or a JSONL batch with --jsonl) and print the result."""
    from feedscrub.cleanjob import clean_jsonl, clean_one
    from feedscrub.config import build_pipeline, load_settings

    pipeline = build_pipeline(load_settings(config))
    if jsonl:
        clean_jsonl(pipeline, sys.stdin, sys.stdout)
        return
    raw = sys.stdin.read() if file is None or str(file) == "-" else _read_text(file)
    result = clean_one(pipeline, raw, html=html, title=title, language=language, source=source)
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
    elif diff or explain:
        _print_diff(result, explain)
    else:
        if result.title:
            out.print(result.title, highlight=False, markup=False)
            out.print()
        out.print(result.text, highlight=False, markup=False, soft_wrap=True)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise FeedscrubError(f"{path}: cannot read: {exc.strerror}") from None


def _print_diff(result: Any, explain: bool) -> None:
    # Texts are printed with markup=False: article text holds square brackets ("[el país]").
    def show(text: str, style: str = "") -> None:
        out.print(text, style=style, markup=False, highlight=False)

    edits = result.edits
    show(f"{len(edits)} edit(s)", "bold")
    for e in edits:
        show(f"{e.rule} ({e.step} {e.start}-{e.end})", "cyan")
        if e.before:
            show(f"  - {_short(e.before)}", "red")
        if e.after:
            show(f"  + {_short(e.after)}", "green")
        if e.reason:
            show(f"    {e.reason}", "dim")
    flags = result.flags
    out.print()
    show(f"language {result.language}   title {result.title!r}", "bold")
    for name, value in flags.as_dict().items():
        show(f"{name} {value}", "bold")
        for ev in flags.evidence.get(name, []):
            score = f" ({ev.score:.2f})" if ev.score is not None else ""
            show(f"    {ev.rule}{score}: {_short(ev.text)}", "dim")
    if result.foreign_fragments:
        show("foreign fragments", "bold")
        for f in result.foreign_fragments:
            show(f"    {f.lang} {f.start}-{f.end} {f.text!r} ({f.score:.2f})")
    if explain:
        show("came close, did not fire", "bold")
        for ev in result.near_misses or []:
            show(f"    {ev.rule}: {_short(ev.text)}", "yellow")


def _short(s: str, n: int = 160) -> str:
    s = s.replace("\n", "⏎ ")
    return s if len(s) <= n else s[: n - 1] + "…"


# --- run --------------------------------------------------------------------------------------


@app.command()
def run(
    feeds: Annotated[list[str] | None, typer.Option("--feeds", "-f", help="feed list (YAML/OPML) or feed URL; repeatable")] = None,
    store: StoreOpt = None,
    group: Annotated[str | None, typer.Option(help="only feeds of this group")] = None,
    config: ConfigOpt = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="progress bar (default: on a terminal)")] = None,
) -> None:
    """Run one ingest now: fetch, parse, clean and store every due feed, then print a summary."""
    from feedscrub.prefect_env import quiet_prefect

    quiet_prefect()
    from feedscrub.config import load_feeds, load_settings, pipeline_for
    from feedscrub.flows import ingest as ingest_module
    from feedscrub.flows.ingest import ingest

    settings = load_settings(config)  # fail fast on a bad file, before Prefect starts
    pipeline_for(settings)  # rule packs and glossary too; kept for the flow in this process
    total = sum(1 for f in load_feeds(feeds, settings) if f.enabled and (group is None or f.group == group))
    if total > settings.prefect.chunk_feeds:
        # more than one chunk: one worker process per core (started only once a changed feed needs one)
        ingest = ingest_module.ingest_parallel
    show_progress = sys.stderr.isatty() if progress is None else progress
    args = {"feeds": feeds, "store": store, "group": group, "config": str(config) if config else None}
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task_id = bar.add_task("feeds", total=total)
            ingest_module.progress_hook = lambda report: bar.update(task_id, advance=1, description=report.name[:40])
            try:
                summary = ingest(**args)
            finally:
                ingest_module.progress_hook = None
    else:
        summary = ingest(**args)
    _print_summary(summary)
    if summary.feeds_failed and not summary.feeds_ok:
        raise SystemExit(1)


def _print_summary(summary: Any) -> None:
    if summary.skipped_reason:
        out.print(f"run skipped: {summary.skipped_reason}", highlight=False)
        return
    t = Table(title="feedscrub run", show_lines=False)
    for col in ("feed", "status", "http", "new", "updated", "unchanged", "dup", "flagged", "note"):
        t.add_column(col, overflow="fold")
    for r in summary.feeds:
        t.add_row(r.name, r.status, str(r.http_status or ""), str(r.new), str(r.updated), str(r.unchanged),
                  str(r.duplicates), str(r.flagged), r.error or "; ".join(r.warnings)[:80])
    out.print(t)
    out.print(
        f"feeds: {summary.feeds_ok} ok, {summary.feeds_failed} failed, {summary.feeds_skipped} not due | "
        f"articles: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.flagged} flagged | store: {summary.store}",
        highlight=False,
    )


# --- feeds ------------------------------------------------------------------------------------


@feeds_app.callback(invoke_without_command=True)
def feeds_list(ctx: typer.Context, store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Show every feed the store knows, with its health."""
    if ctx.invoked_subcommand:
        return
    from feedscrub.config import load_settings
    from feedscrub.sinks import open_sink

    settings = load_settings(config)
    with open_sink(store or settings.store) as sink:
        states = sink.all_feed_states()
    t = Table(title=f"{len(states)} feeds")
    for col in ("feed", "last status", "failures", "last error", "last ok", "next fetch"):
        t.add_column(col, overflow="fold")
    for s in states:
        status = "retired" if s.retired else str(s.last_status or "")
        t.add_row(s.name or s.url, status, str(s.consecutive_failures),
                  f"{s.last_error_kind}: {s.last_error}" if s.last_error_kind else "",
                  _when(s.last_ok_at), _when(s.next_fetch_at))
    out.print(t)


def _when(dt: Any) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


@feeds_app.command("export")
def feeds_export(
    out_file: Annotated[Path, typer.Argument(help="OPML file to write")],
    feeds: Annotated[list[str] | None, typer.Option("--feeds", "-f")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a feed list as OPML."""
    from feedscrub.config import load_feeds, load_settings, write_opml

    specs = load_feeds(feeds, load_settings(config))
    write_opml(specs, out_file)
    out.print(f"wrote {len(specs)} feeds to {out_file}")


@feeds_app.command("import")
def feeds_import(
    opml: Annotated[Path, typer.Argument(help="OPML file to read")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="YAML feed list to write")] = Path("feeds.yaml"),
) -> None:
    """Turn an OPML file into a YAML feed list (the format `run --feeds` reads)."""
    import yaml

    from feedscrub.config import load_feeds

    specs = load_feeds([str(opml)])
    data = {"feeds": [f.model_dump(exclude_defaults=True) for f in specs]}
    out_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out.print(f"wrote {len(specs)} feeds to {out_file}")


# --- reclean, serve ---------------------------------------------------------------------------


@app.command()
def reclean(
    since: Annotated[str | None, typer.Option(help="only articles fetched at or after this ISO date/time")] = None,
    until: Annotated[str | None, typer.Option(help="only articles fetched before this ISO date/time")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report what would change; write nothing")] = False,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Clean stored articles again from their raw items with the current rules."""
    from feedscrub.config import build_pipeline, load_settings
    from feedscrub.reclean import reclean as run_reclean
    from feedscrub.sinks import open_sink

    settings = load_settings(config)
    since_dt, until_dt = _dates(since, until)
    with open_sink(store or settings.store) as sink:
        report = run_reclean(sink, build_pipeline(settings), since=since_dt, until=until_dt, dry_run=dry_run)
    verb = "would change" if dry_run else "changed"
    out.print(f"{report.examined} articles examined, {report.changed} {verb}, {len(report.failed)} failed",
              highlight=False)
    t = Table(title="rules")
    for col in ("rule", "articles gaining it", "articles losing it"):
        t.add_column(col)
    for rule in sorted(set(report.rules_added) | set(report.rules_dropped)):
        t.add_row(rule, str(report.rules_added.get(rule, 0)), str(report.rules_dropped.get(rule, 0)))
    if t.row_count:
        out.print(t)
    for ex in report.examples:
        out.print(f"[bold]{ex.title or ex.article_id}[/]  [dim]{', '.join(ex.rules)}[/]", highlight=False)
        out.print(f"  [red]- {_short(ex.before)}[/]", highlight=False)
        out.print(f"  [green]+ {_short(ex.after)}[/]", highlight=False)
    for aid, why in report.failed[:20]:
        err.print(f"article {aid}: {why}", highlight=False, markup=False)


def _dates(since: str | None, until: str | None) -> tuple[Any, Any]:
    from datetime import UTC, datetime

    def parse(value: str | None, name: str) -> datetime | None:
        if not value:
            return None
        try:
            dt = datetime.fromisoformat(value)
        except ValueError as exc:
            raise FeedscrubError(f"--{name}: {exc}") from None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)

    return parse(since, "since"), parse(until, "until")


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help="schedule of the ingest runs")] = "*/15 * * * *",
    feeds: Annotated[list[str] | None, typer.Option("--feeds", "-f")] = None,
    store: StoreOpt = None,
    group: Annotated[str | None, typer.Option()] = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the ingest flow on a schedule from this process (one machine, no work pool)."""
    from feedscrub.prefect_env import quiet_prefect

    quiet_prefect()
    from feedscrub.flows.ingest import ingest

    name = f"ingest-{group}" if group else "ingest"
    ingest.serve(name=name, cron=cron, limit=1,
                 parameters={"feeds": feeds, "store": store, "group": group,
                             "config": str(config) if config else None})


@automations_app.command("apply")
def automations_apply(
    folder: Annotated[Path, typer.Option("--dir", help="folder of automation files")] = Path("automations"),
    notify_block: Annotated[str | None, typer.Option(help="notification block TYPE/NAME, e.g. slack-webhook/ops")] = None,
) -> None:
    """Create or update the automations (zombie runs, re-runs, notifications) on the Prefect server."""
    from feedscrub.prefect_env import quiet_prefect

    quiet_prefect()
    from feedscrub.automations import apply_automations

    for a in apply_automations(folder, notify_block):
        out.print(f"{a.action:8s} {a.name}" + (f"  ({a.why})" if a.why else ""), highlight=False)


# --- export -----------------------------------------------------------------------------------


@app.command()
def export(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="output folder")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl or parquet")] = "jsonl",
    since: Annotated[str | None, typer.Option(help="ISO date/time, inclusive")] = None,
    until: Annotated[str | None, typer.Option(help="ISO date/time, exclusive")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Export stored articles for downstream teams, partitioned by date."""
    from feedscrub.config import load_settings
    from feedscrub.sinks import open_sink
    from feedscrub.sinks.export import export_articles

    if fmt not in ("jsonl", "parquet"):
        raise FeedscrubError(f"--format must be jsonl or parquet, not {fmt!r}")
    since_dt, until_dt = _dates(since, until)
    settings = load_settings(config)
    with open_sink(store or settings.store) as sink:
        files = export_articles(sink, fmt, out_dir, since=since_dt, until=until_dt)
    out.print(f"wrote {len(files)} file(s) under {out_dir}")


if __name__ == "__main__":
    main()
