"""Thread-grouped folds for cross-validation: threads of one patch series or one topic
always fall in the same fold, so no thread is scored by a model that saw its sibling.

Two threads are one group when they share a message (a cross-post, a reply that moved),
a series title, or a distinctive word of their titles: a word that names a topic (``sdei``,
``pmu``, ``dirty``) appears in a few titles only, where kernel boilerplate (``kvm``,
``fix``, ``support``) appears in many or is listed below.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from analyzer.learn.corpus import AnnotatedThread
from analyzer.thread.subject import parse_subject, series_key

# Words of kernel subject lines that say what kind of change it is, not what it is about.
_BOILERPLATE = frozenset(
    """a an and are as at be by for from in into is it of on or the to with without via vs
    kvm arm arm64 x86 linux kernel qemu patch rfc resend v1 v2 v3 v4 v5 add adds added allow
    allows enable enables fix fixes fixed fixing improve improves support supporting use
    using handle handling make makes introduce introduces initial properly instead more other
    new old bug issue issues changes change goodies based target userspace guest host vm""".split()
)
_MAX_SHARE = 0.1
"""A title word found in more than this share of the threads is no topic."""


def title_words(thread: AnnotatedThread) -> set[str]:
    messages = thread.messages()
    if not messages:
        return set()
    title = parse_subject(messages[0].subject).base.lower()
    return {w for w in re.findall(r"[a-z][a-z0-9_]+", title) if w not in _BOILERPLATE and len(w) > 2}


def thread_keys(threads: Sequence[AnnotatedThread]) -> list[set[str]]:
    """What ties a thread to others, per thread: its message ids, its series, and the
    distinctive words of its title (found in at least two titles, at most ``_MAX_SHARE``)."""
    words = [title_words(t) for t in threads]
    df = Counter(w for ws in words for w in ws)
    limit = max(2, int(_MAX_SHARE * len(threads)))
    keys = []
    for i, thread in enumerate(threads):
        own = {f"id:{m.message_id}" for m in thread.messages()}
        own |= {f"series:{series_key(parse_subject(m.subject))}" for m in thread.messages()[:1]}
        own |= {f"word:{w}" for w in words[i] if 2 <= df[w] <= limit}
        keys.append(own)
    return keys


def thread_groups(threads: Sequence[AnnotatedThread]) -> list[int]:
    """A group number per thread (same number: same series or topic)."""
    parent = list(range(len(threads)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    owner: dict[str, int] = {}
    for i, keys in enumerate(thread_keys(threads)):
        for key in keys:
            if key in owner:
                union(i, owner[key])
            else:
                owner[key] = i
    roots = {find(i) for i in range(len(threads))}
    number = {root: n for n, root in enumerate(sorted(roots))}
    return [number[find(i)] for i in range(len(threads))]


def attached_groups(corpus: Sequence[AnnotatedThread], extra: Sequence[AnnotatedThread]) -> tuple[list[int], list[set[str]]]:
    """Groups for ``corpus`` then ``extra`` threads (trained on, never scored): the corpus
    keeps its own groups; an extra thread joins the group of the first thread it shares a
    key with (a corpus thread first, else an earlier extra one), else starts its own. Also
    every thread's keys (``thread_keys`` over both), to leave out of a fold the extra threads
    that share a key with one of its held-out threads. Unlike grouping all threads at
    once, this never merges the corpus's groups through extra threads."""
    groups = thread_groups(corpus)
    keys = thread_keys([*corpus, *extra])
    owner: dict[str, int] = {}
    for i in range(len(corpus)):
        for key in keys[i]:
            owner.setdefault(key, groups[i])
    fresh = max(groups, default=-1) + 1
    for i in range(len(corpus), len(keys)):
        linked = [owner[key] for key in sorted(keys[i]) if key in owner]
        group = min(linked) if linked else fresh
        fresh += not linked
        groups.append(group)
        for key in keys[i]:
            owner.setdefault(key, group)
    return groups, keys


def layered_folds(groups: Sequence[int], sizes: Sequence[int], core: Sequence[bool], k: int) -> list[list[int]]:
    """``balance_groups`` of the ``core`` indexes alone, then the others added: one whose group
    has a core member joins that member's fold, the rest are balanced over the folds a group
    at a time. The core's folds are thus exactly those it gets without the others (extra
    training threads never move a yardstick thread to another inner fold, so a task they
    do not teach gets the figures it gets without them)."""
    inner = [i for i, c in enumerate(core) if c]
    if not inner or len(inner) == len(groups):
        return balance_groups(groups, sizes, k)
    folds = [[inner[j] for j in fold] for fold in balance_groups([groups[i] for i in inner], [sizes[i] for i in inner], k)]
    fold_of = {groups[i]: f for f, fold in enumerate(folds) for i in fold}
    load = [sum(sizes[i] for i in fold) for fold in folds]
    members: dict[int, list[int]] = {}
    for i, group in enumerate(groups):
        if core[i]:
            continue
        if group in fold_of:
            folds[fold_of[group]].append(i)
            load[fold_of[group]] += sizes[i]
        else:
            members.setdefault(group, []).append(i)
    size = {g: sum(sizes[i] for i in idx) for g, idx in members.items()}
    for group in sorted(members, key=lambda g: (-size[g], g)):
        lightest = min(range(len(folds)), key=lambda f: (load[f], f))
        folds[lightest] += members[group]
        load[lightest] += size[group]
    return [sorted(f) for f in folds]


def grouped_folds(threads: Sequence[AnnotatedThread], k: int) -> list[list[int]]:
    """``k`` folds of thread indexes, whole groups at a time, balanced by message count."""
    return balance_groups(thread_groups(threads), [len(t.gold) for t in threads], k)


def shuffled_folds(threads: Sequence[AnnotatedThread], k: int, seed: int) -> list[list[int]]:
    """Another grouped split of the same threads: groups in an order drawn from ``seed``
    (a group still never split). On a few hundred gold labels one split's figure moves by
    a few hundredths with the split alone; the mean over several splits says more."""
    import random

    groups = thread_groups(threads)
    order = list(range(max(groups) + 1)) if groups else []
    random.Random(seed).shuffle(order)
    return balance_groups([order[g] for g in groups], [len(t.gold) for t in threads], k)


def balance_groups(groups: Sequence[int], sizes: Sequence[int], k: int) -> list[list[int]]:
    """Indexes split into ``k`` folds, a group never split, the largest group first into
    the lightest fold (ties by group number, so the split is the same every time)."""
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    size = {g: sum(sizes[i] for i in idx) for g, idx in members.items()}
    folds: list[list[int]] = [[] for _ in range(min(k, len(members)))]
    load = [0] * len(folds)
    for group in sorted(members, key=lambda g: (-size[g], g)):
        lightest = min(range(len(folds)), key=lambda f: (load[f], f))
        folds[lightest] += members[group]
        load[lightest] += size[group]
    return [sorted(f) for f in folds]
