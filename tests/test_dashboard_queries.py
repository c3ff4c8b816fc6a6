"""The SQL behind the dashboard's cross-thread views, on a mid-size real store (the newest
2,000 messages of the real kvmarm archive plus the gold threads), checked against the
Python read model (``load_debate`` + the argument graph views) on the same store; and the
pure parts (search syntax, outcome rule, robots, the byte-bounded cache) on their own."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from analyzer import api
from analyzer.dashboard import queries, senders
from analyzer.dashboard.cache import ByteBoundedCache, estimated_bytes
from analyzer.dashboard.digest import DecisionEvent, outcome
from analyzer.debate import Debate
from tests.conftest import require_shared


@pytest.fixture(scope="module")
def connection(real_store: Path) -> Iterator[sqlite3.Connection]:
    opened = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def gold_threads(connection: sqlite3.Connection) -> dict[str, tuple[str, list[dict[str, object]]]]:
    """gold file stem -> (thread id in the store, gold lines)."""
    found = {}
    for path in sorted(require_shared("gold").glob("*.gold.jsonl")):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        thread = next(t for t in (queries.resolve_thread(connection, str(g["message_id"])) for g in lines) if t)
        found[path.name.removesuffix(".gold.jsonl")] = (thread, lines)
    return found


@pytest.fixture(scope="module")
def gold_debate(real_store: Path, gold_threads: dict[str, tuple[str, list[dict[str, object]]]]) -> Debate:
    with api.open_store(real_store) as store:
        return api.load_debate(store, [t for t, _ in gold_threads.values()])


@pytest.fixture(scope="module")
def bots(connection: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(queries.automated_people(connection))


# -- search ------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "query"), [
    ("SUPPRESS_EOI", '"SUPPRESS_EOI"*'),
    ("KVM_CAP_*", '"KVM_CAP_"*'),
    ('"bug for bug" OR quirk', '"bug for bug" OR "quirk"*'),
    ("GICD_TYPER.num_LPIs AND", '"GICD_TYPER.num_LPIs"*'),
    ('(a OR b) NOT "c d"', '( "a"* OR "b"* ) NOT "c d"'),
])
def test_search_terms_become_prefix_queries(typed: str, query: str) -> None:
    assert queries.fts_query(typed) == query


def test_an_identifier_prefix_finds_every_message_naming_it(connection: sqlite3.Connection) -> None:
    page = queries.search(connection, "SUPPRESS_EOI", limit=500)
    bodies = connection.execute(
        "SELECT message_id FROM messages WHERE instr(upper(body || ' ' || subject), 'SUPPRESS_EOI') > 0").fetchall()
    assert page.total == len(page.rows) == len(bodies) > 0
    assert set(page.rows["message_id"]) == {b[0] for b in bodies}


def test_search_reports_the_true_number_of_hits_a_page_at_a_time(connection: sqlite3.Connection) -> None:
    first = queries.search(connection, "arm64", limit=100)
    assert first.total > 200, "more hits than the old silent cap of 200"
    seen: list[str] = []
    for offset in range(0, first.total, 100):
        seen += list(queries.search(connection, "arm64", limit=100, offset=offset).rows["message_id"])
    assert len(seen) == len(set(seen)) == first.total
    capabilities = queries.search(connection, "KVM_CAP_*", limit=1)
    assert capabilities.total > len(capabilities.rows) == 1


def test_stray_quotes_and_operators_still_search(connection: sqlite3.Connection) -> None:
    plain = queries.search(connection, "GICD_IIDR").total
    assert plain > 0
    assert queries.search(connection, '"GICD_IIDR').total == plain
    assert queries.search(connection, "GICD_IIDR OR").total == plain
    assert queries.search(connection, "").total == 0


# -- threads -----------------------------------------------------------------------------


def test_threads_are_paged_newest_first_and_counted(connection: sqlite3.Connection, bots: tuple[str, ...]) -> None:
    everything = connection.execute("SELECT count(*) FROM threads").fetchone()[0]
    first = queries.threads(connection, queries.ThreadQuery(), bots, limit=50)
    second = queries.threads(connection, queries.ThreadQuery(), bots, limit=50, offset=50)
    assert first.total == second.total == everything
    assert not set(first.rows["thread_id"]) & set(second.rows["thread_id"])
    lasts = list(first.rows["last"]) + list(second.rows["last"])
    assert lasts == sorted(lasts, reverse=True)


def test_thread_rows_match_the_read_model(connection: sqlite3.Connection, bots: tuple[str, ...],
                                          gold_threads: dict[str, tuple[str, list[dict[str, object]]]],
                                          gold_debate: Debate) -> None:
    scope = tuple(t for t, _ in gold_threads.values())
    rows = queries.threads(connection, queries.ThreadQuery(scope=scope), bots).rows.set_index("thread_id")
    for thread_id in scope:
        mine = [a for m, a in gold_debate.analyses.items() if gold_debate.messages[m].thread_id == thread_id]
        assert rows.loc[thread_id, "claims"] == sum(len(a.claims) for a in mine)
        assert rows.loc[thread_id, "disputes"] == sum(1 for a in mine if a.relation and a.relation.label in
                                                      queries.DISPUTED)
        kinds = sorted({d.kind for a in mine for d in a.decisions})
        assert rows.loc[thread_id, "decisions"] == ", ".join(kinds)


def test_thread_filters_narrow_by_position_and_search(connection: sqlite3.Connection, bots: tuple[str, ...]) -> None:
    position = connection.execute("SELECT position FROM claims GROUP BY position ORDER BY count(*) LIMIT 1").fetchone()[0]
    found = queries.threads(connection, queries.ThreadQuery(positions=(position,)), bots, limit=1000)
    argued = {r[0] for r in connection.execute("SELECT DISTINCT thread_id FROM claims WHERE position = ?", (position,))}
    assert set(found.rows["thread_id"]) == argued and found.total == len(argued)
    searched = queries.threads(connection, queries.ThreadQuery(text="SUPPRESS_EOI"), bots, limit=1000)
    hits = queries.search(connection, "SUPPRESS_EOI", limit=1000)
    assert set(searched.rows["thread_id"]) == set(hits.rows["thread_id"])


def test_thread_filters_narrow_by_dates_list_and_participant(connection: sqlite3.Connection,
                                                             bots: tuple[str, ...]) -> None:
    every = queries.threads(connection, queries.ThreadQuery(), bots, limit=100_000).rows
    since, until = dt.date(2022, 11, 1), dt.date(2022, 11, 30)
    dated = queries.threads(connection, queries.ThreadQuery(since=since, until=until), bots, limit=100_000)
    expected = every[(every["last"].dt.date >= since) & (every["first"].dt.date <= until)]
    assert set(dated.rows["thread_id"]) == set(expected["thread_id"]) and 0 < dated.total < len(every)
    person, name = connection.execute(
        "SELECT p.person_id, p.name FROM message_authors a JOIN people p USING (person_id) "
        "GROUP BY p.person_id ORDER BY count(*) DESC LIMIT 1 OFFSET 3").fetchone()
    theirs = queries.threads(connection, queries.ThreadQuery(people=(person,)), bots, limit=100_000)
    posted = {r[0] for r in connection.execute("SELECT DISTINCT tm.thread_id FROM thread_members tm "
                                               "JOIN message_authors a USING (message_id) WHERE a.person_id = ?",
                                               (person,))}
    assert set(theirs.rows["thread_id"]) == posted, name
    lists = queries.facet_values(connection)["lists"]
    on_list = queries.threads(connection, queries.ThreadQuery(list_id=lists[-1]), bots, limit=100_000)
    assert 0 < on_list.total <= len(every)


def test_the_default_thread_is_the_most_recent_debate(connection: sqlite3.Connection, bots: tuple[str, ...]) -> None:
    chosen = queries.default_thread(connection, bots)
    debates = queries.threads(connection, queries.ThreadQuery(), bots, limit=10_000).rows
    debates = debates[(debates["disputes"] > 0) & (debates["participants"] >= 2) & (debates["claims"] > 0)]
    assert chosen == debates.sort_values("last", ascending=False).iloc[0]["thread_id"]


# -- outcome ------------------------------------------------------------------------------


def test_each_gold_thread_gets_the_outcome_its_gold_decisions_give(
    connection: sqlite3.Connection, gold_threads: dict[str, tuple[str, list[dict[str, object]]]], gold_debate: Debate
) -> None:
    found = queries.thread_outcomes(connection, [t for t, _ in gold_threads.values()])
    kinds = set()
    for name, (thread_id, lines) in gold_threads.items():
        events = [DecisionEvent(str(kind), gold_debate.messages[str(g["message_id"])].date,
                                gold_debate.messages[str(g["message_id"])].author_name, str(g["message_id"]))
                  for g in lines for kind in g["decisions"]]  # type: ignore[attr-defined]
        expected = outcome(events)
        assert (found[thread_id].kind, found[thread_id].by) == (expected.kind, expected.by), name
        kinds.add(expected.kind)
    assert len(kinds) >= 3, "the gold threads cover open, changes requested and NAKed"


def test_outcome_rule() -> None:
    def event(kind: str, day: int, message: str = "") -> DecisionEvent:
        return DecisionEvent(kind, f"2026-05-{day:02d}", "Maintainer", message or f"m{day}")

    assert outcome([]).kind == "open"
    assert outcome([event("endorsed", 1), event("policy-ruling", 2)]).kind == "open"
    assert outcome([event("accepted", 1), event("changes-requested", 2)]).kind == "changes requested"
    assert outcome([event("changes-requested", 1), event("accepted", 2)]).kind == "applied"
    assert outcome([event("rejected", 1), event("withdrawn", 2)]).kind == "NAKed"
    assert outcome([event("rejected", 3, "x"), event("changes-requested", 3, "x")]).kind == "NAKed"
    assert outcome([event("withdrawn", 1)]).date == "2026-05-01"


# -- decisions, behaviours, people ---------------------------------------------------------


def test_decisions_are_counted_and_aggregated_by_month(connection: sqlite3.Connection,
                                                       gold_threads: dict[str, tuple[str, list[dict[str, object]]]],
                                                       gold_debate: Debate) -> None:
    scope = tuple(t for t, _ in gold_threads.values())
    page = queries.decisions(connection, scope, limit=1000)
    expected = api.decisions_frame(gold_debate)
    assert page.total == len(page.rows) == len(expected) > 0
    assert sorted(page.rows["kind"]) == sorted(expected["kind"])
    assert sorted(page.rows["actor"]) == sorted(expected["actor"])
    by_month = queries.decisions_by_month(connection, scope)
    assert by_month["decisions"].sum() == page.total
    everything = queries.decisions(connection, None, limit=10)
    assert everything.total == connection.execute("SELECT count(*) FROM decisions").fetchone()[0] > len(everything.rows)


def test_behaviours_match_the_graph_index(connection: sqlite3.Connection, bots: tuple[str, ...],
                                          gold_threads: dict[str, tuple[str, list[dict[str, object]]]],
                                          gold_debate: Debate) -> None:
    scope = tuple(t for t, _ in gold_threads.values())
    page = queries.behaviours(connection, scope, bots, limit=1000)
    index = api.behaviour_index(api.argument_graph(gold_debate))
    assert set(page.rows["behaviour"]) == set(index)
    rows = page.rows.set_index("behaviour")
    for behaviour, uses in index.items():
        assert rows.loc[behaviour, "messages"] == len({u.message_id for u in uses})
    listed = queries.behaviour_uses(connection, scope, page.rows["behaviour"].iloc[0], limit=1000)
    assert listed.total == len(index[page.rows["behaviour"].iloc[0]])


def test_camps_match_the_graph_views_and_leave_robots_out(connection: sqlite3.Connection, bots: tuple[str, ...],
                                                          gold_threads: dict[str, tuple[str, list[dict[str, object]]]],
                                                          gold_debate: Debate) -> None:
    scope = tuple(t for t, _ in gold_threads.values())
    graph = api.argument_graph(gold_debate)
    names = api.person_names(gold_debate)
    expected = {c.position: (sorted(names[p] for p in c.supporters), sorted(names[p] for p in c.opponents))
                for c in api.camps(graph)}
    found = {c.position: (sorted(s.rsplit(" (", 1)[0] for s in c.supporters),
                          sorted(s.rsplit(" (", 1)[0] for s in c.opponents))
             for c in queries.camps(connection, scope, bots, per_side=100)}
    assert found == expected


def test_robots_are_recognised_and_listed_apart(connection: sqlite3.Connection, bots: tuple[str, ...]) -> None:
    robots = queries.automated_senders(connection, bots)
    assert "kernel test robot" in set(robots["sender"]), "lkp@intel.com posts to kvmarm"
    people = queries.people(connection, None, bots, limit=10_000)
    assert not set(people.rows["person"]) & set(robots["sender"])
    matrix = queries.interactions(connection, None, bots)
    assert not (set(matrix["from"]) | set(matrix["to"])) & set(robots["sender"])
    assert len(set(matrix["from"]) | set(matrix["to"])) <= 15


def test_sender_patterns() -> None:
    assert senders.is_automated("kernel test robot", ["lkp@intel.com"])
    assert senders.is_automated("syzbot", ["syzbot+1234@syzkaller.appspotmail.com"])
    assert senders.is_automated("Someone", ["patchwork-bot+kvm@kernel.org"])
    assert not senders.is_automated("Robert Botham", ["robert@example.org"])
    assert not senders.is_automated("Marc Zyngier", ["maz@kernel.org"])


# -- the cache ----------------------------------------------------------------------------


def test_the_cache_stays_within_its_bytes() -> None:
    frame = pd.DataFrame({"text": ["x" * 1000] * 100})
    size = estimated_bytes(frame)
    cache = ByteBoundedCache(max_bytes=3 * size)
    for key in range(10):
        assert cache.get_or_compute(key, lambda: frame.copy()) is not None
    assert len(cache) == 3 and cache.current_bytes <= 3 * size
    calls: list[int] = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return frame

    cache.get_or_compute(9, compute)
    assert calls == [], "a kept value is served from the cache"
    huge = pd.DataFrame({"text": ["y" * 1000] * 1000})
    assert cache.get_or_compute("huge", lambda: huge) is huge and "huge" not in cache._entries


def test_the_digest_of_a_gold_thread(gold_threads: dict[str, tuple[str, list[dict[str, object]]]],
                                     gold_debate: Debate) -> None:
    from analyzer.dashboard.digest import digest

    thread_id, _ = gold_threads["kvm-guest-visible-compat-2026-05"]
    graph = api.argument_graph(gold_debate, [thread_id])
    found = digest(gold_debate, graph, thread_id)
    assert found.camps and found.contested and found.behaviours
    sentences = [(c.message_id, c.sentence) for c in found.contested]
    assert len(sentences) == len(set(sentences)), "a sentence arguing two positions is listed once"
    for camp in found.camps:
        for voice in camp.supporters + camp.opponents + camp.divided:
            info = gold_debate.messages[voice.message_id]
            assert info.author_name == voice.person and voice.sentence in info.body
    assert [c.size for c in found.camps] == sorted((c.size for c in found.camps), reverse=True)
