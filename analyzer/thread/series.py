"""Patch series: group the patches of one posting, then link postings into versions.

The rules are b4's (``--rethread``, revisions) and patchwork's (``find_series``,
``find_cover_letter``), written for this project:

- A message is part of a posting when its subject is not a reply and it says it is a
  patch (``[PATCH …]``) or its body carries a diff; a bracketed counter without the word
  PATCH (``[net,v2,0/2]``) makes a cover letter, but a build robot's
  ``[tree:branch 29/32] warning`` without a diff is no patch. A ``[PATCH] …``
  subject that answers another message, carries no diff and heads no numbered patches is
  a comment whose author forgot the ``Re:``; a ``[GIT PULL]`` is not a posting.
- The numbered patches of one author, version and size in one thread are one posting.
  Patches sent without References land in a thread each; those of the same author,
  version and size posted within ``WINDOW`` of each other, with no counter twice, are
  joined into one posting (patchwork's 12-hour series window).
- A posting's root is its cover letter: the ``0/n`` message, or an unnumbered message
  without a diff that the numbered patches answer (a cover letter without ``0/n``); else
  its lowest-numbered patch.
- Postings are versions of one series when they share a ``Change-Id`` (b4 writes
  ``change-id:`` in the cover letter, Gerrit users carry one per patch), or the same
  author posts the same cover title, or — between different versions only — a patch
  with the same title (so a partial re-roll that re-sends two patches of five still
  links, while a maintainer's pull request reposting the same titles does not).
- Versions follow one another by date; each patch is superseded by the same-titled
  patch of the first later version that re-sends it, so after a partial re-roll the
  patches it did not re-send stay current.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from analyzer.thread.records import UNDATED, PatchSubject, SeriesPatch, SeriesVersion
from analyzer.thread.subject import parse_subject, series_key

_CHANGE_ID = re.compile(r"^change-id:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_DIFF = re.compile(
    r"^(?:diff --git \S|diff -[a-zA-Z]+ \S|Index: \S|@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@|--- \S[^\n]*\n\+\+\+ \S)",
    re.MULTILINE,
)
WINDOW = dt.timedelta(hours=12)
"""How far apart the patches of one posting sent without References may be (patchwork)."""


@dataclass(frozen=True, slots=True)
class PostedPatch:
    """A message that may be part of a posting, with what linking versions needs."""

    message_id: str
    subject: str
    author_id: str
    """Person id of the author, so a new version sent from another address still links."""
    author_email: str
    date: str | None
    thread_id: str
    change_id: str | None = None
    has_diff: bool | None = None
    """Whether the body carries a diff; None when the body was not read (the subject
    alone then decides, as it always did)."""
    parent_id: str | None = None
    """The message it answers (In-Reply-To), when that message is in the corpus."""


@dataclass(slots=True)
class _Posting:
    members: list[tuple[PostedPatch, PatchSubject]]
    key: tuple[str, ...]
    threads: set[str] = field(default_factory=set)

    @property
    def root(self) -> PostedPatch:
        return self.ordered[0][0]

    @property
    def parsed(self) -> PatchSubject:
        return self.ordered[0][1]

    @property
    def version(self) -> int:
        return max(p.version for _, p in self.members)

    @property
    def ordered(self) -> list[tuple[PostedPatch, PatchSubject]]:
        return sorted(self.members, key=_member_order)

    @property
    def first_date(self) -> str:
        return min(m.date or UNDATED for m, _ in self.members)

    def numbers(self) -> set[int]:
        return {p.number for _, p in self.members if p.number is not None}


def change_id_in(body: str) -> str | None:
    """The ``change-id:``/``Change-Id:`` trailer of a cover letter or patch, if any."""
    match = _CHANGE_ID.search(body)
    return match.group(1) if match else None


def carries_diff(body: str) -> bool:
    """The body itself (not a quote of another) holds a unified, git or CVS diff."""
    return bool(_DIFF.search(body))


def might_be_posting(subject: str) -> bool:
    """Cheap filter before reading bodies: a patch subject that is not a reply."""
    parsed = parse_subject(subject)
    return parsed.is_patch and not parsed.is_reply


def might_be_patch_mail(subject: str) -> bool:
    """Worth reading the body of: not a reply, not a pull request (the body decides)."""
    parsed = parse_subject(subject)
    return not parsed.is_reply and not _is_pull(parsed)


def posted_patch(
    message_id: str,
    subject: str,
    *,
    author_id: str,
    author_email: str,
    date: str | None,
    thread_id: str,
    body: str,
    parent_id: str | None,
) -> PostedPatch | None:
    """The message as series linking reads it, or None when it cannot be part of a
    posting (a reply, a pull request, plain mail without a diff)."""
    if not might_be_patch_mail(subject):
        return None
    found = PostedPatch(
        message_id, subject, author_id, author_email.lower(), date, thread_id, None, carries_diff(body), parent_id
    )
    if not _is_posted(found, parse_subject(subject)):
        return None
    return dataclasses.replace(found, change_id=change_id_in(body))


def link_series(patches: Iterable[PostedPatch]) -> tuple[SeriesVersion, ...]:
    """Every posting as a SeriesVersion with its patches, linked to the next one of its
    series (by date: a v10 whose author forgot the ``v10`` still follows v9) by
    ``superseded_by``."""
    postings = _postings(patches)
    versions: list[SeriesVersion] = []
    for group in _series_groups(postings):
        group.sort(key=lambda p: (p.root.date or UNDATED, p.version, p.root.message_id))
        series_id = group[0].root.message_id
        for index, posting in enumerate(group):
            following = group[index + 1] if index + 1 < len(group) else None
            versions.append(_version(series_id, posting, following, group[index + 1 :]))
    return tuple(versions)


def _postings(patches: Iterable[PostedPatch]) -> list[_Posting]:
    candidates = [(patch, parse_subject(patch.subject)) for patch in patches]
    candidates = [(m, p) for m, p in candidates if _is_posted(m, p)]
    heads = {m.parent_id for m, p in candidates if p.number is not None and m.parent_id}
    units: dict[tuple[str, ...], _Posting] = {}
    covers: list[tuple[PostedPatch, PatchSubject]] = []
    for patch, parsed in candidates:
        if parsed.number is None and patch.has_diff is False:
            if patch.message_id in heads:
                covers.append((patch, parsed))
            elif patch.parent_id is None:
                units[("single", patch.message_id)] = _Posting([(patch, parsed)], ("single", patch.message_id))
            continue  # a "[PATCH] …" answer to another message: a comment, not a posting
        key = _posting_key(patch, parsed)
        unit = units.setdefault((patch.thread_id, *key), _Posting([], key))
        unit.members.append((patch, parsed))
        unit.threads.add(patch.thread_id)
    postings = _join_across_threads(list(units.values()))
    for cover, parsed in _attach_covers(postings, covers):
        if cover.parent_id is None:
            postings.append(_Posting([(cover, parsed)], ("single", cover.message_id), {cover.thread_id}))
    postings.sort(key=lambda p: (p.root.date or UNDATED, p.root.message_id))
    return postings


def _is_posted(patch: PostedPatch, parsed: PatchSubject) -> bool:
    """Said to be a patch, or carrying a diff; a bracketed counter without the word PATCH
    (``[net,v2,1/2]``) counts for a cover letter (``0/n``), or when the body is unknown."""
    if parsed.is_reply or _is_pull(parsed):
        return False
    if parsed.is_patch or patch.has_diff is True:
        return True
    return parsed.number is not None and (parsed.number == 0 or patch.has_diff is None)


def _is_pull(parsed: PatchSubject) -> bool:
    return "PULL" in parsed.tags


def _posting_key(patch: PostedPatch, parsed: PatchSubject) -> tuple[str, ...]:
    """Numbered patches of one author, version, size and tree are one posting; an
    unnumbered patch is a posting of its own."""
    if parsed.total is None:
        return ("single", patch.message_id)
    tree = " ".join(parsed.targets).casefold()
    return ("set", patch.author_id, str(parsed.version), str(parsed.total), tree)


def _join_across_threads(units: list[_Posting]) -> list[_Posting]:
    """Patches posted without References (one thread each): b4's ``--rethread`` and
    patchwork join them by author, version and size, close in time, no counter twice."""
    units.sort(key=lambda u: (u.first_date, u.root.message_id))
    postings: list[_Posting] = []
    for unit in units:
        into = next((p for p in postings if unit.key[0] == "set" and _joins(p, unit)), None)
        if into is None:
            postings.append(unit)
        else:
            into.members.extend(unit.members)
            into.threads |= unit.threads
    return postings


def _joins(posting: _Posting, unit: _Posting) -> bool:
    if posting.key != unit.key or posting.numbers() & unit.numbers():
        return False
    return _apart(posting.first_date, unit.first_date) <= WINDOW


def _apart(first: str, second: str) -> dt.timedelta:
    try:
        return abs(dt.datetime.fromisoformat(second) - dt.datetime.fromisoformat(first))
    except ValueError:
        return WINDOW + WINDOW


def _attach_covers(
    postings: list[_Posting], covers: list[tuple[PostedPatch, PatchSubject]]
) -> list[tuple[PostedPatch, PatchSubject]]:
    """An unnumbered message without a diff that numbered patches of its author answer is
    their cover letter (patchwork reads it so); it counts as patch 0. Returns the ones
    no patch of their author answers."""
    left = []
    for cover, parsed in covers:
        answered = next(
            (
                p
                for p in postings
                if any(m.parent_id == cover.message_id and m.author_id == cover.author_id for m, _ in p.members)
            ),
            None,
        )
        if answered is None:
            left.append((cover, parsed))
            continue
        total = answered.parsed.total
        as_cover = PatchSubject(parsed.base, parsed.tags, max(parsed.version, answered.version), 0, total, False, parsed.targets)
        answered.members.append((cover, as_cover))
        answered.threads.add(cover.thread_id)
    return left


def _member_order(member: tuple[PostedPatch, PatchSubject]) -> tuple[int, str, str]:
    patch, parsed = member
    return (parsed.number if parsed.number is not None else 1, patch.date or UNDATED, patch.message_id)


def _series_groups(postings: list[_Posting]) -> list[list[_Posting]]:
    """Union postings that share a Change-Id or a cover title, or (across versions only)
    a patch title, of the same author and tree."""
    parent = list(range(len(postings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple[str, ...], list[int]] = {}
    for index, posting in enumerate(postings):
        for key in _link_keys(posting):
            for other in seen.get(key, []):
                if key[0] != "patch" or postings[other].version != posting.version:
                    parent[find(index)] = find(other)
                    break
            seen.setdefault(key, []).append(index)
    groups: dict[int, list[_Posting]] = {}
    for index, posting in enumerate(postings):
        groups.setdefault(find(index), []).append(posting)
    return list(groups.values())


def _link_keys(posting: _Posting) -> list[tuple[str, ...]]:
    author, tree = posting.root.author_id, " ".join(posting.parsed.targets).casefold()
    keys: list[tuple[str, ...]] = [("title", author, tree, series_key(posting.parsed))]
    keys += [("patch", author, tree, series_key(p)) for _, p in posting.members if not p.is_cover]
    change_id = next((m.change_id for m, _ in posting.ordered if m.change_id), None)
    if change_id:
        keys.append(("change-id", change_id))
    return list(dict.fromkeys(keys))


def _version(series_id: str, posting: _Posting, following: _Posting | None, later: list[_Posting]) -> SeriesVersion:
    return SeriesVersion(
        series_id=series_id,
        version=posting.version,
        root_message_id=posting.root.message_id,
        thread_id=posting.root.thread_id,
        subject=posting.root.subject,
        author_email=posting.root.author_email,
        date=posting.root.date,
        superseded_by=following.root.message_id if following else None,
        patches=tuple(_patch(m, p, following, later) for m, p in posting.ordered),
    )


def _patch(patch: PostedPatch, parsed: PatchSubject, following: _Posting | None, later: list[_Posting]) -> SeriesPatch:
    if parsed.is_cover:
        replaced_by = following.root.message_id if following else None
    else:
        title = series_key(parsed)
        replaced_by = next(
            (m.message_id for posting in later for m, p in posting.ordered if not p.is_cover and series_key(p) == title),
            None,
        )
    return SeriesPatch(
        message_id=patch.message_id,
        number=parsed.number,
        total=parsed.total,
        title=parsed.base,
        thread_id=patch.thread_id,
        superseded_by=replaced_by,
    )
