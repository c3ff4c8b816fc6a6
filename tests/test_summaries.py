"""The per-thread totals (analyzer/store/summaries.py) give exactly what the full-table SQL
gave for the Behaviours (and behaviours by month), People and who-answered-whom views — on the real store (archive
plus gold threads), and still after a thread is analysed again, forgotten, or its people
merged by a structure rebuild.

``REFERENCE`` holds the queries the dashboard ran before the totals existed (every mention,
reply and author scanned), kept here as the definition the totals must meet."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from analyzer.analysis.records import ThreadAnalysis
from analyzer.dashboard import queries
from analyzer.store.analysis import forget_threads, load_analyses, save_thread_analysis
from analyzer.store.db import Store
from analyzer.store.structure import load_thread, rebuild_structure

_IN_SCOPE = "(:scope IS NULL OR {column} IN (SELECT value FROM json_each(:scope)))"
_NOT_BOT = "{column} NOT IN (SELECT value FROM json_each(:bots))"
_NAMED = f"""SELECT DISTINCT target, message_id, thread_id FROM mentions
    WHERE kind = 'behaviour' AND {_IN_SCOPE.format(column="thread_id")}"""
REFERENCE = {
    "behaviours": f"""
        WITH named AS ({_NAMED}),
        disputed AS (
            SELECT target, count(*) AS disputes FROM (
                SELECT n.target, r.id FROM named n JOIN relations r ON r.message_id = n.message_id
                WHERE r.quote_index IS NULL AND r.label IN ('disagree', 'mixed')
                UNION
                SELECT n.target, r.id FROM named n JOIN relations r ON r.to_message_id = n.message_id
                WHERE r.quote_index IS NULL AND r.label IN ('disagree', 'mixed'))
            GROUP BY target),
        counted AS (
            SELECT n.target, count(DISTINCT n.message_id) AS messages, count(DISTINCT n.thread_id) AS threads,
                   count(DISTINCT CASE WHEN {_NOT_BOT.format(column="a.person_id")} THEN a.person_id END) AS people,
                   max(m.date) AS last
            FROM named n JOIN messages m USING (message_id) LEFT JOIN message_authors a USING (message_id)
            GROUP BY n.target)
        SELECT c.target, coalesce(d.disputes, 0) AS disputes, c.messages, c.threads, c.people, c.last
        FROM counted c LEFT JOIN disputed d ON d.target = c.target
        ORDER BY disputes DESC, c.messages DESC, c.target""",
    "people": f"""
        WITH posted AS (SELECT a.person_id, count(*) AS messages, count(DISTINCT tm.thread_id) AS threads
                        FROM message_authors a JOIN thread_members tm USING (message_id)
                        WHERE {_IN_SCOPE.format(column="tm.thread_id")} AND {_NOT_BOT.format(column="a.person_id")}
                        GROUP BY a.person_id)
        SELECT p.name, posted.messages, posted.threads,
            (SELECT count(*) FROM claims c JOIN message_authors x USING (message_id)
             WHERE x.person_id = posted.person_id AND {_IN_SCOPE.format(column="c.thread_id")}),
            (SELECT count(*) FROM relations r JOIN message_authors x USING (message_id)
             WHERE x.person_id = posted.person_id AND r.quote_index IS NULL AND r.label IN ('disagree', 'mixed')
               AND {_IN_SCOPE.format(column="r.thread_id")})
        FROM posted JOIN people p USING (person_id) ORDER BY posted.messages DESC, p.person_id""",
    "interactions": f"""
        WITH pairs AS (
            SELECT DISTINCT r.message_id, r.to_message_id, r.label FROM relations r
            WHERE {_IN_SCOPE.format(column="r.thread_id")} AND r.label IN ('agree', 'disagree', 'mixed', 'neutral')),
        named AS (
            SELECT fa.person_id AS source, ta.person_id AS target, pairs.label FROM pairs
            JOIN message_authors fa ON fa.message_id = pairs.message_id
            JOIN message_authors ta ON ta.message_id = pairs.to_message_id
            WHERE fa.person_id != ta.person_id AND {_NOT_BOT.format(column="fa.person_id")}
              AND {_NOT_BOT.format(column="ta.person_id")})
        SELECT fp.name, tp.name, sum(label = 'agree'), sum(label = 'disagree'), sum(label = 'mixed'),
               sum(label = 'neutral')
        FROM named JOIN people fp ON fp.person_id = named.source JOIN people tp ON tp.person_id = named.target
        GROUP BY named.source, named.target ORDER BY named.source, named.target""",
}
REFERENCE["behaviours_by_month"] = f"""
        SELECT substr(m.date, 1, 7) AS month, n.target, count(DISTINCT n.message_id)
        FROM ({_NAMED}) n JOIN messages m USING (message_id)
        WHERE m.date IS NOT NULL
        GROUP BY month, n.target ORDER BY month, n.target"""
COLUMNS = {
    "behaviours_by_month": ["month", "behaviour", "messages"],
    "behaviours": ["behaviour", "disputes", "messages", "threads", "people", "last"],
    "people": ["person", "messages", "threads", "claims", "disputes"],
    "interactions": ["from", "to", "agree", "disagree", "mixed", "neutral"],
}


def reference(connection: sqlite3.Connection, view: str, scope: tuple[str, ...] | None,
              bots: tuple[str, ...]) -> pd.DataFrame:
    params = {"scope": None if scope is None else json.dumps(list(scope)), "bots": json.dumps(list(bots))}
    rows = connection.execute(REFERENCE[view], params).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS[view])


def totals(connection: sqlite3.Connection, view: str, scope: tuple[str, ...] | None,
           bots: tuple[str, ...]) -> pd.DataFrame:
    if view == "interactions":
        everyone = queries.interactions(connection, scope, bots, people=100_000)
        return everyone.sort_values(["from", "to"]).reset_index(drop=True)
    if view == "behaviours_by_month":
        named = [r[0] for r in connection.execute("SELECT DISTINCT target FROM mentions WHERE kind = 'behaviour'")]
        return queries.behaviours_by_month(connection, scope, named)
    page = getattr(queries, view)(connection, scope, bots, limit=100_000)
    assert page.total == len(page.rows)
    rows = page.rows.copy()
    if view == "behaviours":
        rows["last"] = rows["last"].map(lambda d: None if pd.isna(d) else d)
    return rows


def assert_same_as_reference(connection: sqlite3.Connection, scopes: list[tuple[str, ...] | None]) -> None:
    bots = tuple(queries.automated_people(connection))
    for scope in scopes:
        for view in REFERENCE:
            expected = reference(connection, view, scope, bots)
            if view == "behaviours":
                expected["last"] = pd.to_datetime(expected["last"], utc=True, errors="coerce", format="ISO8601")
                expected["last"] = expected["last"].map(lambda d: None if pd.isna(d) else d)
            if view == "interactions":
                expected = expected.sort_values(["from", "to"]).reset_index(drop=True)
            if view == "behaviours_by_month":
                expected["month"] = pd.to_datetime(expected["month"] + "-01", utc=True, format="ISO8601")
            pd.testing.assert_frame_equal(totals(connection, view, scope, bots), expected, check_dtype=False)


def _scopes(connection: sqlite3.Connection) -> list[tuple[str, ...] | None]:
    debated = tuple(r[0] for r in connection.execute(
        "SELECT thread_id FROM relations WHERE label IN ('disagree', 'mixed') GROUP BY thread_id "
        "ORDER BY count(*) DESC, thread_id LIMIT 12"))
    return [None, debated, debated[:1]]


@pytest.fixture()
def store(real_store: Path, tmp_path: Path) -> Iterator[Store]:
    """A copy of the real store to change."""
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(real_store), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    with Store.open(copy) as opened:
        yield opened


def test_totals_equal_the_full_table_sql_on_the_real_store(real_store: Path) -> None:
    connection = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    assert connection.execute("SELECT count(*) FROM thread_behaviour_totals").fetchone()[0] > 0
    assert connection.execute("SELECT count(*) FROM thread_reply_totals").fetchone()[0] > 0
    assert_same_as_reference(connection, _scopes(connection))


def test_a_thread_analysed_again_or_forgotten_keeps_the_totals_right(store: Store) -> None:
    connection = store.connection
    scopes = _scopes(connection)
    debated = scopes[1]
    assert debated
    thread_id = str(debated[0])
    analyses = load_analyses(store, [thread_id])
    thread = load_thread(store, thread_id)
    assert thread is not None and len(analyses) > 2
    before = totals(connection, "behaviours", (thread_id,), ())
    # analysed again with a different result: the later half of its messages now says nothing
    kept = [analyses[m] for m in thread.message_ids if m in analyses][: len(analyses) // 2]
    save_thread_analysis(store, ThreadAnalysis(thread_id, tuple(kept)), "changed")
    assert_same_as_reference(connection, scopes)
    assert not totals(connection, "behaviours", (thread_id,), ()).equals(before) or before.empty
    forget_threads(store, [thread_id])
    assert connection.execute("SELECT count(*) FROM thread_reply_totals WHERE thread_id = ?",
                              (thread_id,)).fetchone()[0] == 0
    assert_same_as_reference(connection, scopes)


def test_people_merged_by_a_structure_rebuild_keep_the_totals_right(store: Store, tmp_path: Path) -> None:
    connection = store.connection
    scopes = _scopes(connection)
    # the two people who exchanged most labelled replies become one: their replies to each
    # other leave who-answered-whom, their messages add up
    source, target = connection.execute(
        "SELECT source, target FROM thread_reply_totals GROUP BY source, target "
        "ORDER BY sum(agree + disagree + mixed + neutral) DESC LIMIT 1").fetchone()
    emails = {pid: connection.execute("SELECT email FROM person_addresses WHERE person_id = ? ORDER BY email LIMIT 1",
                                      (pid,)).fetchone()[0] for pid in (source, target)}
    aliases = tmp_path / "aliases"
    aliases.write_text(f"Merged Person <{emails[source]}> <{emails[target]}>\n")
    people_before = connection.execute("SELECT count(*) FROM people").fetchone()[0]
    rebuild_structure(store, aliases=aliases, segment=False)
    assert connection.execute("SELECT count(*) FROM people").fetchone()[0] == people_before - 1
    assert_same_as_reference(connection, scopes)


def test_refreshing_one_threads_totals_does_not_read_every_mention(tmp_path: Path) -> None:
    """Saving a thread's analysis refreshes its totals: the mentions are found by thread,
    not by reading every behaviour mention of the store (which made each save cost time
    in proportion to the store, quadratic over an `analyze` run)."""
    from analyzer.store import summaries

    with Store.open(tmp_path / "plan.db") as store:
        plans = [" | ".join(str(row[3]) for row in store.connection.execute(f"EXPLAIN QUERY PLAN {statement}",
                                                                              {"threads": '["t"]'}))
                 for statement in summaries._CHOSEN]
    reading_mentions = [plan for plan in plans if "mentions" in plan]
    assert reading_mentions and all("mentions_thread" in plan for plan in reading_mentions)
    assert not any("mentions_target" in plan for plan in plans)


def test_who_answered_whom_is_the_same_from_the_totals_and_from_the_argument_graph(real_store: Path) -> None:
    """The People page adds up the SQL totals; notebooks ask ``api.interaction_matrix`` of
    the argument graph. Both count one per (reply, answered message, label) between two
    different people, so on the same store they must agree pair for pair. (They did not:
    the graph kept one responds-to edge per pair of nodes, so a reply's blocks overwrote
    its rolled-up label, and it counted people answering themselves.)"""
    from collections import Counter

    from analyzer import api

    connection = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    sql = queries.interactions(connection, None, (), people=100_000)
    from_sql = Counter({(r["from"], r["to"], label): int(r[label]) for _, r in sql.iterrows()
                        for label in ("agree", "disagree", "mixed", "neutral") if r[label]})
    with api.open_store(real_store) as store:
        debate = api.load_debate(store)
    names = api.person_names(debate)
    from_graph = Counter({(names[i.source], names[i.target], label): count
                          for i in api.interaction_matrix(api.argument_graph(debate))
                          for label, count in (("agree", i.agree), ("disagree", i.disagree), ("mixed", i.mixed),
                                               ("neutral", i.neutral)) if count})
    assert sum(from_sql.values()) > 100 and {k[2] for k in from_sql} == {"agree", "disagree", "mixed", "neutral"}
    assert from_graph == from_sql


def test_the_confidence_cut_off_of_the_cross_thread_views_matches_the_debate_above_it(real_store: Path) -> None:
    """Above a cut-off the People, Behaviours and Decisions views count only the labels
    scored at or above it, as the Thread page and the reports do (``debate_above``): the
    SQL over the full tables must give what the debate cut at the same confidence gives,
    and, with nothing cut, what the per-thread totals give."""
    from collections import Counter

    from analyzer import api

    connection = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    lowest = min(connection.execute(f"SELECT min(confidence) FROM {t}").fetchone()[0]
                 for t in ("claims", "relations", "decisions", "mentions"))
    assert lowest > 1e-6
    targets = [r[0] for r in connection.execute("SELECT DISTINCT target FROM mentions WHERE kind = 'behaviour'")]
    for view in ("people", "interactions", "behaviours", "behaviours_by_month"):
        # the full-table SQL with a cut that hides nothing = the per-thread totals
        kwargs = {"limit": 10_000} if view in ("people", "behaviours") else {"people": 10_000}
        args: tuple[object, ...] = (connection, None, ())
        if view == "behaviours_by_month":
            kwargs, args = {}, (connection, None, targets)
        whole = getattr(queries, view)(*args, **kwargs)
        cut = getattr(queries, view)(*args, min_confidence=1e-6, **kwargs)
        if isinstance(whole, queries.Page):
            assert whole.total == cut.total > 0
        whole, cut = (x.rows if isinstance(x, queries.Page) else x for x in (whole, cut))
        assert len(whole) > 0
        pd.testing.assert_frame_equal(whole.reset_index(drop=True), cut.reset_index(drop=True), check_dtype=False)

    threshold = float(connection.execute(
        "SELECT confidence FROM relations ORDER BY confidence LIMIT 1 OFFSET (SELECT count(*) / 2 FROM relations)"
    ).fetchone()[0])
    with api.open_store(real_store) as store:
        debate = api.load_debate(store, min_confidence=threshold)
    names = api.person_names(debate)
    graph = api.argument_graph(debate)
    expected = Counter({(names[i.source], names[i.target], label): n for i in api.interaction_matrix(graph)
                        for label, n in (("agree", i.agree), ("disagree", i.disagree), ("mixed", i.mixed),
                                         ("neutral", i.neutral)) if n})
    frame = queries.interactions(connection, None, (), people=100_000, min_confidence=threshold)
    got = Counter({(r["from"], r["to"], label): int(r[label]) for _, r in frame.iterrows()
                   for label in ("agree", "disagree", "mixed", "neutral") if r[label]})
    everything = queries.interactions(connection, None, (), people=100_000)
    assert got == expected and 0 < sum(got.values()) < everything[["agree", "disagree", "mixed", "neutral"]].sum().sum()

    analyses = debate.analyses.values()
    decisions = queries.decisions(connection, None, limit=1, min_confidence=threshold)
    assert decisions.total == sum(len(a.decisions) for a in analyses)
    claims_by_person = Counter(names[debate.messages[a.message_id].author_id] for a in analyses for _ in a.claims)
    people = queries.people(connection, None, (), limit=100_000, min_confidence=threshold).rows
    assert {r.person: r.claims for r in people.itertuples() if r.claims} == dict(claims_by_person)
    named = Counter(target for target, _ in {(m.target, a.message_id) for a in analyses for m in a.mentions
                                             if m.kind == "behaviour"})
    behaviours = queries.behaviours(connection, None, (), limit=100_000, min_confidence=threshold).rows
    assert dict(zip(behaviours["behaviour"], behaviours["messages"])) == dict(named)


def test_the_sql_the_totals_are_refreshed_with_is_the_sql_the_cut_off_counts_with(real_store: Path) -> None:
    """One source: the rows each totals table holds are, row for row, what the same SQL
    gives with a cut-off that hides nothing (the dashboard's cut-off queries), and a real
    cut-off changes them."""
    from analyzer.store import summaries

    connection = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    every = "(:scope IS NULL OR {c} IN (SELECT value FROM json_each(:scope)))"
    threshold = float(connection.execute(
        "SELECT confidence FROM relations ORDER BY confidence LIMIT 1 OFFSET (SELECT count(*) / 2 FROM relations)"
    ).fetchone()[0])
    for table in (*summaries.TABLES, "thread_behaviour_months"):
        def rows(sql: str, cut: float) -> list[tuple[object, ...]]:
            return sorted(tuple(r) for r in connection.execute(sql, {"scope": None, "cut": cut}))

        stored = rows(f"SELECT * FROM {table}", 0.0)
        from_sql = f"WITH {summaries.totals_above(':cut', every)} SELECT * FROM {table}"
        assert stored and rows(from_sql, 1e-6) == stored, table
        if table in ("thread_reply_totals", "thread_people_totals", "thread_behaviour_totals"):
            # replies are cut here (the mentions of the real store score above this one)
            assert rows(from_sql, threshold) != stored, table


def test_the_overview_counts_and_outcomes_above_a_cut_off_are_the_debate_above_it(real_store: Path) -> None:
    """The Overview's claims, disputes, decision kinds and outcome of each thread: from the
    per-thread totals at 0, from the full tables above a cut-off, and in both cases what the
    debate cut at the same confidence (``debate_above``, the Thread page's view) gives."""
    from analyzer import api
    from analyzer.dashboard.digest import decision_events, outcome

    connection = sqlite3.connect(f"file:{real_store}?mode=ro", uri=True)
    threshold = float(connection.execute(
        "SELECT confidence FROM relations ORDER BY confidence LIMIT 1 OFFSET (SELECT count(*) / 2 FROM relations)"
    ).fetchone()[0])
    seen = {}
    for cut in (0.0, threshold):
        with api.open_store(real_store) as store:
            debate = api.load_debate(store, min_confidence=cut)
        expected = {}
        for thread in debate.threads:
            analyses = [debate.analyses[m] for m in thread.message_ids if m in debate.analyses]
            expected[thread.thread_id] = (
                sum(len(a.claims) for a in analyses),
                sum(1 for a in analyses for r in a.relations if r.quote_index is None and r.label in ("disagree", "mixed")),
                ", ".join(sorted({d.kind for a in analyses for d in a.decisions})),
                outcome(decision_events(debate, thread.thread_id)).kind,
            )
        page = queries.threads(connection, queries.ThreadQuery(min_confidence=cut), (), limit=100_000)
        assert page.total == len(page.rows) == len(expected)
        got = {r.thread_id: (r.claims, r.disputes, r.decisions, r.outcome) for r in page.rows.itertuples()}
        assert got == expected
        by_disputes = queries.threads(connection, queries.ThreadQuery(min_confidence=cut), (), order="disputes",
                                      limit=5).rows
        assert list(by_disputes["disputes"]) == sorted((e[1] for e in expected.values()), reverse=True)[:5]
        seen[cut] = got
    changed = [t for t in seen[0.0] if seen[0.0][t] != seen[threshold][t]]
    assert changed and any(seen[0.0][t][1] > seen[threshold][t][1] for t in changed)
    assert any(seen[0.0][t][3] != seen[threshold][t][3] for t in changed) or all(
        v[3] == "open" for v in seen[0.0].values())
