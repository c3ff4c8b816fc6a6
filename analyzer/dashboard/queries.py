"""The SQL behind the dashboard's cross-thread views: every count, ranking and monthly
aggregate is computed by SQLite over the analysis tables, a page of rows at a time, so a
page costs the same for 100 threads as for 10,000 and no message body is ever loaded.

Functions take an open ``sqlite3.Connection`` (the loaders open one per call) and return
frames or plain records. A *scope* is a tuple of thread ids, or None for every thread; it
is passed to SQLite as JSON and expanded with ``json_each``. Automated senders (see
:mod:`analyzer.dashboard.senders`) are left out of everything about people and listed
apart by :func:`automated_senders`.

``min_confidence`` (0–1, the pages' "Hide labels below confidence"): claims, reply
relations, decisions and behaviour mentions scored below it are left out of the counts,
as on the Thread page and in the reports. The aggregates add up the per-thread totals
(:mod:`analyzer.store.summaries`): at 0 the stored ones; above 0 the same rows worked out
from the full tables by the SQL the totals are refreshed with, given the cut-off
(:func:`_with_totals`), which costs more as the store grows (docs/benchmarks-dashboard.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from analyzer.dashboard import senders
from analyzer.dashboard.digest import DecisionEvent, Outcome, outcome
from analyzer.store import search as full_text
from analyzer.store import summaries

Scope = tuple[str, ...] | None
ThreadOrder = Literal["last", "disputes", "messages", "first"]
DISPUTED = ("disagree", "mixed")

_IN_SCOPE = "(:scope IS NULL OR {column} IN (SELECT value FROM json_each(:scope)))"
_NOT_BOT = "{column} NOT IN (SELECT value FROM json_each(:bots))"
_SCOPED = _IN_SCOPE.format(column="{c}")
"""The scope as :mod:`analyzer.store.summaries` takes a choice of threads."""


def _scope(scope: Scope) -> str | None:
    return None if scope is None else json.dumps(list(scope))


def _with_totals(min_confidence: float, *defined: str) -> str:
    """The ``WITH`` clause of a statement that adds up the per-thread totals: above a
    cut-off (``:cut``) the totals tables of the scope are put in place by their rows
    worked out from the full tables (:func:`analyzer.store.summaries.totals_above`), the
    SQL the totals themselves are refreshed with; ``defined`` follow."""
    found = [summaries.totals_above(":cut", _SCOPED)] if min_confidence > 0 else []
    found += defined
    return "WITH " + ",\n".join(found) if found else ""


def _frame(connection: sqlite3.Connection, sql: str, params: dict[str, object], columns: Sequence[str]) -> pd.DataFrame:
    rows = connection.execute(sql, params).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
    return frame


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a ranked listing, and how many rows the whole listing has."""

    rows: pd.DataFrame
    total: int
    offset: int = 0


# -- people and robots -----------------------------------------------------------------


def automated_people(connection: sqlite3.Connection) -> dict[str, str]:
    """person id -> name of every automated sender in the store."""
    addresses: dict[str, list[str]] = {}
    for person_id, email in connection.execute("SELECT person_id, email FROM person_addresses"):
        addresses.setdefault(person_id, []).append(email)
    return {
        person_id: name
        for person_id, name in connection.execute("SELECT person_id, name FROM people")
        if senders.is_automated(name, addresses.get(person_id, ()))
    }


def automated_senders(connection: sqlite3.Connection, bots: Sequence[str], scope: Scope = None) -> pd.DataFrame:
    """The automated senders with how many messages and threads they posted in."""
    sql = f"""
        SELECT p.name, (SELECT group_concat(email, ', ') FROM person_addresses pa WHERE pa.person_id = p.person_id),
               count(*), count(DISTINCT tm.thread_id), max(m.date)
        FROM message_authors a JOIN people p USING (person_id) JOIN messages m USING (message_id)
        JOIN thread_members tm USING (message_id)
        WHERE a.person_id IN (SELECT value FROM json_each(:bots)) AND {_IN_SCOPE.format(column="tm.thread_id")}
        GROUP BY p.person_id ORDER BY count(*) DESC"""
    frame = _frame(connection, sql, {"bots": json.dumps(list(bots)), "scope": _scope(scope)},
                   ["sender", "addresses", "messages", "threads", "last"])
    return _dates(frame, "last")


