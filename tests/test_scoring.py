"""The scorer follows gold/FORMAT.md: sets of triples/pairs, relation accuracy and macro-F1."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.analysis.gold import GoldLine, GoldRelation
from analyzer.analysis.scoring import evaluate, label_score, set_score

POSITIONS = st.tuples(st.sampled_from(["pin-previous-behaviour", "bug-for-bug", "quirks-opt-out"]), st.sampled_from(["for", "against"]))
LINES = st.lists(
    st.builds(
        GoldLine,
        message_id=st.text("abcdef", min_size=1, max_size=6),
        positions=st.lists(POSITIONS, max_size=3, unique=True).map(tuple),
        behaviours=st.lists(st.sampled_from(["A", "B", "C"]), max_size=2, unique=True).map(tuple),
        relation=st.one_of(st.none(), st.builds(GoldRelation, st.just("p"), st.sampled_from(["agree", "disagree", "mixed", "neutral"]))),
        decisions=st.lists(st.sampled_from(["accepted", "rejected"]), max_size=2, unique=True).map(tuple),
    ),
    max_size=8,
    unique_by=lambda line: line.message_id,
)


@given(LINES)
def test_gold_scored_against_itself_is_perfect(lines: list[GoldLine]) -> None:
    result = evaluate(lines, lines, catalogue_ids={"A", "B", "C"})
    for score in (result.positions, result.positions_any_stance, result.behaviours, result.decisions):
        assert score.f1 == 1.0
    assert result.relations.accuracy == 1.0


def test_set_score_counts_false_positives_and_negatives() -> None:
    score = set_score({("m", "a"), ("m", "b")}, {("m", "a"), ("m", "c"), ("m", "d")})
    assert (score.precision, round(score.recall, 3)) == (0.5, 0.333)
    assert round(score.f1, 3) == 0.4


def test_relation_macro_f1_punishes_always_neutral() -> None:
    pairs = [("agree", "neutral"), ("disagree", "neutral"), ("neutral", "neutral"), ("neutral", "neutral")]
    score = label_score(pairs)
    assert score.accuracy == 0.5
    assert score.macro_f1 < 0.3


def test_unknown_predicted_behaviours_are_left_out_and_missing_lines_count_empty() -> None:
    gold = [GoldLine("m1", behaviours=("A",)), GoldLine("m2", positions=(("bug-for-bug", "against"),))]
    predicted = [GoldLine("m1", behaviours=("A", "PROJECT_ONLY"))]
    result = evaluate(gold, predicted, catalogue_ids={"A"})
    assert result.behaviours.precision == 1.0
    assert result.positions.recall == 0.0
    assert result.missing == ("m2",)
