"""Synthetic debates for graph, timeline, report and export tests.

Everything here is fictional (people at example.org, an invented GIC patch series), written
in the style of a kvmarm thread. ``DebateBuilder`` lets a test tell a debate as a story:
each message states its claims by sentence and the builder works out the offsets, so the
records look exactly like what the analysis would produce.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from analyzer.analysis.records import (
    Claim,
    Decision,
    Mention,
    MessageAnalysis,
    Relation,
    RelationLabel,
    Stance,
)
from analyzer.debate import Debate, MergedCommit, MessageInfo
from analyzer.thread.records import Person, SeriesVersion, Thread, ThreadMember

BASE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

PEOPLE = {
    "morgan": Person("morgan", "Morgan Keel", ("morgan@example.org",), ("maintainer:KVM/arm64",)),
    "oliver": Person("oliver", "Oliver Quill", ("oliver@example.org",), ("reviewer:KVM/arm64",)),
    "rita": Person("rita", "Rita Vance", ("rita@vmm.example.org",)),
    "sam": Person("sam", "Sam Ortiz", ("sam@example.org",)),
    "tess": Person("tess", "Tess Nakamura", ("tess@cloud.example.org",)),
}

ClaimSpec = tuple[str, str, Stance]
"""(sentence, position id, stance)"""


@dataclass
class DebateBuilder:
    """Accumulates messages of one or more threads; ``build()`` returns the Debate."""

    people: dict[str, Person] = field(default_factory=lambda: dict(PEOPLE))
    messages: dict[str, MessageInfo] = field(default_factory=dict)
    analyses: dict[str, MessageAnalysis] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    """message id -> thread id"""
    series: list[SeriesVersion] = field(default_factory=list)
    commits: list[MergedCommit] = field(default_factory=list)
    minutes: int = 0

    def message(
        self,
        message_id: str,
        *,
        author: str,
        body: str,
        subject: str | None = None,
        parent: str | None = None,
        claims: Sequence[ClaimSpec] = (),
        relation: tuple[RelationLabel, str | None] | None = None,
        decisions: Sequence[tuple[str, str]] = (),
        behaviours: Sequence[str] = (),
        at: dt.datetime | None = None,
    ) -> MessageInfo:
        """Add a message. ``relation`` is (label, sentence of the parent it answers or
        None); ``decisions`` are (kind, evidence sentence); ``behaviours`` are catalogue
        ids, each mentioned by name in ``body``."""
        self.minutes += 37
        when = at or BASE + dt.timedelta(minutes=self.minutes)
        thread_id = self.roots[parent] if parent else message_id
        self.roots[message_id] = thread_id
        person = self.people[author]
        parent_subject = self.messages[parent].subject if parent else ""
        shown_subject = subject or (parent_subject if parent_subject.startswith("Re:") else f"Re: {parent_subject}")
        info = MessageInfo(message_id, thread_id, shown_subject, person.person_id, person.name,
                           when.isoformat(), parent, body, ("kvmarm.lists.linux.dev",))
        self.messages[message_id] = info
        self.analyses[message_id] = MessageAnalysis(
            message_id,
            claims=tuple(_claim(info, *spec) for spec in claims),
            mentions=tuple(_mention(info, b) for b in behaviours),
            relations=(_relation(info, self.messages, *relation),) if relation and parent else (),
            decisions=tuple(_decision(info, kind, sentence) for kind, sentence in decisions),
        )
        return info

    def version(self, series_id: str, version: int, root: str, *, superseded_by: str | None = None) -> None:
        info = self.messages[root]
        email = self.people[info.author_id].emails[0]
        self.series.append(SeriesVersion(series_id, version, root, info.thread_id, info.subject, email,
                                         info.date, superseded_by))

    def build(self) -> Debate:
        threads = tuple(_thread(root, self.messages) for root in dict.fromkeys(self.roots.values()))
        return Debate(threads, dict(self.messages), dict(self.people), dict(self.analyses),
                      tuple(self.series), tuple(self.commits))


def _span(info: MessageInfo, sentence: str) -> tuple[int, int]:
    start = info.body.index(sentence)
    return start, start + len(sentence)


def _claim(info: MessageInfo, sentence: str, position: str, stance: Stance) -> Claim:
    start, end = _span(info, sentence)
    return Claim(info.message_id, position, stance, 0.9, start, end, sentence)


def _mention(info: MessageInfo, behaviour: str) -> Mention:
    start, end = _span(info, behaviour)
    return Mention(info.message_id, "behaviour", behaviour, start, end, behaviour)


def _relation(info: MessageInfo, messages: dict[str, MessageInfo], label: RelationLabel,
              answered: str | None) -> Relation:
    assert info.parent_id is not None
    to_start = to_end = None
    if answered is not None:
        to_start, to_end = _span(messages[info.parent_id], answered)
    return Relation(info.message_id, info.parent_id, label, 0.8, None, 0, len(info.body), to_start, to_end)


def _decision(info: MessageInfo, kind: str, sentence: str) -> Decision:
    start, end = _span(info, sentence)
    return Decision(info.message_id, kind, info.author_id, info.date, 0.9, start, end, sentence)


def _thread(root: str, messages: dict[str, MessageInfo]) -> Thread:
    children: dict[str | None, list[MessageInfo]] = {}
    for info in messages.values():
        if info.thread_id == root:
            children.setdefault(info.parent_id, []).append(info)
    members: list[ThreadMember] = []

    def walk(message_id: str, parent: str | None, depth: int) -> None:
        members.append(ThreadMember(message_id, parent, depth))
        for child in sorted(children.get(message_id, []), key=lambda m: m.date or ""):
            walk(child.message_id, message_id, depth + 1)

    walk(root, None, 0)
    dates = sorted(messages[m.message_id].date or "" for m in members)
    return Thread(root, messages[root].subject, tuple(members), dates[0], dates[-1])


def quote(text: str) -> str:
    return "".join(f"> {line}\n" if line else ">\n" for line in text.splitlines())


# The story: v1 makes the GIC revision register writable, Morgan NAKs the way it is done,
# Rita argues VMMs must be able to pin the old revision, v2 adds a quirk and gets applied.
V1_COVER = (
    "This series makes GICD_IIDR writable from userspace so that a VMM can restore the\n"
    "revision a guest was started with after migration to a newer host.\n\n"
    "Without it, a guest migrated from an older kernel suddenly sees a different\n"
    "implementation revision and can change how it programs the distributor.\n"
    "Userspace must be able to pin the revision the guest was booted with.\n"
)
MORGAN_NAK = (
    "On Mon, Sam Ortiz wrote:\n" + quote("Userspace must be able to pin the revision the guest was booted with.") +
    "\nI don't think so. The old revision reported a behaviour the architecture does not allow.\n"
    "We are not bringing back non-compliant behaviour for the sake of a hypothetical guest.\n"
    "Show me a guest that actually breaks and we can talk.\n\n"
    "NAK for this version.\n"
)
RITA_PIN = (
    "On Tue, Morgan Keel wrote:\n" + quote("Show me a guest that actually breaks and we can talk.") +
    "\nWe run thousands of guests that were booted on the old revision; waiting for an outage is\n"
    "not a plan. Every VMM has to be able to pin the GIC revision across kernel upgrades.\n"
)
OLIVER_MIXED = (
    "On Tue, Rita Vance wrote:\n" + quote("Every VMM has to be able to pin the GIC revision across kernel upgrades.") +
    "\nI agree that migration must keep working, but a new knob per register does not scale.\n"
    "Userspace should read the ID registers and configure what the guest sees.\n"
)
V2_COVER = (
    "This v2 replaces v1: it keeps the compliant behaviour as the default and adds a quirk flag\n"
    "so that a VMM that cares can get the old GICD_IIDR revision back, as asked in review.\n"
    "A quirk lets userspace restore the previous behaviour without forcing it on everyone.\n"
)
OLIVER_ACK = (
    "On Thu, Sam Ortiz wrote:\n" + quote("A quirk lets userspace restore the previous behaviour without forcing it on everyone.") +
    "\nThis is the right trade-off: the default is fixed and the old revision stays reachable.\n\n"
    "Acked-by: Oliver Quill <oliver@example.org>\n"
)
MORGAN_APPLY = (
    "On Fri, Sam Ortiz wrote:\n" + quote("A quirk lets userspace restore the previous behaviour without forcing it on everyone.") +
    "\nApplied to kvmarm/next, thanks.\n"
    "From now on, a fix to guest-visible behaviour comes with a way back for the VMM.\n"
)
V1_ID = "20260302090000.1001-1-sam@example.org"
V2_ID = "20260316090000.2001-1-sam@example.org"


def sample_debate(*, with_commit: bool = True) -> Debate:
    """A two-thread debate over a patch series v1 -> v2, with a NAK, an ack and an apply."""
    b = DebateBuilder()
    b.message(V1_ID, author="sam", subject="[PATCH 0/2] KVM: arm64: vgic: Make GICD_IIDR writable",
              body=V1_COVER, behaviours=["GICD_IIDR"],
              claims=[("Userspace must be able to pin the revision the guest was booted with.",
                       "pin-previous-behaviour", "for")])
    b.message("nak.1@example.org", author="morgan", parent=V1_ID, body=MORGAN_NAK,
              relation=("disagree", "Userspace must be able to pin the revision the guest was booted with."),
              claims=[("We are not bringing back non-compliant behaviour for the sake of a hypothetical guest.",
                       "architecture-compliance", "for"),
                      ("Show me a guest that actually breaks and we can talk.", "evidence-required", "for")],
              decisions=[("rejected", "NAK for this version.")])
    b.message("pin.2@vmm.example.org", author="rita", parent="nak.1@example.org", body=RITA_PIN,
              relation=("disagree", "Show me a guest that actually breaks and we can talk."),
              claims=[("waiting for an outage is\nnot a plan.", "evidence-required", "against"),
                      ("Every VMM has to be able to pin the GIC revision across kernel upgrades.",
                       "pin-previous-behaviour", "for")])
    b.message("mixed.3@example.org", author="oliver", parent="pin.2@vmm.example.org", body=OLIVER_MIXED,
              relation=("mixed", "Every VMM has to be able to pin the GIC revision across kernel upgrades."),
              claims=[("a new knob per register does not scale.", "quirks-opt-out", "against"),
                      ("Userspace should read the ID registers and configure what the guest sees.",
                       "userspace-configures", "for")])
    b.minutes += 60 * 24 * 10
    b.message(V2_ID, author="sam", subject="[PATCH v2 0/2] KVM: arm64: vgic: Make GICD_IIDR writable",
              body=V2_COVER, behaviours=["GICD_IIDR"],
              claims=[("A quirk lets userspace restore the previous behaviour without forcing it on everyone.",
                       "quirks-opt-out", "for")],
              decisions=[("withdrawn", "This v2 replaces v1")])
    b.message("ack.4@example.org", author="oliver", parent=V2_ID, body=OLIVER_ACK,
              relation=("agree", "A quirk lets userspace restore the previous behaviour without forcing it on everyone."),
              claims=[("the default is fixed and the old revision stays reachable.", "quirks-opt-out", "for")],
              decisions=[("endorsed", "Acked-by: Oliver Quill <oliver@example.org>")])
    b.message("apply.5@example.org", author="morgan", parent=V2_ID, body=MORGAN_APPLY,
              relation=("agree", "A quirk lets userspace restore the previous behaviour without forcing it on everyone."),
              claims=[("From now on, a fix to guest-visible behaviour comes with a way back for the VMM.",
                       "quirks-opt-out", "for")],
              decisions=[("accepted", "Applied to kvmarm/next, thanks."),
                         ("policy-ruling", "From now on, a fix to guest-visible behaviour comes with a way back for the VMM.")])
    b.version("gicd-iidr", 1, V1_ID, superseded_by=V2_ID)
    b.version("gicd-iidr", 2, V2_ID)
    if with_commit:
        b.commits.append(MergedCommit("4b1d2c3e5f60718293a4b5c6d7e8f90112233445",
                                      "KVM: arm64: vgic: Make GICD_IIDR writable", V2_ID, "v6.19", "2026-03-27T10:00:00+00:00"))
    return b.build()


HOSTILE_NAME = 'Mallory <script>document.title="pwned-name"</script>'
HOSTILE_SUBJECT = '[PATCH] <img src=http://203.0.113.9/track.png onerror="document.title=\'pwned-img\'">'
HOSTILE_BODY = (
    'Click <a href="javascript:document.title=\'pwned-link\'">here</a> for the fix.\n'
    "<script>document.title='pwned-body'; window.pwned = 1;</script>\n"
    "Userspace must be able to pin <b>every</b> register <img src=http://203.0.113.9/x.png>.\n"
)


def hostile_debate() -> Debate:
    """Names, subjects, bodies and ids that would run script or fetch remote content if a
    renderer ever put them into the page as markup."""
    b = DebateBuilder()
    b.people["mallory"] = Person("mallory", HOSTILE_NAME, ("mallory@example.org",))
    root = "<script>alert(1)</script>@example.org"
    b.message(root, author="mallory", subject=HOSTILE_SUBJECT, body=HOSTILE_BODY,
              claims=[("Userspace must be able to pin <b>every</b> register <img src=http://203.0.113.9/x.png>.",
                       "pin-previous-behaviour", "for")])
    b.message("javascript:alert(2)", author="morgan", parent=root,
              body=quote("Userspace must be able to pin <b>every</b> register") + "\nNo. <script>window.pwned=2</script>\n",
              relation=("disagree", "Userspace must be able to pin <b>every</b> register <img src=http://203.0.113.9/x.png>."),
              claims=[("No. <script>window.pwned=2</script>", "pin-previous-behaviour", "against")],
              decisions=[("rejected", "No.")])
    return b.build()


POSITIONS = ("pin-previous-behaviour", "architecture-compliance", "quirks-opt-out", "evidence-required",
             "userspace-configures", "no-uapi-regression")
SENTENCES = {
    ("pin-previous-behaviour", "for"): "The VMM must be able to pin what older kernels exposed.",
    ("pin-previous-behaviour", "against"): "We will not add knobs to bring back behaviour we removed.",
    ("architecture-compliance", "for"): "If the architecture forbids it, we fix it and there is no way back.",
    ("architecture-compliance", "against"): "Being right by the spec does not justify breaking a running guest.",
    ("quirks-opt-out", "for"): "Add a flag so that a VMM that cares can get the old behaviour back.",
    ("quirks-opt-out", "against"): "A quirk for this is not worth the maintenance burden.",
    ("evidence-required", "for"): "Show me a guest that actually breaks, then we can talk about a knob.",
    ("evidence-required", "against"): "We should not wait for a customer outage before offering a way back.",
    ("userspace-configures", "for"): "Userspace should read the ID registers and set what it wants.",
    ("userspace-configures", "against"): "Expecting every VMM to pin every register is not realistic.",
    ("no-uapi-regression", "for"): "This breaks existing VMMs, so it is a regression and must be fixed.",
    ("no-uapi-regression", "against"): "That ioctl behaviour was never a documented contract.",
}
BEHAVIOURS = ("GICD_IIDR", "ID_AA64PFR0_EL1", "ID_AA64DFR0_EL1", "KVM_ARM_VCPU_PMU_V3")


def large_debate(messages: int = 300, *, seed: int = 7) -> Debate:
    """One thread of ``messages`` messages: a deterministic random reply tree where every
    reply states one or two positions, answers its parent's first claim and sometimes
    mentions a register or decides something."""
    rng = random.Random(seed)
    names = ["morgan", "oliver", "rita", "sam", "tess"] + [f"dev{i}" for i in range(7)]
    b = DebateBuilder()
    for extra in names[5:]:
        b.people[extra] = Person(extra, f"Dev {extra[3:]} Example", (f"{extra}@example.org",))
    ids = [f"bulk.{i}@example.org" for i in range(messages)]
    sentences: dict[str, str] = {}
    for index, message_id in enumerate(ids):
        parent = ids[rng.randrange(max(index - 12, 0), index)] if index else None
        body, claims = _bulk_body(rng, index, parent, sentences)
        sentences[message_id] = claims[0][0]
        label: RelationLabel = rng.choice(["agree", "disagree", "disagree", "mixed", "neutral"])
        behaviour = rng.choice(BEHAVIOURS)
        body += f"This is about {behaviour} in the end.\n"
        decision = [("endorsed", body.splitlines()[-1])] if index % 41 == 40 else []
        b.message(message_id, author=rng.choice(names), parent=parent, body=body,
                  subject="[PATCH v3 0/5] KVM: arm64: Writable ID registers" if not parent else None,
                  claims=claims, relation=(label, sentences[parent]) if parent else None,
                  decisions=decision, behaviours=[behaviour])
    return b.build()


def _bulk_body(rng: random.Random, index: int, parent: str | None,
               sentences: dict[str, str]) -> tuple[str, list[ClaimSpec]]:
    picks = rng.sample(POSITIONS, rng.choice([1, 2]))
    claims: list[ClaimSpec] = []
    body = quote(sentences[parent]) + "\n" if parent else ""
    for position in picks:
        stance: Stance = rng.choice(["for", "against"])
        sentence = f"[{index}] {SENTENCES[(position, stance)]}"
        claims.append((sentence, position, stance))
        body += sentence + "\n"
    return body, claims


def corpus_debate(threads: int, *, replies: int = 5, seed: int = 11) -> Debate:
    """``threads`` threads of a root and ``replies`` replies each, whose people, behaviours
    and decisions grow with the number of threads (as in a real archive): every reply states
    a position, answers its parent's first claim and names a behaviour; every third thread
    ends with a decision."""
    rng = random.Random(seed)
    b = DebateBuilder()
    names = [f"dev{i}" for i in range(max(threads // 2, 5))]
    for name in names:
        b.people[name] = Person(name, f"Dev {name[3:]} Example", (f"{name}@example.org",))
    for t in range(threads):
        ids = [f"t{t}.m{i}@example.org" for i in range(replies + 1)]
        sentences: dict[str, str] = {}
        for index, message_id in enumerate(ids):
            parent = ids[rng.randrange(0, index)] if index else None
            body, claims = _bulk_body(rng, t * 100 + index, parent, sentences)
            sentences[message_id] = claims[0][0]
            behaviour = f"KVM_CAP_SYNTH_{rng.randrange(threads * 2)}"
            body += f"This is about {behaviour} in the end.\n"
            decided = t % 3 == 2 and index == replies
            label: RelationLabel = rng.choice(["agree", "disagree", "mixed", "neutral"])
            b.message(message_id, author=rng.choice(names), parent=parent, body=body,
                      subject=f"[PATCH {t}/9] KVM: arm64: synthetic change number {t}" if not parent else None,
                      claims=claims, relation=(label, sentences[parent]) if parent else None,
                      decisions=[("endorsed", body.splitlines()[-1])] if decided else [], behaviours=[behaviour])
    return b.build()