def person_choices(connection: sqlite3.Connection, bots: Sequence[str]) -> dict[str, str]:
    """person id -> "Name (N messages)" for pickers, most active first, robots left out."""
    rows = connection.execute(
        f"""SELECT p.person_id, p.name, count(*) FROM message_authors a JOIN people p USING (person_id)
            WHERE {_NOT_BOT.format(column="p.person_id")} GROUP BY p.person_id ORDER BY count(*) DESC, p.name""",
        {"bots": json.dumps(list(bots))},
    )
    return {pid: f"{name} ({n} messages)" for pid, name, n in rows}


# -- threads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """What the Overview asks for; empty fields keep every thread."""

    list_id: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    people: tuple[str, ...] = ()
    """Person ids, any of whom posted in the thread."""
    positions: tuple[str, ...] = ()
    behaviours: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    text: str = ""
    """A search (see :func:`fts_query`): threads with a matching message."""
    scope: Scope = None
    min_confidence: float = 0.0
    """Claims, replies, decisions and mentions scored below it neither count nor match."""


def _thread_where(query: ThreadQuery) -> tuple[str, dict[str, object]]:
    clauses = [_IN_SCOPE.format(column="t.thread_id")]
    params: dict[str, object] = {"scope": _scope(query.scope), "cut": query.min_confidence}
    if query.list_id:
        clauses.append("EXISTS (SELECT 1 FROM thread_members x JOIN message_lists l USING (message_id) "
                       "WHERE x.thread_id = t.thread_id AND l.list_id = :list_id)")
        params["list_id"] = query.list_id
    if query.since:
        clauses.append("t.last_date >= :since")
        params["since"] = query.since.isoformat()
    if query.until:
        clauses.append("t.first_date < :until")
        params["until"] = (query.until + dt.timedelta(days=1)).isoformat()
    for name, values, table, column in (("positions", query.positions, "claims", "position"),
                                        ("decisions", query.decisions, "decisions", "kind")):
        if values:
            clauses.append(f"EXISTS (SELECT 1 FROM {table} x WHERE x.thread_id = t.thread_id AND x.confidence >= :cut "
                           f"AND x.{column} IN (SELECT value FROM json_each(:{name})))")
            params[name] = json.dumps(list(values))
    if query.behaviours:
        clauses.append("EXISTS (SELECT 1 FROM mentions x WHERE x.thread_id = t.thread_id AND x.kind = 'behaviour' "
                       "AND x.confidence >= :cut AND x.target IN (SELECT value FROM json_each(:behaviours)))")
        params["behaviours"] = json.dumps(list(query.behaviours))
    if query.people:
        clauses.append("EXISTS (SELECT 1 FROM thread_members x JOIN message_authors a USING (message_id) "
                       "WHERE x.thread_id = t.thread_id AND a.person_id IN (SELECT value FROM json_each(:people)))")
        params["people"] = json.dumps(list(query.people))
    if query.text.strip():
        clauses.append(_matching_threads(query.text, params))
    return " AND ".join(clauses), params


def _matching_threads(text: str, params: dict[str, object]) -> str:
    """The condition that keeps threads with a message matching ``text`` (its parameters
    added to ``params``)."""
    compiled = full_text.compile_query(text)
    if compiled is None:  # only operators or punctuation: nothing to narrow by
        return "1"
    params |= full_text.match_params(compiled)
    return (f"t.thread_id IN (SELECT x.thread_id FROM {full_text.FROM} JOIN thread_members x USING (message_id) "
            f"WHERE {full_text.match_sql(compiled)})")


_ORDER: dict[str, str] = {
    "last": "t.last_date DESC",
    "first": "t.first_date DESC",
    "disputes": "disputes DESC, t.last_date DESC",
    "messages": "t.message_count DESC, t.last_date DESC",
}
THREAD_COLUMNS = ("thread_id", "subject", "first", "last", "messages", "participants", "claims", "disputes",
                  "decisions")


