"""Whether two stores hold the same rows, table by table (for checking that a change to a
stage stores exactly what the earlier code stored, e.g. ``structure`` run by two versions
on copies of one ingested store).

    .venv/bin/python benchmarks/compare_stores.py before.db after.db [--skip message_names,...]

Prints each table's row count and whether it matches; exits 1 when one differs. Columns
that record when a row was written (``*_at``) and tables only one store has are reported,
not compared.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
from pathlib import Path


def tables(db: sqlite3.Connection) -> list[str]:
    return [
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not r[0].startswith(("messages_fts", "sqlite_"))
    ]


def digest(db: sqlite3.Connection, table: str) -> tuple[int, str]:
    """Row count and a digest of the sorted rows (time-of-writing columns left out)."""
    columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")') if not r[1].endswith("_at")]
    names = ", ".join(f'"{c}"' for c in columns)
    rows = sorted(repr(tuple(r)) for r in db.execute(f'SELECT {names} FROM "{table}"'))
    hashed = hashlib.sha256()
    for row in rows:
        hashed.update(row.encode())
    return len(rows), hashed.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--skip", default="", help="tables not to compare, comma-separated")
    options = parser.parse_args()
    skip = set(filter(None, options.skip.split(",")))
    a, b = sqlite3.connect(options.before), sqlite3.connect(options.after)
    different = 0
    for table in sorted(set(tables(a)) | set(tables(b))):
        if table in skip or table not in tables(a) or table not in tables(b):
            print(f"{table}: not compared ({'skipped' if table in skip else 'in one store only'})")
            continue
        left, right = digest(a, table), digest(b, table)
        same = left == right
        different += not same
        print(f"{table}: {left[0]} rows {'same' if same else f'DIFFERENT ({right[0]} rows after)'}")
    sys.exit(1 if different else 0)


if __name__ == "__main__":
    main()
