"""How fast the Thread page renders for a 300-message thread, next to a 10-message baseline.

    .venv/bin/python benchmarks/bench_dashboard.py [--messages 300] [--baseline 10] [--runs 5]

Writes a synthetic thread mbox per size (fictional people at example.org, kvmarm style:
inline replies that quote the sentence they answer), builds a store with the main job
(``update_store``), then runs the Thread page through Streamlit's AppTest: once cold
(caches empty) and ``--runs`` times warm. Prints a Markdown table; figures are recorded
in docs/benchmarks-dashboard.md. Target: under 1 s warm for 300 messages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from streamlit.testing.v1 import AppTest

from analyzer.ingest.pipeline import IngestOptions
from analyzer.store.db import Store
from analyzer.workflow import WorkflowOptions, update_store

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = [("Morgan Keel", "morgan"), ("Oliver Quill", "oliver"), ("Rita Vance", "rita"), ("Sam Ortiz", "sam"),
          ("Tess Nakamura", "tess"), ("Ivo Brandt", "ivo"), ("Lea Fontaine", "lea"), ("Nia Okafor", "nia")]
SENTENCES = [
    "The VMM must be able to pin what older kernels exposed to the guest.",
    "We will not add knobs to bring back behaviour we removed on purpose.",
    "If the architecture forbids it, we fix it and there is no way back.",
    "Being right by the spec does not justify breaking a running guest.",
    "Add a quirk so that a VMM that cares can get the old GICD_IIDR back.",
    "A quirk for this is not worth the maintenance burden.",
    "Show me a guest that actually breaks, then we can talk about a knob.",
    "We should not wait for a customer outage before offering a way back.",
    "Userspace should read the ID registers and set what it wants with KVM_SET_ONE_REG.",
    "This breaks existing VMMs, so it is a regression and must be fixed.",
    "I agree, that is the right trade-off for CTR_EL0.",
    "I don't think so, the ID_AA64PFR0_EL1 change is a fix, not a regression.",
]


def thread_mbox(messages: int, *, seed: int = 11) -> bytes:
    """One thread of ``messages`` messages: a patch and a random reply tree."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 4, 6, 9, 0, tzinfo=dt.UTC)
    ids: list[str] = []
    said: list[str] = []
    entries = []
    for index in range(messages):
        name, user = rng.choice(PEOPLE)
        when = start + dt.timedelta(minutes=47 * index)
        message_id = f"{when:%Y%m%d%H%M%S}.{index}-bench-{user}@example.org"
        parent = rng.randrange(max(index - 15, 0), index) if index else None
        own = " ".join(rng.sample(SENTENCES, 2))
        headers = [f"From: {name} <{user}@example.org>", "To: kvmarm@lists.linux.dev",
                   f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}", f"Message-ID: <{message_id}>",
                   "List-Id: <kvmarm.lists.linux.dev>",
                   "X-Synthetic: yes - written for the mlpa project, fictional participants"]
        subject = "[PATCH v3 0/5] KVM: arm64: Make the vGIC revision writable"
        if parent is None:
            headers.insert(2, f"Subject: {subject}")
            body = f"{own}\n\nThis series lets userspace restore GICD_IIDR after migration.\n"
        else:
            headers.insert(2, f"Subject: Re: {subject}")
            headers += [f"In-Reply-To: <{ids[parent]}>", f"References: <{ids[0]}> <{ids[parent]}>"]
            body = f"On {when:%a, %d %b %Y}, someone wrote:\n> {said[parent]}\n\n{own}\n\n-- \n{name.split()[0]}\n"
        ids.append(message_id)
        said.append(own)
        entries.append(f"From {user}@example.org {when:%a %b %d %H:%M:%S %Y}\n" + "\n".join(headers) + "\n\n" + body)
    return "\n".join(entries).encode()


def build_store(folder: Path, messages: int) -> tuple[Path, str, float]:
    mbox = folder / f"thread-{messages}.mbox"
    mbox.write_bytes(thread_mbox(messages))
    db = folder / f"thread-{messages}.db"
    started = time.perf_counter()
    with Store.open(db) as store:
        update_store(store, [(str(mbox), "mbox")], WorkflowOptions(ingest=IngestOptions(jobs=1)))
        root = store.connection.execute("SELECT thread_id FROM threads ORDER BY message_count DESC").fetchone()[0]
    return db, root, time.perf_counter() - started


def time_thread_page(db: Path, root: str, runs: int) -> tuple[float, list[float]]:
    """(cold seconds, warm seconds per run) for the Thread page of ``root``."""
    os.environ["ANALYZER_DB"] = str(db)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    app.run()
    app.session_state["thread_id"] = root
    app.switch_page("analyzer/dashboard/pages/thread.py")
    started = time.perf_counter()
    app.run()
    cold = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"the Thread page failed: {app.exception[0].value}")
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - started)
    return cold, warm


CY = "[...document.querySelectorAll('div')].find(d => d._cyreg && d._cyreg.cy)._cyreg.cy"


def time_in_browser(db: Path, root: str, nodes: int, loads: int) -> list[tuple[float, float]]:
    """Seconds from navigation until the graph has all its nodes and the timeline is drawn,
    per page load, in headless Chromium against a real ``streamlit run``."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none", "--", "--db", str(db)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            seconds = [_load(browser, f"{url}/thread?thread={root}", nodes) for _ in range(loads)]
            browser.close()
        return seconds
    finally:
        server.terminate()
        server.wait(timeout=20)


def _load(browser: object, url: str, nodes: int) -> tuple[float, float]:
    """(seconds until graph and timeline are drawn, seconds from a click on a graph node
    until the message panel shows another message)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})  # type: ignore[attr-defined]
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg", timeout=120_000)
    iframe = page.wait_for_selector("iframe[title*='cytoscape']", timeout=120_000)
    frame = iframe.content_frame()
    frame.wait_for_function(f"() => {{ try {{ return {CY}.nodes().length === {nodes} }} catch (e) {{ return false }} }}",
                            timeout=120_000)
    loaded = time.perf_counter() - started
    before = page.locator("[data-testid='stHtml']").first.inner_text()
    where = frame.evaluate(f"() => {CY}.nodes().last().renderedPosition()")
    box = iframe.bounding_box()
    started = time.perf_counter()
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    page.wait_for_function(
        "(before) => { const p = document.querySelector(\"[data-testid='stHtml']\"); return p && p.innerText !== before }",
        arg=before, timeout=60_000,
    )
    clicked = time.perf_counter() - started
    page.close()
    return loaded, clicked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time page loads in headless Chromium")
    options = parser.parse_args()
    print("| thread | build store (s) | script run cold (s) | script run warm median / max (s) "
          "| browser page load first / median (s) | browser click to message median (s) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        for size in (options.baseline, options.messages):
            db, root, built = build_store(Path(folder), size)
            cold, warm = time_thread_page(db, root, options.runs)
            load = click = "not measured"
            if options.browser:
                loads = time_in_browser(db, root, size, options.runs + 1)
                load = f"{loads[0][0]:.2f} / {statistics.median(s for s, _ in loads[1:]):.2f}"
                click = f"{statistics.median(c for _, c in loads):.2f}"
            print(f"| {size} messages | {built:.2f} | {cold:.3f} | {statistics.median(warm):.3f} / {max(warm):.3f} "
                  f"| {load} | {click} |")


if __name__ == "__main__":
    main()
