"""``analyzer catalogue``: grow the behaviour catalogue from a kernel checkout, and check
catalogue, taxonomy and linker-rule files.

``build`` reads three kinds of names from a kernel tree — x86 quirks (uapi kvm.h, with
their description from api.rst), KVM capabilities (uapi linux/kvm.h) and arm64 system
registers and their fields (arch/arm64/tools/sysreg) — and adds the ones the base
catalogue lacks. Existing entries are written back exactly as they were read.

The readers below are pure functions of the file text; the commands only read and write.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import yaml

from analyzer.analysis.catalogue import (
    PACKAGED_DATA,
    Behaviour,
    Catalogue,
    load_catalogue,
    load_link_rules,
    load_taxonomy,
)
from analyzer.cli.common import err, guarded, out
from analyzer.errors import ConfigError

commands = typer.Typer(
    help="Build the behaviour catalogue from a kernel tree, and check catalogue/taxonomy files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

QUIRK_HEADER = "arch/x86/include/uapi/asm/kvm.h"
API_DOC = "Documentation/virt/kvm/api.rst"
CAP_HEADER = "include/uapi/linux/kvm.h"
SYSREG = "arch/arm64/tools/sysreg"

_QUIRK = re.compile(r"^#define\s+(KVM_X86_QUIRK_\w+)\s+\(\s*1\s*<<\s*(\d+)\s*\)", re.MULTILINE)
_CAP = re.compile(r"^#define\s+(KVM_CAP_\w+)\s+(\d+)\b", re.MULTILINE)
_QUIRK_ROW = re.compile(r"^(KVM_X86_QUIRK_\w+)\s{2,}(\S.*)$")
_CONTINUATION = re.compile(r"^\s{8,}(\S.*)$")
_FIELD_LINE = re.compile(r"^(?:Field|Enum|UnsignedEnum|SignedEnum)\s+\d+(?::\d+)?\s+(\w+)\s*$")
# Which architecture a capability belongs to, read from the words of its name.
_CAP_ARCH = (
    ("arm64", ("ARM", "ARM64")),
    ("x86", ("X86", "X2APIC", "HYPERV", "XEN", "SGX", "SEV", "TDX", "VMX", "SVM", "PIT", "IOAPIC", "SPLIT")),
    ("s390", ("S390",)),
    ("powerpc", ("PPC", "SPAPR")),
    ("riscv", ("RISCV",)),
    ("loongarch", ("LOONGARCH",)),
    ("mips", ("MIPS",)),
)


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """What ``build`` would add to the base catalogue, and what it left out and why."""

    additions: tuple[Behaviour, ...]
    skipped: tuple[tuple[str, str], ...]


# ---------------------------------------------------------------- readers (pure)


def quirks_from_header(text: str, summaries: dict[str, str] | None = None) -> list[Behaviour]:
    """``#define KVM_X86_QUIRK_X (1 << n)`` lines of the x86 uapi kvm.h."""
    summaries = summaries or {}
    return [
        Behaviour(
            id=name,
            kind="quirk",
            arch="x86",
            aliases=(name.removeprefix("KVM_X86_QUIRK_"),),
            summary=summaries.get(name, ""),
            source=f"{API_DOC}; {QUIRK_HEADER}" if name in summaries else QUIRK_HEADER,
            bit=int(bit),
            value=f"1 << {bit}",
        )
        for name, bit in _QUIRK.findall(text)
    ]


def quirk_summaries_from_api(text: str) -> dict[str, str]:
    """First sentence of each quirk's row in api.rst's KVM_CAP_DISABLE_QUIRKS2 table."""
    summaries: dict[str, str] = {}
    current: str | None = None
    words: list[str] = []
    for line in [*text.splitlines(), ""]:
        row, more = _QUIRK_ROW.match(line), _CONTINUATION.match(line)
        if current and more and not row:
            words.append(more.group(1))
            continue
        if current:
            summaries[current] = _first_sentence(" ".join(words))
        current, words = (row.group(1), [row.group(2)]) if row else (None, [])
    return summaries


def capabilities_from_header(text: str) -> list[Behaviour]:
    """``#define KVM_CAP_X n`` lines of include/uapi/linux/kvm.h."""
    found = []
    for name, number in _CAP.findall(text):
        stem = name.removeprefix("KVM_CAP_")
        found.append(
            Behaviour(
                id=name,
                kind="capability",
                arch=_capability_arch(stem),
                aliases=(stem,) if "_" in stem else (),
                summary=f"KVM capability number {number}.",
                source=CAP_HEADER,
            )
        )
    return found


def sysregs_from_file(text: str) -> list[Behaviour]:
    """Registers (``Sysreg NAME``) and their named fields (REG.FIELD) of arm64's sysreg
    file; ``Fields NAME`` lines borrow the fields of a ``SysregFields NAME`` block."""
    shared: dict[str, list[str]] = {}
    registers: list[tuple[str, list[str]]] = []
    block: list[str] | None = None
    for line in text.splitlines():
        words = line.split()
        if not words or line.startswith("#"):
            continue
        if words[0] == "Sysreg" and len(words) > 1:
            block = []
            registers.append((words[1], block))
        elif words[0] == "SysregFields" and len(words) > 1:
            block = shared.setdefault(words[1], [])
        elif words[0] in ("EndSysreg", "EndSysregFields"):
            block = None
        elif block is not None and words[0] == "Fields" and len(words) > 1:
            block.extend(shared.get(words[1], []))
        elif block is not None and (field := _FIELD_LINE.match(line.strip())):
            block.append(field.group(1))
    return [entry for name, fields in registers for entry in _register_entries(name, fields)]


