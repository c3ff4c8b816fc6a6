"""Search understands kernel identifiers: infixes at ``_`` and ``.`` (``EOI_BROADCAST``,
``num_LPIs``), prefixes (``SUPPRESS_EOI``, ``KVM_CAP_*``), without taking prose for an
identifier; the same hits from ``analyzer search`` and the dashboard, counted truly.

A small store of messages written here is searched against a plain-Python reading of the
same rules (Hypothesis draws the queries), and the real store (archive + gold threads) is
searched for the identifiers of the May 2026 debate."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.dashboard import queries
from analyzer.store import search
from analyzer.store.db import Store
from tests.factories import msg

BODIES = {
    "x2apic": "Set KVM_X2APIC_API_DISABLE_SUPPRESS_EOI_BROADCAST before creating vCPUs.\n",
    "quirk": "The quirk is KVM_X2APIC_API_DISABLE_SUPPRESS_EOI_BROADCAST, the old SUPPRESS_EOI_BROADCAST.\n",
    "prose": "Suppress EOI broadcast only when the guest asks; the EOI broadcast stays.\n",
    "register": "GICD_TYPER.num_LPIs is zero here, so LPIs are counted from IDbits.\n",
    "lpis": "num LPIs in prose, and no register named.\n",
    "caps": "Check KVM_CAP_ARM_EL1_32BIT and KVM_CAP_X2APIC_API first.\n",
    "capability": "A KVM capability would be the cleaner interface.\n",
    "version": "Tested on v5.10 and 6.1-rc2, see e.g. the cover letter.\n",
}
"""Bodies written for these tests (no real mail)."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(tmp_path_factory.mktemp("search") / "search.db")
    opened.write_batch([msg(f"{key}@test", subject="A patch", body=body) for key, body in BODIES.items()], [], [], {})
    yield opened
    opened.close()


def found(store: Store, text: str) -> set[str]:
    return {m.message_id.removesuffix("@test") for m in store.search(text, limit=100)}


@pytest.mark.parametrize(("typed", "hits"), [
    ("EOI_BROADCAST", {"x2apic", "quirk"}),
    ("SUPPRESS_EOI_BROADCAST", {"x2apic", "quirk"}),
    ("SUPPRESS_EOI", {"x2apic", "quirk"}),
    ("eoi_broadcast", {"x2apic", "quirk"}),
    ("num_LPIs", {"register"}),
    ("TYPER.num_LPIs", {"register"}),
    ("GICD_TYPER.num_LPIs", {"register"}),
    ("LPIs", {"register", "lpis"}),
    ("KVM_CAP_*", {"caps"}),
    ("X2APIC_API", {"x2apic", "quirk", "caps"}),
    ("broadcast", {"x2apic", "quirk", "prose"}),
    ('"EOI broadcast"', {"x2apic", "quirk", "prose"}),
    ("EOI_BROADCAST OR capability", {"x2apic", "quirk", "capability"}),
    ("broadcast NOT EOI_BROADCAST", {"prose"}),
    ("(KVM_CAP_* OR num_LPIs) AND zero", {"register"}),
    ("v5.10", {"version"}),
    ("e.g.", {"version"}),
])
def test_identifiers_are_found_by_any_of_their_parts_and_prose_is_not(store: Store, typed: str,
                                                                        hits: set[str]) -> None:
    assert found(store, typed) == hits


def _parts(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def _term(word: str, text: str) -> bool:
    """The documented rule, read plainly: a run of the text's parts equal to the term's
    parts, the last one a prefix; for an identifier, the text also holds it as typed."""
    wanted, parts = _parts(word), _parts(text)
    runs = any(parts[i:i + len(wanted) - 1] == wanted[:-1] and parts[i + len(wanted) - 1].startswith(wanted[-1])
               for i in range(len(parts) - len(wanted) + 1))
    identifier = re.search(r"\w[_.]+\w", word) is not None
    return runs and (not identifier or word.lower() in text.lower())


def _holds(node: search.Node, text: str) -> bool:
    if isinstance(node, search.Term):
        return _term(node.word, text)
    if isinstance(node, search.Phrase):
        wanted, parts = _parts(node.text), _parts(text)
        return any(parts[i:i + len(wanted)] == wanted for i in range(len(parts) - len(wanted) + 1))
    if isinstance(node, search.Both):
        return all(_holds(item, text) for item in node.items)
    if isinstance(node, search.Either):
        return any(_holds(item, text) for item in node.items)
    return _holds(node.kept, text) and not _holds(node.dropped, text)


WORDS = ["EOI_BROADCAST", "SUPPRESS_EOI", "num_LPIs", "LPIs", "KVM_CAP_*", "X2APIC_API", "broadcast", "eoi",
         "capability", "zero", "v5.10", '"EOI broadcast"', "kvm", "missing_word", "IDbits"]
QUERIES = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(["AND", "OR", "NOT", "(", ")", '"', "*"])),
                   min_size=1, max_size=7).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUERIES)
def test_any_query_finds_what_the_rules_say(store: Store, text: str) -> None:
    tree = search.parse(text)
    expected = set() if tree is None else {k for k, body in BODIES.items() if _holds(tree, "A patch Alice Example " + body)}
    assert found(store, text) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list('ab_.:-"()* ANDORT\n')), max_size=30))
def test_any_typed_text_is_searched_without_an_error(store: Store, text: str) -> None:
    store.search(text)
    compiled = search.compile_query(text)
    if compiled is not None:  # SQLite accepts what the compiler writes: no fallback needed
        store.connection.execute(f"SELECT count(*) FROM {search.FROM} WHERE {search.match_sql(compiled)}",
                                 search.match_params(compiled)).fetchone()


# -- the real store ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def connection(real_store: Path) -> Iterator[sqlite3.Connection]:
    opened = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    yield opened
    opened.close()


def _holding(connection: sqlite3.Connection, identifier: str) -> set[str]:
    """Messages whose text holds ``identifier`` at the start of a word or of a part."""
    pattern = re.compile(r"(?<![^\W_])" + re.escape(identifier), re.IGNORECASE)
    return {mid for mid, text in connection.execute("SELECT message_id, subject || ' ' || author_name || ' ' || body "
                                                    "FROM messages") if pattern.search(text)}


@pytest.mark.parametrize("identifier", ["EOI_BROADCAST", "num_LPIs", "SUPPRESS_EOI", "KVM_CAP_"])
def test_identifier_infixes_and_prefixes_on_the_real_store(connection: sqlite3.Connection, identifier: str) -> None:
    expected = _holding(connection, identifier)
    first = queries.search(connection, identifier, limit=10)
    assert first.total == len(expected) > 0
    seen = [m for offset in range(0, first.total, 10)
            for m in queries.search(connection, identifier, limit=10, offset=offset).rows["message_id"]]
    assert len(seen) == len(set(seen)) and set(seen) == expected
    marks = [m for s in first.rows["snippet"] for m in re.findall("«([^»]*)»", s)]
    assert any(identifier.rstrip("_").lower() in m.lower() for m in marks), "the snippet marks the identifier"


def test_the_cli_search_and_the_dashboard_find_the_same(real_store: Path, connection: sqlite3.Connection) -> None:
    with Store.open(real_store) as store:
        for text in ("EOI_BROADCAST", "num_LPIs OR KVM_CAP_*", "arm64 NOT vgic"):
            cli = [m.message_id for m in store.search(text, limit=40)]
            dashboard = list(queries.search(connection, text, limit=40).rows["message_id"])
            assert cli == dashboard and cli
