"""Patch series: group the patches of one posting, then link postings into versions.

A posting is the patches one author sent as one ``[PATCH vN k/n]`` set in one thread; its
root is the ``0/n`` cover letter, else the lowest-numbered patch. Postings are versions of
one series when they share a ``Change-Id`` (b4 writes ``change-id:`` in the cover letter,
Gerrit users carry one per patch) or the same author posts the same title again. A new
version sent in reply to the old one is still a new posting: its subject is not a ``Re:``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.thread.records import UNDATED, PatchSubject, SeriesVersion
from analyzer.thread.subject import parse_subject, series_key

_CHANGE_ID = re.compile(r"^change-id:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class PostedPatch:
    """A message whose subject may be a patch, with what linking versions needs."""

    message_id: str
    subject: str
    author_id: str
    """Person id of the author, so a new version sent from another address still links."""
    author_email: str
    date: str | None
    thread_id: str
    change_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Posting:
    root: PostedPatch
    parsed: PatchSubject
    first_patch_key: str


def change_id_in(body: str) -> str | None:
    """The ``change-id:``/``Change-Id:`` trailer of a cover letter or patch, if any."""
    match = _CHANGE_ID.search(body)
    return match.group(1) if match else None


def might_be_posting(subject: str) -> bool:
    """Cheap filter before reading bodies: a patch subject that is not a reply."""
    parsed = parse_subject(subject)
    return parsed.is_patch and not parsed.is_reply


def link_series(patches: Iterable[PostedPatch]) -> tuple[SeriesVersion, ...]:
    """Every posting as a SeriesVersion, linked to the next one of its series (by date: a
    v10 whose author forgot the ``v10`` still follows v9) by ``superseded_by``."""
    postings = _postings(patches)
    groups = _series_groups(postings)
    versions: list[SeriesVersion] = []
    for group in groups:
        group.sort(key=lambda p: (p.root.date or UNDATED, p.parsed.version, p.root.message_id))
        series_id = group[0].root.message_id
        for posting, following in zip(group, [*group[1:], None]):
            versions.append(_version(series_id, posting, following))
    return tuple(versions)


def _postings(patches: Iterable[PostedPatch]) -> list[_Posting]:
    sets: dict[tuple[str, ...], list[tuple[PostedPatch, PatchSubject]]] = {}
    for patch in patches:
        parsed = parse_subject(patch.subject)
        if not parsed.is_patch or parsed.is_reply:
            continue
        key = _posting_key(patch, parsed)
        sets.setdefault(key, []).append((patch, parsed))
    postings = []
    for members in sets.values():
        members.sort(key=lambda m: (m[1].number if m[1].number is not None else 1, m[0].date or UNDATED))
        root, parsed = members[0]
        first = next((p for p in members if p[1].number == 1), members[0])
        postings.append(_Posting(root=root, parsed=parsed, first_patch_key=series_key(first[1])))
    postings.sort(key=lambda p: (p.root.date or UNDATED, p.root.message_id))
    return postings


def _posting_key(patch: PostedPatch, parsed: PatchSubject) -> tuple[str, ...]:
    """Numbered patches of one author, version and size in one thread are one posting; an
    unnumbered patch is a posting of its own."""
    if parsed.total is None:
        return ("single", patch.message_id)
    return ("set", patch.thread_id, patch.author_id, str(parsed.version), str(parsed.total))


def _series_groups(postings: list[_Posting]) -> list[list[_Posting]]:
    """Union postings that share a Change-Id, a cover title or a first-patch title (same
    author, same tree). A cover letter retitled between versions still links through its
    first patch, but only across versions: a maintainer's pull request reposts other
    series' patches under the same titles."""
    parent = list(range(len(postings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple[str, ...], int] = {}
    for index, posting in enumerate(postings):
        for key in _link_keys(posting):
            if key in seen and not (key[0] == "first" and postings[seen[key]].parsed.version == posting.parsed.version):
                parent[find(index)] = find(seen[key])
            else:
                seen[key] = index
    groups: dict[int, list[_Posting]] = {}
    for index, posting in enumerate(postings):
        groups.setdefault(find(index), []).append(posting)
    return list(groups.values())


def _link_keys(posting: _Posting) -> list[tuple[str, ...]]:
    author, tree = posting.root.author_id, " ".join(posting.parsed.targets).casefold()
    keys: list[tuple[str, ...]] = [
        ("title", author, tree, series_key(posting.parsed)),
        ("first", author, tree, posting.first_patch_key),
    ]
    if posting.root.change_id:
        keys.append(("change-id", posting.root.change_id))
    return keys


def _version(series_id: str, posting: _Posting, following: _Posting | None) -> SeriesVersion:
    return SeriesVersion(
        series_id=series_id,
        version=posting.parsed.version,
        root_message_id=posting.root.message_id,
        thread_id=posting.root.thread_id,
        subject=posting.root.subject,
        author_email=posting.root.author_email,
        date=posting.root.date,
        superseded_by=following.root.message_id if following else None,
    )