def _register_entries(name: str, fields: list[str]) -> Iterator[Behaviour]:
    yield Behaviour(id=name, kind="register", arch="arm64", source=SYSREG)
    for field in dict.fromkeys(fields):
        yield Behaviour(id=f"{name}.{field}", kind="register_field", arch="arm64", source=SYSREG)


def _capability_arch(stem: str) -> str:
    words = set(stem.split("_"))
    return next((arch for arch, marks in _CAP_ARCH if words & set(marks)), "generic")


def _first_sentence(text: str, limit: int = 300) -> str:
    sentence = re.split(r"(?<=[.;])\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------- planning (pure)


def plan_build(base: Catalogue, found: Iterable[Behaviour]) -> BuildPlan:
    """The entries of ``found`` that ``base`` lacks. A name the base already uses as an
    alias is left out, so that the linker keeps linking it to the entry it names now."""
    aliases = {alias: b.id for b in base for alias in b.aliases}
    additions: dict[str, Behaviour] = {}
    skipped: list[tuple[str, str]] = []
    for behaviour in found:
        if behaviour.id in base or behaviour.id in additions:
            continue
        if behaviour.id in aliases:
            skipped.append((behaviour.id, f"already an alias of {aliases[behaviour.id]}"))
            continue
        additions[behaviour.id] = behaviour
    return BuildPlan(tuple(additions.values()), tuple(skipped))


def read_kernel_tree(tree: Path) -> list[Behaviour]:
    """Every quirk, capability and arm64 system register named in a kernel checkout."""
    files = {rel: tree / rel for rel in (QUIRK_HEADER, API_DOC, CAP_HEADER, SYSREG)}
    present = {rel: path.read_text(encoding="utf-8", errors="replace") for rel, path in files.items() if path.is_file()}
    if not present:
        raise ConfigError(f"{tree}: not a kernel tree (none of {', '.join(files)} found)")
    summaries = quirk_summaries_from_api(present.get(API_DOC, ""))
    return [
        *quirks_from_header(present.get(QUIRK_HEADER, ""), summaries),
        *capabilities_from_header(present.get(CAP_HEADER, "")),
        *sysregs_from_file(present.get(SYSREG, "")),
    ]


def render_catalogue(base_text: str, additions: Iterable[Behaviour]) -> str:
    """The base catalogue file with the additions appended: the base's entries and header
    comments are dumped back as read, so nothing in them changes."""
    header = "".join(line for line in base_text.splitlines(keepends=True) if line.startswith("#"))
    raw: Any = yaml.safe_load(base_text)
    entries = list(raw["behaviours"] if isinstance(raw, dict) else raw)
    entries += [b.as_mapping() for b in additions]
    return header + str(yaml.safe_dump(entries, sort_keys=False, width=100, allow_unicode=True))


# ---------------------------------------------------------------- commands


@commands.command("build")
def build_command(
    kernel_tree: Annotated[Path, typer.Option("--kernel-tree", help="A Linux kernel checkout.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
    base: Annotated[
        Optional[Path], typer.Option("--base", help="Catalogue to extend (default: the packaged one).")
    ] = None,
) -> None:
    """Add the quirks, capabilities and arm64 system registers of a kernel tree that the
    base catalogue lacks; existing entries are kept as they are."""

    def run() -> tuple[str, BuildPlan]:
        catalogue = load_catalogue(base)
        plan = plan_build(catalogue, read_kernel_tree(kernel_tree))
        base_text = (base or PACKAGED_DATA / "behaviours.yaml").read_text(encoding="utf-8")
        return render_catalogue(base_text, plan.additions), plan

    text, plan = guarded(run)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    kinds: dict[str, int] = {}
    for behaviour in plan.additions:
        kinds[behaviour.kind] = kinds.get(behaviour.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "nothing new"
    err.print(f"added {len(plan.additions)} entries ({summary}); skipped {len(plan.skipped)}", highlight=False)
    for name, reason in plan.skipped:
        err.print(f"  skipped {name}: {reason}", highlight=False)


@commands.command("check")
def check_command(
    catalogue: Annotated[Optional[Path], typer.Option("--catalogue", help="Behaviour catalogue file.")] = None,
    taxonomy: Annotated[Optional[Path], typer.Option("--taxonomy", help="Position taxonomy file.")] = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="Behaviour-linker rules file.")] = None,
) -> None:
    """Validate a catalogue, taxonomy and linker-rules file (the packaged copy of any not
    given) and report names shared by several catalogue entries."""

    def run() -> list[str]:
        behaviours = load_catalogue(catalogue)
        positions = load_taxonomy(taxonomy)
        load_link_rules(rules)
        lines = [
            f"catalogue {behaviours.source}: {len(behaviours)} entries",
            f"taxonomy {positions.source}: {len(positions.positions)} positions, {len(positions.decisions)} decision kinds",
            "linker rules: valid",
        ]
        lines += [f"  note: {name!r} names {', '.join(ids)}" for name, ids in shared_names(behaviours).items()]
        return lines

    for line in guarded(run):
        out.print(line, highlight=False, markup=False)


def shared_names(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Names (ids or aliases, compared in lower case) that more than one entry uses."""
    owners: dict[str, list[str]] = {}
    for behaviour in catalogue:
        for name in dict.fromkeys(n.lower() for n in behaviour.names):
            owners.setdefault(name, []).append(behaviour.id)
    return {name: tuple(ids) for name, ids in sorted(owners.items()) if len(ids) > 1}


__all__ = [
    "BuildPlan",
    "capabilities_from_header",
    "commands",
    "plan_build",
    "quirk_summaries_from_api",
    "quirks_from_header",
    "read_kernel_tree",
    "render_catalogue",
    "shared_names",
    "sysregs_from_file",
]
