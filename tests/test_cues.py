"""Cue rule books: loading errors say where, negation flips, wrapping does not matter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.analysis.catalogue import load_taxonomy
from analyzer.nlp.cues import CueBook, load_cue_book
from analyzer.nlp.factories import RULES

POSITIONS = load_cue_book(RULES / "positions.yaml")


def _labels(sentence: str) -> set[tuple[str, str]]:
    return {(hit.label, hit.stance) for hit in POSITIONS.scan(sentence)}


def test_taxonomy_examples_are_read_with_the_right_stance() -> None:
    assert ("evidence-required", "for") in _labels("Show me a guest that actually breaks, then we can talk about a knob.")
    assert ("userspace-configures", "for") in _labels("Userspace should read all the ID registers and set what it wants the guest to see.")
    assert ("bug-for-bug", "against") in _labels("Bug-for-bug compatibility is not what anyone should want.")
    assert ("compatible-by-default", "against") in _labels("Compatible by default means nothing here; userspace has to configure it.")


def test_negation_in_the_same_clause_flips_the_stance() -> None:
    assert ("pin-previous-behaviour", "for") in _labels("We need to restore the old behaviour.")
    assert ("pin-previous-behaviour", "against") in _labels("I don't think we need to restore the old behaviour.")
    # a clause boundary ends the negation's reach: "not X, but Y"
    assert ("pin-previous-behaviour", "for") in _labels("Not a quirk for everything, but we must restore the old behaviour.")


def test_line_wrapping_inside_a_cue_does_not_hide_it() -> None:
    wrapped = "if we make it a policy to preserve buggy\nbehaviours that the guest cannot rely on"
    assert ("bug-for-bug", "against") in _labels(wrapped)


def test_questions_weigh_less_than_statements() -> None:
    statement = POSITIONS.scan("We must restore the old behaviour.")
    question = POSITIONS.scan("Must we restore the old behaviour?")
    assert statement and question
    assert max(h.weight for h in question) < max(h.weight for h in statement)


def test_purely_technical_text_argues_nothing() -> None:
    assert _labels("This patch moves the register accessors into a helper and fixes a typo.") == set()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cues: {}", "'cues' list"),
        ("cues:\n  - {id: a, position: p, pattern: '('}", "bad pattern"),
        ("cues:\n  - {id: a, position: p, pattern: '{NOPE}'}", "unknown shorthand"),
        ("cues:\n  - {id: a, position: p, pattern: x}\n  - {id: a, position: p, pattern: y}", "duplicate cue ids"),
        ("cues:\n  - {id: a, position: nope, pattern: x}", "is not one of"),
    ],
)
def test_broken_rule_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_cue_book(path, known_labels=["p"])


def test_every_shipped_rule_uses_taxonomy_ids() -> None:
    from analyzer.analysis.catalogue import load_taxonomy

    taxonomy = load_taxonomy()
    load_cue_book(RULES / "positions.yaml", known_labels=taxonomy.position_ids)
    load_cue_book(RULES / "relations.yaml", known_labels=("agree", "disagree"))
    load_cue_book(RULES / "decisions.yaml", known_labels=taxonomy.decision_ids)


def test_what_a_sentence_concedes_weighs_less_than_its_point() -> None:
    plain = POSITIONS.scan("We must restore the old behaviour.")
    conceded = POSITIONS.scan("Sure, we must restore the old behaviour, but not by reintroducing the bug.")
    restore = [h for h in conceded if h.label == "pin-previous-behaviour"]
    assert restore and restore[0].weight < plain[0].weight
    assert any(h.label == "bug-for-bug" and h.weight == 2.0 for h in conceded), "the point after 'but' keeps its weight"


RELATIONS = load_cue_book(RULES / "relations.yaml")


def _relation_cues(sentence: str, *, opening: bool = True) -> set[str]:
    return {hit.cue.id for hit in RELATIONS.scan(sentence, opening=opening) if not hit.cue.id.startswith("tone.")}


def test_an_answer_judged_by_its_consequences_disagrees_only_at_its_opening() -> None:
    assert "disagree.bad-consequence" in _relation_cues("That would break most guests.")
    assert "disagree.bad-consequence" in _relation_cues("This means nothing.")
    # Later in a block, "that" points at the author's own previous sentence.
    assert _relation_cues("That would break most guests.", opening=False) == set()


def test_a_counter_proposal_disagrees_but_preferring_the_quoted_one_does_not() -> None:
    assert "disagree.counter-proposal" in _relation_cues("I'd rather we stop reporting this altogether.")
    assert "disagree.counter-proposal" in _relation_cues("In that case, I think it is better to document it as deprecated.")
    assert _relation_cues("I'd rather have that.") == set()


def test_a_sentence_opening_with_a_condition_states_no_attitude_yet() -> None:
    assert _relation_cues("If you can show a guest that breaks, then I agree we need a knob.") == set()
    assert _relation_cues("If you can show a guest that breaks then I agree we need a knob.") == set()
    assert "agree.i-agree" in _relation_cues("I agree we need a knob.")
    # A condition that only checks understanding leaves the sentence's attitude standing.
    assert "agree.i-agree" in _relation_cues("If so, then I agree that this is a sensible fix.")
    assert "agree.i-agree" in _relation_cues("If I understand you correctly, I agree.")


def test_agreed_is_agreement_even_after_a_question() -> None:
    [hit] = [h for h in RELATIONS.scan("Agreed.") if h.cue.id.startswith("agree.")]
    assert not hit.cue.answer
    [yes] = [h for h in RELATIONS.scan("Yes.") if h.cue.id.startswith("agree.")]
    assert yes.cue.answer


def test_emphasis_stars_do_not_hide_the_words_they_stress() -> None:
    assert ("evidence-required", "against") in _labels("And those hypothetical cases *do* happen.")
    hit = next(h for h in POSITIONS.scan("Those cases *do* happen.") if h.cue.id == "evid.do-happen")
    assert "Those cases *do* happen."[hit.start : hit.end] == "do* happen", "offsets still point into the original"


def test_the_more_specific_of_two_opposite_readings_wins() -> None:
    assert _labels("Hypotheticals do matter here.") == {("evidence-required", "against")}
    assert _labels("These are purely hypothetical problems.") == {("evidence-required", "for")}


def test_negation_reaches_back_over_long_tokens() -> None:
    """The clause before a cue is read by words, however long they are (hex, timestamps)."""
    long = " ".join(["0x" + "f" * 80] * 2)  # two "words", 165 characters
    across_comma = _labels(f"We do not, {long} need to restore the old behaviour")  # the comma ends the clause
    sentence = f"We never {long} said userspace should pin the old behaviour"
    hits = {(h.label, h.stance) for h in POSITIONS.scan(sentence)}
    plain = {(h.label, h.stance) for h in POSITIONS.scan("We said userspace should pin the old behaviour")}
    assert plain and hits and hits != plain, "a negator five words back still flips the stance, however long they are"
    assert across_comma == {("pin-previous-behaviour", "for")}
    assert _labels(f"We do not {long} need to restore the old behaviour") == {("pin-previous-behaviour", "against")}


def test_conditions_are_told_from_openers_that_only_look_like_them() -> None:
    assert "agree.i-agree" in _relation_cues("Once again, I agree with you.")
    assert "agree.i-agree" in _relation_cues("If anything, I agree even more now.")


def test_a_different_understanding_is_disagreement() -> None:
    assert "disagree.i-disagree" in _relation_cues("I think we just have a different understanding of what it means.")
    assert "disagree.i-disagree" in _relation_cues("I'm confused that you think this is relevant.")


def _unscreened(book: CueBook) -> CueBook:
    plain = replace(book)
    object.__setattr__(plain, "screen", None)
    return plain


def test_the_one_pass_screen_finds_exactly_the_hits_of_every_cue_read_alone() -> None:
    taxonomy = load_taxonomy()
    sentences = [text for p in taxonomy.positions for text in (p.description, *p.examples.values())]
    # hits late in a sentence, two cues of one book, negation before a hit, none at all
    sentences += [
        "The patch looks fine to me and, as discussed, we must restore the old behaviour.",
        "Not a quirk for everything, but we must restore the old behaviour. Applied, thanks!",
        "I don't think we need to restore the old behaviour; NAK.",
        "vgic: fix the off-by-one in the LR allocation for the *second* CPU interface",
        "",
    ]
    sentences += [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    for name in ("positions.yaml", "relations.yaml", "decisions.yaml"):
        book = load_cue_book(RULES / name)
        assert book.screen is not None
        plain = _unscreened(book)
        hits = 0
        for sentence in sentences:
            for opening in (True, False):
                assert book.scan(sentence, opening=opening) == plain.scan(sentence, opening=opening), (name, sentence)
                hits += len(plain.scan(sentence, opening=opening))
        assert hits > 0, name


def test_cues_that_refer_to_their_own_groups_are_read_one_by_one(tmp_path: Path) -> None:
    rules = tmp_path / "positions.yaml"
    rules.write_text(
        "cues:\n"
        "  - {id: twice, position: evidence-required, pattern: '(\\w+) \\1'}\n"
        "  - {id: plain, position: evidence-required, pattern: 'show me'}\n",
        encoding="utf-8",
    )
    book = load_cue_book(rules)
    assert book.screen is None
    assert [h.cue.id for h in book.scan("It is is so, show me.")] == ["twice", "plain"]
