"""Do the dashboard's cross-thread queries scale to 10,000 threads? Times every query of
``analyzer/dashboard/queries.py`` on a store of the real archive (1×) and on a copy where
every thread, message (without its body), author, claim, relation, decision and mention is
repeated ``--copies`` times under new ids (6× the real archive: about 10,400 threads and
128,000 messages), in the same run.

    .venv/bin/python benchmarks/bench_dashboard_scale.py --db /tmp/kvmarm.db [--copies 6]

Prints a Markdown table: seconds at 1× and at N×, and their ratio. What the pages fetch is
one page of rows, so a ratio well under N means the page stays usable as the archive grows.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analyzer.dashboard import queries

MARK = "#copy"
_COPIES = {
    "threads": ("thread_id", ["thread_id"]),
    "thread_members": ("thread_id", ["message_id", "thread_id", "parent_id"]),
    "message_authors": ("message_id", ["message_id"]),
    "message_lists": ("message_id", ["message_id"]),
    "claims": ("thread_id", ["thread_id", "message_id"]),
    "relations": ("thread_id", ["thread_id", "message_id", "to_message_id"]),
    "decisions": ("thread_id", ["thread_id", "message_id"]),
    "mentions": ("thread_id", ["thread_id", "message_id"]),
    "message_positions": ("thread_id", ["thread_id", "message_id"]),
    # the per-thread totals (analyzer/store/summaries.py), when the store has them
    "thread_behaviour_totals": ("thread_id", ["thread_id"]),
    "thread_behaviour_people": ("thread_id", ["thread_id"]),
    "thread_reply_totals": ("thread_id", ["thread_id"]),
    "thread_people_totals": ("thread_id", ["thread_id"]),
}


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def replicate(source: Path, target: Path, copies: int) -> None:
    shutil.copy(source, target)
    connection = sqlite3.connect(target)
    with connection:
        for k in range(1, copies):
            suffix = f"{MARK}{k}"
            _copy_messages(connection, suffix)
            for table, (key, renamed) in _COPIES.items():
                if not _columns(connection, table):
                    continue
                columns = [c for c in _columns(connection, table) if c != "id"]
                chosen = [f"{c} || :s" if c in renamed else f'"{c}"' for c in columns]
                connection.execute(
                    f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                    f"SELECT {', '.join(chosen)} FROM {table} WHERE instr({key}, :mark) = 0",
                    {"s": suffix, "mark": MARK},
                )
    connection.execute("ANALYZE")
    connection.close()


def _copy_messages(connection: sqlite3.Connection, suffix: str) -> None:
    columns = [c for c in _columns(connection, "messages") if c != "id"]
    chosen = ["message_id || :s" if c == "message_id" else "''" if c == "body" else f'"{c}"' for c in columns]
    connection.execute(
        f"INSERT INTO messages ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
        f"SELECT {', '.join(chosen)} FROM messages WHERE instr(message_id, :mark) = 0",
        {"s": suffix, "mark": MARK},
    )


def timed(run: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def suite(connection: sqlite3.Connection) -> dict[str, Callable[[], Any]]:
    bots = tuple(queries.automated_people(connection))
    top = queries.behaviours(connection, None, bots, limit=10)
    return {
        "threads, newest 50": lambda: queries.threads(connection, queries.ThreadQuery(), bots),
        "threads, most disputed 50": lambda: queries.threads(connection, queries.ThreadQuery(), bots, order="disputes"),
        "threads, page 20": lambda: queries.threads(connection, queries.ThreadQuery(), bots, offset=950),
        "default thread": lambda: queries.default_thread(connection, bots),
        "decisions, newest 50": lambda: queries.decisions(connection, None),
        "decisions by month": lambda: queries.decisions_by_month(connection, None),
        "behaviours, top 25": lambda: queries.behaviours(connection, None, bots),
        "behaviours by month (top 10)": lambda: queries.behaviours_by_month(connection, None,
                                                                            tuple(top.rows["behaviour"])),
        "people, top 25": lambda: queries.people(connection, None, bots),
        "position matrix": lambda: queries.position_matrix(connection, None, bots),
        "camps": lambda: queries.camps(connection, None, bots),
        "who answered whom": lambda: queries.interactions(connection, None, bots),
        "stances by month": lambda: queries.stance_by_month(connection, None, bots),
        "automated senders": lambda: queries.automated_senders(connection, bots),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=6)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=options.db.parent) as folder:
        scaled = Path(folder) / "scaled.db"
        replicate(options.db, scaled, options.copies)
        small, large = sqlite3.connect(options.db), sqlite3.connect(scaled)
        counts = [c.execute("SELECT count(*) FROM threads").fetchone()[0] for c in (small, large)]
        print(f"| query | {counts[0]} threads (s) | {counts[1]} threads (s) | ratio |")
        print("|---|---|---|---|")
        for (name, run_small), run_large in zip(suite(small).items(), suite(large).values()):
            a, b = timed(run_small), timed(run_large)
            print(f"| {name} | {a:.3f} | {b:.3f} | {b / a:.1f} |", flush=True)


if __name__ == "__main__":
    main()
