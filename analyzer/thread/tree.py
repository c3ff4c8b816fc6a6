"""JWZ-style threading: messages -> trees, with placeholders for messages not in the corpus.

A pure function over light headers (no bodies), so the ~21,000 messages of a real archive
thread in well under a second. The steps follow Jamie Zawinski's algorithm with three
deliberate differences, each for what the later stages need:

- Placeholders are kept (not spliced away), so depth counts real generations: a
  ``>>`` quote in a reply to a missing message must not be attributed to the wrong
  ancestor, and a thread whose root was never archived stays one tree.
- Subject grouping is only for replies with no threading headers at all, and attaches them
  to the original message with the same subject; JWZ's merging of whole root sets by subject
  glues unrelated threads (and every ``[PATCH] KVM: arm64: ...`` repost) together.
- Every cycle is broken at its cover letter if it has one, else at its oldest message,
  which then becomes a root; a patch or cover letter without threading headers of its
  own is a root, never a child presumed from another message's (possibly reversed)
  References. So a cover letter heads its posting whatever the order of the ids.

Why not a library: PyPI's JWZ implementations are ``jwzthreading`` (last release 2005,
Python 2) and ``threadweave`` (a single 0.1.0 release, 2026); the latter is faithful JWZ,
so it splices placeholders away and merges roots by subject, the two things this
project needs done differently, and it has no track record yet.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from liblore.utils import strip_reply_prefixes

from analyzer.thread.records import UNDATED, Thread, ThreadingHeaders, ThreadMember
from analyzer.thread.subject import parse_subject


@dataclass(frozen=True, slots=True)
class Threading:
    """Threads, and how much repair the headers needed."""

    threads: tuple[Thread, ...]
    cycles_broken: int = 0
    subject_links: int = 0
    placeholders: int = 0


@dataclass(slots=True)
class _Forest:
    present: dict[str, ThreadingHeaders]
    parents: dict[str, str | None]
    by_subject: set[str]


def thread_messages(headers: Iterable[ThreadingHeaders]) -> tuple[Thread, ...]:
    """Every message in exactly one thread; threads by first date, members in pre-order."""
    return build_threads(headers).threads


def build_threads(headers: Iterable[ThreadingHeaders]) -> Threading:
    present = _dedupe(headers)
    ordered = sorted(present.values(), key=lambda h: (h.date or UNDATED, h.message_id))
    parents = _link(ordered)
    cycles = _break_cycles(parents, present)
    forest = _Forest(present, parents, set())
    subject_links = _group_by_subject(ordered, forest)
    threads = _assemble(forest)
    placeholders = sum(1 for t in threads for m in t.members if m.placeholder)
    return Threading(threads, cycles_broken=cycles, subject_links=subject_links, placeholders=placeholders)


def reply_base(subject: str) -> str:
    """A subject without ``Re:``/``Aw:``/``Fwd:`` markers, case and spacing folded, for matching."""
    rest, _ = strip_reply_prefixes(" ".join(subject.split()))
    return " ".join(rest.split()).casefold()


def is_reply_subject(subject: str) -> bool:
    return strip_reply_prefixes(" ".join(subject.split()))[1]


def clean_id(message_id: str) -> str:
    """A Message-ID as threading compares them: without blanks and angle brackets."""
    return message_id.strip().strip("<>").strip()


def _dedupe(headers: Iterable[ThreadingHeaders]) -> dict[str, ThreadingHeaders]:
    present: dict[str, ThreadingHeaders] = {}
    for h in headers:
        message_id = clean_id(h.message_id)
        if message_id and message_id not in present:
            present[message_id] = ThreadingHeaders(
                message_id=message_id,
                subject=h.subject,
                in_reply_to=clean_id(h.in_reply_to) if h.in_reply_to else None,
                references=tuple(clean_id(r) for r in h.references if clean_id(r)),
                date=h.date,
            )
    return present


def _chain(h: ThreadingHeaders) -> list[str]:
    """Ancestors oldest first: References, then In-Reply-To when References lacks it."""
    chain = list(dict.fromkeys(r for r in h.references if r != h.message_id))
    if h.in_reply_to and h.in_reply_to != h.message_id and h.in_reply_to not in chain:
        chain.append(h.in_reply_to)
    return chain


def _own_parent(h: ThreadingHeaders) -> str | None:
    """In-Reply-To names the parent; References' last entry when it is absent."""
    if h.in_reply_to and h.in_reply_to != h.message_id:
        return h.in_reply_to
    chain = _chain(h)
    return chain[-1] if chain else None


