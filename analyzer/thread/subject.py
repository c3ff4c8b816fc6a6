"""What a kernel subject line says: reply markers, ``[PATCH v3 2/7]`` prefixes, the title.

The bracket grammar is liblore's ``parse_patch_subject`` (kernel.org's library split out of
b4, already a dependency): it has the lore corpus's corner cases beaten out of it
(``[PATCHv3]``, ``[RFC][PATCH]``, nested or unbalanced brackets, ``Aw:``/``Re[2]:``
markers). Before it reads a subject, the forms it does not know are rewritten into ones
it does, as patchwork's ``parse_series_marker``/``clean_subject`` read them:

- prefix lists separated by commas, ``[net,v2,1/2]`` and ``[PATCH,RFC]`` (patchwork
  splits prefixes on commas and spaces alike);
- Mercurial's ``[PATCH 3 of 8]`` counter;
- an unbracketed ``PATCH1/8`` or ``PATCH v2 1/8:`` at the start of the subject;
- a version written at the end of the title, ``(v2)`` or ``[v2]``.

A bracketed counter without the word PATCH (``[net v2 1/2]``, ``[1/3]``, a build robot's
``[kvmarm:next 29/32]``) is read, but the subject is not tagged PATCH: whether such a
message is part of a posting is for its body to say (analyzer.thread.series).
"""

from __future__ import annotations

import dataclasses
import re
from email.errors import HeaderParseError

from liblore.series import parse_patch_subject

from analyzer.thread.records import PatchSubject

# Upper-case prefix words (RFC, RESEND, GIT PULL) are tags; others name a tree or project
# (kvm-unit-tests, net-next), except the two tags people also type in lower case.
_TAG = re.compile(r"^[A-Z][A-Z0-9_]*$")
_LOWER_CASE_TAGS = frozenset({"rfc", "resend"})
_HIDDEN_MARK = "\ufffe?"

# Reply markers (Re:, Aw:, Fwd:, Re[2]:) before the prefix, kept as written.
_LEAD = r"(?P<lead>(?:\s*(?:re|aw|sv|antw|fwd?)\s*(?:\[\d+\])?\s*:)*\s*)"
_BRACKETS = re.compile(_LEAD + r"(?P<brackets>(?:\[[^\[\]]*\]\s*)+)", re.IGNORECASE)
_BARE_COUNTER = re.compile(
    _LEAD + r"(?P<word>PATCH|RFC)\s*(?P<version>v\d+\s*)?(?P<n>\d+)\s*/\s*(?P<m>\d+)\s*:?\s", re.IGNORECASE
)
_N_OF_M = re.compile(r"\b(\d+)\s+of\s+(\d+)\b", re.IGNORECASE)
_TITLE_VERSION = re.compile(r"\s*[(\[]\s*v(\d+)\s*[)\]]\s*$", re.IGNORECASE)


def parse_subject(subject: str) -> PatchSubject:
    """``Re: [RFC PATCH v3 2/7] KVM: arm64: foo`` -> tags (PATCH, RFC), version 3, 2 of 7.

    A subject without a numbered counter has ``number``/``total`` None; ``0/n`` is a
    cover letter. The version is 1 unless the prefix or the end of the title says otherwise.
    """
    text = normalised(subject)
    try:
        parsed = parse_patch_subject(text)
    except HeaderParseError:
        # The subject is stored decoded; what still looks like an encoded word (a garbled
        # "=?utf-8?B?a?=") is text, so it is hidden from liblore's decoder and put back.
        parsed = parse_patch_subject(text.replace("=?", _HIDDEN_MARK))
        parsed = dataclasses.replace(parsed, title=parsed.title.replace(_HIDDEN_MARK, "=?"))
    words = [word.strip("()") for word in parsed.prefixes if word.strip("()")]
    numbered = not parsed.counters_inferred
    tags = ["PATCH"] if parsed.is_patch else []
    tags += [word.upper() for word in words if _is_tag(word)]
    targets = tuple(word for word in words if not _is_tag(word))
    title = " ".join(parsed.title.split())
    version = parsed.version
    trailing = _TITLE_VERSION.search(title)
    if trailing:
        version = max(version, int(trailing.group(1)))
        title = title[: trailing.start()].rstrip()
    return PatchSubject(
        base=title,
        tags=tuple(dict.fromkeys(tags)),
        version=version,
        number=parsed.counter if numbered else None,
        total=parsed.expected if numbered else None,
        is_reply=parsed.is_reply,
        targets=targets,
    )


def normalised(subject: str) -> str:
    """The subject with the prefix forms liblore does not read rewritten into ones it does:
    ``[net,v2,1/2]`` -> ``[net v2 1/2]``, ``[PATCH 3 of 8]`` -> ``[PATCH 3/8]``,
    ``PATCH1/8 foo`` -> ``[PATCH 1/8] foo``."""
    text = " ".join(subject.split())
    bare = _BARE_COUNTER.match(text)
    if bare:
        version = f" {bare.group('version').strip()}" if bare.group("version") else ""
        prefix = f"[{bare.group('word').upper()}{version} {bare.group('n')}/{bare.group('m')}] "
        return bare.group("lead") + prefix + text[bare.end() :]
    found = _BRACKETS.match(text)
    if not found:
        return text
    brackets = _N_OF_M.sub(r"\1/\2", found.group("brackets").replace(",", " "))
    return found.group("lead") + brackets + text[found.end() :]


def _is_tag(word: str) -> bool:
    return bool(_TAG.match(word)) or word.casefold() in _LOWER_CASE_TAGS


def series_key(subject: PatchSubject) -> str:
    """The title as versions of one series share it: case, spacing and a trailing period
    are not what a new version changes."""
    return " ".join(subject.base.casefold().split()).rstrip(".")
