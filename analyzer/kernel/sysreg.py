"""arm64's ``arch/arm64/tools/sysreg``: every system register it describes (ID registers
included) and every named field, each field linked to its register (``part_of``).
A pure function of the file text.

The file is a sequence of blocks::

    Sysreg  ID_AA64PFR0_EL1  3 0 0 4 0      # name, op0 op1 CRn CRm op2
    UnsignedEnum 35:32 SVE                  # a field with named values…
        0b0000 NI
        0b0001 IMP
    EndEnum
    Res0 31:28                              # …reserved bits are no field
    Field 3:0 EL0
    EndSysreg

``SysregFields NAME`` … ``EndSysregFields`` describes a layout that several registers
share; ``Fields NAME`` inside a Sysreg block borrows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.analysis.catalogue import Behaviour

_FIELD = re.compile(r"^(?:Field|Enum|UnsignedEnum|SignedEnum)\s+(?P<bits>\d+(?::\d+)?)\s+(?P<name>\w+)$")
_VALUE = re.compile(r"^0b[01]+\s+(?P<name>\w+)$")
_ENCODING = re.compile(r"^\d+$")


@dataclass(slots=True)
class RegisterField:
    name: str
    bits: str
    values: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Register:
    name: str
    encoding: tuple[str, ...] = ()
    fields: list[RegisterField] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SysregProblem:
    """A line the reader could not place, kept so that a build can report it."""

    line: int
    text: str
    reason: str


def registers(text: str) -> tuple[list[Register], list[SysregProblem]]:
    """The Sysreg blocks of the file with their fields (shared layouts filled in), and the
    lines that did not fit the format (an unknown Fields layout, a field outside a block)."""
    shared: dict[str, list[RegisterField]] = {}
    found: list[Register] = []
    problems: list[SysregProblem] = []
    block: list[RegisterField] | None = None
    current: RegisterField | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if not words:
            continue
        head = words[0]
        if head in ("Sysreg", "SysregFields") and len(words) > 1:
            block, current = [], None
            if head == "Sysreg":
                encoding = tuple(w for w in words[2:7] if _ENCODING.match(w))
                found.append(Register(words[1], encoding if len(encoding) == 5 else (), block))
            else:
                shared[words[1]] = block
        elif head in ("EndSysreg", "EndSysregFields"):
            block, current = None, None
        elif head == "EndEnum":
            current = None
        elif block is None:
            problems.append(SysregProblem(number, raw, "outside a Sysreg block"))
        elif head == "Fields" and len(words) > 1:
            if words[1] in shared:
                block.extend(shared[words[1]])
            else:
                problems.append(SysregProblem(number, raw, f"unknown field layout {words[1]}"))
        elif match := _FIELD.match(line):
            current = RegisterField(match["name"], match["bits"])
            block.append(current)
        elif (value := _VALUE.match(line)) and current is not None:
            current.values.append(value["name"])
    return found, problems


def sysreg_entries(text: str, *, source: str) -> list[Behaviour]:
    """A ``register`` entry per Sysreg block, then a ``register_field`` entry per named
    field (``REG.FIELD``, ``part_of: REG``)."""
    entries: list[Behaviour] = []
    seen: set[str] = set()
    for register in registers(text)[0]:
        if register.name in seen:
            continue
        seen.add(register.name)
        entries.append(
            Behaviour(
                id=register.name,
                kind="register",
                arch="arm64",
                source=source,
                value=_encoding(register.encoding),
            )
        )
        for item in register.fields:
            ident = f"{register.name}.{item.name}"
            if ident in seen:
                continue
            seen.add(ident)
            entries.append(
                Behaviour(
                    id=ident,
                    kind="register_field",
                    arch="arm64",
                    summary=_field_summary(item),
                    source=source,
                    part_of=register.name,
                )
            )
    return entries


def _encoding(encoding: tuple[str, ...]) -> str | None:
    if len(encoding) != 5:
        return None
    op0, op1, crn, crm, op2 = encoding
    return f"S{op0}_{op1}_C{crn}_C{crm}_{op2}"


def _field_summary(item: RegisterField) -> str:
    bits = f"bit {item.bits}" if ":" not in item.bits else f"bits {item.bits}"
    values = f"; values {', '.join(item.values)}" if item.values else ""
    return f"Field at {bits}{values}."


__all__ = ["Register", "RegisterField", "SysregProblem", "registers", "sysreg_entries"]
