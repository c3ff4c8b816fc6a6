"""The argument graph and its derived views, on the synthetic GICD_IIDR debate."""

from __future__ import annotations

import graphviz

from analyzer.graph import views
from analyzer.graph.build import build_graph, corpus_graph, thread_graph
from analyzer.graph.draw import graph_svg, summary_dot, text_label
from analyzer.graph.ids import anchor, lore_url
from tests.debate_factory import V1_ID, V2_ID, DebateBuilder, hostile_debate, large_debate, sample_debate


def kinds(ag, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(n for n, d in ag.graph.nodes(data=True) if d["kind"] == kind)


def edges(ag, kind: str) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def,type-arg]
    return [(s, t, d) for s, t, d in ag.graph.edges(data=True) if d["kind"] == kind]


def test_thread_graph_holds_only_its_thread() -> None:
    debate = sample_debate()
    v1 = thread_graph(debate, V1_ID)
    assert v1.thread_ids == (V1_ID,)
    assert {d["thread_id"] for _, d in v1.graph.nodes(data=True) if d["kind"] == "message"} == {V1_ID}
    assert len(kinds(v1, "message")) == 4
    assert len(kinds(v1, "claim")) == 7
    assert kinds(v1, "person") == ["person:morgan", "person:oliver", "person:rita", "person:sam"]


def test_corpus_graph_joins_threads_and_shares_people_and_positions() -> None:
    ag = corpus_graph(sample_debate())
    assert set(ag.thread_ids) == {V1_ID, V2_ID}
    assert len(kinds(ag, "message")) == 7
    quirk_claims = [s for s, t, _ in edges(ag, "argues") if t == "position:quirks-opt-out"]
    assert len(quirk_claims) == 4  # Oliver (v1, against), Sam, Oliver, Morgan (v2)
    assert "behaviour:GICD_IIDR" in ag.graph


def test_asserts_and_argues_carry_the_stance() -> None:
    ag = build_graph(sample_debate())
    rita = [(t, d["stance"]) for s, t, d in edges(ag, "asserts") if s == "person:rita"]
    positions = {ag.graph.nodes[t]["position"]: stance for t, stance in rita}
    assert positions == {"evidence-required": "against", "pin-previous-behaviour": "for"}


def test_a_reply_responds_to_the_claim_it_quotes() -> None:
    ag = build_graph(sample_debate())
    responses = {(ag.graph.nodes[s]["author"], ag.graph.nodes[t]["text"], d["label"]) for s, t, d in edges(ag, "responds-to")}
    assert ("rita", "Show me a guest that actually breaks and we can talk.", "disagree") in responses
    # Morgan's two claims both answer Sam's single quoted claim.
    morgan = [d["label"] for s, t, d in edges(ag, "responds-to")
              if ag.graph.nodes[s]["author"] == "morgan" and ag.graph.nodes[t]["author"] == "sam"]
    assert morgan.count("disagree") == 2


def test_a_message_level_relation_without_claims_links_messages() -> None:
    b = DebateBuilder()
    b.message("root@example.org", author="sam", subject="[PATCH] KVM: arm64: fix", body="A fix for the PMU.\n",
              claims=[("A fix for the PMU.", "architecture-compliance", "for")])
    b.message("thanks@example.org", author="oliver", parent="root@example.org", body="Looks fine to me.\n",
              relation=("agree", None))
    ag = build_graph(b.build())
    assert [(s, t) for s, t, _ in edges(ag, "responds-to")] == [("message:thanks@example.org", "message:root@example.org")]


def test_decisions_are_decided_by_their_actor() -> None:
    ag = build_graph(sample_debate())
    decided = sorted((ag.graph.nodes[s]["decision"], t) for s, t, _ in edges(ag, "decided-by"))
    assert ("rejected", "person:morgan") in decided
    assert ("endorsed", "person:oliver") in decided
    assert ("accepted", "person:morgan") in decided


def test_contested_claims_rank_disagreement_first() -> None:
    contested = views.contested_claims(build_graph(sample_debate()))
    assert [c.claim.author for c in contested][:2] == ["sam", "morgan"]
    assert all(c.disagree + c.mixed > 0 for c in contested)
    assert contested[-1].claim.author == "rita" and contested[-1].mixed == 1


