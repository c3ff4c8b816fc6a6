"""Per-thread totals behind the dashboard's cross-thread views: for each thread, how many
messages named each behaviour (and by whom, and how many disputing replies they drew),
who answered whom and how, and how much each person posted, claimed and disputed.

The Behaviours, People and who-answered-whom views add these rows up (a ``GROUP BY`` over
a few rows per thread) instead of scanning every mention, reply and author. Each thread's
rows are a function of the analysis, thread and author tables restricted to that thread,
written by :func:`refresh` in the same transaction as what they summarise: a thread's
analysis saved or forgotten (:mod:`analyzer.store.analysis`), or the threads and people
rebuilt (:mod:`analyzer.store.structure`, every thread). So the sums are, row for row,
what the same questions asked of the full tables give.

Each table's rows come from one ``SELECT`` (:func:`behaviour_totals_sql` and its
neighbours) over the threads chosen, with an optional confidence cut-off: :func:`refresh`
and the migrations insert them as they are, and the dashboard's views above a cut-off
read them, cut, in place of the tables (:func:`totals_above`).

SCHEMA is migration 8 of analyzer/store/schema.py and MONTHS migration 9 (how many messages
named each behaviour, per thread and month, for "Behaviours by month"); each fills its
tables from what the store already holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from analyzer.store.db import Store

_TABLES = """
CREATE TABLE thread_behaviour_totals (
    thread_id TEXT NOT NULL,
    target TEXT NOT NULL,
    messages INTEGER NOT NULL,
    disputes INTEGER NOT NULL,
    last TEXT,
    PRIMARY KEY (target, thread_id)
) WITHOUT ROWID;
CREATE INDEX thread_behaviour_totals_thread ON thread_behaviour_totals(thread_id);

CREATE TABLE thread_behaviour_people (
    thread_id TEXT NOT NULL,
    target TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (target, thread_id, person_id)
) WITHOUT ROWID;
CREATE INDEX thread_behaviour_people_thread ON thread_behaviour_people(thread_id);

CREATE TABLE thread_reply_totals (
    thread_id TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    agree INTEGER NOT NULL,
    disagree INTEGER NOT NULL,
    mixed INTEGER NOT NULL,
    neutral INTEGER NOT NULL,
    PRIMARY KEY (source, target, thread_id)
) WITHOUT ROWID;
CREATE INDEX thread_reply_totals_thread ON thread_reply_totals(thread_id);

