#!/usr/bin/env python3
"""Scale-out on Prefect's own engine, on one machine: a PostgreSQL-backed Prefect server, a
process work pool with two workers, the feed list split into shards that run as separate flow
runs spread across the workers, all writing to one PostgreSQL store. Optionally kills one worker
(and its flow run) mid-run and checks that the automations mark the run Crashed, re-run it, and
that nothing is lost or duplicated.

    python scripts/scale_out.py --feeds 24 --shards 4 --kill

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres). Everything else it starts itself
and stops at the end. Prints a report and exits 0 when every check holds.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PG = "postgresql://postgres@127.0.0.1:5432"


# --- feeds served locally, slowly enough that a run can be killed mid-way -------------------------


def feed_xml(n: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Council notice {n}-{i}: road works on Route {i + 1}</title>"
        f"<link>https://town{n}.example/notice/{i}</link><guid>town{n}-notice-{i}</guid>"
        f"<pubDate>Mon, 0{1 + i % 9} Jul 2024 0{i % 10}:00:00 +0000</pubDate>"
        f"<description>&lt;p&gt;Crews from town {n} will resurface Route {i + 1} between the bridge and the "
        f"school from next week, the council said. Traffic will be reduced to one lane during the day."
        f"&lt;/p&gt;&lt;p&gt;Leave a Comment&lt;/p&gt;</description></item>"
        for i in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Town {n} notices</title>'
            f"<link>https://town{n}.example/</link>{entries}</channel></rss>").encode()


class _Feeds(http.server.BaseHTTPRequestHandler):
    delay_s = 1.0
    items = 5

    def do_GET(self) -> None:
        time.sleep(self.delay_s)
        try:
            n = int(self.path.strip("/").split(".")[0])
        except ValueError:
            self.send_error(404)
            return
        body = feed_xml(n, self.items)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Cluster:
    tmp: Path
    api: str = ""
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        p = subprocess.Popen([sys.executable, "-m", *args], env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=REPO)
        self.procs[name] = p
        return p

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as con:
            for db in self.databases:
                con.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def create_database(cluster: Cluster, prefix: str) -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    cluster.databases.append(name)
    return name


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parts = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(parts[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def api_post(api: str, path: str, body: dict) -> list[dict]:
    r = httpx.post(f"{api}{path}", json=body, timeout=30)
    r.raise_for_status()
    return r.json()


# --- the run -------------------------------------------------------------------------------------


def run(feeds: int, shards: int, items: int, delay_s: float, kill: bool, timeout_s: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="feedscrub-scale-"))
    cluster = Cluster(tmp)
    _Feeds.delay_s, _Feeds.items = delay_s, items
    http_server = _Server(("127.0.0.1", 0), _Feeds)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    feed_base = f"http://127.0.0.1:{http_server.server_address[1]}"
    report: dict = {"feeds": feeds, "shards": shards, "items_per_feed": items, "kill": kill}
    t0 = time.monotonic()
    report_runs: list[str] = []
    try:
        prefect_db = create_database(cluster, "feedscrub_prefect")
        store_db = create_database(cluster, "feedscrub_store")
        store = f"{PG}/{store_db}"
        port = free_port()
        cluster.api = f"http://127.0.0.1:{port}/api"
        cluster.env = {**os.environ,
                       "PREFECT_HOME": str(tmp / "prefect-home"),
                       "PREFECT_API_URL": cluster.api,
                       "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                       "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
                       "PREFECT_WORKER_QUERY_SECONDS": "2",
                       "PREFECT_LOGGING_CONFIG_PATH": str(REPO / "config" / "prefect-logging.yaml")}
        cluster.start("server", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port))
        _wait(lambda: httpx.get(f"{cluster.api}/health", timeout=2).status_code == 200, 120, "prefect server")
        report["server_start_s"] = round(time.monotonic() - t0, 1)

        pool = "feedscrub-scale"
        _cli(cluster, "prefect", "work-pool", "create", pool, "--type", "process", "--overwrite")
        _cli(cluster, "feedscrub.cli",
             "automations", "apply", "--dir", str(REPO / "automations"))

        # the feed list, split into shards: one feed group per shard, one flow run per group
        lists = []
        for s in range(shards):
            path = tmp / f"shard-{s}.yaml"
            path.write_text("feeds:\n" + "".join(
                f"  - {{name: town-{n}, url: '{feed_base}/{n}.xml', group: shard-{s}}}\n"
                for n in range(feeds) if n % shards == s), encoding="utf-8")
            lists.append(path)
        settings = tmp / "settings.yaml"
        settings.write_text("fetch:\n  per_host_concurrency: 2\n", encoding="utf-8")

        deploy = subprocess.run(
            [sys.executable, "-c",
             "from prefect import flow; import sys;"
             "d = flow.from_source(source=sys.argv[1], entrypoint='flows/ingest.py:ingest')"
             ".deploy(name='scale', work_pool_name=sys.argv[2], print_next_steps=False, build=False, push=False);"
             "print(d)", str(REPO), pool],
            env=cluster.env, capture_output=True, text=True, cwd=REPO, timeout=120)
        if deploy.returncode:
            raise RuntimeError(f"deploy failed: {deploy.stderr[-2000:]}")
        deployment_id = deploy.stdout.strip().splitlines()[-1]

        worker_env = {**cluster.env, "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO"}
        for w in ("worker-1", "worker-2"):
            # --limit: each worker runs at most two flow runs at once, so the shards spread over both
            cluster.start(w, "prefect", "worker", "start", "--pool", pool, "--name", w, "--type", "process",
                          "--limit", "2", env=worker_env)
        time.sleep(3)

        runs = report_runs
        for s, path in enumerate(lists):
            fr = httpx.post(f"{cluster.api}/deployments/{deployment_id}/create_flow_run", timeout=30, json={
                "parameters": {"feeds": [str(path)], "store": store, "group": f"shard-{s}",
                               "config": str(settings)}}).json()
            runs.append(fr["id"])
        report["flow_runs"] = len(runs)

        killed_run = None
        if kill:
            worker = cluster.procs["worker-1"]

            def running_on_worker_1() -> bool:
                nonlocal killed_run
                mine = descendants(worker.pid)
                for fr in api_post(cluster.api, "/flow_runs/filter",
                                   {"flow_runs": {"id": {"any_": runs}, "state": {"type": {"any_": ["RUNNING"]}}}}):
                    pid = int(str(fr.get("infrastructure_pid") or "0:0").rsplit(":", 1)[-1] or 0)
                    if pid in mine:
                        killed_run = fr["id"]
                        return True
                return False

            _wait(running_on_worker_1, 120, "a flow run on worker-1")
            time.sleep(1.5)  # mid-run: some feeds stored, others not yet
            victims = descendants(worker.pid) | {worker.pid}
            for pid in victims:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            report["killed_run"] = killed_run
            report["killed_at_s"] = round(time.monotonic() - t0, 1)

        def all_completed() -> bool:
            states = api_post(cluster.api, "/flow_runs/filter", {"flow_runs": {"id": {"any_": runs}}})
            return all(fr["state"]["type"] == "COMPLETED" for fr in states)

        _wait(all_completed, timeout_s, "every shard run to complete")
        report["wall_s"] = round(time.monotonic() - t0, 1)
        histories = {}
        for r in runs:
            hist = httpx.get(f"{cluster.api}/flow_run_states/", params={"flow_run_id": r}, timeout=30).json()
            histories[r] = [h["type"] for h in sorted(hist, key=lambda h: h["timestamp"])]
        report["crashed_then_completed"] = sorted(r for r, h in histories.items() if "CRASHED" in h)
        if killed_run:
            report["killed_run_states"] = histories[killed_run]
        # a flow run started by a worker prints "Beginning flow run" into that worker's log
        report["runs_started_per_worker"] = {w: cluster.log(w).count("Beginning flow run")
                                             for w in ("worker-1", "worker-2")}

        import psycopg

        with psycopg.connect(store) as con:
            n, ids, pairs = con.execute(
                "SELECT count(*), count(DISTINCT id), count(DISTINCT (feed_url, guid)) FROM articles").fetchone()
        report.update(articles=n, distinct_ids=ids, distinct_feed_guid=pairs, expected=feeds * items)
        report["ok"] = bool(n == ids == pairs == feeds * items
                            and all(report["runs_started_per_worker"].values())
                            and (not kill or "CRASHED" in report.get("killed_run_states", [])))
        return report
    except Exception as exc:
        report["ok"] = False
        report["error"] = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):  # where each run was when it gave up
            report["run_states"] = [fr["state"]["type"] for fr in api_post(
                cluster.api, "/flow_runs/filter", {"flow_runs": {"id": {"any_": report_runs}}})]
        report["logs"] = {name: cluster.log(name)[-3000:] for name in cluster.procs}
        return report
    finally:
        http_server.shutdown()
        cluster.stop()


def _cli(cluster: Cluster, *args: str) -> None:
    res = subprocess.run([sys.executable, "-m", *args], env=cluster.env, capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    if res.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {res.stdout[-1000:]} {res.stderr[-2000:]}")


def _wait(check, timeout_s: float, what: str, every: float = 1.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=24)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--items", type=int, default=5)
    ap.add_argument("--delay", type=float, default=1.0, help="seconds each feed request takes")
    ap.add_argument("--kill", action="store_true", help="kill worker-1 and its flow run mid-run")
    ap.add_argument("--timeout", type=float, default=420)
    args = ap.parse_args()
    report = run(args.feeds, args.shards, args.items, args.delay, args.kill, args.timeout)
    print(json.dumps(report, indent=2))
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
