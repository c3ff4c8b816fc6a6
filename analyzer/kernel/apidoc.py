"""``Documentation/virt/kvm/api.rst``: its numbered sections (ioctls in chapter 4,
capabilities in chapters 6–8), the exit reasons documented in the kvm_run structure
(chapter 5) and the quirk table of KVM_CAP_DISABLE_QUIRKS2, as catalogue entries with
the first sentence of their documentation. Pure functions of the file text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from analyzer.analysis.catalogue import Behaviour, BehaviourKind

API_DOC = "Documentation/virt/kvm/api.rst"
_HEADING = re.compile(r"^(?P<number>\d+\.\d+)\s+(?P<title>\S.*?)\s*$")
_UNDERLINE = re.compile(r"^-{3,}\s*$")
_FIELD = re.compile(r"^:(?P<key>[A-Za-z ]+):\s*(?P<value>.*)$")
_RULE = re.compile(r"^(?:([=^~*+#-])\1{2,}\s*|::)$")
_NAME = re.compile(r"\bKVM_[A-Z0-9_]*[A-Z0-9]\b")
_EXIT_COMMENT = re.compile(r"^\s+/\*\s*(?P<names>KVM_EXIT_\w+(?:\s*/\s*KVM_EXIT_\w+)*)\s*\*/\s*$")
_QUIRK_ROW = re.compile(r"^\s?(?P<name>KVM_X86_QUIRK_\w+)\s{2,}(?P<text>\S.*)$")
_CONTINUATION = re.compile(r"^\s{8,}(?P<text>\S.*)$")
_ARCHES = {
    "x86": "x86",
    "arm64": "arm64",
    "arm": "arm64",
    "s390": "s390",
    "ppc": "powerpc",
    "powerpc": "powerpc",
    "mips": "mips",
    "riscv": "riscv",
    "loongarch": "loongarch",
}


@dataclass(frozen=True, slots=True)
class ApiSection:
    """One numbered section of api.rst: ``4.2 KVM_CREATE_VM`` and its field list."""

    number: str
    title: str
    names: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def chapter(self) -> int:
        return int(self.number.split(".")[0])

    @property
    def arch(self) -> str:
        """The one architecture the section's ``:Architectures:`` names, else ``generic``."""
        words = re.split(r"[\s,/]+", self.fields.get("Architectures", "").lower())
        arches = {_ARCHES[w] for w in words if w in _ARCHES}
        return arches.pop() if len(arches) == 1 else "generic"


def sections(text: str) -> list[ApiSection]:
    """Every numbered section (``N.M TITLE`` over a line of dashes) with the KVM_* names
    of its title, its ``:Field: value`` list and the first sentence of its prose."""
    lines = text.splitlines()
    starts = [
        (i, match)
        for i, line in enumerate(lines[:-1])
        if (match := _HEADING.match(line)) and _UNDERLINE.match(lines[i + 1])
    ]
    found = []
    for (i, match), end in zip(starts, [s for s, _ in starts[1:]] + [len(lines)]):
        body = lines[i + 2 : end]
        fields = _field_list(body)
        found.append(
            ApiSection(
                number=match["number"],
                title=match["title"],
                names=tuple(dict.fromkeys(_NAME.findall(match["title"]))),
                fields=fields,
                summary=first_sentence(" ".join(_first_paragraph(body))),
            )
        )
    return found


def _field_list(body: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in body:
        match = _FIELD.match(line)
        if match:
            fields.setdefault(match["key"].strip(), " ".join(match["value"].split()))
        elif line.strip() and fields:
            break
    return fields


def _first_paragraph(lines: list[str]) -> list[str]:
    """The first paragraph of prose: lines that are not fields, not indented (code or
    tables), not ``::``, not a label ("Errors:") and not a sub-heading with its rule."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip() and not line[0].isspace() and not _FIELD.match(line):
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return next((p for p in paragraphs if _is_prose(p)), [])


def _is_prose(paragraph: list[str]) -> bool:
    if not paragraph or any(_RULE.match(line) or line.startswith(("+", "|")) for line in paragraph):
        return False
    text = " ".join(paragraph)
    return len(text.split()) >= 3 and not text.endswith(":") and not text.startswith("..")


def section_entries(found: list[ApiSection], *, source: str = API_DOC) -> list[Behaviour]:
    """An entry for every name in a section title: ioctls in chapter 4, capabilities
    (KVM_CAP_*) wherever they are."""
    entries: dict[str, Behaviour] = {}
    for section in found:
        for name in section.names:
            kind = _section_kind(section, name)
            if kind is None or name in entries:
                continue
            entries[name] = Behaviour(
                id=name,
                kind=kind,
                arch=section.arch,
                summary=section.summary,
                source=f"{source} ({section.number} {section.title})",
            )
    return list(entries.values())


def _section_kind(section: ApiSection, name: str) -> BehaviourKind | None:
    if name.startswith("KVM_CAP_"):
        return "capability"
    if section.chapter == 4:
        return "ioctl"
    return None


def exit_summaries(text: str) -> dict[str, str]:
    """The first sentence that api.rst writes under each ``/* KVM_EXIT_* */`` member of
    the kvm_run union (the prose after its code block)."""
    lines = text.splitlines()
    summaries: dict[str, str] = {}
    for i, line in enumerate(lines):
        match = _EXIT_COMMENT.match(line)
        if match is None:
            continue
        words = _first_paragraph(list(_until_next_exit(lines, i + 1)))
        for name in re.split(r"\s*/\s*", match["names"]):
            summaries.setdefault(name, first_sentence(" ".join(words)))
    return summaries


def _until_next_exit(lines: list[str], start: int) -> Iterator[str]:
    for line in lines[start:]:
        if _EXIT_COMMENT.match(line) or _HEADING.match(line):
            return
        yield line


def quirk_summaries(text: str) -> dict[str, str]:
    """First sentence of each quirk's row in the KVM_CAP_DISABLE_QUIRKS2 table."""
    summaries: dict[str, str] = {}
    current: str | None = None
    words: list[str] = []
    for line in [*text.splitlines(), ""]:
        row, more = _QUIRK_ROW.match(line), _CONTINUATION.match(line)
        if current and more and not row:
            words.append(more["text"])
            continue
        if current:
            summaries[current] = first_sentence(" ".join(words))
        current, words = (row["name"], [row["text"]]) if row else (None, [])
    return summaries


def first_sentence(text: str, limit: int = 300) -> str:
    """The first sentence of a paragraph (cut at ``limit`` characters with an ellipsis)."""
    sentence = re.split(r"(?<=[.;])\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


__all__ = [
    "API_DOC",
    "ApiSection",
    "exit_summaries",
    "first_sentence",
    "quirk_summaries",
    "section_entries",
    "sections",
]
