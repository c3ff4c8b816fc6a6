"""What a kernel subject line says: reply markers, ``[PATCH v3 2/7]`` prefixes, the title.

The bracket grammar is liblore's ``parse_patch_subject`` (kernel.org's library split out of
b4, already a dependency): it has the lore corpus's corner cases beaten out of it
(``[PATCHv3]``, ``[RFC][PATCH]``, nested or unbalanced brackets, ``Aw:``/``Re[2]:``
markers). This module only maps its result to the project's ``PatchSubject``.
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


def parse_subject(subject: str) -> PatchSubject:
    """``Re: [RFC PATCH v3 2/7] KVM: arm64: foo`` -> tags (PATCH, RFC), version 3, 2 of 7.

    A subject without a numbered counter has ``number``/``total`` None; ``0/n`` is a
    cover letter. The version is 1 unless the prefix says otherwise.
    """
    try:
        parsed = parse_patch_subject(subject)
    except HeaderParseError:
        # The subject is stored decoded; what still looks like an encoded word (a garbled
        # "=?utf-8?B?a?=") is text, so it is hidden from liblore's decoder and put back.
        parsed = parse_patch_subject(subject.replace("=?", _HIDDEN_MARK))
        parsed = dataclasses.replace(parsed, title=parsed.title.replace(_HIDDEN_MARK, "=?"))
    words = [word.strip("()") for word in parsed.prefixes if word.strip("()")]
    tags = ["PATCH"] if parsed.is_patch else []
    tags += [word.upper() for word in words if _is_tag(word)]
    targets = tuple(word for word in words if not _is_tag(word))
    return PatchSubject(
        base=" ".join(parsed.title.split()),
        tags=tuple(dict.fromkeys(tags)),
        version=parsed.version,
        number=None if parsed.counters_inferred else parsed.counter,
        total=None if parsed.counters_inferred else parsed.expected,
        is_reply=parsed.is_reply,
        targets=targets,
    )


def _is_tag(word: str) -> bool:
    return bool(_TAG.match(word)) or word.casefold() in _LOWER_CASE_TAGS


def series_key(subject: PatchSubject) -> str:
    """The title as versions of one series share it: case, spacing and a trailing period
    are not what a new version changes."""
    return " ".join(subject.base.casefold().split()).rstrip(".")