def test_interaction_matrix_counts_once_per_reply() -> None:
    matrix = {(i.source, i.target): i for i in views.interaction_matrix(build_graph(sample_debate()))}
    assert matrix[("morgan", "sam")].disagree == 1  # one NAK mail, although it holds two claims
    assert matrix[("morgan", "sam")].agree == 1  # the apply on v2
    assert matrix[("rita", "morgan")].disagree == 1
    assert matrix[("oliver", "rita")].mixed == 1


def test_camps_split_people_by_position() -> None:
    camps = {c.position: c for c in views.camps(build_graph(sample_debate()))}
    assert camps["evidence-required"].supporters == ("morgan",)
    assert camps["evidence-required"].opponents == ("rita",)
    assert camps["quirks-opt-out"].divided == ("oliver",)  # against in v1, for in v2
    assert camps["pin-previous-behaviour"].supporters == ("rita", "sam")


def test_stance_over_time_is_in_date_order() -> None:
    oliver = views.stance_over_time(build_graph(sample_debate()))["oliver"]
    assert [(p.position, p.stance) for p in oliver] == [
        ("quirks-opt-out", "against"), ("userspace-configures", "for"), ("quirks-opt-out", "for")]
    assert [p.date for p in oliver] == sorted(p.date for p in oliver)


def test_position_matrix_and_behaviour_index() -> None:
    ag = build_graph(sample_debate())
    matrix = views.position_matrix(ag)
    assert matrix.cells[("oliver", "quirks-opt-out")] == views.StanceCount(1, 1)
    assert "morgan" in matrix.people and "no-uapi-regression" not in matrix.positions
    index = views.behaviour_index(ag)
    assert [u.message_id for u in index["GICD_IIDR"]] == [V1_ID, V2_ID]


def test_summary_view_of_a_large_thread_stays_small() -> None:
    ag = build_graph(large_debate(300))
    assert len(kinds(ag, "claim")) > 400
    dot = summary_dot(ag)
    assert dot.source.count("shape=note") <= 6 * 3  # top claims only
    svg = graph_svg(ag)
    assert svg.startswith("<svg") and svg.count("<g id=\"node") < 80


def test_drawing_is_deterministic_and_escapes_mail_text() -> None:
    from tests.test_export import in_fresh_process

    ag = build_graph(hostile_debate())
    first = graph_svg(ag, "full")
    code = (
        "import sys; from analyzer.graph.build import build_graph; from analyzer.graph.draw import graph_svg; "
        "from tests.debate_factory import hostile_debate; sys.stdout.write(graph_svg(build_graph(hostile_debate()), 'full'))"
    )
    assert in_fresh_process(code, "3") == first, "the same drawing whatever the interpreter's hash seed"
    assert "<script" not in first and "&lt;script&gt;" in first
    assert "<img" not in first


def test_labels_never_become_html_labels() -> None:
    label = text_label("<b>bold</b> \\N")
    assert isinstance(label, graphviz.quoting.NoHtml)
    dot = graphviz.Digraph()
    dot.node("n", label=label)
    assert 'label="<b>bold</b>' in dot.source, "quoted as text, not an HTML-like <...> label"
    assert "\\\\N" in label


def test_anchors_and_lore_links_are_safe() -> None:
    assert anchor("message:<script>@x") != anchor("message:<script>@y"), "distinct ids, distinct anchors"
    assert anchor("message:<script>@x").replace("-", "").isalnum()
    assert lore_url("a/b?c#d@example.org") == "https://lore.kernel.org/all/a%2Fb%3Fc%23d@example.org/"
    assert lore_url("<x@y>") == "https://lore.kernel.org/all/x@y/"


def test_a_claim_as_long_as_a_pasted_config_dump_is_drawn() -> None:
    """A "sentence" of mail can be tens of kilobytes (a config dump read as one sentence);
    Graphviz refuses quoted strings over 16,384 characters, so tooltips are cut."""
    dump = " ".join(f"# CONFIG_SENSORS_AD{n} is not set" for n in range(4_000))
    builder = DebateBuilder()
    builder.message("<dump@x>", author="rita", body=dump, subject="[PATCH] dump",
                    claims=[(dump, "pin-previous-behaviour", "against")])
    svg = graph_svg(build_graph(builder.build()), "full")
    assert len(dump) > 100_000 and svg.startswith("<svg") and "CONFIG_SENSORS_AD0" in svg
    assert "CONFIG_SENSORS_AD3999" not in svg
