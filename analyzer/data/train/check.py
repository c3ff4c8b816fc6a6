"""Validate the synthetic training sets in this folder and print their label counts.

Run from the repository root: ``.venv/bin/python analyzer/data/train/check.py``.
Exits non-zero when a line does not parse, uses an id outside the taxonomy, a minimum count
is not met, or two examples are identical or near-identical.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

# The taxonomy is shared read-only data; the project may also carry a copy of its own.
TAXONOMY_CANDIDATES = (
    REPO / "analyzer" / "data" / "taxonomy.yaml",
    REPO.parent / "shared" / "taxonomy.yaml",
    Path("/work/shared/taxonomy.yaml"),
)
# Version 1 of the taxonomy, used only when no taxonomy file can be found (fresh clone
# without shared/): the ids are a fixed vocabulary, so the check stays meaningful.
FALLBACK_TAXONOMY: dict[str, Any] = {
    "positions": [{"id": i} for i in (
        "pin-previous-behaviour", "compatible-by-default", "bug-for-bug", "quirks-opt-out",
        "architecture-compliance", "userspace-configures", "evidence-required",
        "no-uapi-regression")],
    "stances": ["for", "against"],
    "relations": ["agree", "disagree", "mixed", "neutral"],
    "decisions": [{"id": i} for i in (
        "accepted", "rejected", "endorsed", "changes-requested", "policy-ruling", "withdrawn")],
}
ROLES = ("maintainer", "reviewer", "author")
MAINTAINER_ONLY = frozenset({"accepted", "policy-ruling"})
"""Decision kinds that, by the taxonomy's definitions, only a maintainer makes."""
MIN_PER_STANCE = 35
MIN_NO_POSITION = 400
MIN_PER_RELATION = 120
MIN_PER_DECISION = 40
MIN_NO_DECISION = 200
NEAR_DUPLICATE = 0.75
"""Jaccard similarity of word bigrams above which two examples count as near-duplicates."""


def load_taxonomy() -> tuple[dict[str, Any], str]:
    for path in TAXONOMY_CANDIDATES:
        if path.is_file():
            return yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
    return FALLBACK_TAXONOMY, "built-in version 1 ids"