CREATE TABLE thread_people_totals (
    thread_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    messages INTEGER NOT NULL,
    claims INTEGER NOT NULL,
    disputes INTEGER NOT NULL,
    PRIMARY KEY (person_id, thread_id)
) WITHOUT ROWID;
CREATE INDEX thread_people_totals_thread ON thread_people_totals(thread_id);
"""

TABLES = ("thread_behaviour_totals", "thread_behaviour_people", "thread_reply_totals", "thread_people_totals")
DISPUTING = "('disagree', 'mixed')"


def _above(column: str, cut: str | None) -> str:
    """`` AND column >= cut``, or nothing when no cut-off is asked for."""
    return "" if cut is None else f" AND {column} >= {cut}"


def named_sql(chosen: str, *, cut: str | None = None, by_thread: bool = False) -> str:
    """(behaviour, message, thread) for every message of the threads ``chosen`` that names
    a behaviour (scored at or above ``cut``, when given)."""
    kind = "+kind" if by_thread else "kind"
    return f"""SELECT DISTINCT target, message_id, thread_id FROM mentions
        WHERE {kind} = 'behaviour' AND {chosen.format(c="thread_id")}{_above("confidence", cut)}"""


def behaviour_totals_sql(chosen: str, *, cut: str | None = None, by_thread: bool = False) -> str:
    """The rows of ``thread_behaviour_totals`` for the threads ``chosen``."""
    disputing = f"r.quote_index IS NULL AND r.label IN {DISPUTING}{_above('r.confidence', cut)}"
    # added up rather than joined: SQLite scanned the disputed rows once per row named
    return f"""WITH named AS ({named_sql(chosen, cut=cut, by_thread=by_thread)})
        SELECT thread_id, target, sum(messages) AS messages, sum(disputes) AS disputes, max(last) AS last FROM (
            SELECT n.thread_id, n.target, count(DISTINCT n.message_id) AS messages, 0 AS disputes, max(m.date) AS last
            FROM named n JOIN messages m USING (message_id) GROUP BY n.thread_id, n.target
            UNION ALL
            SELECT thread_id, target, 0, count(*), NULL FROM (
                SELECT n.thread_id, n.target, r.id FROM named n JOIN relations r ON r.message_id = n.message_id
                WHERE {disputing}
                UNION
                SELECT n.thread_id, n.target, r.id FROM named n JOIN relations r ON r.to_message_id = n.message_id
                WHERE {disputing})
            GROUP BY thread_id, target)
        GROUP BY thread_id, target"""


def behaviour_people_sql(chosen: str, *, cut: str | None = None, by_thread: bool = False) -> str:
    """The rows of ``thread_behaviour_people`` for the threads ``chosen``."""
    return f"""SELECT DISTINCT n.thread_id AS thread_id, n.target AS target, a.person_id AS person_id
        FROM ({named_sql(chosen, cut=cut, by_thread=by_thread)}) n
        JOIN messages m USING (message_id) JOIN message_authors a USING (message_id)"""


def reply_totals_sql(chosen: str, *, cut: str | None = None) -> str:
    """The rows of ``thread_reply_totals`` for the threads ``chosen``."""
    return f"""WITH pairs AS (
            SELECT DISTINCT r.thread_id, r.message_id, r.to_message_id, r.label FROM relations r
            WHERE {chosen.format(c="r.thread_id")} AND r.label IN ('agree', 'disagree', 'mixed', 'neutral')
              {_above("r.confidence", cut)})
        SELECT pairs.thread_id AS thread_id, fa.person_id AS source, ta.person_id AS target,
               sum(label = 'agree') AS agree, sum(label = 'disagree') AS disagree, sum(label = 'mixed') AS mixed,
               sum(label = 'neutral') AS neutral
        FROM pairs JOIN message_authors fa ON fa.message_id = pairs.message_id
        JOIN message_authors ta ON ta.message_id = pairs.to_message_id
        WHERE fa.person_id != ta.person_id
        GROUP BY pairs.thread_id, fa.person_id, ta.person_id"""


def people_totals_sql(chosen: str, *, cut: str | None = None) -> str:
    """The rows of ``thread_people_totals`` for the threads ``chosen`` (messages are
    counted whatever the cut-off; claims and disputing replies at or above it)."""
    on = chosen.format
    return f"""SELECT thread_id, person_id, sum(messages) AS messages, sum(claims) AS claims,
               sum(disputes) AS disputes FROM (
            SELECT tm.thread_id, a.person_id, count(*) AS messages, 0 AS claims, 0 AS disputes
            FROM message_authors a JOIN thread_members tm USING (message_id) WHERE {on(c="tm.thread_id")}
            GROUP BY tm.thread_id, a.person_id
            UNION ALL
            SELECT c.thread_id, a.person_id, 0, count(*), 0
            FROM claims c JOIN message_authors a USING (message_id)
            WHERE {on(c="c.thread_id")}{_above("c.confidence", cut)}
            GROUP BY c.thread_id, a.person_id
            UNION ALL
            SELECT r.thread_id, a.person_id, 0, 0, count(*)
            FROM relations r JOIN message_authors a USING (message_id)
            WHERE {on(c="r.thread_id")} AND r.quote_index IS NULL AND r.label IN {DISPUTING}{_above("r.confidence", cut)}
            GROUP BY r.thread_id, a.person_id)
        GROUP BY thread_id, person_id"""


def behaviour_months_sql(chosen: str, *, cut: str | None = None, by_thread: bool = False) -> str:
    """The rows of ``thread_behaviour_months`` for the threads ``chosen``."""
    kind = "+n.kind" if by_thread else "n.kind"
    return f"""SELECT n.thread_id AS thread_id, n.target AS target, substr(m.date, 1, 7) AS month,
               count(DISTINCT n.message_id) AS messages
        FROM mentions n JOIN messages m USING (message_id)
        WHERE {kind} = 'behaviour' AND m.date IS NOT NULL AND {chosen.format(c="n.thread_id")}
          {_above("n.confidence", cut)}
        GROUP BY n.thread_id, n.target, substr(m.date, 1, 7)"""


def totals_above(cut: str, chosen: str) -> str:
    """The common table expressions that, in the ``WITH`` clause of a statement, put in
    place of every per-thread totals table its rows for the threads ``chosen`` worked out
    from the full tables with the labels scored below ``cut`` left out: a statement that
    adds up the totals then counts above a confidence cut-off as written. SQLite works
    out only those the statement reads, and only the rows its conditions keep where it
    can push them down."""
    return ",\n".join(f"{table} AS ({sql})" for table, sql in (
        ("thread_behaviour_totals", behaviour_totals_sql(chosen, cut=cut)),
        ("thread_behaviour_people", behaviour_people_sql(chosen, cut=cut)),
        ("thread_reply_totals", reply_totals_sql(chosen, cut=cut)),
        ("thread_people_totals", people_totals_sql(chosen, cut=cut)),
        ("thread_behaviour_months", behaviour_months_sql(chosen, cut=cut)),
    ))


def _refresh_sql(chosen: str, *, by_thread: bool = False) -> list[str]:
    """The statements that rebuild the rows of the threads ``chosen`` (an SQL condition on
    a thread id column, written ``{c}``). ``by_thread``: a few threads are chosen, so the
    mentions are looked up by thread; SQLite otherwise picks the (kind, target) index and
    reads every behaviour mention of the store for each thread saved (``+kind`` keeps it
    off that index), which made saving a thread's analysis cost time in proportion to the
    store (docs/scale.md)."""
    return [
        *(f"DELETE FROM {table} WHERE {chosen.format(c='thread_id')}" for table in TABLES),
        "INSERT INTO thread_behaviour_totals(thread_id, target, messages, disputes, last) "
        + behaviour_totals_sql(chosen, by_thread=by_thread),
        "INSERT INTO thread_behaviour_people(thread_id, target, person_id) "
        + behaviour_people_sql(chosen, by_thread=by_thread),
        "INSERT INTO thread_reply_totals(thread_id, source, target, agree, disagree, mixed, neutral) "
        + reply_totals_sql(chosen),
        "INSERT INTO thread_people_totals(thread_id, person_id, messages, claims, disputes) "
        + people_totals_sql(chosen),
    ]


# Keyed by what the views group by (behaviour, person, pair of people) so that adding up
# reads each key's rows in order; the thread index serves refresh and narrow scopes.
SCHEMA = _TABLES + "".join(statement + ";\n" for statement in _refresh_sql("1"))
"""Migration 8: the per-thread totals, filled from every thread already analysed."""


def _months_sql(chosen: str, *, by_thread: bool = False) -> list[str]:
    """Migration 9's statements for the threads ``chosen`` (as in :func:`_refresh_sql`)."""
    return [
        f"DELETE FROM thread_behaviour_months WHERE {chosen.format(c='thread_id')}",
        "INSERT INTO thread_behaviour_months(thread_id, target, month, messages) "
        + behaviour_months_sql(chosen, by_thread=by_thread),
    ]


