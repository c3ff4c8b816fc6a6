"""Decision events: cue hits filtered by who may make them, plus reply trailers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from analyzer.analysis.inputs import PreviousVersion
from analyzer.analysis.positions import tight
from analyzer.analysis.records import UNATTESTED, Decision
from analyzer.nlp.extensions import Marked
from analyzer.segment.attest import Sender, attest, trailer_key
from analyzer.segment.records import Trailer

_TRAILER_DECISIONS = {
    "Acked-by": "endorsed",
    "Reviewed-by": "endorsed",
    "Tested-by": "endorsed",
    "Nacked-by": "rejected",
}


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    threshold: float = 1.5
    """Summed cue weight a decision kind needs in one message."""
    maintainer_weight: float = 1.5
    """Where roles are known (a MAINTAINERS file), a maintainer's words weigh this much more:
    "I'd rather you split this" from the maintainer is a change request, from a passer-by a
    suggestion."""


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    date: str | None
    roles: frozenset[str]
    """Any of ``author`` (wrote the patch), ``reviewer`` (anyone else), ``maintainer``."""
    weight: float = 1.0
    """How much this person's words count (see ``DecisionSettings.maintainer_weight``)."""


def actor_roles(*, is_patch_author: bool, is_maintainer: bool, roles_known: bool) -> frozenset[str]:
    """Who the author is for decision purposes. Without a MAINTAINERS file anyone but the
    patch author may speak as a maintainer: the words must then carry the decision."""
    roles = {"author"} if is_patch_author else {"reviewer"}
    if is_maintainer or (not roles_known and not is_patch_author):
        roles.add("maintainer")
    return frozenset(roles)


def decisions_from(
    marks: Iterable[tuple[int, Marked, str]],
    trailers: Sequence[Trailer],
    *,
    message_id: str,
    actor: Actor,
    settings: DecisionSettings = DecisionSettings(),
    sender: Sender | None = None,
    present: frozenset[tuple[str, str]] = frozenset(),
) -> list[Decision]:
    """``marks`` are (offset of the doc in the body, mark, doc text). One Decision per
    cue kind, its evidence the strongest sentence; and one per trailer the message gives,
    attested like b4 (analyzer.segment.attest): a trailer naming someone other than the
    sender is kept with the signal ``structure:unattested`` (nobody's decision; callers
    keep it apart), one restating a trailer the patch carries (``present``) is no decision.
    A trailer replaces the cue decision of its kind (the tag says it more plainly)."""
    best: dict[str, tuple[float, Decision]] = {}
    totals: dict[str, float] = {}
    for offset, mark, text in marks:
        if mark.stance != "for" or (mark.roles and not actor.roles & set(mark.roles)):
            continue
        weight = mark.weight * actor.weight
        totals[mark.label] = totals.get(mark.label, 0.0) + weight
        start, end = tight(text, mark.sentence_start, mark.sentence_end)
        decision = replace(
            _decision(message_id, mark.label, actor, offset + start, offset + end, text[start:end], weight),
            signals=(f"rule:{mark.cue_id}",),
        )
        if mark.label not in best or weight > best[mark.label][0]:
            best[mark.label] = (weight, decision)
    tagged = [] if "author" in actor.roles else _trailer_decisions(trailers, message_id, actor, sender, present)
    by_tag = {d.kind for d in tagged if d.attested}
    cued = [best[kind][1] for kind in sorted(best) if totals[kind] >= settings.threshold and kind not in by_tag]
    return cued + tagged


def _trailer_decisions(
    trailers: Sequence[Trailer], message_id: str, actor: Actor, sender: Sender | None, present: frozenset[tuple[str, str]]
) -> list[Decision]:
    found = []
    for trailer in trailers:
        kind = _TRAILER_DECISIONS.get(trailer.key)
        attestation = attest(trailer, sender, present)
        if kind is None or attestation in ("patch", "restated"):
            continue
        evidence = f"{trailer.key}: {trailer.value}"
        signals = (f"structure:trailer:{trailer.key}",)
        if attestation == "attested":
            found.append(replace(_decision(message_id, kind, actor, trailer.start, trailer.end, evidence, 3.0), signals=signals))
        else:
            named = replace(actor, name=trailer.name or trailer.email or trailer.value)
            decision = _decision(message_id, kind, named, trailer.start, trailer.end, evidence, 0.5)
            found.append(replace(decision, signals=(*signals, UNATTESTED)))
    return found


def patch_trailers(message_id: str, parents: Mapping[str, str | None], trailers: Mapping[str, Sequence[Trailer]]) -> frozenset[tuple[str, str]]:
    """``trailer_key`` of every trailer the patches above a message carry (its ancestors'
    trailers that belong to the patch they post), so a reply restating them adds nothing."""
    found: set[tuple[str, str]] = set()
    seen = {message_id}
    current = parents.get(message_id)
    while current is not None and current not in seen:
        seen.add(current)
        found.update(trailer_key(t) for t in trailers.get(current, ()) if t.in_patch)
        current = parents.get(current)
    return frozenset(found)


def _decision(message_id: str, kind: str, actor: Actor, start: int, end: int, evidence: str, weight: float) -> Decision:
    return Decision(
        message_id=message_id,
        kind=kind,
        actor=actor.name,
        date=actor.date,
        confidence=round(weight / (weight + 1.0), 3),
        start=start,
        end=end,
        evidence=evidence,
    )


# How a new posting names what it replaces: its change log or a link to the old version.
_CHANGELOG = re.compile(
    r"^[ \t]*(?:(?:changes|changed|changelog|change log)\b[^\n]{0,20}?\b(?:since|from|in|for|vs\.?|compared to)"
    r"\s+v\d+|v\d+\s*(?:->|→|=>|\.\.|to)\s*v\d+|(?:link to |previous |older )?v\d+\s*(?::|->|at)\s*(?:https?://|<)"
    r"|(?:previous|prior|earlier|last|older) (?:version|posting|revision|iteration|series)s?\b)[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)


_VERSION = re.compile(r"\bv(\d+)\b", re.IGNORECASE)


def _first_version(line: str) -> int | None:
    found = _VERSION.search(line)
    return int(found.group(1)) if found else None


def superseding(message_id: str, body: str, subject: str, previous: PreviousVersion, actor: Actor) -> Decision:
    """A new posting withdraws the version it replaces. The evidence is the line of its
    change log or the link naming the old version (the first that starts from that
    version's number, when several do); without one, its subject (span 0-0: the subject is not in the body)."""
    lines = list(_CHANGELOG.finditer(body))
    found = next((m for m in lines if _first_version(m.group()) == previous.version), lines[0] if lines else None)
    why = (f"structure:a new version replaces v{previous.version}",)
    if found is None:
        return replace(_decision(message_id, "withdrawn", actor, 0, 0, f"{subject} (replaces v{previous.version})", 4.0), signals=why)
    text = found.group()
    start = found.start() + len(text) - len(text.lstrip())
    end = found.start() + len(text.rstrip())
    return replace(_decision(message_id, "withdrawn", actor, start, end, body[start:end], 9.0), signals=(*why, "structure:change log line"))