def threads(connection: sqlite3.Connection, query: ThreadQuery, bots: Sequence[str], *,
            order: ThreadOrder = "last", limit: int = 50, offset: int = 0) -> Page:
    """One page of threads matching ``query``: dates, messages, people who posted (robots
    left out), claims, disagreeing or mixed replies, the decision kinds taken and the
    outcome, counting only the labels scored at or above ``query.min_confidence``. The
    claims and disputes are the thread's per-person totals added up
    (:mod:`analyzer.store.summaries`; above a cut-off worked out from the full tables)."""
    where, params = _thread_where(query)
    params |= {"bots": json.dumps(list(bots)), "limit": limit, "offset": offset}
    # The page is chosen first (only the sort key worked out for every thread), then only
    # its rows get their counts: a late page costs about what the first one does.
    disputes = "(SELECT coalesce(sum(x.disputes), 0) FROM thread_people_totals x WHERE x.thread_id = t.thread_id)"
    page = f"""page AS (
            SELECT t.thread_id, row_number() OVER (ORDER BY {_ORDER[order]}, t.thread_id) AS n
            FROM (SELECT t.*, {disputes if order == "disputes" else "0"} AS disputes FROM threads t) t
            WHERE {where} ORDER BY n LIMIT :limit OFFSET :offset)"""
    sql = f"""
        {_with_totals(query.min_confidence, page)}
        SELECT t.thread_id, t.root_subject, t.first_date, t.last_date, t.message_count,
            (SELECT count(DISTINCT a.person_id) FROM thread_members x JOIN message_authors a USING (message_id)
             WHERE x.thread_id = t.thread_id AND {_NOT_BOT.format(column="a.person_id")}),
            (SELECT coalesce(sum(x.claims), 0) FROM thread_people_totals x WHERE x.thread_id = t.thread_id),
            {disputes},
            (SELECT group_concat(kind, ', ') FROM (SELECT DISTINCT kind FROM decisions d
             WHERE d.thread_id = t.thread_id AND d.confidence >= :cut ORDER BY kind))
        FROM page JOIN threads t ON t.thread_id = page.thread_id ORDER BY page.n"""
    frame = _dates(_frame(connection, sql, params, THREAD_COLUMNS), "first", "last")
    frame["decisions"] = frame["decisions"].fillna("")
    total = connection.execute(f"SELECT count(*) FROM threads t WHERE {where}", params).fetchone()[0]
    outcomes = thread_outcomes(connection, tuple(frame["thread_id"]), min_confidence=query.min_confidence)
    frame.insert(2, "outcome", [outcomes[t].kind for t in frame["thread_id"]])
    return Page(frame, int(total), offset)


def thread_labels(connection: sqlite3.Connection, thread_ids: Sequence[str]) -> dict[str, str]:
    """thread id -> "subject (N msgs, last YYYY-MM-DD)" for pickers, in the order given."""
    rows = connection.execute(
        "SELECT thread_id, root_subject, message_count, last_date FROM threads "
        "WHERE thread_id IN (SELECT value FROM json_each(?))", (json.dumps(list(thread_ids)),))
    found = {tid: f"{subject} ({n} msgs, last {(last or '')[:10]})" for tid, subject, n, last in rows}
    return {tid: found[tid] for tid in thread_ids if tid in found}


def recent_threads(connection: sqlite3.Connection, limit: int = 200) -> list[str]:
    """The most recently active threads, newest first."""
    rows = connection.execute("SELECT thread_id FROM threads ORDER BY last_date DESC, thread_id LIMIT ?", (limit,))
    return [r[0] for r in rows]


def resolve_thread(connection: sqlite3.Connection, ref: str) -> str | None:
    """The thread a thread id or any member's Message-ID names."""
    ref = ref.strip().strip("<>")
    row = connection.execute("SELECT thread_id FROM thread_members WHERE message_id = ?", (ref,)).fetchone()
    return None if row is None else str(row[0])


