"""The dashboard's pages, run by Streamlit's AppTest on the bundled sample corpus, and the
pure builders behind them (frames, charts) run without Streamlit.

Expected values come from corpus/MANIFEST.json and from the store the test builds, never
from numbers written here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from streamlit.testing.v1 import AppTest

from analyzer import api
from analyzer.dashboard import charts, frames, graph_drawing, queries
from analyzer.debate import Debate
from analyzer.graph.ids import anchor, message_node
from tests.conftest import CORPUS, ROOT

MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())
THREAD_A = MANIFEST["threads"][0]
APP = str(ROOT / "app.py")
PAGES = "analyzer/dashboard/pages"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    api.sample_store(path).close()
    return path


@pytest.fixture(scope="module")
def debate(sample_db: Path) -> Debate:
    with api.open_store(sample_db) as store:
        return api.load_debate(store)


@pytest.fixture
def app(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("ANALYZER_DB", str(sample_db))
    yield AppTest.from_file(APP, default_timeout=60)


def run_page(app: AppTest, page: str, **state: object) -> AppTest:
    app.run()
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(f"{PAGES}/{page}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def graph_node_ids(app: AppTest) -> list[str]:
    """The ids of the nodes the Thread page's graph element draws (its SVG)."""
    drawn = [e for e in app.main if type(getattr(e, "proto", None)).__name__ == "BidiComponent"]
    assert drawn, "the graph was not rendered"
    svg = json.loads(drawn[0].proto.json)["svg"]
    return [g.get("id", "") for g in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")
            if "node" in g.get("class", "").split()]


# -- pages ---------------------------------------------------------------------------


