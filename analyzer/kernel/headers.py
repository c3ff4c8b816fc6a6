"""uapi ``kvm.h`` headers: every ``#define KVM_…`` a VMM can name — capabilities, exit
reasons, quirks, ioctls, device attributes, flags and other constants — as catalogue
entries. Pure functions of the header text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from analyzer.analysis.catalogue import Behaviour, BehaviourKind

_DEFINE = re.compile(r"^#(?P<indent>\s*)define(?P<gap>\s+)(?P<name>\w+)(?P<args>\()?(?P<rest>.*)$")
_COMMENT = re.compile(r"/\*(?P<text>.*?)\*/|//(?P<line>.*)$")
_BIT = re.compile(r"^\(?\s*(?:1|0x1)U?L{0,2}\s*<<\s*(?P<bit>\d+)\s*\)?$|^_BITU?L{0,2}\(\s*(?P<bitfn>\d+)\s*\)$")
_IOCTL = re.compile(r"^_IO[RW]{0,2}\s*\(")
_NUMBER = re.compile(r"^(?:0x[0-9a-fA-F]+|\d+)U?L{0,2}$")
_SKIPPED_SUFFIXES = ("_SHIFT", "_MASK", "_H", "_H_")
# Which architecture a name of the generic header belongs to, read from its words.
_ARCH_WORDS = (
    ("arm64", ("ARM", "ARM64")),
    ("x86", ("X86", "X2APIC", "HYPERV", "XEN", "SGX", "SEV", "TDX", "VMX", "SVM", "PIT", "IOAPIC", "SPLIT", "MSR", "TSC")),
    ("s390", ("S390",)),
    ("powerpc", ("PPC", "SPAPR", "PAPR", "DCR", "OSI", "EPR")),
    ("riscv", ("RISCV",)),
    ("loongarch", ("LOONGARCH",)),
    ("mips", ("MIPS",)),
)
_FIRMWARE_WORDS = ("FW", "PSCI", "SMCCC", "BMAP")


@dataclass(frozen=True, slots=True)
class Define:
    """One object-like ``#define`` of a header: its name, value and trailing comment."""

    name: str
    value: str
    comment: str = ""
    indented: bool = False
    """Written ``#define   NAME`` (deeper than its neighbours): a member of the group above."""
    line: int = 0


def defines(text: str) -> list[Define]:
    """Every object-like ``#define`` of a C header (function-like macros left out),
    continuation lines joined. Lines that are no define are skipped."""
    found = []
    for number, line in _logical_lines(text):
        match = _DEFINE.match(line)
        if match is None or match["args"]:
            continue
        comments = [c["text"] or c["line"] or "" for c in _COMMENT.finditer(match["rest"])]
        value = " ".join(_COMMENT.sub(" ", match["rest"]).split("/*", 1)[0].split())
        indented = bool(match["indent"]) or match["gap"].startswith("  ")
        found.append(Define(match["name"], value, " ".join(" ".join(comments).split()), indented, number))
    return found


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        yield start, " ".join([*pending, line]) if pending else line
        pending = []
    if pending:
        yield start, " ".join(pending)


def exit_reasons(found: Iterable[Define]) -> set[str]:
    """The names of the run of ``KVM_EXIT_*`` defines that starts at KVM_EXIT_UNKNOWN and
    counts up: the exit reasons proper, not the sub-types written before or after them
    (KVM_EXIT_HYPERV_SYNIC = 1, KVM_EXIT_IO_IN = 0)."""
    names: set[str] = set()
    last: int | None = None
    for define in found:
        number = int(define.value, 0) if re.fullmatch(r"\d+|0x[0-9a-fA-F]+", define.value) else None
        if define.name == "KVM_EXIT_UNKNOWN":
            last = number
        elif last is not None and define.name.startswith("KVM_EXIT_") and number is not None and number > last:
            last = number
        else:
            last = None if not define.name.startswith("KVM_EXIT_") or last is None else None
        if last is not None:
            names.add(define.name)
    return names


def header_entries(text: str, *, source: str, arch: str | None = None) -> list[Behaviour]:
    """Catalogue entries for the ``KVM_*`` defines of one uapi header. ``arch``: the
    architecture of an ``arch/*/include/uapi/asm/kvm.h``; None for the generic header,
    whose names carry their architecture in their words (KVM_CAP_ARM_MTE, KVM_EXIT_S390_…)."""
    found = defines(text)
    exits = exit_reasons(found)
    entries: dict[str, Behaviour] = {}
    for define in found:
        if not _catalogued(define) or define.name in entries:
            continue
        kind = classify(define, arch=arch, exit_reasons=exits)
        entries[define.name] = Behaviour(
            id=define.name,
            kind=kind,
            arch=arch or name_arch(define.name),
            summary=_summary(define),
            source=source,
            bit=_bit(define.value),
            value=define.value or None,
        )
    return list(entries.values())


def _catalogued(define: Define) -> bool:
    name = define.name
    return name.startswith("KVM_") and bool(define.value) and not name.endswith(_SKIPPED_SUFFIXES)


def classify(define: Define, *, arch: str | None, exit_reasons: set[str]) -> BehaviourKind:
    """The catalogue kind of a define, from its name, value and layout."""
    name, value = define.name, define.value
    words = set(name.split("_"))
    if name.startswith("KVM_CAP_"):
        return "capability"
    if name.startswith("KVM_X86_QUIRK_"):
        return "quirk"
    if name in exit_reasons:
        return "exit_reason"
    if _IOCTL.match(value):
        return "ioctl"
    if name.startswith("KVM_REG_") and words & set(_FIRMWARE_WORDS):
        return "firmware_reg"
    if "GRP" in words or name.startswith("KVM_DEV_") or name.endswith("_CTRL") or define.indented:
        return "device_attr"
    if arch == "arm64" and name.startswith("KVM_ARM_VCPU_") and _NUMBER.match(value):
        return "vcpu_feature"
    if _BIT.match(value) or _power_of_two(value):
        return "flag"
    return "constant"


def name_arch(name: str) -> str:
    """The architecture a generic-header name belongs to, or ``generic``."""
    words = set(name.split("_"))
    return next((arch for arch, marks in _ARCH_WORDS if words & set(marks)), "generic")


def _bit(value: str) -> int | None:
    match = _BIT.match(value)
    if match is None:
        return None
    return int(match["bit"] or match["bitfn"])


def _power_of_two(value: str) -> bool:
    """A hex literal with a single bit set, written as a mask (0x00000002)."""
    if not value.lower().startswith("0x") or not _NUMBER.match(value):
        return False
    number = int(value.rstrip("uUlL"), 16)
    return number > 0 and number & (number - 1) == 0 and len(value) >= 6


def _summary(define: Define) -> str:
    if not define.comment:
        return ""
    text = define.comment.rstrip(".")
    return text[:1].upper() + text[1:] + "."


__all__ = ["Define", "classify", "defines", "exit_reasons", "header_entries", "name_arch"]