def default_thread(connection: sqlite3.Connection, bots: Sequence[str]) -> str | None:
    """The most recent active debate: the thread last written to among those where at
    least two people (robots aside) posted, someone argued a position and at least one
    reply disagreed or was mixed; the most recently active thread when none is a debate."""
    row = connection.execute(
        f"""SELECT t.thread_id FROM threads t
            WHERE EXISTS (SELECT 1 FROM relations r WHERE r.thread_id = t.thread_id AND r.quote_index IS NULL
                          AND r.label IN ('disagree', 'mixed'))
              AND EXISTS (SELECT 1 FROM claims c WHERE c.thread_id = t.thread_id)
              AND (SELECT count(DISTINCT a.person_id) FROM thread_members x JOIN message_authors a USING (message_id)
                   WHERE x.thread_id = t.thread_id AND {_NOT_BOT.format(column="a.person_id")}) >= 2
            ORDER BY t.last_date DESC, t.thread_id LIMIT 1""",
        {"bots": json.dumps(list(bots))},
    ).fetchone()
    if row is None:
        row = connection.execute("SELECT thread_id FROM threads ORDER BY last_date DESC, thread_id LIMIT 1").fetchone()
    return None if row is None else str(row[0])


# -- decisions and outcomes --------------------------------------------------------------

_ACTOR = """coalesce(
    (SELECT name FROM people WHERE person_id = d.actor),
    (SELECT p.name FROM person_addresses pa JOIN people p USING (person_id) WHERE pa.email = lower(d.actor) LIMIT 1),
    (SELECT name FROM people WHERE lower(name) = lower(d.actor) AND d.actor != '' LIMIT 1),
    (SELECT p.name FROM message_authors a JOIN people p USING (person_id) WHERE a.message_id = d.message_id),
    d.actor)"""


def thread_outcomes(connection: sqlite3.Connection, thread_ids: Sequence[str], *,
                    min_confidence: float = 0.0) -> dict[str, Outcome]:
    """The outcome (:func:`analyzer.dashboard.digest.outcome`) of each given thread, from
    its decisions scored at or above ``min_confidence``."""
    events: dict[str, list[DecisionEvent]] = {tid: [] for tid in thread_ids}
    rows = connection.execute(
        f"""SELECT d.thread_id, d.kind, coalesce(d.date, m.date), {_ACTOR}, d.message_id, d.evidence
            FROM decisions d JOIN messages m USING (message_id)
            WHERE d.thread_id IN (SELECT value FROM json_each(?)) AND d.confidence >= ?""",
        (json.dumps(list(thread_ids)), min_confidence),
    )
    for thread_id, kind, date, actor, message_id, evidence in rows:
        events[thread_id].append(DecisionEvent(kind, date, actor, message_id, evidence))
    return {tid: outcome(found) for tid, found in events.items()}


DECISION_COLUMNS = ("date", "kind", "actor", "thread", "evidence", "message_id", "thread_id")


def _decision_where(scope: Scope, kinds: Sequence[str], behaviour: str | None,
                    min_confidence: float = 0.0) -> tuple[str, dict[str, object]]:
    clauses = [_IN_SCOPE.format(column="d.thread_id"), "d.confidence >= :cut"]
    params: dict[str, object] = {"scope": _scope(scope), "cut": min_confidence}
    if kinds:
        clauses.append("d.kind IN (SELECT value FROM json_each(:kinds))")
        params["kinds"] = json.dumps(list(kinds))
    if behaviour:
        clauses.append("d.thread_id IN (SELECT thread_id FROM mentions WHERE kind = 'behaviour' AND target = :behaviour "
                       "AND confidence >= :cut)")
        params["behaviour"] = behaviour
    return " AND ".join(clauses), params


