"""Recognising a patch in a body: diffs (with hunk counting), diffstat, shortlog, the
``---`` separator and in-body git headers.

Hunk counting is what makes a posted patch end exactly where it ends: ``-- `` is a
removed line inside a hunk but the signature after the last one. Quoted diffs have lost
lines to the reviewer's scissors, so there any diff-shaped line continues the diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@+ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_DIFF_START = re.compile(
    r"^(?:diff --git \S|diff -[a-zA-Z]+ \S|GIT binary patch$|@@+ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@"
    r"|(?:literal|delta) \d+$)"
)
_DIFF_META = re.compile(
    r"^(?:diff |index [0-9a-f]+\.\.[0-9a-f]+|--- \S|\+\+\+ \S|new file mode|deleted file mode|similarity index"
    r"|dissimilarity index|rename (?:from|to) |copy (?:from|to) |old mode|new mode|Binary files|GIT binary patch"
    r"|literal \d|delta \d|Index: \S|={20,}$|RCS file: |retrieving revision |\\ No newline at end of file)"
)
# A CVS or Subversion diff opens with "Index: <file>" over a rule of "=" signs.
_INDEX = re.compile(r"^Index: \S")
_RULE = re.compile(r"^={20,}\s*$")
# git's base85 lines of a binary patch: a length character, then base85 data.
_BASE85 = re.compile(r"^[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]{5,}$")
_BINARY_START = re.compile(r"^(?:GIT binary patch|literal \d+|delta \d+)$")
_DIFFSTAT = re.compile(
    r"^\s*(?:\S.*?\s+\|\s+(?:\d+ ?\+*-*|Bin \d+ -> \d+ bytes)"
    r"|\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?"
    r"|(?:create|delete) mode \d{6} \S.*|rename \S.* \(\d+%\)|mode change \d{6} => \d{6} \S.*)\s*$"
)
_SHORTLOG_HEAD = re.compile(r"^\S.{0,80} \(\d+\):$")
_SCISSORS = re.compile(r"^\s*-*\s*(?:8<|>8)[\s-]*(?:8<|>8)?[\s-]*$")
_FORMAT_PATCH_FROM = re.compile(r"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$")
_GIT_HEADER = re.compile(r"^(?:From|Date|Subject|Message-I[dD]|Message-ID):\s")
_PATCH_METADATA = re.compile(r"^(?:base-commit|prerequisite-(?:patch-id|change-id|message-id)|change-id):\s+\S+\s*$")


def starts_diff(text: str, following: str | None) -> bool:
    """A unified or git diff, git's binary patch, or a CVS/Subversion ``Index:`` diff."""
    if text[:1] not in ("d", "@", "G", "-", "l", "I"):
        return False
    if _DIFF_START.match(text):
        return True
    if text[:1] == "I":
        return bool(_INDEX.match(text)) and following is not None and bool(_RULE.match(following))
    return text.startswith("--- ") and following is not None and following.startswith("+++ ")


def is_diffstat(text: str) -> bool:
    cheap = "|" in text or "changed" in text or "mode" in text or "rename" in text
    return cheap and bool(_DIFFSTAT.match(text))


def is_shortlog_head(text: str, following: str | None) -> bool:
    """``Jane Doe (3):`` above the indented subjects of a cover letter."""
    return (
        following is not None
        and following[:1] in (" ", "\t")
        and bool(following.strip())
        and bool(_SHORTLOG_HEAD.match(text))
    )


def is_separator(text: str) -> bool:
    """The ``---`` line between a commit message and its diffstat."""
    return text[:3] == "---" and text.rstrip() == "---"


def is_patch_furniture(text: str) -> bool:
    """Lines git format-patch and b4 write around a patch: scissors, the mbox-style
    ``From <sha>`` line, ``base-commit:``."""
    if "8<" in text or ">8" in text:
        return bool(_SCISSORS.match(text))
    if text.startswith("From "):
        return bool(_FORMAT_PATCH_FROM.match(text))
    return text[:1] in ("b", "p", "c") and bool(_PATCH_METADATA.match(text))


def is_git_header(text: str) -> bool:
    """``From:``/``Date:``/``Subject:`` written into the body above a commit message."""
    return text[:1] in ("F", "D", "S", "M") and bool(_GIT_HEADER.match(text))


@dataclass(slots=True)
class DiffCursor:
    """Where a diff being read stands: lines still owed to the current hunk."""

    lenient: bool = False
    """Quoted diffs: the reviewer cut lines, so hunk counts cannot be trusted."""
    old: int = 0
    new: int = 0
    binary: bool = False
    """Inside git's binary patch: base85 lines until a blank line."""

    def feed(self, text: str) -> bool:
        """Whether ``text`` continues the diff (and count it if so)."""
        if _BINARY_START.match(text):
            self.binary = True
            return True
        if self.binary:
            if _BASE85.match(text):
                return True
            self.binary = False
        hunk = _HUNK.match(text)
        if hunk:
            self.old = _count(hunk.group(1))
            self.new = _count(hunk.group(2))
            return True
        if self.old > 0 or self.new > 0:
            if self._hunk_line(text):
                return True
            if not self.lenient:
                return False
        if self.lenient:
            return self._diff_shaped(text)
        return bool(_DIFF_META.match(text))

    def _hunk_line(self, text: str) -> bool:
        first = text[:1]
        if first in (" ", ""):
            self.old -= 1
            self.new -= 1
        elif first == "-":
            self.old -= 1
        elif first == "+":
            self.new -= 1
        elif first != "\\":
            return False
        return True

    def _diff_shaped(self, text: str) -> bool:
        if text.rstrip() in ("--", "-- "):
            return False
        return not text.strip() or text[:1] in " +-\\\t" or bool(_DIFF_META.match(text))


def _count(group: str | None) -> int:
    return 1 if group is None else int(group)
