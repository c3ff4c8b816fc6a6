"""Exports: GraphML round trip through networkx, node-link JSON, DOT and AIF JSON shape."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from analyzer.graph.build import build_graph
from analyzer.graph.export import EXPORT_FORMATS, export_text, to_aif
from tests.debate_factory import hostile_debate, sample_debate


def test_graphml_round_trips_through_networkx(tmp_path: Path) -> None:
    ag = build_graph(sample_debate())
    path = tmp_path / "debate.graphml"
    path.write_text(export_text(ag, "graphml"), encoding="utf-8")
    back = nx.read_graphml(path, force_multigraph=True)
    assert set(back.nodes) == set(ag.graph.nodes)
    for node, data in ag.graph.nodes(data=True):
        assert back.nodes[node] == data
    kinds = Counter(d["kind"] for _, _, d in back.edges(data=True))
    assert kinds == Counter(d["kind"] for _, _, d in ag.graph.edges(data=True))
    labels = Counter(d["label"] for _, _, d in back.edges(data=True) if d["kind"] == "responds-to")
    assert labels["disagree"] >= 3 and labels["agree"] >= 2


def test_node_link_json_round_trips() -> None:
    ag = build_graph(sample_debate())
    data = json.loads(export_text(ag, "json"))
    back = nx.node_link_graph(data, edges="edges")
    assert back.number_of_nodes() == ag.graph.number_of_nodes()
    assert back.number_of_edges() == ag.graph.number_of_edges()
    assert len(data["graph"]["threads"]) == 2


def test_dot_export_is_valid_graphviz(tmp_path: Path) -> None:
    source = export_text(build_graph(hostile_debate()), "dot")
    path = tmp_path / "g.dot"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run(["dot", "-Tsvg", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "&lt;script&gt;" in result.stdout


def test_aif_has_the_aifdb_shape() -> None:
    debate = sample_debate()
    aif = to_aif(build_graph(debate))
    assert set(aif) >= {"nodes", "edges", "locutions"}
    ids = {n["nodeID"] for n in aif["nodes"]}
    assert len(ids) == len(aif["nodes"])
    for node in aif["nodes"]:
        assert set(node) == {"nodeID", "text", "type", "timestamp"}
        assert node["type"] in {"I", "L", "YA", "RA", "CA"}
    for edge in aif["edges"]:
        assert edge["fromID"] in ids and edge["toID"] in ids
    types = Counter(n["type"] for n in aif["nodes"])
    claims = sum(len(a.claims) for a in debate.analyses.values())
    assert types["I"] == types["L"] == claims  # one locution per proposition; every reply has a claim
    assert types["CA"] >= 3 and types["RA"] >= 2
    people = {p["participantID"]: p["firstname"] for p in aif["participants"]}
    speakers = {people[loc["personID"]] for loc in aif["locutions"]}
    assert speakers == {"Sam Ortiz", "Morgan Keel", "Rita Vance", "Oliver Quill"}


def test_aif_conflict_goes_from_the_reply_to_the_answered_proposition() -> None:
    aif = to_aif(build_graph(sample_debate()))
    text = {n["nodeID"]: n["text"] for n in aif["nodes"]}
    kind = {n["nodeID"]: n["type"] for n in aif["nodes"]}
    into = {(e["fromID"], e["toID"]) for e in aif["edges"]}
    conflicts = []
    for ca in (n for n, k in kind.items() if k == "CA"):
        sources = [a for a, b in into if b == ca and kind[a] == "I"]
        targets = [b for a, b in into if a == ca and kind[b] == "I"]
        conflicts += [(text[s], text[t]) for s in sources for t in targets]
    assert ("waiting for an outage is\nnot a plan.", "Show me a guest that actually breaks and we can talk.") in conflicts
    locution_of = {loc["nodeID"] for loc in aif["locutions"]}
    assert locution_of == {n for n, k in kind.items() if k == "L"}


ROOT = Path(__file__).resolve().parents[1]


def in_fresh_process(code: str, seed: str) -> str:
    """stdout of ``code`` run by another interpreter with its own string-hash seed: set
    and dict orders that leak into output differ between such runs."""
    import os
    import sys

    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_format_is_deterministic(fmt: str) -> None:
    here = export_text(build_graph(sample_debate()), fmt)  # type: ignore[arg-type]
    code = (
        "import sys; from analyzer.graph.build import build_graph; from analyzer.graph.export import export_text; "
        f"from tests.debate_factory import sample_debate; sys.stdout.write(export_text(build_graph(sample_debate()), {fmt!r}))"
    )
    assert in_fresh_process(code, "1") == here == in_fresh_process(code, "2")