def decisions(connection: sqlite3.Connection, scope: Scope, *, kinds: Sequence[str] = (), behaviour: str | None = None,
              limit: int = 50, offset: int = 0, min_confidence: float = 0.0) -> Page:
    """One page of decisions, newest first, with who decided and the evidence sentence."""
    where, params = _decision_where(scope, kinds, behaviour, min_confidence)
    params |= {"limit": limit, "offset": offset}
    # The page is chosen first and only its rows get their actor's name worked out.
    sql = f"""
        WITH page AS (
            SELECT d.id, coalesce(d.date, m.date) AS date FROM decisions d JOIN messages m USING (message_id)
            WHERE {where} ORDER BY date DESC, d.id LIMIT :limit OFFSET :offset)
        SELECT page.date, d.kind, {_ACTOR}, t.root_subject, d.evidence, d.message_id, d.thread_id
        FROM page JOIN decisions d ON d.id = page.id JOIN threads t ON t.thread_id = d.thread_id
        ORDER BY page.date DESC, d.id"""
    frame = _dates(_frame(connection, sql, params, DECISION_COLUMNS), "date")
    total = connection.execute(f"SELECT count(*) FROM decisions d WHERE {where}", params).fetchone()[0]
    return Page(frame, int(total), offset)


def decisions_by_month(connection: sqlite3.Connection, scope: Scope, *, kinds: Sequence[str] = (),
                       min_confidence: float = 0.0) -> pd.DataFrame:
    """How many decisions of each kind were taken each month."""
    where, params = _decision_where(scope, kinds, None, min_confidence)
    sql = f"""
        SELECT substr(coalesce(d.date, m.date), 1, 7) AS month, d.kind, count(*)
        FROM decisions d JOIN messages m USING (message_id)
        WHERE {where} AND coalesce(d.date, m.date) IS NOT NULL GROUP BY month, d.kind ORDER BY month"""
    frame = _frame(connection, sql, params, ["month", "kind", "decisions"])
    frame["month"] = pd.to_datetime(frame["month"] + "-01", utc=True, format="ISO8601")
    return frame


def decision_kinds(connection: sqlite3.Connection) -> list[str]:
    return [r[0] for r in connection.execute("SELECT DISTINCT kind FROM decisions ORDER BY kind")]


# -- behaviours ----------------------------------------------------------------------------

_BEHAVIOUR_MESSAGES = summaries.named_sql(_SCOPED, cut=":cut")
"""(behaviour, message, thread) of the messages of the scope naming a behaviour at or above the cut-off."""


def behaviours(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], *, limit: int = 25,
               offset: int = 0, min_confidence: float = 0.0) -> Page:
    """One page of behaviours, most disputed first: messages and threads naming each,
    people who named it, and disagreeing or mixed replies made by or to those messages.
    Added up from the per-thread totals (:mod:`analyzer.store.summaries`)."""
    params: dict[str, object] = {"scope": _scope(scope), "bots": json.dumps(list(bots)), "limit": limit,
                                 "offset": offset, "cut": min_confidence}
    columns = ["behaviour", "disputes", "messages", "threads", "people", "last"]
    scoped = _IN_SCOPE.format(column="thread_id")
    counted = f"""counted AS (
        SELECT target, sum(disputes) AS disputes, sum(messages) AS messages, count(*) AS threads, max(last) AS last
        FROM thread_behaviour_totals WHERE {scoped} GROUP BY target
        ORDER BY disputes DESC, messages DESC, target LIMIT :limit OFFSET :offset)"""
    sql = f"""
        {_with_totals(min_confidence, counted)}
        SELECT c.target, c.disputes, c.messages, c.threads, coalesce(named.people, 0), c.last
        FROM counted c LEFT JOIN (
            SELECT target, count(DISTINCT person_id) AS people FROM thread_behaviour_people p
            WHERE p.target IN (SELECT target FROM counted) AND {_IN_SCOPE.format(column="p.thread_id")}
              AND {_NOT_BOT.format(column="p.person_id")}
            GROUP BY target) named ON named.target = c.target
        ORDER BY c.disputes DESC, c.messages DESC, c.target"""
    frame = _dates(_frame(connection, sql, params, columns), "last")
    # a behaviour is listed when a message of the scope names it (at or above the cut-off)
    named = "thread_behaviour_totals" if min_confidence <= 0 else f"({_BEHAVIOUR_MESSAGES})"
    total = connection.execute(f"SELECT count(DISTINCT target) FROM {named} WHERE {scoped}", params).fetchone()[0]
    return Page(frame, int(total), offset)