def test_overview_lists_every_thread_of_the_sample(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value == "Debates"
    table = app.dataframe[0].value
    assert sorted(table["subject"]) == sorted(t["subject"] for t in MANIFEST["threads"])
    by_subject = dict(zip(table["subject"], table["messages"]))
    for thread in MANIFEST["threads"]:
        assert by_subject[thread["subject"]] == len(thread["message_ids"])


def test_overview_filters_by_list_and_position(app: AppTest, debate: Debate) -> None:
    app.run()
    files = {m["message_id"]: m["files"] for m in MANIFEST["messages"]}
    kvm = MANIFEST["files"]["kvm.mbox"]["list_id"]
    app.selectbox(key="overview_list").set_value(kvm).run()
    on_kvm = {t["subject"] for t in MANIFEST["threads"] if any("kvm.mbox" in files[m] for m in t["message_ids"])}
    assert set(app.dataframe[0].value["subject"]) == on_kvm != {t["subject"] for t in MANIFEST["threads"]}
    app.selectbox(key="overview_list").set_value("All lists")
    argued: dict[str, set[str]] = {}
    for analysis in debate.analyses.values():
        subject = debate.thread(debate.messages[analysis.message_id].thread_id).root_subject
        for claim in analysis.claims:
            argued.setdefault(claim.position, set()).add(subject)
    position = min(argued, key=lambda p: (len(argued[p]), p))
    app.multiselect(key="overview_positions").set_value([position]).run()
    assert set(app.dataframe[0].value["subject"]) == argued[position]


def test_overview_full_text_search_narrows_threads(app: AppTest) -> None:
    app.run()
    app.text_input(key="overview_query").set_value("IA32_MISC_ENABLE").run()
    subjects = set(app.dataframe[0].value["subject"])
    assert subjects and all("IA32_MISC_ENABLE" in s for s in subjects)


def test_search_page_finds_identifier_prefixes_and_counts_every_hit(app: AppTest, debate: Debate) -> None:
    run_page(app, "search", search_query="IA32_MISC")
    expected = {m for m, info in debate.messages.items()
                if "ia32_misc" in f"{info.subject} {info.author_name} {info.body}".lower()}
    hits = app.dataframe[0].value
    assert set(hits["message_id"]) == expected and expected, "a prefix of IA32_MISC_ENABLE finds every message naming it"
    assert app.subheader[0].value == f"{len(expected)} messages match"


def test_thread_page_shows_tree_graph_timeline_and_highlights(app: AppTest, debate: Debate) -> None:
    root = THREAD_A["root_message_id"]
    run_page(app, "thread", scope=root, thread_graph_view="replies")
    assert app.sidebar.selectbox[0].value == root
    tree = app.html[-1].value
    for message_id in THREAD_A["message_ids"]:
        assert f'id="{anchor(message_node(message_id))}"' in tree
    claims = [c for mid in THREAD_A["message_ids"] if mid in debate.analyses for c in debate.analyses[mid].claims]
    assert tree.count('class="hl claim-') >= len(claims) > 0
    assert "<details>" in tree, "quoted text is folded"
    assert sorted(graph_node_ids(app)) == sorted(anchor(message_node(m)) for m in THREAD_A["message_ids"])
    timeline = [h.value for h in app.html if 'class="mlpa-timeline"' in h.value]
    assert len(timeline) == 1 and timeline[0].count('class="mlpa-event"') > 0, "the timeline is drawn"
    assert any(m.value.startswith("### Outcome:") for m in app.markdown), "the digest opens the page"


def test_thread_page_lists_the_series_postings_of_the_thread(app: AppTest, debate: Debate) -> None:
    posted = next(v for v in debate.series if len(v.patches) > 1)
    run_page(app, "thread", scope=posted.thread_id)
    (section,) = [e for e in app.expander if e.label.startswith("Series postings")]
    listed = "\n".join(m.value for m in section.markdown)
    assert f"**v{posted.version}**" in listed
    assert listed.count("\n    - ") + 1 >= len(posted.patches)


def test_thread_page_opens_the_message_named_in_the_url(app: AppTest, debate: Debate) -> None:
    root, wanted = THREAD_A["root_message_id"], THREAD_A["message_ids"][3]
    app.query_params["thread"] = root
    app.query_params["message"] = wanted
    run_page(app, "thread")
    assert app.selectbox(key="message_id").value == wanted
    panel = app.html[0].value
    assert debate.messages[wanted].author_name in panel
    first_line = next(line for line in debate.messages[wanted].body.splitlines() if line and not line.startswith(">"))
    assert first_line.split()[-1] in panel


def test_people_page_shows_matrix_camps_and_stances(app: AppTest, debate: Debate, sample_db: Path) -> None:
    run_page(app, "people")
    graph = api.argument_graph(debate)
    (camps,) = (t.value for t in app.table)
    matrix, answered = (_drawn_table(h.value) for h in app.html if 'class="mlpa-heatmap"' in h.value)
    assert set(camps["position"]) == {c.position for c in api.camps(graph)}
    # What the page drew, not what api computes: the matrix names every claimant, each
    # cell "for / against" as the position matrix counts them.
    cells = api.position_matrix(graph).cells
    names = {p: debate.people[p].name for p, _ in cells}
    assert set(matrix) == set(names.values())
    for (person, position), counts in cells.items():
        assert matrix[names[person]][position] == f"{counts.supports} / {counts.opposes}"
    with api.open_store(sample_db) as store:  # every labelled reply, quote by quote, as the store totals them
        pairs = queries.interactions(store.connection, None, tuple(queries.automated_people(store.connection)))
    disagreed = {(row["from"], row["to"]): row["disagree"] for _, row in pairs.iterrows() if row["disagree"]}
    assert disagreed, "the sample debate has disagreeing replies"
    assert {(row, column): int(count) for row, counts in answered.items() for column, count in counts.items()
            if count} == disagreed
    assert len(app.get("vega_lite_chart")) == 1, "the positions by month chart"


def _drawn_table(html: str) -> dict[str, dict[str, str]]:
    """A heatmap's cells as drawn: row name -> column name -> text."""
    table = ElementTree.fromstring(f"<div>{html.replace('&nbsp;', ' ')}</div>").find(".//table")
    assert table is not None
    header, *rows = [[(cell.text or "").strip() for cell in row] for row in table.iter("tr")]
    return {row[0]: dict(zip(header[1:], row[1:])) for row in rows if row and row[0]}


def test_behaviours_page_ranks_behaviours_and_shows_decisions(app: AppTest, debate: Debate) -> None:
    run_page(app, "behaviours")
    graph = api.argument_graph(debate)
    table = app.dataframe[0].value
    index = api.behaviour_index(graph)
    assert set(table["behaviour"]) <= set(index) and len(table) == min(25, len(index))
    assert any(c.value.endswith(f"of {len(index)}") for c in app.caption), "the pager names the true total"
    assert list(table["disputes"]) == sorted(table["disputes"], reverse=True)
    top = table["behaviour"].iloc[0]
    assert app.selectbox(key="behaviours_pick").value == top
    uses = app.dataframe[1].value
    assert len(uses) == min(25, len(index[top]))


def test_decisions_page_lists_every_decision(app: AppTest, debate: Debate) -> None:
    run_page(app, "decisions")
    expected = [d.kind for a in debate.analyses.values() for d in a.decisions]
    table = app.dataframe[0].value
    assert sorted(table["kind"]) == sorted(expected) and expected
    app.multiselect(key="decisions_kinds").set_value([expected[0]]).run()
    assert set(app.dataframe[0].value["kind"]) == {expected[0]}


def test_add_data_page_states_its_limits(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZER_ALLOWED_HOSTS", "lore.kernel.org,http://127.0.0.1:9")
    monkeypatch.setenv("ANALYZER_MAX_UPLOAD_MB", "3")
    run_page(app, "add_data")
    caption = app.caption[0].value.replace("\\", "")
    assert "lore.kernel.org" in caption and "http://127.0.0.1:9" in caption and "3 MB" in caption


def test_a_missing_database_is_named_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("ANALYZER_DB", str(missing))
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert "No database at" in app.warning[0].value
    assert not missing.exists()


# -- pure builders -------------------------------------------------------------------


def test_reply_graph_has_a_node_per_message_and_edges_coloured_by_relation(debate: Debate) -> None:
    root = THREAD_A["root_message_id"]
    graph = charts.reply_graph(debate, root)
    assert graph.node_count == len(THREAD_A["message_ids"])
    assert set(graph.messages.values()) == set(THREAD_A["message_ids"])
    for edge in (e for e in graph.elements if "source" in e["data"]):
        replier = graph.messages[edge["data"]["source"]]
        analysis = debate.analyses.get(replier)
        relation = analysis.relation if analysis else None
        assert edge["data"]["relation"] == (relation.label if relation else "reply")
    node = anchor(message_node(THREAD_A["message_ids"][2]))
    assert charts.clicked_message(graph, node) == THREAD_A["message_ids"][2]
    assert charts.clicked_message(graph, None) is None


def test_graphs_are_drawn_as_svg_with_one_clickable_group_per_node_and_mail_text_escaped(debate: Debate) -> None:
    root = THREAD_A["root_message_id"]
    for graph in (charts.reply_graph(debate, root), charts.map_elements(api.argument_graph(debate, [root]))):
        svg = graph_drawing.graph_svg(graph.elements, notes=graph.notes)
        document = ElementTree.fromstring(svg)
        groups = {g.get("id"): g.get("class", "").split()
                  for g in document.iter("{http://www.w3.org/2000/svg}g") if "node" in g.get("class", "").split()}
        nodes = {e["data"]["id"]: e["data"] for e in graph.elements if "source" not in e["data"]}
        assert set(groups) == set(nodes) and nodes
        for node_id, classes in groups.items():
            assert nodes[node_id].get("kind") in classes
        edges = [g for g in document.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "edge"]
        assert len(edges) == sum(1 for e in graph.elements if "source" in e["data"])
        assert "<title>" not in svg
    hostile = [{"data": {"id": "q-1", "kind": "person", "stance": "for", "label": "Mallory <script>x()</script>"}},
               {"data": {"id": "c-2", "kind": "claim", "stance": "against", "label": "a <img src=x onerror=y> & b"}},
               {"data": {"id": "q-1>c-2", "source": "q-1", "target": "c-2", "relation": "against"}}]
    svg = graph_drawing.graph_svg(hostile, notes={"c-2": "note </svg><script>z()</script>"})
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;" in svg
    texts = " ".join(t.text or "" for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
    assert "Mallory <script>x()</script>" in texts


def test_timeline_chart_carries_one_mark_per_dated_event(debate: Debate) -> None:
    root = THREAD_A["root_message_id"]
    timeline = api.thread_timeline(debate, root)
    frame = frames.events_frame(timeline, debate)
    spec = charts.thread_timeline_chart(frame).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert len(data) == sum(1 for e in timeline.events if e.date) > 0
    marks = {row["message_id"]: row["mark"] for row in data if row["kind"] == "message"}
    for message_id, mark in marks.items():
        analysis = debate.analyses.get(message_id)
        relation = analysis.relation if analysis else None
        assert mark == (relation.label if relation else "post")
    assert {"message", "decision"} <= {row["kind"] for row in data}


def test_overview_names_messages_that_could_not_be_analysed(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from analyzer.store.db import Store
    from analyzer.store.failures import failure_of, replace_failures

    db = tmp_path / "failed.db"
    shutil.copy(sample_db, db)
    message_id = MANIFEST["threads"][0]["message_ids"][1]
    with Store.open(db) as store:
        with store.connection:
            replace_failures(store, "analyze", "t", [failure_of("analyze", message_id, "t", ValueError("<b>bad</b>"))], version="v")
    monkeypatch.setenv("ANALYZER_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    assert any("1 stored messages could not be segmented or analysed" in w.value for w in app.warning)
    tables = [t.value for t in app.dataframe]
    assert any(message_id in set(t.get("message_id", [])) for t in tables)
