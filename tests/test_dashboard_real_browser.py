"""The dashboard on a mid-size real store (the newest 2,000 messages of the real kvmarm
archive plus the gold threads) in a real ``streamlit run`` and Debian's headless Chromium:
every page loads, the Thread page's digest names the outcome the gold decisions give,
the argument map stays within its node budget and opens up on click, and search finds
identifier prefixes. Screenshots are saved to build/artefacts/.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer import api
from analyzer.dashboard import argument_map, queries
from analyzer.dashboard.digest import DecisionEvent, outcome
from tests.conftest import ROOT, require_shared
from tests.test_label_evidence import below
from tests.test_dashboard_browser import GRAPH_NODES, browser, expect, serve_dashboard  # noqa: F401

ARTEFACTS = ROOT / "build" / "artefacts"
MAIN = "[data-testid='stMain']"


@pytest.fixture(scope="module")
def server(real_store: Path, browser: Any) -> Iterator[str]:
    yield from serve_dashboard(real_store)


def _open(browser: Any, url: str, ready: str, *, width: int = 1400) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 2400})
    page.goto(url)
    page.wait_for_function("(text) => { const m = document.querySelector(\"[data-testid='stMain']\");"
                           " return m && m.innerText.includes(text) }", arg=ready, timeout=60_000)
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=60_000)
    return page


def _shot(page: Any, name: str) -> None:
    """A screenshot once the lazily drawn elements (tables, charts) have replaced their
    placeholders (or after 2 s, whichever comes first: the picture is evidence, not a check)."""
    try:
        page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=2_000)
    except Exception:  # noqa: BLE001 - a missing picture detail must not fail the test
        pass
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"dashboard-{name}.png"))


@pytest.mark.parametrize(("path", "ready"), [
    ("/", "threads"), ("/overview", "threads"), ("/thread", "Outcome:"), ("/people", "Automated senders"),
    ("/behaviours", "Where it was argued"), ("/decisions", "decisions"), ("/search?q=KVM_CAP_*", "messages match"),
    ("/add-data", "upload"),
])
def test_every_page_loads(browser: Any, server: str, path: str, ready: str) -> None:
    page = _open(browser, server + path, ready)
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Page not found" not in page.locator("body").inner_text()
    _shot(page, path.strip("/").split("?")[0] or "home")
    page.close()


def _gold() -> list[tuple[str, list[dict[str, Any]]]]:
    return [(p.name.removesuffix(".gold.jsonl"), [json.loads(line) for line in p.read_text().splitlines() if line.strip()])
            for p in sorted(require_shared("gold").glob("*.gold.jsonl"))]


def test_the_digest_names_the_outcome_of_each_gold_thread(browser: Any, server: str,
                                                          real_store: Path) -> None:
    with api.open_store(real_store) as store:
        for name, lines in _gold():
            thread_id = next(t for t in (queries.resolve_thread(store.connection, g["message_id"]) for g in lines) if t)
            debate = api.load_debate(store, [thread_id])
            expected = outcome(DecisionEvent(kind, debate.messages[g["message_id"]].date,
                                             debate.messages[g["message_id"]].author_name, g["message_id"])
                               for g in lines for kind in g["decisions"])
            page = _open(browser, f"{server}/thread?scope={thread_id}", "Outcome:")
            heading = page.locator(f"{MAIN} h3", has_text="Outcome:").first.inner_text()
            assert expected.kind in heading and expected.by in heading, (name, heading, expected)
            assert f"scope={thread_id}".replace("@", "%40") in page.url, "the scope stays in the URL"
            _shot(page, f"digest-{name}")
            page.close()


def test_the_argument_map_stays_within_budget_and_opens_up_on_click(browser: Any, server: str,
                                                                    real_store: Path) -> None:
    with sqlite3.connect(real_store) as connection:
        biggest = connection.execute("SELECT thread_id FROM claims GROUP BY thread_id ORDER BY count(*) DESC "
                                     "LIMIT 1").fetchone()[0]
    page = _open(browser, f"{server}/thread?scope={biggest}", "Outcome:")
    page.wait_for_selector(GRAPH_NODES, timeout=60_000)
    nodes = page.locator(GRAPH_NODES)
    before = nodes.count()
    assert 0 < before <= argument_map.BUDGET
    kinds = set(nodes.evaluate_all("ns => ns.flatMap(n => [...n.classList])"))
    assert {"position", "person", "claim"} <= kinds
    person = page.locator(f"{GRAPH_NODES}.person").last
    label = person.locator("text").all_text_contents()
    name = " ".join(label).rsplit(" (", 1)[0]
    person.scroll_into_view_if_needed()
    person.click()
    panel = page.locator("[data-testid='stHtml']").first
    expect(panel).to_contain_text(name.rstrip("…"), timeout=30_000)
    # The clicked node's claim, with its score and signals, above the message it opens.
    expect(page.locator(MAIN)).to_contain_text(f"Clicked: {name.rstrip('…')}", timeout=30_000)
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[GRAPH_NODES, before],
                           timeout=30_000)
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=30_000)
    assert page.locator("[data-testid='mlpaGraph']").count() == 1, "one drawing, redrawn in place"
    after = nodes.count()
    assert after <= argument_map.BUDGET + argument_map.EXPANSION
    _shot(page, "argument-map-expanded")
    page.close()


def test_search_finds_an_identifier_prefix_and_opens_the_message(browser: Any, server: str,
                                                                 real_store: Path) -> None:
    with sqlite3.connect(real_store) as connection:
        total = queries.search(connection, "SUPPRESS_EOI").total
    assert total > 0
    page = _open(browser, f"{server}/search?q=SUPPRESS_EOI", "messages match")
    expect(page.locator(f"{MAIN} h3", has_text="messages match").first).to_have_text(f"{total} messages match")
    table = page.wait_for_selector(f"{MAIN} [data-testid='stDataFrame']", timeout=30_000)
    page.wait_for_timeout(800)  # the grid draws on a canvas after the element appears
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.wait_for_url("**/thread**", timeout=30_000)
    expect(page.locator(f"{MAIN}")).to_contain_text("Outcome:", timeout=30_000)
    _shot(page, "search-opened")
    page.close()


def test_the_cross_thread_pages_take_the_confidence_cutoff_from_the_url(browser: Any, server: str,
                                                                           real_store: Path) -> None:
    """The Decisions page counts only the decisions scored at or above ``?min_confidence``,
    as the Thread page does, and keeps the cut-off in its sidebar slider."""
    with sqlite3.connect(real_store) as connection:
        total, kept = connection.execute("SELECT count(*), sum(confidence >= 0.9) FROM decisions").fetchone()
    assert 0 < kept < total, "the cut-off must have something to hide"
    page = _open(browser, f"{server}/decisions", f"of {total}")
    page.close()
    page = _open(browser, f"{server}/decisions?min_confidence=0.90", f"of {kept}")
    assert "min_confidence=0.90" in page.url
    slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']")
    expect(slider).to_contain_text("0.90")
    _shot(page, "decisions-cutoff")
    page.close()


def test_the_confidence_cutoff_hides_labels_and_the_rest_explain_themselves(browser: Any, server: str,
                                                                            real_store: Path) -> None:
    with sqlite3.connect(real_store) as connection:
        thread_id, claims, below_one = connection.execute(
            "SELECT thread_id, count(*), sum(confidence < 1.0) FROM claims GROUP BY thread_id "
            "ORDER BY count(*) DESC LIMIT 1").fetchone()
    assert below_one > 0, "the cut-off must have something to hide"
    page = _open(browser, f"{server}/thread?scope={thread_id}", "Outcome:")
    main = page.locator(MAIN)
    expect(main).to_contain_text("labels shown (no confidence cut-off)")
    marked = "span.hl.claim-for, span.hl.claim-against"
    page.wait_for_selector(marked, state="attached", timeout=30_000)  # the message tree is drawn last
    before = page.locator(marked).count()
    assert before > 0
    expect(page.locator("[data-testid='stHtml']").first).to_contain_text("Why these labels")
    assert "score" in main.inner_text()
    thumb = page.locator("[data-testid='stSidebar'] [data-testid='stSlider'] input[type='range']")
    thumb.focus()
    page.keyboard.press("End")  # the top of the range: every label scored below 1.00 is hidden
    expect(main).to_contain_text("labels below 1.00 left out", timeout=60_000)
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=60_000)
    assert "min_confidence=1.00" in page.url
    hidden = sum(below(real_store, 1.0, thread_id).values())
    expect(main).to_contain_text(f"{hidden} of ")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length < n", arg=[marked, before],
                           timeout=30_000)
    after = page.locator(marked).count()
    assert after < before and (after == 0 or claims > below_one)
    _shot(page, "thread-cutoff")
    page.close()


def _grid(page: Any) -> list[list[str]]:
    """The rows the page's table draws (its cells' text, from the grid's accessible table:
    the grid itself draws on a canvas)."""
    page.wait_for_selector(f"{MAIN} [data-testid='stDataFrame'] table[role='grid'] td", state="attached",
                           timeout=30_000)
    rows: list[list[str]] = page.locator(f"{MAIN} [data-testid='stDataFrame'] table[role='grid'] tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim()))")
    return rows


def test_the_overview_counts_above_the_confidence_cutoff_of_the_url(browser: Any, server: str,
                                                                      real_store: Path) -> None:
    """The Overview's disputes, claims and outcomes at ``?min_confidence=``: what the
    queries give at that cut-off (tests/test_summaries.py checks them against the debate
    above it), fewer than at 0, and the cut-off kept in the sidebar slider."""
    with sqlite3.connect(real_store) as connection:
        bots = tuple(queries.automated_people(connection))
        pages = {cut: queries.threads(connection, queries.ThreadQuery(min_confidence=cut), bots, order="disputes",
                                      limit=10).rows for cut in (0.0, 0.9)}
    assert pages[0.9]["disputes"].sum() < pages[0.0]["disputes"].sum(), "the cut-off must have something to hide"
    for cut, url in ((0.0, "/overview"), (0.9, "/overview?min_confidence=0.90")):
        page = _open(browser, server + url, "threads", width=2600)  # wide enough for every column
        page.locator(MAIN).get_by_text("Most disputed", exact=True).click()
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=60_000)
        expected = pages[cut]
        # the table drawn in the order asked for (not the newest-first one the page opened with)
        subjects = [str(x) for x in expected["subject"].iloc[:3]]
        page.wait_for_function(
            "(want) => { const rows = [...document.querySelectorAll(\"[data-testid='stMain'] table[role='grid'] tr\")]"
            ".slice(1, 1 + want.length).map(r => r.querySelector('th, td')?.innerText.trim());"
            " return JSON.stringify(rows) === JSON.stringify(want) }", arg=subjects, timeout=60_000)
        header, *rows = _grid(page)
        shown = [dict(zip(header, row)) for row in rows]
        assert len(shown) >= 5
        for drawn, row in zip(shown, expected.itertuples()):
            assert (drawn["subject"], drawn["outcome"], drawn["claims"], drawn["disputes"], drawn["decisions"]) == (
                row.subject, row.outcome, str(row.claims), str(row.disputes), row.decisions), cut
        if cut:
            assert "min_confidence=0.90" in page.url
            expect(page.locator("[data-testid='stSidebar'] [data-testid='stSlider']")).to_contain_text("0.90")
            _shot(page, "overview-cutoff")
        page.close()


def test_add_data_analyses_an_upload_with_the_encoder_chosen(browser: Any, tmp_path: Path) -> None:
    """Choosing *static* on Add data and uploading a real thread stores it analysed by the
    static encoder's learned reading: the fingerprint `analyzer analyze --encoder static`
    stores, on every thread."""
    import contextlib
    import shutil

    from typer.testing import CliRunner

    from analyzer.cli import app
    from analyzer.store.db import Store

    mbox = sorted(require_shared("gold").glob("*.mbox"))[0]
    db = tmp_path / "added.db"
    Store.open(db).close()
    with contextlib.contextmanager(serve_dashboard)(db) as url:
        page = _open(browser, f"{url}/add-data", "upload")
        page.locator(MAIN).get_by_text("static (quickest)", exact=True).click()
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=60_000)
        page.locator(f"{MAIN} [data-testid='stFileUploader'] input[type='file']").set_input_files(str(mbox))
        button = page.get_by_role("button", name="Ingest the upload")
        expect(button).to_be_visible(timeout=60_000)
        button.click()
        expect(page.locator(MAIN)).to_contain_text("threads analysed", timeout=300_000)
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=60_000)
        _shot(page, "add-data-static")
        page.close()
    with sqlite3.connect(db) as connection:
        threads = connection.execute("SELECT count(*) FROM analysed_threads").fetchone()[0]
        positions = connection.execute("SELECT count(*) FROM message_positions").fetchone()[0]
    assert threads >= 1 and positions > 0
    # Each thread is stored with the fingerprint of what read it: `analyze --encoder static`
    # finds every thread up to date, and another reading (the rules, on a copy) reads them again.
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    static = CliRunner().invoke(app, ["analyze", "--db", str(db), "--encoder", "static", "--json", "--no-progress"])
    assert static.exit_code == 0, static.output
    assert (json.loads(static.stdout)["analysed"], json.loads(static.stdout)["unchanged"]) == (0, threads)
    rules = CliRunner().invoke(app, ["analyze", "--db", str(copy), "--method", "rules", "--json", "--no-progress"])
    assert rules.exit_code == 0, rules.output
    assert json.loads(rules.stdout)["analysed"] == threads


def test_two_sessions_adding_uploads_at_once_both_store_the_default_reading(browser: Any, tmp_path: Path) -> None:
    """Two browser sessions of one server upload a real thread each and press Ingest at
    once: both succeed, read by the one shared cascade reader in turns, and the store holds
    what `analyzer analyze` (its default reading) finds up to date."""
    import contextlib

    from typer.testing import CliRunner

    from analyzer.cli import app
    from analyzer.store.db import Store

    mboxes = sorted(require_shared("gold").glob("*.mbox"))[:2]
    db = tmp_path / "added.db"
    Store.open(db).close()
    with contextlib.contextmanager(serve_dashboard)(db) as url:
        pages = []
        for mbox in mboxes:
            page = _open(browser, f"{url}/add-data", "upload")
            page.locator(f"{MAIN} [data-testid='stFileUploader'] input[type='file']").set_input_files(str(mbox))
            expect(page.get_by_role("button", name="Ingest the upload")).to_be_visible(timeout=60_000)
            pages.append(page)
        for page in pages:
            page.get_by_role("button", name="Ingest the upload").click()
        for page in pages:
            expect(page.locator(MAIN)).to_contain_text("threads analysed", timeout=300_000)
            assert page.locator(f"{MAIN} [data-testid='stException']").count() == 0
            assert "Failed" not in page.locator(MAIN).inner_text()
            page.close()
    with sqlite3.connect(db) as connection:
        threads = connection.execute("SELECT count(*) FROM analysed_threads").fetchone()[0]
        stored = {r[0] for r in connection.execute("SELECT message_id FROM messages")}
    expected = {json.loads(line)["message_id"] for mbox in mboxes
                for line in mbox.with_name(mbox.name.removesuffix(".mbox") + ".gold.jsonl").read_text().splitlines()
                if line.strip()}
    assert expected <= stored and threads >= 2
    again = CliRunner().invoke(app, ["analyze", "--db", str(db), "-j", "1", "--json", "--no-progress"])
    assert again.exit_code == 0, again.output
    assert (json.loads(again.stdout)["analysed"], json.loads(again.stdout)["unchanged"]) == (0, threads)