def behaviours_by_month(connection: sqlite3.Connection, scope: Scope, chosen: Sequence[str], *,
                        min_confidence: float = 0.0) -> pd.DataFrame:
    """How many messages named each of the ``chosen`` behaviours, month by month (added up
    from the per-thread monthly totals, :mod:`analyzer.store.summaries`)."""
    sql = f"""
        {_with_totals(min_confidence)}
        SELECT month, target, sum(messages) FROM thread_behaviour_months
        WHERE target IN (SELECT value FROM json_each(:chosen)) AND {_IN_SCOPE.format(column="thread_id")}
        GROUP BY month, target ORDER BY month, target"""
    frame = _frame(connection, sql, {"scope": _scope(scope), "chosen": json.dumps(list(chosen)), "cut": min_confidence},
                   ["month", "behaviour", "messages"])
    frame["month"] = pd.to_datetime(frame["month"] + "-01", utc=True, format="ISO8601")
    return frame


def behaviour_uses(connection: sqlite3.Connection, scope: Scope, behaviour: str, *, limit: int = 50,
                   offset: int = 0, min_confidence: float = 0.0) -> Page:
    """One page of the messages naming ``behaviour``, newest first."""
    params: dict[str, object] = {"scope": _scope(scope), "behaviour": behaviour, "limit": limit, "offset": offset,
                                 "cut": min_confidence}
    sql = f"""
        SELECT m.date, t.root_subject, coalesce(p.name, m.author_name),
               (SELECT group_concat(DISTINCT position) FROM claims c
                WHERE c.message_id = n.message_id AND c.confidence >= :cut),
               n.message_id, n.thread_id
        FROM ({_BEHAVIOUR_MESSAGES}) n JOIN messages m USING (message_id) JOIN threads t ON t.thread_id = n.thread_id
        LEFT JOIN message_authors a USING (message_id) LEFT JOIN people p USING (person_id)
        WHERE n.target = :behaviour ORDER BY m.date DESC LIMIT :limit OFFSET :offset"""
    frame = _dates(_frame(connection, sql, params, ["date", "thread", "author", "positions", "message_id", "thread_id"]),
                   "date")
    frame["positions"] = frame["positions"].fillna("")
    total = connection.execute(f"SELECT count(*) FROM ({_BEHAVIOUR_MESSAGES}) WHERE target = :behaviour",
                               params).fetchone()[0]
    return Page(frame, int(total), offset)


def facet_values(connection: sqlite3.Connection) -> dict[str, list[str]]:
    """The values the Overview's pickers offer: positions argued, behaviours named, lists."""
    def column(sql: str) -> list[str]:
        return [r[0] for r in connection.execute(sql)]

    return {
        "positions": column("SELECT DISTINCT position FROM claims ORDER BY 1"),
        "behaviours": column("SELECT DISTINCT target FROM mentions WHERE kind = 'behaviour' ORDER BY 1"),
        "decisions": column("SELECT DISTINCT kind FROM decisions ORDER BY 1"),
        "lists": column("SELECT DISTINCT list_id FROM message_lists ORDER BY 1"),
    }


# -- people ------------------------------------------------------------------------------


def _claim_sides(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], min_confidence: float) -> pd.DataFrame:
    sql = f"""
        SELECT p.person_id, p.name, c.position, sum(c.stance = 'for'), sum(c.stance = 'against')
        FROM claims c JOIN message_authors a USING (message_id) JOIN people p USING (person_id)
        WHERE {_IN_SCOPE.format(column="c.thread_id")} AND {_NOT_BOT.format(column="a.person_id")}
          AND c.confidence >= :cut
        GROUP BY p.person_id, c.position"""
    return _frame(connection, sql, {"scope": _scope(scope), "bots": json.dumps(list(bots)), "cut": min_confidence},
                  ["person_id", "person", "position", "for", "against"])