MONTHS = """
CREATE TABLE thread_behaviour_months (
    thread_id TEXT NOT NULL,
    target TEXT NOT NULL,
    month TEXT NOT NULL,
    messages INTEGER NOT NULL,
    PRIMARY KEY (target, month, thread_id)
) WITHOUT ROWID;
CREATE INDEX thread_behaviour_months_thread ON thread_behaviour_months(thread_id);
""" + "".join(statement + ";\n" for statement in _months_sql("1"))
"""Migration 9: messages naming each behaviour per thread and month (``YYYY-MM``)."""

_CHOSEN = [*_refresh_sql("{c} IN (SELECT value FROM json_each(:threads))", by_thread=True),
           *_months_sql("{c} IN (SELECT value FROM json_each(:threads))", by_thread=True)]
_EVERY = [*_refresh_sql("1"), *_months_sql("1")]


def refresh(store: Store, thread_ids: Iterable[str] | None = None) -> None:
    """Rebuild the totals of ``thread_ids`` (every thread when None) from the tables they
    summarise. Runs inside the caller's transaction, so they change together."""
    if thread_ids is None:
        for statement in _EVERY:
            store.connection.execute(statement)
        return
    chosen = json.dumps(sorted(set(thread_ids)))
    for statement in _CHOSEN:
        store.connection.execute(statement, {"threads": chosen})