def read_jsonl(path: Path, errors: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        errors.append(f"{path.name}: missing")
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{number}: not JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{path.name}:{number}: not an object")
            continue
        yield number, obj


def check_text(value: Any, where: str, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where}: empty or missing text")
        return ""
    words = len(value.split())
    if words < 1 or words > 90:
        errors.append(f"{where}: {words} words is outside 1..90")
    return value


def check_positions(tax: dict[str, Any], errors: list[str]) -> tuple[Counter[str], list[str]]:
    ids = {p["id"] for p in tax["positions"]}
    stances = set(tax["stances"])
    counts: Counter[str] = Counter()
    texts: list[str] = []
    for number, obj in read_jsonl(HERE / "positions.jsonl", errors):
        where = f"positions.jsonl:{number}"
        texts.append(check_text(obj.get("text"), where, errors))
        labels = obj.get("positions")
        if not isinstance(labels, list):
            errors.append(f"{where}: positions is not a list")
            continue
        if not labels:
            counts["(none)"] += 1
        if len(labels) > 1:
            counts["(several)"] += 1
        seen = set()
        for label in labels:
            pid, stance = label.get("position"), label.get("stance")
            if pid not in ids or stance not in stances:
                errors.append(f"{where}: bad label {label}")
            if pid in seen:
                errors.append(f"{where}: {pid} labelled twice")
            seen.add(pid)
            counts[f"{pid}/{stance}"] += 1
    for pid in sorted(ids):
        for stance in sorted(stances):
            if counts[f"{pid}/{stance}"] < MIN_PER_STANCE:
                errors.append(f"positions: {pid}/{stance} has {counts[f'{pid}/{stance}']}"
                              f" < {MIN_PER_STANCE}")
    if counts["(none)"] < MIN_NO_POSITION:
        errors.append(f"positions: {counts['(none)']} without position < {MIN_NO_POSITION}")
    return counts, texts


def check_relations(tax: dict[str, Any], errors: list[str]) -> tuple[Counter[str], list[str]]:
    labels = set(tax["relations"])
    counts: Counter[str] = Counter()
    texts: list[str] = []
    for number, obj in read_jsonl(HERE / "relations.jsonl", errors):
        where = f"relations.jsonl:{number}"
        quote = check_text(obj.get("quote"), where + " quote", errors)
        reply = check_text(obj.get("reply"), where + " reply", errors)
        texts.append(f"{quote}\n>>>\n{reply}")
        if obj.get("label") not in labels:
            errors.append(f"{where}: bad label {obj.get('label')!r}")
        counts[str(obj.get("label"))] += 1
    for label in sorted(labels):
        if counts[label] < MIN_PER_RELATION:
            errors.append(f"relations: {label} has {counts[label]} < {MIN_PER_RELATION}")
    return counts, texts


def check_decisions(tax: dict[str, Any], errors: list[str]) -> tuple[Counter[str], list[str]]:
    ids = {d["id"] for d in tax["decisions"]}
    counts: Counter[str] = Counter()
    texts: list[str] = []
    for number, obj in read_jsonl(HERE / "decisions.jsonl", errors):
        where = f"decisions.jsonl:{number}"
        texts.append(check_text(obj.get("text"), where, errors))
        kinds = obj.get("decisions")
        role = obj.get("role")
        if role not in ROLES:
            errors.append(f"{where}: bad role {role!r}")
        counts[f"role:{role}"] += 1
        if not isinstance(kinds, list) or len(set(kinds)) != len(kinds):
            errors.append(f"{where}: decisions must be a list without repeats")
            continue
        if not kinds:
            counts["(none)"] += 1
        for kind in kinds:
            if kind not in ids:
                errors.append(f"{where}: bad decision {kind!r}")
            if kind in MAINTAINER_ONLY and role != "maintainer":
                errors.append(f"{where}: {kind} from a {role}")
            counts[kind] += 1
    for kind in sorted(ids):
        if counts[kind] < MIN_PER_DECISION:
            errors.append(f"decisions: {kind} has {counts[kind]} < {MIN_PER_DECISION}")
    if counts["(none)"] < MIN_NO_DECISION:
        errors.append(f"decisions: {counts['(none)']} without decision < {MIN_NO_DECISION}")
    return counts, texts


def bigrams(text: str) -> frozenset[tuple[str, str]]:
    words = re.findall(r"[a-z0-9_]+", text.lower())
    return frozenset(zip(words, words[1:]))


def duplicates(name: str, texts: list[str], errors: list[str]) -> None:
    normalised = [" ".join(re.findall(r"[a-z0-9_]+", t.lower())) for t in texts]
    for text, count in Counter(normalised).items():
        if count > 1:
            errors.append(f"{name}: {count} copies of {text[:60]!r}")
    grams = [bigrams(t) for t in texts]
    for i, j in combinations(range(len(texts)), 2):
        a, b = grams[i], grams[j]
        if len(a) < 4 or len(b) < 4 or normalised[i] == normalised[j]:
            continue
        if len(a & b) / len(a | b) > NEAR_DUPLICATE:
            errors.append(f"{name}: near-duplicates #{i + 1} and #{j + 1}: {texts[i][:50]!r}")


def print_counts(title: str, counts: Counter[str]) -> None:
    print(f"{title}:")
    for key, value in sorted(counts.items()):
        print(f"  {key:40} {value}")


def main() -> int:
    taxonomy, source = load_taxonomy()
    print(f"taxonomy: {source}")
    errors: list[str] = []
    for name, check in (("positions", check_positions), ("relations", check_relations),
                        ("decisions", check_decisions)):
        counts, texts = check(taxonomy, errors)
        duplicates(name, texts, errors)
        print_counts(f"{name}.jsonl ({len(texts)} examples)", counts)
    for error in errors:
        print("ERROR", error, file=sys.stderr)
    print(f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