def position_matrix(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], *, people: int = 25,
                    min_confidence: float = 0.0) -> pd.DataFrame:
    """Person x position: claims for and against, for the ``people`` who made most claims."""
    sides = _claim_sides(connection, scope, bots, min_confidence)
    if sides.empty:
        return sides.assign(net=0)
    totals = (sides["for"] + sides["against"]).groupby(sides["person_id"]).sum().sort_values(ascending=False)
    top = set(totals.head(people).index)
    shown = sides[sides["person_id"].isin(top)].drop(columns=["person_id"]).reset_index(drop=True)
    return shown.assign(net=shown["for"] - shown["against"])


@dataclass(frozen=True, slots=True)
class CampRow:
    position: str
    supporters: tuple[str, ...]
    opponents: tuple[str, ...]
    divided: tuple[str, ...]
    people: int = field(default=0)


def camps(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], *, per_side: int = 8,
          min_confidence: float = 0.0) -> list[CampRow]:
    """Per position, who argued for it, against it, or both equally (most claims first,
    ``per_side`` names per side); positions with most people first."""
    sides = _claim_sides(connection, scope, bots, min_confidence)
    result = []
    for position, rows in sides.groupby("position"):
        ranked = rows.assign(total=rows["for"] + rows["against"]).sort_values(["total", "person"],
                                                                             ascending=[False, True])
        def side(mask: pd.Series) -> tuple[str, ...]:
            picked = ranked[mask]
            return tuple(f"{r.person} ({r.total})" for r in picked.head(per_side).itertuples())

        result.append(CampRow(str(position), side(ranked["for"] > ranked["against"]),
                              side(ranked["against"] > ranked["for"]), side(ranked["for"] == ranked["against"]),
                              len(ranked)))
    result.sort(key=lambda c: (-c.people, c.position))
    return result


def interactions(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], *, people: int = 15,
                 min_confidence: float = 0.0) -> pd.DataFrame:
    """Who answered whom and how (one count per reply, answered message and label), among
    the ``people`` who took part in most such exchanges. Added up from the per-thread
    totals (:mod:`analyzer.store.summaries`)."""
    sql = f"""
        {_with_totals(min_confidence)}
        SELECT fp.name, tp.name, sum(x.agree), sum(x.disagree), sum(x.mixed), sum(x.neutral), x.source, x.target
        FROM thread_reply_totals x JOIN people fp ON fp.person_id = x.source JOIN people tp ON tp.person_id = x.target
        WHERE {_IN_SCOPE.format(column="x.thread_id")} AND {_NOT_BOT.format(column="x.source")}
          AND {_NOT_BOT.format(column="x.target")}
        GROUP BY x.source, x.target"""
    frame = _frame(connection, sql, {"scope": _scope(scope), "bots": json.dumps(list(bots)), "cut": min_confidence},
                   ["from", "to", "agree", "disagree", "mixed", "neutral", "source", "target"])
    if frame.empty:
        return frame.drop(columns=["source", "target"])
    volume = frame.assign(n=frame[["agree", "disagree", "mixed", "neutral"]].sum(axis=1))
    activity = pd.concat([volume.groupby("source")["n"].sum(), volume.groupby("target")["n"].sum()]).groupby(level=0).sum()
    top = set(activity.sort_values(ascending=False).head(people).index)
    kept = frame[frame["source"].isin(top) & frame["target"].isin(top)]
    return kept.drop(columns=["source", "target"]).reset_index(drop=True)


def stance_by_month(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], *,
                    min_confidence: float = 0.0) -> pd.DataFrame:
    """Claims for and against each position, month by month."""
    sql = f"""
        SELECT substr(m.date, 1, 7) AS month, c.position, c.stance, count(*), count(DISTINCT a.person_id)
        FROM claims c JOIN messages m USING (message_id) JOIN message_authors a USING (message_id)
        WHERE {_IN_SCOPE.format(column="c.thread_id")} AND {_NOT_BOT.format(column="a.person_id")} AND m.date IS NOT NULL
          AND c.confidence >= :cut
        GROUP BY month, c.position, c.stance ORDER BY month"""
    frame = _frame(connection, sql, {"scope": _scope(scope), "bots": json.dumps(list(bots)), "cut": min_confidence},
                   ["month", "position", "stance", "claims", "people"])
    frame["month"] = pd.to_datetime(frame["month"] + "-01", utc=True, format="ISO8601")
    return frame


