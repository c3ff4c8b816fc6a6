"""The catalogue as shipped: every entry read from the kernel source, merged with the
hand-curated entries and aliases. Pure: kernel files and curated catalogue in, entries out.

Alias policy (docs/catalogue.md): an entry read from the kernel gets no alias at all, only
its full identifier (``KVM_EXIT_ARM_NISV``, ``ID_AA64DFR0_EL1.PMUVer``), which names one
thing wherever it is written. Short spellings (``PMUVer``, ``NISV``, ``ONE_REG``) come only
from the curated file, where a person decided what they mean; a kernel name that the curated
file already uses as an alias of another entry stays that alias, so the linker keeps
linking it where it links it now.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.analysis.catalogue import Behaviour, Catalogue
from analyzer.kernel.apidoc import exit_summaries, quirk_summaries, section_entries, sections
from analyzer.kernel.headers import header_entries
from analyzer.kernel.selftests import ioctl_wrappers
from analyzer.kernel.source import API_DOC, GENERIC_HEADER, SYSREG, KernelFiles
from analyzer.kernel.sysreg import sysreg_entries

_FILLED = ("summary", "source", "bit", "value", "part_of")
"""Fields a curated entry takes from the kernel when it leaves them empty."""


@dataclass(frozen=True, slots=True)
class CatalogueBuild:
    """The merged catalogue, and what the merge left out or found doubtful."""

    entries: tuple[Behaviour, ...]
    kernel_entries: int
    """How many distinct names the kernel files gave."""
    added: int
    """How many entries came from the kernel alone (the curated file lacks them)."""
    skipped: tuple[tuple[str, str], ...] = ()
    """(kernel name, why it is no entry of its own)."""
    notes: tuple[str, ...] = ()
    """Curated short aliases that several kernel entries could also be called."""


def kernel_entries(files: KernelFiles) -> list[Behaviour]:
    """Every entry the kernel files give, one per name: header defines, api.rst sections
    and exit reasons, sysreg registers and fields. Where several files name the same
    thing, the documentation's summary and architecture win over the header's guesses."""
    api = files.files.get(API_DOC, "")
    documented = section_entries(sections(api)) if api else []
    described = exit_summaries(api) | quirk_summaries(api)
    found: list[Behaviour] = []
    if GENERIC_HEADER in files.files:
        found += header_entries(files.files[GENERIC_HEADER], source=GENERIC_HEADER)
    for arch, text in files.arch_headers().items():
        found += header_entries(text, source=f"arch/{arch}/include/uapi/asm/kvm.h", arch=arch)
    combined = _combine([*found, *documented])
    for name, summary in described.items():
        if name in combined and summary:
            combined[name] = dataclasses.replace(combined[name], summary=summary, source=_join(combined[name].source, API_DOC))
    entries = list(combined.values())
    if SYSREG in files.files:
        entries += [e for e in sysreg_entries(files.files[SYSREG], source=SYSREG) if e.id not in combined]
    return entries


def _combine(found: Iterable[Behaviour]) -> dict[str, Behaviour]:
    combined: dict[str, Behaviour] = {}
    for entry in found:
        known = combined.get(entry.id)
        if known is None:
            combined[entry.id] = entry
            continue
        from_doc = entry.source.startswith(API_DOC)
        combined[entry.id] = dataclasses.replace(
            known,
            arch=_arch(known, entry, from_doc),
            summary=(entry.summary or known.summary) if from_doc else (known.summary or entry.summary),
            source=_join(known.source, entry.source),
        )
    return combined


def _arch(known: Behaviour, other: Behaviour, from_doc: bool) -> str:
    if from_doc and other.arch != "generic":
        return other.arch
    if not from_doc and known.arch != other.arch and known.source != other.source:
        return "generic"  # defined by several architectures' headers
    return known.arch


def _join(first: str, second: str) -> str:
    parts = [p for p in (first, second) if p]
    if len(parts) == 2 and (parts[1] in parts[0] or parts[0].startswith(parts[1].split(" (")[0])):
        return parts[0]
    return "; ".join(dict.fromkeys(parts))


def with_code_names(entries: Iterable[Behaviour], files: KernelFiles, found: Iterable[Behaviour]) -> tuple[Behaviour, ...]:
    """``entries`` with the selftests' wrapper of each ioctl (``selftests.ioctl_wrappers``)
    as a code name of the entry that owns the ioctl's name: its own entry, or the curated
    entry it is an alias of (``vcpu_get_reg`` -> KVM_GET_ONE_REG -> KVM_SET_ONE_REG)."""
    entries = list(entries)
    ioctls = {b.id for b in found if b.kind == "ioctl"}
    owner = {name.upper(): e.id for e in entries for name in e.names}
    names: dict[str, list[str]] = {}
    for function, ioctl in ioctl_wrappers(files.files, ioctls).items():
        target = owner.get(ioctl.upper())
        if target is not None:
            names.setdefault(target, []).append(function)
    return tuple(
        dataclasses.replace(e, code_names=tuple(dict.fromkeys([*e.code_names, *names[e.id]]))) if e.id in names else e
        for e in entries
    )


def merge_catalogue(curated: Catalogue, found: Iterable[Behaviour]) -> CatalogueBuild:
    """Curated entries first (their fields win; empty ones are filled from the kernel),
    then every kernel entry the curated file lacks, with no alias (the policy above)."""
    found = list(found)
    by_id = {b.id: b for b in found}
    by_name = {b.id.lower(): b for b in found}
    alias_owner = {name.lower(): b.id for b in curated for name in b.aliases}
    alias_owner |= {b.id.lower(): b.id for b in curated}
    curated_ids = {b.id for b in curated}
    skipped = [
        (b.id, _skip_reason(b.id, alias_owner[b.id.lower()]))
        for b in found
        if b.id not in curated_ids and b.id.lower() in alias_owner
    ]
    gone = {name: alias_owner[name.lower()] for name, _ in skipped}
    merged = [_fill(entry, by_name.get(entry.id.lower()), curated_ids | by_id.keys(), gone) for entry in curated]
    added = [
        _fill(dataclasses.replace(b, aliases=()), None, curated_ids | by_id.keys(), gone)
        for b in found
        if b.id not in curated_ids and b.id not in gone
    ]
    notes = tuple(ambiguous_aliases(curated, found))
    return CatalogueBuild(tuple(merged + added), len(by_id), len(added), tuple(skipped), notes)


def _skip_reason(name: str, owner: str) -> str:
    if owner.lower() == name.lower():
        return f"curated as {owner} (same name, other case)"
    return f"already an alias of {owner}"


def _fill(entry: Behaviour, kernel: Behaviour | None, known: set[str] | frozenset[str], gone: dict[str, str]) -> Behaviour:
    changes = {key: getattr(kernel, key) for key in _FILLED if kernel and getattr(entry, key) in (None, "")}
    part_of = changes.get("part_of", entry.part_of)
    if part_of is not None:
        part_of = gone.get(part_of, part_of)
        changes["part_of"] = part_of if part_of in known and part_of != entry.id else None
    return dataclasses.replace(entry, **changes) if changes else entry


def ambiguous_aliases(curated: Catalogue, found: Iterable[Behaviour]) -> list[str]:
    """Curated aliases without a register prefix that are also the bare field name of
    more than one register field: the linker follows the curated entry, and the note says
    which others the word could mean (``PMUVer``: ID_AA64DFR0_EL1 and ID_DFR0_EL1…)."""
    by_field: dict[str, list[str]] = {}
    for entry in found:
        if entry.kind == "register_field" and "." in entry.id:
            by_field.setdefault(entry.id.rsplit(".", 1)[1].lower(), []).append(entry.id)
    notes = []
    for entry in curated:
        for alias in entry.aliases:
            owners = [o for o in by_field.get(alias.lower(), []) if o != entry.id]
            if "." not in alias and owners:
                notes.append(f"curated alias {alias!r} of {entry.id} is also the field name of {', '.join(owners)}")
    return notes


__all__ = ["CatalogueBuild", "ambiguous_aliases", "kernel_entries", "merge_catalogue", "with_code_names"]