def _link(ordered: list[ThreadingHeaders]) -> dict[str, str | None]:
    """Parent of every node. A message's own headers decide its parent; a node without
    headers of its own (a placeholder, or mail whose client dropped them) takes the parent
    the oldest References chain naming it presumes."""
    presumed: dict[str, str] = {}
    for h in ordered:
        chain = [*_chain(h), h.message_id]
        for parent, child in itertools.pairwise(chain):
            presumed.setdefault(child, parent)
    parents: dict[str, str | None] = dict(presumed)
    for h in ordered:
        own = _own_parent(h)
        parents[h.message_id] = own if own or _is_posting(h) else presumed.get(h.message_id)
    for linked in list(parents.values()):
        if linked is not None and linked not in parents:
            parents[linked] = None
    return parents


def _is_posting(h: ThreadingHeaders) -> bool:
    """A patch or cover letter sent without threading headers starts a thread: no other
    message's References (reversed by some clients) may make it a child, least of all of
    its own patch."""
    parsed = parse_subject(h.subject)
    return not parsed.is_reply and (parsed.is_patch or parsed.is_cover)


def _break_cycles(parents: dict[str, str | None], present: dict[str, ThreadingHeaders]) -> int:
    """Cut every cycle at its oldest message (the likeliest true root). The parent map is
    a functional graph, so each walk meets at most one cycle."""
    done: set[str] = set()
    broken = 0
    for start in sorted(parents):
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parents[node]
        if node is not None and node in on_path:
            cycle = path[path.index(node) :]
            cut = min(cycle, key=lambda n: _cut_key(n, present))
            parents[cut] = None
            broken += 1
        done.update(path)
    return broken


def _cut_key(node: str, present: dict[str, ThreadingHeaders]) -> tuple[int, int, str, str]:
    """A cover letter in a cycle is cut first (it heads its patches, whatever the dates
    and ids say), then the oldest message."""
    h = present.get(node)
    if h is None:
        return (1, 1, UNDATED, node)
    return (0, 0 if _is_cover(h) else 1, h.date or UNDATED, node)


def _is_cover(h: ThreadingHeaders) -> bool:
    parsed = parse_subject(h.subject)
    return parsed.is_cover and not parsed.is_reply


def _group_by_subject(ordered: list[ThreadingHeaders], forest: _Forest) -> int:
    """Attach a headerless ``Re:`` message to the original with the same subject: the
    latest one posted before it, else the first one."""
    originals: dict[str, list[ThreadingHeaders]] = {}
    for h in ordered:
        if not is_reply_subject(h.subject):
            originals.setdefault(reply_base(h.subject), []).append(h)
    linked = 0
    for h in ordered:
        if h.in_reply_to or h.references or forest.parents[h.message_id] is not None:
            continue
        if not is_reply_subject(h.subject):
            continue
        target = _original_for(h, originals.get(reply_base(h.subject), []))
        if target is not None and not _is_ancestor(h.message_id, target, forest.parents):
            forest.parents[h.message_id] = target
            forest.by_subject.add(h.message_id)
            linked += 1
    return linked


