"""A real browser check: the run's summary table is rendered in the Prefect UI.

Starts `prefect server start` on 127.0.0.1, runs `feedscrub run` against it with feeds served
locally, opens the flow run in headless Chromium (Debian's package, driven by Playwright) and
reads the per-feed table artifact. The screenshot is saved in test-output/.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parents[2] / "test-output"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]

FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{name}</title>
<link>https://{slug}.example/</link>
<item><title>Harbour dredging to start in {name}</title><link>https://{slug}.example/a1</link><guid>{slug}-a1</guid>
<pubDate>Mon, 03 Jun 2024 09:00:00 +0000</pubDate>
<description>&lt;p&gt;Dredging of the inner harbour will start in July and last about ten weeks, the port said on Monday.&lt;/p&gt;</description></item>
</channel></rss>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prefect_server(tmp_path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        else:
            pytest.fail("prefect server did not start in 120 s")
        yield api
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_run_summary_table_is_rendered_in_the_prefect_ui(prefect_server, httpserver, tmp_path):
    from playwright.sync_api import sync_playwright

    names = {"north": "North Quay Gazette", "south": "South Shore News"}
    for slug, name in names.items():
        httpserver.expect_request(f"/{slug}.rss").respond_with_data(
            FEED.format(name=name, slug=slug), content_type="application/rss+xml")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n" + "".join(
        f"  - {{name: {name}, url: '{httpserver.url_for(f'/{slug}.rss')}'}}\n" for slug, name in names.items()),
        encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    run = subprocess.run([sys.executable, "-m", "feedscrub.cli", "run", "--feeds", str(feeds),
                          "--store", f"sqlite:///{tmp_path / 'ui.db'}", "--no-progress"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr

    runs = httpx.post(f"{prefect_server}/flow_runs/filter", json={"limit": 1, "sort": "START_TIME_DESC"}).json()
    flow_run_id = runs[0]["id"]
    ui = prefect_server.removesuffix("/api")
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            viewport={"width": 1400, "height": 900},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.goto(f"{ui}/runs/flow-run/{flow_run_id}", wait_until="networkidle")
            page.get_by_text("Artifacts", exact=True).first.click()
            page.get_by_text("ingest-all-summary").first.click()
            table = page.locator("table")
            table.wait_for(timeout=30_000)
            page.screenshot(path=str(OUT / "prefect-ui-run-summary.png"), full_page=True)
            text = table.inner_text()
        finally:
            browser.close()
    for name in names.values():
        assert name in text
    assert "feed" in text and "new" in text and "status" in text
    rows = [line for line in text.splitlines() if line.strip()]
    assert sum(name in line for line in rows for name in names.values()) == 2
