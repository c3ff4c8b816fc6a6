"""Print the per-thread quality table of README.md / docs/analysis.md: `analyzer eval` on
every gold thread of ../shared/gold (or --gold DIR), as Markdown.

    .venv/bin/python benchmarks/gold_figures.py [--gold DIR] [--positions rules|model|both]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import app

GOLD = Path(__file__).resolve().parent.parent.parent / "shared" / "gold"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--positions", default="rules")
    args = parser.parse_args()
    print("| gold thread | messages | positions P / R / F1 | any-stance F1 | behaviours F1 | relations acc / macro-F1 | decisions F1 |")
    print("|---|---|---|---|---|---|---|")
    for gold in sorted(args.gold.glob("*.gold.jsonl")):
        name = gold.name.removesuffix(".gold.jsonl")
        result = CliRunner().invoke(app, ["eval", str(gold), "--mbox", str(gold.with_name(f"{name}.mbox")), "--json", "--positions", args.positions])
        if result.exit_code != 0:
            print(f"| {name} | error: {result.output.strip()} |")
            continue
        s = json.loads(result.stdout)
        messages = sum(1 for line in gold.read_text().splitlines() if line.strip())
        p = s["positions"]
        print(
            f"| {name} | {messages} | {p['precision']:.2f} / {p['recall']:.2f} / {p['f1']:.2f} | "
            f"{s['positions_any_stance']['f1']:.2f} | {s['behaviours']['f1']:.2f} | "
            f"{s['relations']['accuracy']:.2f} / {s['relations']['macro_f1']:.2f} | {s['decisions']['f1']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
