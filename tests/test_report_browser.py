"""The HTML report as a person sees it: opened in headless Chromium through Playwright.

Checks that the graph and the timeline are drawn (SVG with a real size, labels visible),
that claim links land on their sentence, and that hostile mail cannot run script or make
the browser fetch anything. Skipped when Chromium or Playwright is missing, except under
CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from analyzer.report.corpus import report_stem
from analyzer.report.write import write_report
from tests.debate_factory import HOSTILE_NAME, HOSTILE_SUBJECT, V2_ID, hostile_debate, sample_debate

CHROMIUM = os.environ.get("ANALYZER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _absent(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        _absent(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set ANALYZER_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _absent("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


class Visit:
    """A page opened on a local file, with every request it made."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def off_machine(self) -> list[str]:
        """Requests to anything but local files, data: URLs and loopback."""
        allowed_hosts = {"127.0.0.1", "localhost", "[::1]", "::1"}
        return [u for u in self.requests if urlsplit(u).scheme not in ("file", "data", "about")
                and urlsplit(u).hostname not in allowed_hosts]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_page(path: Path) -> Visit:
        opened.append(Visit(browser, path))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


def box_area(locator: Any) -> float:
    box = locator.bounding_box()
    return 0.0 if box is None else float(box["width"] * box["height"])


def test_graph_and_timeline_are_drawn_with_visible_labels(tmp_path: Path, visit: Any) -> None:
    debate = sample_debate()
    write_report(debate, tmp_path, thread_id=V2_ID, formats=["html"])
    page = visit(tmp_path / f"{report_stem(debate, V2_ID)}.html")
    graph = page.page.locator("#graph svg").first
    timeline = page.page.locator("#timeline svg").first
    assert box_area(graph) > 100 * 100
    assert box_area(timeline) > 300 * 50
    assert graph.locator("g.node").count() >= 4
    assert box_area(graph.locator("g.node").first) > 0
    assert graph.get_by_text("quirks-opt-out", exact=True).first.is_visible()
    for label in ("applied by Morgan Keel", "merged as 4b1d2c3e5f60 in v6.19", "v2 of 2 posted"):
        drawn = timeline.locator("text", has_text=label).first
        assert drawn.is_visible() and box_area(drawn) > 0, label
    page.page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
    assert page.off_machine() == []


def test_a_claim_in_the_graph_links_to_its_sentence(tmp_path: Path, visit: Any) -> None:
    debate = sample_debate()
    write_report(debate, tmp_path, thread_id=V2_ID, formats=["html"])
    page = visit(tmp_path / f"{report_stem(debate, V2_ID)}.html").page
    link = page.locator("#graph svg a").first
    target = link.get_attribute("href") or link.get_attribute("xlink:href")
    assert target and target.startswith("#c-")
    link.click()
    assert page.url.endswith(target)
    from playwright.sync_api import expect

    mark = page.locator(f"mark{target}")
    expect(mark).to_be_in_viewport()
    sentence = mark.inner_text()
    assert sentence and sentence in {c.text for a in debate.analyses.values() for c in a.claims}


@pytest.mark.parametrize("without_csp", [False, True], ids=["as-written", "csp-removed"])
def test_hostile_mail_cannot_run_script_or_fetch(tmp_path: Path, visit: Any, without_csp: bool) -> None:
    """With the page's CSP removed too, so that escaping alone is what is tested."""
    debate = hostile_debate()
    thread_id = debate.threads[0].thread_id
    write_report(debate, tmp_path, thread_id=thread_id, formats=["html"])
    path = tmp_path / f"{report_stem(debate, thread_id)}.html"
    if without_csp:
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", path.read_text())
        assert "Content-Security-Policy" not in html
        path.write_text(html)
    visited = visit(path)
    page = visited.page
    page.wait_for_timeout(300)
    assert page.title() == f"{HOSTILE_SUBJECT} — debate report"  # no script rewrote it
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("#") or h.startswith("https://lore.kernel.org/all/") for h in hrefs)
    body = page.locator("body").inner_text()
    assert HOSTILE_NAME in body  # shown as text
    assert "<script>window.pwned=2</script>" in body
    assert visited.off_machine() == []