def people(connection: sqlite3.Connection, scope: Scope, bots: Sequence[str], *, limit: int = 25,
           offset: int = 0, min_confidence: float = 0.0) -> Page:
    """One page of the people who posted, most messages first: threads, claims, and the
    disagreeing or mixed replies they wrote. Added up from the per-thread totals
    (:mod:`analyzer.store.summaries`)."""
    params: dict[str, object] = {"scope": _scope(scope), "bots": json.dumps(list(bots)), "limit": limit,
                                 "offset": offset, "cut": min_confidence}
    posted = f"""SELECT person_id, sum(messages) AS messages, sum(messages > 0) AS threads, sum(claims) AS claims,
                        sum(disputes) AS disputes
        FROM thread_people_totals
        WHERE {_IN_SCOPE.format(column="thread_id")} AND {_NOT_BOT.format(column="person_id")}
        GROUP BY person_id HAVING sum(messages) > 0"""
    sql = f"""
        {_with_totals(min_confidence, f"posted AS ({posted} ORDER BY messages DESC, person_id LIMIT :limit OFFSET :offset)")}
        SELECT p.name, posted.messages, posted.threads, posted.claims, posted.disputes
        FROM posted JOIN people p USING (person_id) ORDER BY posted.messages DESC, p.person_id"""
    frame = _frame(connection, sql, params, ["person", "messages", "threads", "claims", "disputes"])
    # who posted does not depend on the cut-off (messages are not labels): the stored totals say
    total = connection.execute(f"SELECT count(*) FROM ({posted})", params).fetchone()[0]
    return Page(frame, int(total), offset)


# -- search ------------------------------------------------------------------------------

SEARCH_COLUMNS = ("date", "subject", "author", "snippet", "message_id", "thread_id")


def fts_query(text: str) -> str:
    """The FTS5 query the index is asked for ``text`` (see :mod:`analyzer.store.search`:
    bare terms are prefixes of words or of identifiers' parts, identifiers are then checked
    as written); empty when ``text`` asks for nothing."""
    compiled = full_text.compile_query(text)
    return "" if compiled is None else compiled.match


def search(connection: sqlite3.Connection, text: str, *, scope: Scope = None, limit: int = 25,
           offset: int = 0) -> Page:
    """One page of the messages matching ``text`` (best first) and the true number of hits;
    the same matching as ``analyzer search``."""
    params: dict[str, object] = {"scope": _scope(scope), "limit": limit, "offset": offset}
    hits = f"""FROM {full_text.FROM} JOIN thread_members tm USING (message_id)
        WHERE {{matched}} AND {_IN_SCOPE.format(column="tm.thread_id")}"""
    rows = full_text.run(connection, text, f"""
        SELECT m.date, m.subject, m.author_name, snippet(messages_fts, 2, '«', '»', '…', 14), m.message_id,
               tm.thread_id {hits} ORDER BY rank LIMIT :limit OFFSET :offset""", params)
    frame = _dates(pd.DataFrame([tuple(r) for r in rows], columns=list(SEARCH_COLUMNS)), "date")
    counted = full_text.run(connection, text, f"SELECT count(*) {hits}", params)
    return Page(frame, int(counted[0][0]) if counted else 0, offset)


# -- what could not be read -----------------------------------------------------------


def unread(connection: sqlite3.Connection, *, limit: int = 50) -> tuple[dict[str, int], Page]:
    """Messages not stored (rejections, by reason) and messages stored but not segmented or
    analysed (stage failures): their counts, and the first ``limit`` failures."""
    rejected = {str(r[0]): int(r[1]) for r in connection.execute("SELECT reason, count(*) FROM rejections GROUP BY reason")}
    total = int(connection.execute("SELECT count(*) FROM stage_failures").fetchone()[0])
    rows = _frame(
        connection,
        "SELECT stage, message_id, thread_id, reason, detail FROM stage_failures ORDER BY stage, message_id LIMIT :limit",
        {"limit": limit},
        ("stage", "message_id", "thread_id", "reason", "detail"),
    )
    return rejected, Page(rows, total)