def _original_for(reply: ThreadingHeaders, candidates: list[ThreadingHeaders]) -> str | None:
    if not candidates:
        return None
    when = reply.date or UNDATED
    earlier = [c for c in candidates if (c.date or UNDATED) <= when and c.message_id != reply.message_id]
    chosen = earlier[-1] if earlier else candidates[0]
    return None if chosen.message_id == reply.message_id else chosen.message_id


def _is_ancestor(node: str, of: str, parents: dict[str, str | None]) -> bool:
    current: str | None = of
    while current is not None:
        if current == node:
            return True
        current = parents[current]
    return False


def _assemble(forest: _Forest) -> tuple[Thread, ...]:
    kept = _with_present_descendants(forest)
    children: dict[str | None, list[str]] = {}
    for node in kept:
        children.setdefault(forest.parents[node], []).append(node)
    sort_date = _sort_dates(forest, kept)
    for siblings in children.values():
        siblings.sort(key=lambda n: (sort_date[n], n))
    threads = [_thread(root, children, forest) for root in children.get(None, [])]
    threads.sort(key=lambda t: (t.first_date or UNDATED, t.thread_id))
    return tuple(threads)


def _with_present_descendants(forest: _Forest) -> set[str]:
    """Placeholders that only lead to other placeholders are dropped (a References chain
    overruled by the message's In-Reply-To leaves such a dangling branch)."""
    kept: set[str] = set()
    for node in forest.present:
        current: str | None = node
        while current is not None and current not in kept:
            kept.add(current)
            current = forest.parents[current]
    return kept


def _sort_dates(forest: _Forest, kept: set[str]) -> dict[str, str]:
    """A message sorts by its date; a placeholder by its earliest descendant's."""
    dates = {n: (forest.present[n].date or UNDATED) if n in forest.present else UNDATED for n in kept}
    for node, h in forest.present.items():
        when = h.date or UNDATED
        parent = forest.parents[node]
        while parent is not None and parent not in forest.present and when < dates[parent]:
            dates[parent] = when
            parent = forest.parents[parent]
    return dates


def _thread(root: str, children: dict[str | None, list[str]], forest: _Forest) -> Thread:
    members: list[ThreadMember] = []
    stack: list[tuple[str, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        members.append(
            ThreadMember(
                message_id=node,
                parent_id=forest.parents[node],
                depth=depth,
                placeholder=node not in forest.present,
                linked_by_subject=node in forest.by_subject,
            )
        )
        stack.extend((child, depth + 1) for child in reversed(children.get(node, [])))
    dates = [d for m in members if (d := _date_of(m, forest)) is not None]
    return Thread(
        thread_id=root,
        root_subject=_root_subject(members, forest),
        members=tuple(members),
        first_date=min(dates, default=None),
        last_date=max(dates, default=None),
    )


def _date_of(member: ThreadMember, forest: _Forest) -> str | None:
    h = forest.present.get(member.message_id)
    return h.date if h else None


def _root_subject(members: list[ThreadMember], forest: _Forest) -> str:
    for member in members:
        h = forest.present.get(member.message_id)
        if h is not None:
            if member.depth == 0:
                return h.subject
            return strip_reply_prefixes(" ".join(h.subject.split()))[0].strip()
    return ""


def ancestors_of(thread: Thread) -> dict[str, tuple[str, ...]]:
    """Every node's ancestors, nearest first (placeholders included)."""
    lineage: dict[str, tuple[str, ...]] = {}
    for member in thread.members:  # pre-order: a parent's lineage is known before its child's
        parent = member.parent_id
        lineage[member.message_id] = () if parent is None else (parent, *lineage[parent])
    return lineage


def thread_signature(thread: Thread) -> str:
    """Changes whenever the thread's shape or membership does (what quote resolution reads)."""
    digest = hashlib.sha256()
    for m in thread.members:
        digest.update(f"{m.message_id}\x1f{m.parent_id or ''}\x1f{int(m.placeholder)}\x1e".encode())
    return digest.hexdigest()[:32]
