#!/usr/bin/env python3
"""Build the synthetic sample corpus of the mlpa project.

Everything this script writes is fiction written for the project: the
participants, their addresses, the patches, the incidents and the
arguments.  Nothing is copied from a real mailing list.  Real threads live
outside the repository (see corpus/README.md).

    python corpus/generate.py           # rewrite kvm.mbox, kvmarm.mbox, MANIFEST.json
    python corpus/generate.py --check   # verify the files on disk: identical to what
                                        # this script produces, parseable, consistent

Only the standard library is used, so the corpus can be rebuilt anywhere.

Message bodies are templates.  Three directives, each alone on a line, are
expanded in order of definition, so that quoted text is always a verbatim
copy of the (rendered) message it quotes:

    @@ATTR <key> <style>@@              attribution line(s) for message <key>
    @@Q <key> ~~ <first> [~~ <last>]@@  quote lines of <key>: from the line that
                                        starts with <first> to the line that starts
                                        with <last> (or to the end of the paragraph)
    @@QALL <key>@@                      quote the whole of <key>

Bodies are raw strings: the two characters backslash-t stand for a TAB, and a
line that is exactly "--" is the signature separator "-- ".
"""
from __future__ import annotations

import argparse
import email.utils
import json
import mailbox
import quopri
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header, make_header
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYNTHETIC = "yes - written for the mlpa project, fictional participants"

LISTS = {
    "kvm": {
        "addr": "kvm@vger.kernel.org",
        "list_id": "<kvm.vger.kernel.org>",
        "file": "kvm.mbox",
        "extra": [
            ("X-Mailing-List", "kvm@vger.kernel.org"),
            ("Precedence", "bulk"),
            ("List-Subscribe", "<mailto:kvm+subscribe@vger.kernel.org>"),
            ("List-Unsubscribe", "<mailto:kvm+unsubscribe@vger.kernel.org>"),
        ],
    },
    "kvmarm": {
        "addr": "kvmarm@lists.linux.dev",
        "list_id": "<kvmarm.lists.linux.dev>",
        "file": "kvmarm.mbox",
        "extra": [
            ("X-Mailing-List", "kvmarm@lists.linux.dev"),
            ("Precedence", "bulk"),
            ("List-Subscribe", "<mailto:kvmarm+subscribe@lists.linux.dev>"),
            ("List-Unsubscribe", "<mailto:kvmarm+unsubscribe@lists.linux.dev>"),
        ],
    },
}

# Fictional participants.  None of them exists.
PEOPLE = {
    "dana": ("Dana Whitcombe", "dana.whitcombe@vmm.example.org"),
    "morgan": ("Morgan Kessler", "morgan.kessler@kernel.example"),
    "tobias": ("Tobias Lindqvist", "tobias.lindqvist@kernel.example"),
    "lena": ("Lena Ostrowski", "lena.ostrowski@example.com"),
    "sam": ("Sam Achebe", "sam.achebe@example.org"),
    "ravi": ("Ravi Kulkarni", "ravi.kulkarni@example.com"),
    "hiro": ("Hiro Tanabe", "hiro.tanabe@cloud.example.com"),
    "paul": ("Paul Benedetti", "paul.benedetti@kernel.example"),
    "ines": ("Ines Carvalho", "ines.carvalho@example.org"),
    "kai": ("Kai Brenner", "kai.brenner@example.com"),
    "weilin": ("Wei-Lin Chen", "weilin.chen@example.com"),
    "gregor": ("Gregor Halvorsen", "gregor.halvorsen@example.org"),
    "priya": ("Priya Raman", "priya.raman@kernel.example"),
    "neil": ("Neil Fairbairn", "neil.fairbairn@example.org"),
    "joerg": ("Jörg Müller", "joerg.mueller@example.org"),
    "marta": ("Marta Quintero", "marta.quintero@corp.example.com"),
    "zoe": ("Zoë Abernathy", "zoe.abernathy@example.com"),
    "asa": ("Åsa Lindgren", "asa.lindgren@example.com"),
}

UA_MUTT = ("User-Agent", "Mutt/2.2.13 (2024-03-09)")
UA_TB = ("User-Agent", "Mozilla Thunderbird")
UA_WL = ("User-Agent", "Wanderlust/2.15.9 Emacs/29.4 Mule/6.0")
UA_GNUS = ("User-Agent", "Gnus/5.13 (Gnus v5.13)")
UA_EVO = ("User-Agent", "Evolution 3.54.3-1")
UA_KMAIL = ("User-Agent", "KMail/5.24.5 (Linux/6.18.2-1-default; KDE/6.9.0; x86_64)")
UA_BAT = ("X-Mailer", "The Bat! (v11.3.2) Professional")
XM_GIT = ("X-Mailer", "git-send-email 2.47.1")
XM_B4 = ("X-Mailer", "b4 0.14.2")


@dataclass
class Mail:
    key: str
    thread: str
    msgid: str
    author: str
    date: str  # "YYYY-MM-DD HH:MM:SS +ZZZZ", the sender's local time
    subject: str
    to: list[str]
    cc: list[str]
    body: str
    parent: str | None = None  # key of the message replied to
    missing_parent: str | None = None  # Message-ID of a parent absent from the corpus
    missing_refs: list[str] = field(default_factory=list)
    content_type: str = "text/plain"
    charset: str = "utf-8"
    cte: str = "8bit"
    flowed: bool = False
    from_header: str | None = None
    subject_header: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    situation: str = ""

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.date, "%Y-%m-%d %H:%M:%S %z")

    @property
    def lists(self) -> list[str]:
        return [k for k in LISTS if "@" + k in self.to + self.cc]


MAILS: list[Mail] = []
BY_KEY: dict[str, Mail] = {}


def add(**kw: object) -> Mail:
    m = Mail(**kw)  # type: ignore[arg-type]
    assert m.key not in BY_KEY, m.key
    MAILS.append(m)
    BY_KEY[m.key] = m
    return m


# --------------------------------------------------------------------------
# Attribution lines, in the styles of common mail clients.

MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
             "August", "September", "Oktober", "November", "Dezember"]
DAYS_DE = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag",
           "Samstag", "Sonntag"]
TZ_NAMES = {"+0200": "CEST", "+0100": "BST", "+0000": "UTC"}


def attribution(src: Mail, style: str, replier: Mail) -> str:
    name, addr = PEOPLE[src.author]
    d = src.when
    local = d.astimezone(replier.when.tzinfo)  # clients that convert to the reader's zone
    if style == "full":  # "On Tue, 12 May 2026 10:03:11 +0100, Jane Doe <jane@...> wrote:"
        return f"On {email.utils.format_datetime(d)}, {name} <{addr}> wrote:"
    if style == "wl":  # Wanderlust: two lines, reader's zone
        return f"On {email.utils.format_datetime(local)},\n{name} <{addr}> wrote:"
    if style == "tb":  # Thunderbird: "On 5/12/26 10:03, Jane Doe wrote:"
        return f"On {local.month}/{local.day}/{local:%y} {local:%H:%M}, {name} wrote:"
    if style == "gnus":
        return f"{name} <{addr}> writes:"
    if style == "mutt":  # "On Tue, May 12, 2026 at 10:03:11AM +0100, Jane Doe wrote:"
        return f"On {d:%a, %b %d, %Y at %I:%M:%S%p %z}, {name} wrote:"
    if style == "mutt-short":  # "On Tue, May 12, 2026, Jane Doe wrote:"
        return f"On {d:%a, %b %d, %Y}, {name} wrote:"
    if style == "evo":  # Evolution: "On Tue, 2026-05-12 at 10:03 +0100, Jane Doe wrote:"
        return f"On {d:%a, %Y-%m-%d at %H:%M %z}, {name} wrote:"
    if style == "gmail":  # "On Tue, 12 May 2026 at 10:03, Jane Doe <jane@...> wrote:"
        return f"On {local:%a}, {local.day} {local:%b %Y at %H:%M}, {name} <{addr}> wrote:"
    if style == "kmail":  # German KMail
        return (f"Am {DAYS_DE[local.weekday()]}, {local.day}. {MONTHS_DE[local.month - 1]} "
                f"{local:%Y, %H:%M:%S} {TZ_NAMES[f'{local:%z}']} schrieb {name}:")
    if style == "bat":  # The Bat!: "Thursday, June 4, 2026, 9:05:51 AM, you wrote:"
        hour = local.hour % 12 or 12
        return f"{local:%A, %B} {local.day}, {local:%Y}, {hour}:{local:%M:%S %p}, you wrote:"
    raise ValueError(style)


# --------------------------------------------------------------------------
# Body rendering.

DIRECTIVE = re.compile(r"^@@(ATTR|QALL|Q) (.*)@@$")
RENDERED: dict[str, str] = {}


def _norm(s: str) -> str:
    return " ".join(s.split())


def quote(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if not line.strip():
            out.append(">")
        elif line.startswith(">"):
            out.append((">" + line).rstrip())
        else:
            out.append(("> " + line).rstrip())
    return out


def _find(lines: list[str], prefix: str, start: int, key: str) -> int:
    want = _norm(prefix)
    for i in range(start, len(lines)):
        if _norm(lines[i]).startswith(want):
            return i
    raise LookupError(f"{key}: no line starting with {prefix!r}")


def render_body(m: Mail) -> str:
    out: list[str] = []
    for line in m.body.replace("\\t", "\t").split("\n"):
        mo = DIRECTIVE.match(line)
        if not mo:
            out.append("-- " if line == "--" else line)
            continue
        kind, arg = mo.groups()
        if kind == "ATTR":
            key, style = arg.split()
            out.extend(attribution(BY_KEY[key], style, m).split("\n"))
            continue
        if kind == "QALL":
            out.extend(quote(RENDERED[arg.strip()].rstrip("\n").split("\n")))
            continue
        parts = [p.strip() for p in arg.split(" ~~ ")]
        src = RENDERED[parts[0]].split("\n")
        i = _find(src, parts[1], 0, parts[0])
        if len(parts) == 3:
            j = _find(src, parts[2], i, parts[0])
        else:
            j = i
            while j + 1 < len(src) and src[j + 1].strip():
                j += 1
        out.extend(quote(src[i:j + 1]))
    text = "\n".join(out).strip("\n") + "\n"
    return text


# --------------------------------------------------------------------------
# Patches: hunk headers and diffstats are computed, not typed.

@dataclass
class FileDiff:
    path: str
    index: str
    spec: str
    new_file: bool = False


def file_diff(fd: FileDiff) -> tuple[str, int, int]:
    lines = [f"diff --git a/{fd.path} b/{fd.path}"]
    if fd.new_file:
        lines += ["new file mode 100644", f"index 000000000000..{fd.index}",
                  "--- /dev/null", f"+++ b/{fd.path}"]
    else:
        lines += [f"index {fd.index} 100644", f"--- a/{fd.path}", f"+++ b/{fd.path}"]
    ins = dels = delta = 0
    hunks: list[tuple[str, list[str]]] = []
    for raw in fd.spec.replace("\\t", "\t").strip("\n").split("\n"):
        if raw.startswith("@@ "):
            hunks.append((raw[3:], []))
        else:
            hunks[-1][1].append(raw if raw else " ")
    for head, body in hunks:
        old_start_s, _, func = head.partition(" ")
        old_start = int(old_start_s)
        n_old = sum(1 for b in body if b[0] in " -")
        n_new = sum(1 for b in body if b[0] in " +")
        ins += sum(1 for b in body if b[0] == "+")
        dels += sum(1 for b in body if b[0] == "-")
        if fd.new_file:
            header = f"@@ -0,0 +1,{n_new} @@"
        else:
            header = f"@@ -{old_start},{n_old} +{old_start + delta},{n_new} @@"
            if func:
                header += " " + func
        delta += n_new - n_old
        lines.append(header)
        lines.extend(body)
    return "\n".join(lines) + "\n", ins, dels


def diffstat(entries: list[tuple[str, int, int, bool]]) -> str:
    width = max(len(p) for p, *_ in entries)
    cwidth = max(len(str(i + d)) for _, i, d, _ in entries)
    graph = max(80 - (1 + width + 3 + cwidth + 1), 10)
    most = max(i + d for _, i, d, _ in entries)
    out = []
    for path, i, d, _ in entries:
        a, r = i, d
        if most > graph:
            a = max(1, round(i * graph / most)) if i else 0
            r = max(1, round(d * graph / most)) if d else 0
        out.append(f" {path:<{width}} | {i + d:>{cwidth}} {'+' * a}{'-' * r}")
    n = len(entries)
    ins = sum(e[1] for e in entries)
    dels = sum(e[2] for e in entries)
    summary = f" {n} file{'s' if n != 1 else ''} changed"
    if ins:
        summary += f", {ins} insertion{'s' if ins != 1 else ''}(+)"
    if dels:
        summary += f", {dels} deletion{'s' if dels != 1 else ''}(-)"
    out.append(summary)
    out += [f" create mode 100644 {p}" for p, _, _, new in entries if new]
    return "\n".join(out) + "\n"


PATCH_STATS: dict[str, list[tuple[str, int, int, bool]]] = {}


def patch(key: str, message: str, files: list[FileDiff]) -> str:
    """A git format-patch body: message, '---', diffstat, diffs, signature."""
    diffs = []
    stats = []
    for fd in files:
        text, i, d = file_diff(fd)
        diffs.append(text)
        stats.append((fd.path, i, d, fd.new_file))
    PATCH_STATS[key] = stats
    return (message.strip("\n") + "\n---\n" + diffstat(stats) + "\n"
            + "".join(diffs) + "--\n2.47.1\n")


def series_stat(keys: list[str]) -> str:
    total: dict[str, list[int]] = {}
    new: dict[str, bool] = {}
    for k in keys:
        for path, i, d, nf in PATCH_STATS[k]:
            acc = total.setdefault(path, [0, 0])
            acc[0] += i
            acc[1] += d
            new[path] = new.get(path, False) or nf
    entries = [(p, v[0], v[1], new[p]) for p, v in sorted(total.items())]
    return diffstat(entries)


# --------------------------------------------------------------------------
# Headers and mbox entries.

def fmt_person(key: str) -> str:
    name, addr = PEOPLE[key]
    return email.utils.formataddr((name, addr), charset="utf-8")


def fmt_rcpt(r: str) -> str:
    if r.startswith("@"):
        return LISTS[r[1:]]["addr"]
    return fmt_person(r)


def fold(name: str, items: list[str], sep: str = ", ") -> str:
    """Fold an address or reference list at 78 columns, RFC 5322 style."""
    lines = [name + ": "]
    for n, item in enumerate(items):
        piece = item + (sep.rstrip() if n < len(items) - 1 else "")
        if len(lines[-1]) + len(piece) > 78 and lines[-1].strip() not in (name + ":",):
            lines[-1] = lines[-1].rstrip()
            lines.append(" ")
        lines[-1] += piece + (" " if n < len(items) - 1 else "")
    return "\n".join(lines).rstrip()


def fold_text(name: str, value: str) -> str:
    words = value.split(" ")
    lines = [f"{name}: {words[0]}"]
    for w in words[1:]:
        if len(lines[-1]) + 1 + len(w) > 78:
            lines.append(" " + w)
        else:
            lines[-1] += " " + w
    return "\n".join(lines)


def encode_q(text: str, charset: str, chunk: int = 24) -> str:
    """RFC 2047 Q-encoded words, folded between words."""
    words = []
    for i in range(0, len(text), chunk):
        raw = text[i:i + chunk].encode(charset)
        enc = "".join(chr(b) if chr(b).isalnum() and b < 128 else
                      ("_" if b == 0x20 else f"={b:02X}") for b in raw)
        words.append(f"=?{charset}?Q?{enc}?=")
    return "\n ".join(words)


def references(m: Mail) -> list[str]:
    if m.parent is None:
        return list(m.missing_refs) + ([m.missing_parent] if m.missing_parent else [])
    p = BY_KEY[m.parent]
    return references(p) + [p.msgid]


def in_reply_to(m: Mail) -> str | None:
    if m.parent is not None:
        return BY_KEY[m.parent].msgid
    return m.missing_parent


def header_lines(m: Mail, list_key: str) -> list[str]:
    h = [f"From: {m.from_header or fmt_person(m.author)}",
         fold("To", [fmt_rcpt(r) for r in m.to])]
    if m.cc:
        h.append(fold("Cc", [fmt_rcpt(r) for r in m.cc]))
    h.append(m.subject_header and f"Subject: {m.subject_header}" or fold_text("Subject", m.subject))
    h.append(f"Date: {email.utils.format_datetime(m.when)}")
    h.append(f"Message-ID: <{m.msgid}>")
    irt = in_reply_to(m)
    if irt:
        h.append(f"In-Reply-To: <{irt}>")
        h.append(fold("References", [f"<{r}>" for r in references(m)], sep=" "))
    h += [f"{k}: {v}" for k, v in m.headers]
    h.append("MIME-Version: 1.0")
    ctype = f"{m.content_type}; charset={m.charset}"
    if m.flowed:
        ctype += "; format=flowed"
    h.append(f"Content-Type: {ctype}")
    h.append(f"Content-Transfer-Encoding: {m.cte}")
    lst = LISTS[list_key]
    h.append(f"List-Id: {lst['list_id']}")
    h += [f"{k}: {v}" for k, v in lst["extra"]]
    h.append(f"X-Synthetic: {SYNTHETIC}")
    return h


def encode_body(m: Mail) -> bytes:
    raw = RENDERED[m.key].encode(m.charset)
    if m.cte == "quoted-printable":
        return quopri.encodestring(raw)
    return raw


FROM_LINE = re.compile(rb"^(>*From )", re.M)


def mbox_entry(m: Mail, list_key: str) -> bytes:
    utc = m.when.astimezone(timezone.utc)
    sep = f"From {PEOPLE[m.author][1]} {utc:%a %b} {utc.day:2d} {utc:%H:%M:%S %Y}\n"
    head = "\n".join(header_lines(m, list_key)) + "\n\n"
    body = FROM_LINE.sub(rb">\1", encode_body(m))  # mboxrd escaping
    if not body.endswith(b"\n"):
        body += b"\n"
    return sep.encode("ascii") + head.encode("ascii") + body + b"\n"


# ==========================================================================
# The corpus.  Three discussions, all fictional:
#   A  kvmarm (+kvm on some messages): documentation patch on guest-visible
#      ABI stability; a policy argument closed by a maintainer's ruling.
#   B  kvm: a two-version patch series adding an x86 quirk.
#   C  kvmarm: a user question about cache geometry after a host upgrade,
#      with messy encodings (HTML-only, ISO-8859-1, windows-1252, RFC 2047).
# ==========================================================================

A_SUBJ = "[PATCH] Documentation: KVM: arm64: describe guest-visible ABI stability"
RE_A = "Re: " + A_SUBJ

add(key="A01", thread="A", author="dana", date="2026-05-18 09:41:07 +0100",
    msgid="20260518084107.21877-1-dana.whitcombe@vmm.example.org",
    subject=A_SUBJ, to=["morgan", "tobias", "@kvmarm"],
    cc=["paul", "lena", "ravi", "@kvm"], headers=[XM_GIT],
    situation="Root: a documentation patch proposing that every guest-visible "
              "change stays selectable (pin-previous-behaviour, quirks-opt-out). "
              "Cross-posted to kvm and kvmarm.",
    body=patch("A01", r"""
Guests on arm64 hosts see a growing number of values that KVM computes
instead of passing them through from the hardware: sanitised ID
registers, a fabricated cache hierarchy, the TYPER and IIDR registers
of the vGIC distributor, the firmware pseudo-registers.  Every one of
them has changed at least once between releases, and every change was
invisible to the VMM until a migrated guest tripped over it.

x86 settled this long ago: a change in guest-visible behaviour comes
with a quirk that is enabled by default, and a VMM that wants the new
behaviour disables the quirk with KVM_CAP_DISABLE_QUIRKS2.  arm64 has
several of the building blocks (writable ID registers, a writable
GICD_IIDR revision, the firmware bitmap registers) but no written rule
saying that a change must come with one of them.

Write the rule down, so that reviewers have something to point at and
VMM authors know what they can rely on.

Signed-off-by: Dana Whitcombe <dana.whitcombe@vmm.example.org>
""", [
        FileDiff("Documentation/virt/kvm/arm/abi-stability.rst", "5e1f0c2a9b7d",
                 new_file=True, spec=r"""
@@ 0
+.. SPDX-License-Identifier: GPL-2.0
+
+===================================
+Guest-visible ABI stability (arm64)
+===================================
+
+A guest started on one host kernel must keep running, unchanged, when
+it is migrated to a newer host kernel or back to the kernel it came
+from.  What the guest can observe is part of the KVM ABI in the same
+way as the ioctls that userspace calls.
+
+Rules
+=====
+
+1. Every value that a guest can read and that KVM computes rather than
+   passes through (ID registers, cache geometry, vGIC distributor and
+   redistributor registers, firmware pseudo-registers) is guest ABI.
+
+2. A change to such a value, or to how KVM reacts to a guest access,
+   must come with a way for userspace to select the behaviour of the
+   previous release.  In order of preference: a writable register
+   (KVM_SET_ONE_REG or a vGIC device attribute), a VM capability, a
+   vCPU feature flag.
+
+3. The previous behaviour stays selectable for as long as a supported
+   longterm kernel still exposes it.
+
+4. Fixing an architecture violation is no exception to rule 2: a guest
+   that booted with the old value must be able to keep it.
+
+Examples
+========
+
+- Userspace writes GICD_IIDR.Revision to select the vGIC behaviour of
+  an older release.
+
+- The firmware pseudo-registers (KVM_REG_ARM_STD_BMAP and friends) let
+  userspace hide hypercall services that appeared after the guest
+  booted.
+
+- Writable ID registers let userspace restore a field whose sanitised
+  value changed, for example a feature field of ID_AA64PFR0_EL1.
+
+Changes that do not follow these rules should not be merged.
"""),
        FileDiff("Documentation/virt/kvm/arm/index.rst", "7c0f3b1d2e44..9a8d6e5f1c03",
                 spec=r"""
@@ 7 ARM
 .. toctree::
    :maxdepth: 2
 
+   abi-stability
    fw-pseudo-registers
    hyp-abi
    hypercalls
"""),
    ]))

add(key="A02", thread="A", author="morgan", date="2026-05-18 14:22:51 +0100",
    msgid="86zq4kc1ev.wl-morgan.kessler@kernel.example", parent="A01",
    subject=RE_A, to=["dana"], cc=["tobias", "paul", "lena", "ravi", "@kvmarm"],
    headers=[UA_WL],
    situation="Maintainer NAK: architecture-compliance and userspace-configures, "
              "against pin-previous-behaviour. Full one-line attribution; quotes "
              "three separate parts of the patch and answers each inline; drops kvm@.",
    body=r"""
[dropping kvm@, this is an arm64-only document]

@@ATTR A01 full@@
@@Q A01 ~~ Guests on arm64 hosts see@@

Yes, and most of them changed because they were *wrong*. Before the
cache hierarchy was fabricated, a guest read whatever the physical CPU
it happened to be running on reported, which is not even the same
value on two cores of the same SoC. GICD_TYPER.num_LPIs advertised
more LPIs than we could ever deliver. These are not behaviours anyone
should want back.

[...]

@@Q A01 ~~ +4. Fixing an architecture ~~ +   that booted with@@

And this is where you lose me. If the architecture forbids a value,
KVM stops exposing it and the guest never sees it again. I am not
going to carry a knob whose only purpose is to let a VMM build a
machine that cannot exist. A guest that relied on such a value was
already broken; it just hadn't noticed yet.

@@Q A01 ~~ +2. A change to such a value ~~ +   vCPU feature flag.@@

Userspace already has what it needs. Read the ID registers once the
vCPU is created, write back what you want the guest to see, and treat
anything KVM doesn't let you write as something to check before you
migrate. That's the contract. KVM's defaults are not a CPU model and
never were; a VMM that doesn't configure the guest gets whatever the
host and the running kernel think is best.

NAK on the document as written. I'm happy to review one that describes
the writable-register model and says, in so many words, that
architecture compliance is not negotiable.

\tM.

--
Without a spec, every register is a suggestion.
""")

add(key="A03", thread="A", author="dana", date="2026-05-18 19:05:33 +0100",
    msgid="20260518180533.GA3141@vmm.example.org", parent="A02",
    subject=RE_A, to=["morgan"], cc=["tobias", "paul", "lena", "ravi", "@kvmarm"],
    headers=[UA_MUTT],
    situation="VMM developer pushes back: pin-previous-behaviour and quirks-opt-out, "
              "citing GICD_TYPER.num_LPIs, GICD_IIDR revision, CCSIDR_EL1, "
              "SUPPRESS_EOI_BROADCAST flags, KVM_X86_QUIRK_* and "
              "KVM_ARM_GET_REG_WRITABLE_MASKS. Mutt attribution; nested > and >> "
              "quotes; two quoted blocks answered in turn.",
    body=r"""
@@ATTR A02 mutt@@
@@Q A02 ~~ On Mon, 18 May 2026 09:41:07 ~~ On Mon, 18 May 2026 09:41:07@@
@@Q A02 ~~ > +4. Fixing an architecture ~~ already broken; it just@@

I am not asking for a machine that cannot exist. I am asking for the
machine the guest booted on to keep existing after the host kernel is
upgraded underneath it. Most of the changes that hurt us replaced one
legal value with another legal value; nobody was fixing a violation.

Take GICD_TYPER.num_LPIs. Older kernels reported 0, meaning "as many
as IDbits allows". Newer ones report a real limit. Both are
architecturally fine. But a guest that reboots after a migration comes
up on a different GIC than the one it was installed on, and nothing in
our migration stream can put the old one back.

The GICD_IIDR revision is the model I would like to see everywhere:
userspace writes the revision the guest was created with, and KVM
behaves like that revision. CCSIDR_EL1 is the counter-example: when
the fabricated cache hierarchy went in, we had to teach our VMM to
save and restore CLIDR_EL1 and every CCSIDR itself, after the first
customer asked why their guest's L2 had shrunk.

On x86 nobody would merge a change like that without a way back. When
the Suppress EOI Broadcast mess was finally sorted out, existing
guests kept the legacy behaviour and a VMM opts in to
KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST or
KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST explicitly. And
KVM_X86_QUIRK_LINT0_REENABLED and KVM_X86_QUIRK_CD_NW_CLEARED are
still there a decade after they were added. Nobody has died of
maintaining them.

@@Q A02 ~~ Userspace already has what it needs ~~ host and the running kernel@@

Only for the registers that are writable. The writable masks
(KVM_ARM_GET_REG_WRITABLE_MASKS) tell me which fields I can pin, and
for the vGIC, the timer and a good part of the ID space the answer is
"none". "Read everything and write it back" is exactly what I am
proposing. I just want everything I read to be something I can write.

Dana
""")

add(key="A04", thread="A", author="lena", date="2026-05-19 08:47:12 +0200",
    msgid="c2b7e0d4-5f1a-4e8b-9d3c-1a6f2e9b7c40@example.com", parent="A03",
    subject=RE_A, to=["dana", "morgan"], cc=["tobias", "paul", "ravi", "@kvmarm"],
    headers=[UA_TB, ("Content-Language", "en-US")], flowed=True,
    situation="Reviewer asks for evidence (evidence-required). Thunderbird "
              "attribution in the reader's time zone; quotes the parent (>) and, "
              "trimmed, the grandparent (>>).",
    body=r"""
@@ATTR A03 tb@@
@@Q A03 ~~ On Mon, May 18, 2026 at 02:22:51PM ~~ On Mon, May 18, 2026 at 02:22:51PM@@
@@Q A03 ~~ > And this is where you lose me ~~ > KVM stops exposing it@@
>> [...]
>
@@Q A03 ~~ Take GICD_TYPER.num_LPIs@@

Which guest, though? I keep reading about guests that size their LPI
tables from num_LPIs, but every OS I have looked at (Linux, two of the
BSDs, both commercial RTOSes we test against) reads IDbits, ignores
num_LPIs when it is zero, and never reads either again after boot.

If there is a guest that actually breaks when this field changes,
please name it and share a reproducer. Then we can talk about a knob.
Until then I would rather not document a promise the arm64 code cannot
keep, for a failure nobody has observed.

Lena
""")

add(key="A05", thread="A", author="dana", date="2026-05-19 11:20:45 +0100",
    msgid="20260519102045.GB3141@vmm.example.org", parent="A04",
    subject=RE_A, to=["lena", "morgan"], cc=["tobias", "paul", "ravi", "@kvmarm"],
    headers=[UA_MUTT],
    situation="VMM developer supplies concrete evidence (a guest that broke after "
              "a reboot on the new host). Three quote levels: > (parent), >> "
              "(grandparent), >>> (great-grandparent); answers two quoted blocks.",
    body=r"""
@@ATTR A04 mutt@@
@@Q A04 ~~ On 5/18/26 ~~ please name it and share a reproducer@@

Fair question, so here is one, with the caveat that it is a single
guest. One of our customers runs an in-house real-time kernel derived
from a 2019 vendor BSP. Its ITS driver reads num_LPIs at boot and,
when the field is non-zero, uses it to size the LPI property and
pending tables instead of deriving them from IDbits.

You are right that it never re-reads the field. It doesn't have to:
the guest was migrated from a host on an older kernel to one on a
newer kernel, rebooted for an unrelated update a week later, and came
back with a quarter of the LPIs it had before. Its NIC driver then
failed to allocate MSIs for half of its queues. No crash, nothing in
the host logs, just a guest whose network throughput halved on a
Tuesday for no visible reason.

I can share the traces privately; the BSP is not mine to publish.

@@Q A04 ~~ Until then I would rather not document ~~ keep, for a failure nobody@@

It has been observed now. And the next one will be observed the same
way: by a customer, after the fact, on a host we cannot roll back
without first migrating every other guest off it. I would much rather
have the promise written down before that happens again.

Dana
""")

add(key="A06", thread="A", author="sam", date="2026-05-19 13:02:19 +0000",
    msgid="87o6yx2kqb.fsf@example.org", parent="A03",
    subject=RE_A, to=["dana"], cc=["morgan", "tobias", "lena", "@kvmarm"],
    headers=[UA_GNUS],
    situation="Argues against bug-for-bug compatibility (ID_AA64PFR0_EL1.CSV2 as the "
              "example). Gnus 'Name <addr> writes:' attribution.",
    body=r"""
@@ATTR A03 gnus@@

@@Q A03 ~~ On x86 nobody would merge ~~ maintaining them.@@

Nobody died, but look at what those quirks preserve. Most of them
exist to keep a bug alive because some firmware image or some guest
depended on it, and every new feature on x86 now has to be reasoned
about with and without each of them. That is bug-for-bug
compatibility, and I don't think arm64 should sign up for it.

There is a difference between "keep the value the guest already saw"
and "keep every mistake KVM ever made reachable from userspace". The
first I could live with, for fields the architecture allows to vary.
The second turns every fix into an ABI negotiation.

If ID_AA64PFR0_EL1.CSV2 was ever advertised on a host that could not
honour it, no VMM should be able to ask for that again.

--
Sam
""")

add(key="A07", thread="A", author="ravi", date="2026-05-19 16:40:02 +0530",
    msgid="f81d4fae-7dec-41d0-a765-00a0c91e6bf6@example.com", parent="A02",
    subject=RE_A, to=["morgan"], cc=["dana", "tobias", "paul", "lena", "@kvmarm"],
    headers=[UA_TB, ("Content-Language", "en-GB")], flowed=True,
    situation="'We don't break userspace' (no-uapi-regression): a KVM_SET_ONE_REG "
              "restore of CCSIDR_EL1 that used to work started failing.",
    body=r"""
@@ATTR A02 tb@@
@@Q A02 ~~ Userspace already has what it needs@@

That works until a kernel decides that a value it used to accept is no
longer valid. Our VMM saves every register on the list that
KVM_GET_REG_LIST returns and writes each one back with KVM_SET_ONE_REG
on the destination. When the CCSIDR_EL1 handling changed, restoring
the saved CCSIDR values on the newer kernel failed with -EINVAL, and
migration from older hosts stopped working altogether. The guest was
never consulted; the ioctl broke.

Whatever we decide about guest-visible values, that part is not up for
debate: a sequence of ioctls that worked on one release has to keep
working on the next. We don't break userspace, and "userspace should
have configured it differently" is not an answer when the
configuration it used was accepted yesterday.

Ravi
""")

add(key="A08", thread="A", author="morgan", date="2026-05-19 17:55:40 +0100",
    msgid="86wn3ib7hz.wl-morgan.kessler@kernel.example", parent="A07",
    subject=RE_A, to=["ravi"], cc=["dana", "tobias", "paul", "lena", "@kvmarm"],
    headers=[UA_WL],
    situation="Maintainer agrees on the userspace API (no-uapi-regression) but "
              "separates it from guest-visible values (architecture-compliance); "
              "interleaved answers to two quoted paragraphs.",
    body=r"""
@@ATTR A07 full@@
@@Q A07 ~~ That works until a kernel decides@@

That one is on us, and it has been fixed: the CCSIDR accessors accept
the values older kernels reported again. I agree with you completely
that a sequence of ioctls that used to work must keep working. That
is the userspace ABI, and a regression there is a bug, full stop.

@@Q A07 ~~ Whatever we decide about guest-visible values@@

But look at what you are actually asking for: that the *ioctl* keeps
working. You are not asking for KVM to keep showing new guests a cache
geometry that depends on which core they were scheduled on, and
neither should the document. Those are two different promises, and
Dana's patch mixes them up.

\tM.

--
Without a spec, every register is a suggestion.
""")

add(key="A09", thread="A", author="tobias", date="2026-05-20 09:14:27 +0200",
    msgid="aCx7Qm2LpV0tKcZr@kernel.example", parent="A08",
    subject=RE_A, to=["morgan"], cc=["ravi", "dana", "paul", "lena", "@kvmarm"],
    headers=[UA_MUTT],
    situation="Replies to the maintainer but quotes only the grandparent's text (>>), "
              "skipping the parent's own words; userspace-configures; agrees with "
              "the parent.",
    body=r"""
@@ATTR A08 mutt@@
@@Q A08 ~~ On Tue, 19 May 2026 16:40:02 +0530 ~~ > never consulted; the ioctl broke.@@

Ravi, which version of your VMM was that? KVM_GET_REG_LIST has never
promised that every register it lists can be written back verbatim on
another host; it lists what userspace may access. For the invariant
registers (MIDR_EL1, REVIDR_EL1, AIDR_EL1, CTR_EL0) writing a value
that differs from the host's has always been refused. A VMM that
treated every register on the list as restorable was relying on luck,
and the CCSIDRs happened to be lucky for a while.

None of which excuses the -EINVAL: Morgan is right that we should not
have started refusing values we used to accept, and the fix is in.
But I would like the document, whatever it ends up saying, to tell VMM
authors which registers are state they own and which are facts about
the host.

Tobias
""")

KAI_MSGID = "20260519193311.GA77210@brenner-ws.example.com"

add(key="A10", thread="A", author="ines", date="2026-05-20 10:31:55 +0100",
    msgid="e4a91c7f-2b3d-4c55-8f0e-7d2a6b1c9e38@example.org",
    missing_parent=KAI_MSGID,
    missing_refs=["20260518084107.21877-1-dana.whitcombe@vmm.example.org"],
    subject=RE_A, to=["kai"], cc=["dana", "morgan", "tobias", "@kvmarm"],
    headers=[UA_TB, ("Content-Language", "pt-PT")], flowed=True,
    situation="Reply to a message that is NOT in the corpus (Kai Brenner's; only "
              "its quoted text survives). In-Reply-To points to the missing id; "
              "References start at the root. Against pin-previous-behaviour.",
    body=r"""
On 5/19/26 20:33, Kai Brenner wrote:
> For what it's worth, we patch our hosts to keep the old CCSIDR
> behaviour and have done so for a couple of years. It is a forty-line
> patch and it has never caused us a problem. A documented, upstream
> way to get the same thing would save a lot of people from carrying it.

Carrying it out of tree is what you should keep doing, if you want it.
Upstream would have to carry it for everyone and test it on every
host, including the ones where the old value differed from one core to
the next. The old behaviour was not one behaviour: it depended on
which CPU the vCPU happened to be running on when the guest read the
register.

A knob that restores "whatever the host core said" cannot be pinned,
because it was never a fixed value in the first place. I don't see
what rule 2 of the document would even mean for it.

Ines
""")

add(key="A11", thread="A", author="dana", date="2026-05-20 12:48:09 +0100",
    msgid="20260520114809.GC3141@vmm.example.org", parent="A06",
    subject=RE_A, to=["sam"], cc=["morgan", "tobias", "lena", "@kvmarm"],
    headers=[UA_MUTT],
    situation="Concedes against bug-for-bug while keeping pin-previous-behaviour and "
              "quirks-opt-out for legal values; mixed reply to two quoted paragraphs.",
    body=r"""
@@ATTR A06 mutt@@
@@Q A06 ~~ There is a difference between@@

Agreed, and I should have been clearer about it: I am not asking for
bug-for-bug compatibility. If an old kernel got something wrong, I
don't expect KVM to keep getting it wrong on request.

@@Q A06 ~~ If ID_AA64PFR0_EL1.CSV2@@

Sure. But the changes that actually bit us were not of that kind. The
num_LPIs change and the CCSIDR change each replaced one legal value
with another legal value. For those I want the old value to stay
selectable: through a writable register where that is possible, and
through a quirk-style flag where it is not.

Dana
""")

add(key="A12", thread="A", author="hiro", date="2026-05-20 23:02:40 +0900",
    msgid="CAKm3Qp7vXw9ZrT2aL0fN8sJd4Uo1yE6cB5hGi3kMqRtW2nA@mail.example.com",
    parent="A05", subject=RE_A, to=["dana"],
    cc=["lena", "morgan", "tobias", "paul", "ravi", "@kvmarm"],
    charset="UTF-8", cte="quoted-printable",
    situation="Top-posted reply (own text above the full quote) from a cloud "
              "operator: pin-previous-behaviour. Gmail-style attribution; "
              "quoted-printable body; quote depth up to four.",
    body=r"""
+1 to Dana.

We run a large arm64 fleet and upgrade host kernels about twice a
year. Every one of those upgrades has come with at least one
guest-visible change that we only found after migrating real customer
workloads onto it. We would much rather pin the previous behaviour per
VM and move guests to the new one at their next cold boot than find
the difference in production.

Please don't make every VMM reinvent this.

Hiro

@@ATTR A05 gmail@@
@@QALL A05@@
""")

add(key="A13", thread="A", author="paul", date="2026-05-21 10:05:13 +0200",
    msgid="8f3d2a61-7c4e-4b9a-a0e5-3b6c9d1f4e27@kernel.example", parent="A02",
    subject=RE_A, to=["morgan"],
    cc=["dana", "tobias", "lena", "ravi", "@kvmarm", "@kvm"],
    headers=[UA_TB, ("Content-Language", "en-US")], flowed=True,
    situation="Top-level maintainer argues the x86 model (compatible-by-default) "
              "for non-register state; re-adds kvm@, so the message is cross-posted "
              "and appears in both mbox files.",
    body=r"""
[Cc'ing kvm@ again, since x86 keeps coming up]

@@ATTR A02 tb@@
@@Q A02 ~~ Userspace already has what it needs@@

On x86 we learned the hard way that in practice they are one, whether
we like it or not. Few VMMs configure every CPUID leaf and every MSR,
and the ones that do still rely on KVM's defaults for the parts of the
machine that CPUID does not describe: the local APIC, the IOAPIC, the
PIT, what happens on INIT. That is why an x86 quirk is *enabled* by
default. The new behaviour is what you get when you ask for it; the
old one is what you get when you don't. KVM_X86_QUIRK_LAPIC_MMIO_HOLE
followed that pattern, and so did KVM_X86_QUIRK_SLOT_ZAP_ALL more
recently.

I don't think arm64 has to copy the model wholesale. The architecture
leaves far less to the implementation than x86 does, and the writable
ID registers cover a lot of ground. But for the parts of the machine
that are not ID registers, the vGIC being the obvious one, I would
like the document to say that a change is opt-in, unless it fixes
something the architecture forbids.

Paul
""")

add(key="A14", thread="A", author="morgan", date="2026-05-21 16:40:38 +0100",
    msgid="86sfo2a9vq.wl-morgan.kessler@kernel.example", parent="A13",
    subject=RE_A, to=["paul"],
    cc=["dana", "tobias", "lena", "ravi", "@kvmarm", "@kvm"],
    headers=[UA_WL],
    situation="Two-line (Wanderlust) attribution. Rejects importing x86 defaults but "
              "accepts writable-state opt-ins (quirks-opt-out) when a real guest "
              "needs one (evidence-required); mixed. Cross-posted.",
    body=r"""
@@ATTR A13 wl@@
@@Q A13 ~~ On x86 we learned the hard way@@

Which is precisely the part of x86 I do not want to import. Each of
those defaults became a contract because nobody ever wrote down that
it wasn't one. On arm64 we still have the chance to write it down.

@@Q A13 ~~ I don't think arm64 has to copy@@

That I can live with, under two conditions. The opt-in has to be
state that userspace can write and migrate: the GICD_IIDR revision is
the template, not a new capability bit for every change. And
somebody has to show me a guest that cares before we add one. I'm
not adding revisions speculatively.

\tM.

--
Without a spec, every register is a suggestion.
""")

add(key="A15", thread="A", author="lena", date="2026-05-22 08:12:50 +0200",
    msgid="1e9b4c27-83d6-4f0a-b5c2-6d7e8f9a0b31@example.com", parent="A14",
    subject=RE_A, to=["morgan", "paul"],
    cc=["dana", "tobias", "ravi", "@kvmarm", "@kvm"],
    headers=[UA_TB, ("Content-Language", "en-US")], flowed=True,
    situation="Short agreement quoting one sentence that starts mid-paragraph; "
              "evidence-required. Cross-posted.",
    body=r"""
@@ATTR A14 tb@@
@@Q A14 ~~ somebody has to show me ~~ not adding revisions@@

+1. Dana's RTOS case is the first concrete report I have seen in this
thread, and it is exactly the kind of thing a revision bump can cover:
the guest only looks at num_LPIs when it boots. I would much rather
review a patch for that one case, with a selftest, than a document
that promises the general case.

Lena
""")

add(key="A16", thread="A", author="morgan", date="2026-05-26 11:30:00 +0100",
    msgid="86o7xs8d2m.wl-morgan.kessler@kernel.example", parent="A01",
    subject=RE_A, to=["dana"],
    cc=["tobias", "paul", "lena", "ravi", "sam", "hiro", "ines", "@kvmarm", "@kvm"],
    headers=[UA_WL],
    situation="Maintainer's closing policy ruling ('From now on, ...'), a reply to "
              "the root; also asks for a respin (changes-requested). The body line "
              "starting with 'From ' is stored as '>From ' (mboxrd). Cross-posted.",
    body=r"""
@@ATTR A01 wl@@
@@Q A01 ~~ +2. A change to such a value ~~ +   vCPU feature flag.@@

Replying to the patch itself, so that the outcome sits next to it. The
thread has converged more than its length suggests, so let me write
down where we are.

From now on, for KVM/arm64:

- Behaviour that the architecture does not allow gets fixed, and there
  is no way back: no capability, no writable value, no quirk.

- Behaviour that the architecture allows, but that changes what a
  guest observes (a different legal value in a GIC distributor field,
  a different cache geometry, a new firmware service), only changes
  together with a way for userspace to select the previous one. That
  way has to be state that userspace saves and restores: a writable ID
  register field, the GICD_IIDR revision, a firmware pseudo-register.
  Not a new VM capability for every change.

- Such a knob gets added when someone reports a guest that observes
  the difference, not in anticipation of one.

- Whatever KVM_SET_ONE_REG or a device attribute accepted in one
  release, it keeps accepting in the next. That part is not up for
  discussion, and a regression there is a bug.

Dana, please respin the document along these lines, and drop rule 4 as
it stands. I'll take it through the kvmarm tree once Tobias and Lena
are happy with the wording. For num_LPIs, a patch that ties the
reported value to the GICD_IIDR revision is welcome.

\tM.

--
Without a spec, every register is a suggestion.
""")

add(key="A17", thread="A", author="dana", date="2026-05-26 14:02:11 +0100",
    msgid="20260526130211.GD3141@vmm.example.org", parent="A16",
    subject=RE_A, to=["morgan"],
    cc=["tobias", "paul", "lena", "ravi", "sam", "hiro", "ines", "@kvmarm", "@kvm"],
    headers=[UA_MUTT],
    situation="Author accepts the ruling and withdraws this version in favour of a "
              "v2 (withdrawn). Cross-posted.",
    body=r"""
@@ATTR A16 mutt@@
@@Q A16 ~~ Dana, please respin the document@@

Will do. I still expect the line between "forbidden" and "allowed but
different" to be argued one case at a time, but having it written down
is most of what I was after. Consider this version withdrawn; v2 will
carry the rules above and a worked example for num_LPIs, and the
GICD_IIDR patch will follow separately.

Dana
""")

# --------------------------------------------------------------------------
# Thread B: an x86 quirk series, v1 (NAKed, withdrawn) and v2 (applied).

B_TOPIC = "KVM: x86: add quirk for lax IA32_MISC_ENABLE writes"
B_FIX = "KVM: x86: inject #GP on writes to reserved bits of IA32_MISC_ENABLE"
B_QUIRK = "KVM: x86: add KVM_X86_QUIRK_LAX_MISC_ENABLE"
B_TEST = "KVM: selftests: test IA32_MISC_ENABLE reserved bits with and without quirk"
B_PEOPLE = dict(to=["priya", "paul"], cc=["gregor", "@kvm"])
B_REPLY = dict(cc=["paul", "gregor", "@kvm"])

UAPI_QUIRK = FileDiff("arch/x86/include/uapi/asm/kvm.h", "a3c54f1e02b9..d81e7b26c4f0", r"""
@@ 441 struct kvm_sync_regs {
 #define KVM_X86_QUIRK_IGNORE_GUEST_PAT\t\t(1 << 9)
 #define KVM_X86_QUIRK_VMCS12_ALLOW_FREEZE_IN_SMM\t(1 << 10)
 #define KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT\t(1 << 11)
+#define KVM_X86_QUIRK_LAX_MISC_ENABLE\t\t(1 << 12)

 #define KVM_STATE_NESTED_FORMAT_VMX\t0
 #define KVM_STATE_NESTED_FORMAT_SVM\t1
""")

X86H_QUIRK = FileDiff("arch/x86/kvm/x86.h", "5b0e93c7d1a2..2f6c48ae90d7", r"""
@@ 378 static inline bool kvm_check_has_quirk(struct kvm *kvm, u64 quirk)
 \t KVM_X86_QUIRK_STUFF_FEATURE_MSRS |\t\
 \t KVM_X86_QUIRK_IGNORE_GUEST_PAT |\t\
 \t KVM_X86_QUIRK_VMCS12_ALLOW_FREEZE_IN_SMM |\t\
-\t KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT)
+\t KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT |\t\
+\t KVM_X86_QUIRK_LAX_MISC_ENABLE)

 /*
  * KVM_X86_QUIRK_CD_NW_CLEARED and KVM_X86_QUIRK_IGNORE_GUEST_PAT are
""")

B02_BODY = patch("B02", r"""
KVM lets the guest write any value to IA32_MISC_ENABLE except for the
read-only PMU bits, and hands the same value back on the next read.
On bare metal, setting a bit that the processor does not implement
raises #GP.

Inject #GP when a write sets a bit outside the set that KVM models for
the vCPU: fast strings, the PMU bits, limit-CPUID, xTPR disable, plus
MWAIT and XD disable when the corresponding features are exposed in
guest CPUID.

Signed-off-by: Wei-Lin Chen <weilin.chen@example.com>
""", [FileDiff("arch/x86/kvm/x86.c", "e6a9d3b1f047..c17f82a5e3d9", r"""
@@ 3872 static bool kvm_is_msr_to_save(u32 msr_index)
 \treturn false;
 }

+static u64 kvm_misc_enable_valid_bits(struct kvm_vcpu *vcpu)
+{
+\tu64 valid = MSR_IA32_MISC_ENABLE_FAST_STRING |
+\t\t    MSR_IA32_MISC_ENABLE_EMON |
+\t\t    MSR_IA32_MISC_ENABLE_PMU_RO_MASK |
+\t\t    MSR_IA32_MISC_ENABLE_LIMIT_CPUID |
+\t\t    MSR_IA32_MISC_ENABLE_XTPR_DISABLE;
+
+\tif (guest_cpu_cap_has(vcpu, X86_FEATURE_MWAIT))
+\t\tvalid |= MSR_IA32_MISC_ENABLE_MWAIT;
+\tif (guest_cpu_cap_has(vcpu, X86_FEATURE_NX))
+\t\tvalid |= MSR_IA32_MISC_ENABLE_XD_DISABLE;
+
+\treturn valid;
+}
+
 int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr_info)
 {
 \tu32 msr = msr_info->index;
@@ 4001 int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr_info)
 \tcase MSR_IA32_MISC_ENABLE: {
 \t\tu64 old = vcpu->arch.ia32_misc_enable_msr;

+\t\t/* Bits the vCPU does not have fault, as on bare metal. */
+\t\tif (data & ~kvm_misc_enable_valid_bits(vcpu))
+\t\t\treturn 1;
+
 \t\tif (!msr_info->host_initiated &&
 \t\t    ((old ^ data) & MSR_IA32_MISC_ENABLE_PMU_RO_MASK))
 \t\t\treturn 1;
""")])

B03_BODY = patch("B03", r"""
Some guest firmware sets bits of IA32_MISC_ENABLE that KVM does not
model, and does not expect the write to fault.  Add a quirk that,
while enabled, lets such writes through as before.

Signed-off-by: Wei-Lin Chen <weilin.chen@example.com>
""", [UAPI_QUIRK, FileDiff("arch/x86/kvm/x86.c", "c17f82a5e3d9..0b94e6d2a7c1", r"""
@@ 4018 int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr_info)
 \t\tu64 old = vcpu->arch.ia32_misc_enable_msr;

 \t\t/* Bits the vCPU does not have fault, as on bare metal. */
-\t\tif (data & ~kvm_misc_enable_valid_bits(vcpu))
+\t\tif (!kvm_check_has_quirk(vcpu->kvm, KVM_X86_QUIRK_LAX_MISC_ENABLE) &&
+\t\t    (data & ~kvm_misc_enable_valid_bits(vcpu)))
 \t\t\treturn 1;

 \t\tif (!msr_info->host_initiated &&
"""), X86H_QUIRK])

add(key="B01", thread="B-v1", author="weilin", date="2026-05-05 10:12:33 +0800",
    msgid="20260505021233.88412-1-weilin.chen@example.com",
    subject=f"[PATCH 0/2] {B_TOPIC}", **B_PEOPLE, headers=[XM_GIT],
    situation="v1 cover letter of a two-patch series.",
    body=r"""
KVM stores whatever a guest writes to IA32_MISC_ENABLE, apart from the
read-only PMU bits.  Bits that the vCPU model does not have are
accepted and read back, where bare metal raises #GP, so a guest can
"enable" features the vCPU does not have and a later read tells it
they are on.

Patch 1 makes guest writes that set such bits fault.  Patch 2 adds
KVM_X86_QUIRK_LAX_MISC_ENABLE so that a VMM can restore the old
behaviour for guests that depend on it; we know of one firmware build
that sets bit 38 unconditionally early in boot.

Wei-Lin Chen (2):
  """ + B_FIX + r"""
  """ + B_QUIRK + "\n\n" + series_stat(["B02", "B03"]) + r"""
base-commit: 4f2a7c91e0d35b6a8c1e9f0d7b2a3c4d5e6f7a8b
--
2.47.1
""")

add(key="B02", thread="B-v1", author="weilin", date="2026-05-05 10:12:34 +0800",
    msgid="20260505021233.88412-2-weilin.chen@example.com", parent="B01",
    subject=f"[PATCH 1/2] {B_FIX}", **B_PEOPLE, headers=[XM_GIT],
    situation="v1 patch 1/2: the behaviour change, without a quirk yet.",
    body=B02_BODY)

add(key="B03", thread="B-v1", author="weilin", date="2026-05-05 10:12:35 +0800",
    msgid="20260505021233.88412-3-weilin.chen@example.com", parent="B01",
    subject=f"[PATCH 2/2] {B_QUIRK}", **B_PEOPLE, headers=[XM_GIT],
    situation="v1 patch 2/2: the quirk, one commit too late.",
    body=B03_BODY)

add(key="B04", thread="B-v1", author="gregor", date="2026-05-05 17:48:20 +0200",
    msgid="3f1c9e07a2b84d6e5c0a9b8f7e6d5c4b3a291807.camel@example.org", parent="B02",
    subject=f"Re: [PATCH 1/2] {B_FIX}", to=["weilin"], cc=["priya", "paul", "@kvm"],
    headers=[UA_EVO],
    situation="Patch review inline in the diff: quoted hunks with comments between "
              "them; changes-requested (host-initiated writes, ordering, Fixes tag). "
              "Evolution attribution.",
    body=r"""
@@ATTR B02 evo@@
@@Q B02 ~~ KVM lets the guest write any value ~~ raises #GP.@@

Fine so far, but please say in the changelog which guests you have
seen doing this; "bare metal faults" on its own does not justify
changing what an existing guest sees.

@@Q B02 ~~ +static u64 kvm_misc_enable_valid_bits ~~ +\t\t    MSR_IA32_MISC_ENABLE_XTPR_DISABLE;@@

Nit: the fixed part of this could be a #define next to the other
IA32_MISC_ENABLE masks, so that the next person who adds a bit to the
model finds it.

@@Q B02 ~~ +\tif (guest_cpu_cap_has(vcpu, X86_FEATURE_MWAIT)) ~~ +\t\tvalid |= MSR_IA32_MISC_ENABLE_XD_DISABLE;@@

This depends on guest CPUID, which some restore paths set after the
MSRs. That is fine for guest writes, and one more reason to keep the
check away from host-initiated ones, see below.

@@Q B02 ~~ +\t\t/* Bits the vCPU does not have ~~ +\t\t\treturn 1;@@

This runs for host-initiated writes too. A vCPU saved on an older
kernel, whose guest had set one of these bits, now fails to restore:
KVM_SET_MSRS refuses a value that KVM_GET_MSRS handed out. That is a
userspace ABI regression whatever we decide for the guest, so the
check has to sit under !msr_info->host_initiated.

It also changes guest-visible behaviour with no way back until patch 2
lands, which hurts anyone bisecting through here. Please swap the two
patches, and add a Fixes: tag for the commit that made KVM accept
arbitrary values in the first place.

Gregor
""")

add(key="B05", thread="B-v1", author="priya", date="2026-05-05 09:31:07 -0700",
    msgid="aBk3Rz9vQp1TmW0e@kernel.example", parent="B02",
    subject=f"Re: [PATCH 1/2] {B_FIX}", to=["weilin"], cc=["paul", "gregor", "@kvm"],
    headers=[UA_MUTT],
    situation="Maintainer NAK on v1 1/2 with a Nacked-by: trailer (rejected, "
              "changes-requested): no guest-visible change without a quirk.",
    body=r"""
@@ATTR B02 mutt-short@@
@@Q B02 ~~ Inject #GP when a write sets a bit ~~ guest CPUID.@@

NAK to this patch on its own.  KVM doesn't change what an existing
guest observes on an MSR access without giving userspace a way to keep
the old behaviour, and the quirk in patch 2 arrives one commit too
late: anyone who bisects through here, or who backports only this
patch, gets the new behaviour and no way out of it.  Add the quirk
first, and write the check against it from day one.

Nacked-by: Priya Raman <priya.raman@kernel.example>
""")

add(key="B06", thread="B-v1", author="priya", date="2026-05-05 09:52:44 -0700",
    msgid="aBk8Hn2cLx4YsF7u@kernel.example", parent="B03",
    subject=f"Re: [PATCH 2/2] {B_QUIRK}", to=["weilin"], cc=["paul", "gregor", "@kvm"],
    headers=[UA_MUTT],
    situation="Maintainer review of v1 2/2 quoting diff lines: document the quirk "
              "in api.rst, add a selftest (changes-requested).",
    body=r"""
@@ATTR B03 mutt-short@@
@@Q B03 ~~ +#define KVM_X86_QUIRK_LAX_MISC_ENABLE@@

Every quirk needs an entry in the KVM_CAP_DISABLE_QUIRKS2 table in
Documentation/virt/kvm/api.rst that says what KVM does while the quirk
is enabled and what changes when userspace disables it.  The set of
quirks is ABI, and an undocumented one is a bug.

@@Q B03 ~~ -\t\tif (data & ~kvm_misc_enable_valid_bits ~~ +\t\t    (data & ~kvm_misc_enable_valid_bits@@

And a selftest that runs the same guest code with the quirk enabled
and disabled, please, including a host-initiated write of a value with
a reserved bit set.
""")

add(key="B07", thread="B-v1", author="weilin", date="2026-05-06 10:05:18 +0800",
    msgid="0d6f2b8e-4a1c-4e37-9b5d-c2e8a7f3b610@example.com", parent="B04",
    subject=f"Re: [PATCH 1/2] {B_FIX}", to=["gregor"], cc=["priya", "paul", "@kvm"],
    headers=[UA_TB, ("Content-Language", "en-US")], flowed=True,
    situation="Author answers three quoted review comments in turn: agrees with one, "
              "disagrees with the nit, supplies the evidence asked for (mixed).",
    body=r"""
@@ATTR B04 tb@@
@@Q B04 ~~ This runs for host-initiated writes too@@

Ouch, yes. I only tested freshly booted guests. v2 moves the check
under !host_initiated and adds the restore case to the selftest.

@@Q B04 ~~ Nit: the fixed part of this@@

The other masks live in msr-index.h, which is shared with the rest of
arch/x86, and this set is KVM's view of the vCPU rather than a fact
about the hardware. I'd rather keep it next to its only user in x86.c,
with a comment. Let me know if you feel strongly about it.

@@Q B04 ~~ Fine so far, but please say in the changelog@@

It is a build of an old open-source UEFI tree that one of our
customers still ships in appliance images; I'll name it in v2.

Wei-Lin
""")

add(key="B08", thread="B-v1", author="weilin", date="2026-05-06 10:21:40 +0800",
    msgid="5b7e3c91-0f2d-4a68-8e14-9d3f6a2c7e85@example.com", parent="B05",
    subject=f"Re: [PATCH 1/2] {B_FIX}", to=["priya"], cc=["paul", "gregor", "@kvm"],
    headers=[UA_TB, ("Content-Language", "en-US")], flowed=True,
    situation="Author accepts the NAK and withdraws v1 (withdrawn).",
    body=r"""
@@ATTR B05 tb@@
@@Q B05 ~~ NAK to this patch on its own@@

Understood. v2 adds the quirk first and gates the check on it from the
start. Please disregard this version; v2 replaces it.

Wei-Lin
""")

B10_BODY = patch("B10", r"""
Some guest firmware sets bits of IA32_MISC_ENABLE that KVM does not
model and does not expect the write to fault; one example is an
appliance image built from a 2014 snapshot of an open-source UEFI
tree, which sets bit 38 unconditionally during early boot.

Add KVM_X86_QUIRK_LAX_MISC_ENABLE ahead of the change that makes such
writes fault.  The quirk is enabled by default like every other quirk,
so existing VMMs keep today's behaviour; a VMM that wants the
architectural behaviour disables it with KVM_CAP_DISABLE_QUIRKS2.

Signed-off-by: Wei-Lin Chen <weilin.chen@example.com>
""", [FileDiff("Documentation/virt/kvm/api.rst", "8c2d71e9a0f5..46b0e3c8d2a1", r"""
@@ 8414 The valid bits in cap.args[0] are:
 KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT  By default, L2 shares L1's IA32_PAT
                                      under nested SVM.  When this quirk
                                      is disabled and nested NPT is in
                                      use, L2 gets a PAT of its own.
+
+KVM_X86_QUIRK_LAX_MISC_ENABLE        By default, KVM stores any value the
+                                     guest writes to IA32_MISC_ENABLE,
+                                     apart from the read-only PMU bits,
+                                     even when the value sets bits that
+                                     the vCPU does not implement.  When
+                                     this quirk is disabled, such a guest
+                                     write raises #GP.  Host-initiated
+                                     writes are never checked.
 ==================================== ============================================

 7.32 KVM_CAP_MAX_VCPU_ID
"""), UAPI_QUIRK, X86H_QUIRK])

B11_BODY = patch("B11", r"""
KVM lets the guest write any value to IA32_MISC_ENABLE apart from the
read-only PMU bits, and hands the same value back on the next read.
On bare metal, setting a bit that the processor does not implement
raises #GP.

When userspace has disabled KVM_X86_QUIRK_LAX_MISC_ENABLE, inject #GP
on a guest write that sets a bit outside the set KVM models for the
vCPU: fast strings, the PMU bits, limit-CPUID and xTPR disable, plus
MWAIT and XD disable when guest CPUID exposes the matching features.
Host-initiated writes are not checked, so that state saved on any
kernel can still be restored.

Fixes: 0123456789ab ("KVM: x86: emulate IA32_MISC_ENABLE in common code")
Signed-off-by: Wei-Lin Chen <weilin.chen@example.com>
""", [FileDiff("arch/x86/kvm/x86.c", "e6a9d3b1f047..7a3e0c5b9d12", r"""
@@ 3872 static bool kvm_is_msr_to_save(u32 msr_index)
 \treturn false;
 }

+/*
+ * The bits of IA32_MISC_ENABLE that KVM models for the guest.  Anything
+ * else is reserved from the guest's point of view, whatever the host
+ * CPU implements.
+ */
+static u64 kvm_misc_enable_valid_bits(struct kvm_vcpu *vcpu)
+{
+\tu64 valid = MSR_IA32_MISC_ENABLE_FAST_STRING |
+\t\t    MSR_IA32_MISC_ENABLE_EMON |
+\t\t    MSR_IA32_MISC_ENABLE_PMU_RO_MASK |
+\t\t    MSR_IA32_MISC_ENABLE_LIMIT_CPUID |
+\t\t    MSR_IA32_MISC_ENABLE_XTPR_DISABLE;
+
+\tif (guest_cpu_cap_has(vcpu, X86_FEATURE_MWAIT))
+\t\tvalid |= MSR_IA32_MISC_ENABLE_MWAIT;
+\tif (guest_cpu_cap_has(vcpu, X86_FEATURE_NX))
+\t\tvalid |= MSR_IA32_MISC_ENABLE_XD_DISABLE;
+
+\treturn valid;
+}
+
 int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr_info)
 {
 \tu32 msr = msr_info->index;
@@ 4001 int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr_info)
 \tcase MSR_IA32_MISC_ENABLE: {
 \t\tu64 old = vcpu->arch.ia32_misc_enable_msr;

-\t\tif (!msr_info->host_initiated &&
-\t\t    ((old ^ data) & MSR_IA32_MISC_ENABLE_PMU_RO_MASK))
-\t\t\treturn 1;
+\t\tif (!msr_info->host_initiated) {
+\t\t\t/* The PMU bits are read-only for the guest. */
+\t\t\tif ((old ^ data) & MSR_IA32_MISC_ENABLE_PMU_RO_MASK)
+\t\t\t\treturn 1;
+
+\t\t\tif (!kvm_check_has_quirk(vcpu->kvm,
+\t\t\t\t\t\t KVM_X86_QUIRK_LAX_MISC_ENABLE) &&
+\t\t\t    (data & ~kvm_misc_enable_valid_bits(vcpu)))
+\t\t\t\treturn 1;
+\t\t}

 \t\tvcpu->arch.ia32_misc_enable_msr = data;
 \t\tkvm_update_misc_enable_mwait(vcpu, old, data);
""")])

B12_BODY = patch("B12", r"""
Check that a guest write setting a reserved bit of IA32_MISC_ENABLE
succeeds while KVM_X86_QUIRK_LAX_MISC_ENABLE is enabled and raises #GP
once userspace disables it, and that a host-initiated write of the
same value is accepted either way.

Signed-off-by: Wei-Lin Chen <weilin.chen@example.com>
""", [FileDiff("tools/testing/selftests/kvm/Makefile.kvm", "31d7a0e6c4b8..b95f2e17a3d0", r"""
@@ 88 TEST_GEN_PROGS_x86 += x86/hyperv_tlb_flush
 TEST_GEN_PROGS_x86 += x86/kvm_clock_test
 TEST_GEN_PROGS_x86 += x86/kvm_pv_test
 TEST_GEN_PROGS_x86 += x86/kvm_buslock_test
+TEST_GEN_PROGS_x86 += x86/misc_enable_test
 TEST_GEN_PROGS_x86 += x86/monitor_mwait_test
 TEST_GEN_PROGS_x86 += x86/msrs_test
 TEST_GEN_PROGS_x86 += x86/nested_emulation_test
"""), FileDiff("tools/testing/selftests/kvm/x86/misc_enable_test.c", "c6e2a9174f3b",
               new_file=True, spec=r"""
@@ 0
+// SPDX-License-Identifier: GPL-2.0-only
+/*
+ * A guest write that sets a reserved bit of IA32_MISC_ENABLE must succeed
+ * while KVM_X86_QUIRK_LAX_MISC_ENABLE is enabled and raise #GP once
+ * userspace disables the quirk.  Host-initiated writes always succeed.
+ */
+#include "test_util.h"
+#include "kvm_util.h"
+#include "processor.h"
+
+#define MISC_ENABLE_RESERVED_BIT\tBIT_ULL(38)
+
+static void guest_code(bool expect_gp)
+{
+\tuint64_t val = rdmsr(MSR_IA32_MISC_ENABLE);
+\tuint8_t vector;
+
+\tvector = wrmsr_safe(MSR_IA32_MISC_ENABLE,
+\t\t\t    val | MISC_ENABLE_RESERVED_BIT);
+\tGUEST_ASSERT_EQ(vector, expect_gp ? GP_VECTOR : 0);
+\tGUEST_DONE();
+}
+
+static void run_one(bool disable_quirk)
+{
+\tstruct kvm_vcpu *vcpu;
+\tstruct kvm_vm *vm;
+\tstruct ucall uc;
+\tuint64_t val;
+
+\tvm = vm_create_with_one_vcpu(&vcpu, guest_code);
+\tif (disable_quirk)
+\t\tvm_enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2,
+\t\t\t      KVM_X86_QUIRK_LAX_MISC_ENABLE);
+\tvcpu_args_set(vcpu, 1, disable_quirk);
+
+\tvcpu_run(vcpu);
+\tTEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
+\tswitch (get_ucall(vcpu, &uc)) {
+\tcase UCALL_ABORT:
+\t\tREPORT_GUEST_ASSERT(uc);
+\t\tbreak;
+\tcase UCALL_DONE:
+\t\tbreak;
+\tdefault:
+\t\tTEST_FAIL("Unexpected ucall %lu", uc.cmd);
+\t}
+
+\t/* Restoring saved state must work whatever the quirk says. */
+\tval = vcpu_get_msr(vcpu, MSR_IA32_MISC_ENABLE);
+\tvcpu_set_msr(vcpu, MSR_IA32_MISC_ENABLE, val | MISC_ENABLE_RESERVED_BIT);
+
+\tkvm_vm_free(vm);
+}
+
+int main(void)
+{
+\tTEST_REQUIRE(kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2) &
+\t\t     KVM_X86_QUIRK_LAX_MISC_ENABLE);
+
+\trun_one(false);
+\trun_one(true);
+\treturn 0;
+}
""")])

add(key="B09", thread="B-v2", author="weilin", date="2026-05-20 15:31:02 +0800",
    msgid="20260520073102.40917-1-weilin.chen@example.com",
    subject=f"[PATCH v2 0/3] {B_TOPIC}", **B_PEOPLE, headers=[XM_GIT],
    situation="v2 cover letter: 'Changes since v1:' and a Link: to the v1 cover on "
              "lore. A new thread root (no In-Reply-To), linked to v1 by subject "
              "and author.",
    body=r"""
KVM stores whatever a guest writes to IA32_MISC_ENABLE, apart from the
read-only PMU bits.  Bits that the vCPU model does not have are
accepted and read back, where bare metal raises #GP.

Patch 1 adds KVM_X86_QUIRK_LAX_MISC_ENABLE, enabled by default, so
nothing changes for existing VMMs.  Patch 2 makes guest writes that
set such bits fault, but only once userspace has disabled the quirk
with KVM_CAP_DISABLE_QUIRKS2.  Patch 3 adds a selftest.

Changes since v1:
 - Quirk first, and the new check is gated on it from the start, so no
   commit in the series changes what an existing guest sees (Priya).
 - Host-initiated writes are never checked: KVM_SET_MSRS keeps
   accepting every value KVM_GET_MSRS can return (Gregor).
 - Documented the quirk in api.rst (Priya).
 - Named the affected firmware in the changelog, added a Fixes: tag
   and a selftest (Gregor, Priya).

Link: https://lore.kernel.org/all/20260505021233.88412-1-weilin.chen@example.com/

Wei-Lin Chen (3):
  """ + B_QUIRK + r"""
  """ + B_FIX + r"""
  """ + B_TEST + "\n\n" + series_stat(["B10", "B11", "B12"]) + r"""
base-commit: 9b3e5d70c1a24f68e2d0b7a91c3f5e8d4a6b2c10
--
2.47.1
""")

add(key="B10", thread="B-v2", author="weilin", date="2026-05-20 15:31:03 +0800",
    msgid="20260520073102.40917-2-weilin.chen@example.com", parent="B09",
    subject=f"[PATCH v2 1/3] {B_QUIRK}", **B_PEOPLE, headers=[XM_GIT],
    situation="v2 1/3: the quirk, now first, with api.rst documentation.",
    body=B10_BODY)

add(key="B11", thread="B-v2", author="weilin", date="2026-05-20 15:31:04 +0800",
    msgid="20260520073102.40917-3-weilin.chen@example.com", parent="B09",
    subject=f"[PATCH v2 2/3] {B_FIX}", **B_PEOPLE, headers=[XM_GIT],
    situation="v2 2/3: the fix gated on the quirk; carries a Fixes: trailer.",
    body=B11_BODY)

add(key="B12", thread="B-v2", author="weilin", date="2026-05-20 15:31:05 +0800",
    msgid="20260520073102.40917-4-weilin.chen@example.com", parent="B09",
    subject=f"[PATCH v2 3/3] {B_TEST}", **B_PEOPLE, headers=[XM_GIT],
    situation="v2 3/3: a selftest (new file); the long subject is folded.",
    body=B12_BODY)

add(key="B13", thread="B-v2", author="gregor", date="2026-05-21 11:02:09 +0200",
    msgid="9a7c5e3f1b2d4068ace13579bdf02468ace13579.camel@example.org", parent="B11",
    subject=f"Re: [PATCH v2 2/3] {B_FIX}", to=["weilin"], cc=["priya", "paul", "@kvm"],
    headers=[UA_EVO],
    situation="Inline comment on a quoted hunk of v2 2/3, then Reviewed-by (endorsed).",
    body=r"""
@@ATTR B11 evo@@
@@Q B11 ~~ +\t\tif (!msr_info->host_initiated) { ~~ +\t\t}@@

Much better, thanks. One small thing, take it or leave it: the PMU
comment could say *why* those bits are read-only (they describe the
vPMU, which userspace owns), since that is the part people keep
asking about.

Reviewed-by: Gregor Halvorsen <gregor.halvorsen@example.org>
""")

add(key="B14", thread="B-v2", author="gregor", date="2026-05-21 11:05:47 +0200",
    msgid="b2d4f6a8c0e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7.camel@example.org", parent="B10",
    subject=f"Re: [PATCH v2 1/3] {B_QUIRK}", to=["weilin"], cc=["priya", "paul", "@kvm"],
    headers=[UA_EVO],
    situation="Bare Reviewed-by on v2 1/3 after a trimmed quote (endorsed).",
    body=r"""
@@ATTR B10 evo@@
@@Q B10 ~~ Add KVM_X86_QUIRK_LAX_MISC_ENABLE ahead@@
> [...]

Reviewed-by: Gregor Halvorsen <gregor.halvorsen@example.org>
""")

add(key="B15", thread="B-v2", author="dana", date="2026-05-22 16:44:30 +0100",
    msgid="20260522154430.GE3141@vmm.example.org", parent="B09",
    subject=f"Re: [PATCH v2 0/3] {B_TOPIC}", to=["weilin"],
    cc=["priya", "paul", "gregor", "@kvm"], headers=[UA_MUTT],
    situation="Tested-by on the v2 cover from a VMM developer (endorsed); "
              "approves of the compatible-by-default ordering.",
    body=r"""
@@ATTR B09 mutt@@
@@Q B09 ~~ Patch 1 adds KVM_X86_QUIRK_LAX_MISC_ENABLE@@

Tested with our VMM on an Intel and an AMD host: the appliance
firmware from the changelog boots as before with the quirk left alone,
takes the #GP (and stops, as expected) with the quirk disabled, and a
vCPU saved with bit 38 set on an unpatched kernel restores fine on the
patched one in both configurations.

Thanks for doing this the compatible way round.

Tested-by: Dana Whitcombe <dana.whitcombe@vmm.example.org>
""")

add(key="B16", thread="B-v2", author="paul", date="2026-05-25 10:12:00 +0200",
    msgid="4c8e2a6f-1b3d-4f5a-9c7e-0d2b4f6a8c1e@kernel.example", parent="B09",
    subject=f"Re: [PATCH v2 0/3] {B_TOPIC}", to=["weilin"],
    cc=["priya", "gregor", "@kvm"],
    headers=[UA_TB, ("Content-Language", "en-US")], flowed=True,
    situation="Acked-by from the top-level maintainer (endorsed), stating the "
              "preferred order: quirk first, default unchanged (compatible-by-default).",
    body=r"""
@@ATTR B09 tb@@
@@Q B09 ~~ Changes since v1: ~~ and a selftest (Gregor, Priya).@@

Looks good to me, and this is the order I would like such changes to
follow in general: quirk first, default unchanged, new behaviour on
request.

Acked-by: Paul Benedetti <paul.benedetti@kernel.example>
""")

add(key="B17", thread="B-v2", author="priya", date="2026-06-01 14:03:27 -0700",
    msgid="178034780712.3318842.9921745302116645307.b4-ty@kernel.example",
    parent="B09", subject=f"Re: [PATCH v2 0/3] {B_TOPIC}", to=["weilin"],
    cc=["paul", "gregor", "@kvm"], headers=[XM_B4],
    situation="Maintainer applies the series: 'Applied to kvm-x86 misc, thanks!' "
              "with the commit list (accepted).",
    body=r"""
@@ATTR B09 full@@
@@Q B09 ~~ KVM stores whatever a guest writes@@
>
> [...]

Applied to kvm-x86 misc, thanks!

[1/3] """ + B_QUIRK + r"""
      https://git.kernel.example/kvm-x86/linux/commit/3c9e1f04a7b2
[2/3] """ + B_FIX + r"""
      https://git.kernel.example/kvm-x86/linux/commit/8d51e2a6f0c3
[3/3] """ + B_TEST + r"""
      https://git.kernel.example/kvm-x86/linux/commit/e07b4c9a1d58

--
https://git.kernel.example/kvm-x86/linux/tree/next
""")

# --------------------------------------------------------------------------
# Thread C: a user question on kvmarm with messy encodings.

C_SUBJ = "KVM: arm64: guest sees different CCSIDR_EL1 after host upgrade"
RE_C = "Re: " + C_SUBJ

add(key="C01", thread="C", author="neil", date="2026-06-02 09:15:44 +0100",
    msgid="20260602081544.GA19022@neil-build.example.org",
    subject=C_SUBJ, to=["@kvmarm"], cc=["morgan", "tobias"], headers=[UA_MUTT],
    situation="Root: a user question. A body line starting with 'From ' is stored "
              "as '>From ' (mboxrd); signature after '-- '.",
    body=r"""
Hi,

After moving a group of hosts from a 2023-era distribution kernel to a
current one, guests that are cold-booted on the upgraded hosts report
a different cache geometry than the same images booted on the old
hosts: /sys/devices/system/cpu/cpu0/cache/index2/size says 2048K on
the old hosts and 512K on the new ones. Nothing else changed: same VMM
build, same firmware, same hardware.

From what I can see in the archives this is deliberate, but I could
not find what userspace is expected to do if it wants guests to keep
seeing the old geometry. Is there a register the VMM should be
writing?

Thanks,
Neil

--
Neil Fairbairn
Platform engineering, Example Hosting
""")

add(key="C02", thread="C", author="tobias", date="2026-06-02 13:40:19 +0200",
    msgid="aD4kLm8QxZ2rTnWp@kernel.example", parent="C01",
    subject=RE_C, to=["neil"], cc=["morgan", "@kvmarm"], headers=[UA_MUTT],
    situation="Maintainer explains that userspace configures CLIDR_EL1/CCSIDR_EL1 "
              "(userspace-configures); two quoted blocks answered in turn.",
    body=r"""
@@ATTR C01 mutt@@
@@Q C01 ~~ After moving a group of hosts@@

That is expected. KVM no longer passes the host's cache geometry
through; it reports a made-up hierarchy that is the same on every
host, so that a guest can move between machines whose cores disagree
about their caches.

@@Q C01 ~~ From what I can see@@

Yes: CLIDR_EL1, and the CCSIDR_EL1 value for each cache level and
type (selected through CSSELR_EL1), can be written from userspace with
KVM_SET_ONE_REG before the vCPU runs for the first time. If your VMM
writes the old values there, the guest sees the old geometry. What you
write has to describe a hierarchy that is consistent with CLIDR_EL1,
or the write is refused.

Tobias
""")

add(key="C03", thread="C", author="joerg", date="2026-06-03 10:02:37 +0200",
    msgid="3371920.mKq8vTzWyB@joerg-laptop.example.org", parent="C02",
    subject=RE_C, to=["tobias"], cc=["neil", "morgan", "@kvmarm"],
    from_header=encode_q("Jörg Müller", "iso-8859-1", chunk=40)
    + " <joerg.mueller@example.org>",
    charset="iso-8859-1", cte="quoted-printable", headers=[UA_KMAIL],
    situation="Non-UTF-8 message: ISO-8859-1, quoted-printable body, RFC 2047 "
              "encoded From (=?iso-8859-1?Q?J=F6rg_M=FCller?=), German KMail "
              "attribution line, signature.",
    body=r"""
@@ATTR C02 kmail@@
@@Q C02 ~~ Yes: CLIDR_EL1, and the CCSIDR_EL1 value@@

We do exactly that in our VMM (a small one we use for CI at the
university), and it works for new guests.

The trouble is migration from hosts that still run the older kernel:
the saved stream contains per-core values, and on two of our boards
the big and the little cores report different associativity for L2.
Which of the two should we write on the destination? Whichever we
pick, some guests saw the other one before they were migrated.

Grüße,
Jörg

--
Jörg Müller · Rechenzentrum, Universität Beispielstadt
""")

add(key="C04", thread="C", author="marta", date="2026-06-03 11:27:05 -0400",
    msgid="BN8PR12MB3345F1C2D7A94E06B3D1E8A2C@BN8PR12MB3345.namprd12.prod.example.com",
    parent="C02", subject="RE: " + C_SUBJ, to=["tobias"],
    cc=["neil", "joerg", "@kvmarm"],
    content_type="text/html", charset="utf-8", cte="quoted-printable",
    headers=[("Thread-Topic", C_SUBJ), ("Thread-Index", "AQHc0kR7mX2vP9sLQeW3nT5yZ8uB4g=="),
             ("Accept-Language", "en-US"), ("Content-Language", "en-US")],
    situation="HTML-only message (no text/plain part): <p>, <blockquote>, &amp; and "
              "&quot; entities, quoted-printable; Outlook-style 'RE:' subject.",
    body=r"""
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css">p { margin: 0 0 8px 0; }</style>
</head>
<body>
<p>Hi Tobias, Jörg &amp; all,</p>
<p>We see the same thing on a mixed fleet, and went down the same road as Jörg. One question on this part:</p>
<blockquote style="border-left: 2px solid #999999; margin-left: 4px; padding-left: 8px;">
<p>What you write has to describe a hierarchy that is consistent with CLIDR_EL1, or the write is refused.</p>
</blockquote>
<p>Does &quot;consistent&quot; only mean that every level CLIDR_EL1 declares has a CCSIDR_EL1 value, or are there other checks (line size, sets &amp; ways) that a value copied from an old host could fail?</p>
<p>Thanks,<br>
Marta</p>
<p style="font-size: 9pt; color: #666666;">Marta Quintero | Virtualization Platform | Example Corp</p>
</body>
</html>
""")

add(key="C05", thread="C", author="tobias", date="2026-06-04 09:05:51 +0200",
    msgid="aEFq3Vn7TcY0pLs2@kernel.example", parent="C03",
    subject=RE_C, to=["joerg"], cc=["neil", "morgan", "@kvmarm"], headers=[UA_MUTT],
    situation="Reply to the ISO-8859-1 message, quoting it re-encoded as UTF-8; "
              "explains why the old value was not made selectable "
              "(pin-previous-behaviour against).",
    body=r"""
@@ATTR C03 mutt@@
@@Q C03 ~~ The trouble is migration from hosts@@

There is no good answer, and that is the reason the old behaviour was
removed rather than made selectable. On those boards a guest could
read either value depending on where its vCPU happened to be
scheduled, so there is no single value that "the guest saw".

If your VMM pins vCPUs to one core type, write that type's values.
Otherwise write the larger of the two geometries, so that set/way
maintenance loops in the guest cover at least as many sets and ways as
either core really has.

Tobias
""")

add(key="C06", thread="C", author="zoe", date="2026-06-04 11:48:30 +0100",
    msgid="CAJq5vN8x0pR7tYw2LmKz3Ue9HbA4cDfG6sQ1oVt8e@mail.example.com",
    parent="C04", subject=RE_C, to=["marta"], cc=["tobias", "neil", "joerg", "@kvmarm"],
    from_header=encode_q("Zoë Abernathy", "UTF-8", chunk=40) + " <zoe.abernathy@example.com>",
    subject_header=encode_q(RE_C, "UTF-8", chunk=30),
    charset="UTF-8", cte="quoted-printable",
    situation="RFC 2047 encoded Subject (split over folded encoded-words) and From; "
              "replies to the HTML-only message, quoting its text as plain text.",
    body=r"""
@@ATTR C04 gmail@@
> Does "consistent" only mean that every level CLIDR_EL1 declares has a
> CCSIDR_EL1 value, or are there other checks (line size, sets & ways)
> that a value copied from an old host could fail?

There are a few more. Each CCSIDR_EL1 value has to fit the layout the
vCPU uses (the wider one only if FEAT_CCIDX is exposed to the guest),
the line size has to be one the architecture can express, and
CLIDR_EL1 has to agree with what CTR_EL0 says about cache maintenance.
A value copied from the host it was read on passes all of those; one
copied from a host with a different CTR_EL0 may not.

Zoë
""")

add(key="C07", thread="C", author="asa", date="2026-06-05 08:30:12 +0200",
    msgid="1862457390.20260605083012@example.com", parent="C05",
    subject=RE_C, to=["tobias"], cc=["joerg", "neil", "@kvmarm"],
    from_header=encode_q("Åsa Lindgren", "windows-1252", chunk=40)
    + " <asa.lindgren@example.com>",
    charset="windows-1252", cte="8bit", headers=[UA_BAT],
    situation="Non-UTF-8 message: windows-1252 with raw 8-bit curly quotes and an en "
              "dash (invalid as UTF-8); The Bat! 'you wrote:' attribution.",
    body=r"""
Hello Tobias,

@@ATTR C05 bat@@

@@Q C05 ~~ If your VMM pins vCPUs to one core type@@

We tried the “pin to one core type” approach last year – it works, but
only for as long as nobody changes the pinning policy after the guest
has booted, and our scheduler people change it every other release.
For us the larger geometry is the safer default, so thank you for
confirming it.

--
Best regards,
 Åsa                            mailto:asa.lindgren@example.com
""")

add(key="C08", thread="C", author="neil", date="2026-06-08 17:20:03 +0100",
    msgid="20260608162003.GB19022@neil-build.example.org", parent="C02",
    subject=RE_C, to=["tobias"], cc=["morgan", "joerg", "marta", "zoe", "asa", "@kvmarm"],
    headers=[UA_MUTT],
    situation="Closing thanks from the reporter: signature block followed by a "
              "mailing-list footer.",
    body=r"""
@@ATTR C02 mutt@@
@@Q C02 ~~ Yes: CLIDR_EL1, and the CCSIDR_EL1 value@@

Thanks, that did it. Our VMM now saves CLIDR_EL1 and the CCSIDR values
with the rest of the vCPU state and writes them back on the
destination; guests cold-booted on the new hosts report 2048K again
when we ask them to. New instance types will get the new geometry.

Thanks also to Jörg, Marta, Zoë and Åsa for the follow-ups. The
big.LITTLE case does not apply to us, but it is good to know about.

Neil

--
Neil Fairbairn
Platform engineering, Example Hosting

_______________________________________________
kvmarm mailing list -- kvmarm@lists.linux.dev
To unsubscribe send an email to kvmarm-leave@lists.linux.dev
""")


# ==========================================================================
# What each message was written to express, in the ids of the project's
# taxonomy (shared/taxonomy.yaml): positions ("+" for, "-" against), the
# relation to the parent, and decisions.  These are the author's intent for
# a synthetic corpus, not a gold standard measured on real mail.

POSITION_IDS = {"pin-previous-behaviour", "compatible-by-default", "bug-for-bug",
                "quirks-opt-out", "architecture-compliance", "userspace-configures",
                "evidence-required", "no-uapi-regression"}
RELATION_IDS = {"agree", "disagree", "mixed", "neutral"}
DECISION_IDS = {"accepted", "rejected", "endorsed", "changes-requested",
                "policy-ruling", "withdrawn"}

INTENDED = {  # key: (positions, relation, decisions)
    "A01": ("pin-previous-behaviour+ quirks-opt-out+ architecture-compliance-", None, ""),
    "A02": ("architecture-compliance+ userspace-configures+ pin-previous-behaviour- "
            "bug-for-bug-", "disagree", "rejected changes-requested"),
    "A03": ("pin-previous-behaviour+ quirks-opt-out+", "disagree", ""),
    "A04": ("evidence-required+", "disagree", ""),
    "A05": ("pin-previous-behaviour+", "disagree", ""),
    "A06": ("bug-for-bug- architecture-compliance+", "disagree", ""),
    "A07": ("no-uapi-regression+ userspace-configures-", "disagree", ""),
    "A08": ("no-uapi-regression+ architecture-compliance+", "mixed", ""),
    "A09": ("userspace-configures+", "agree", ""),
    "A10": ("pin-previous-behaviour-", "disagree", ""),
    "A11": ("bug-for-bug- pin-previous-behaviour+ quirks-opt-out+", "mixed", ""),
    "A12": ("pin-previous-behaviour+", "agree", ""),
    "A13": ("compatible-by-default+ userspace-configures-", "disagree", ""),
    "A14": ("quirks-opt-out+ evidence-required+ userspace-configures+", "mixed", ""),
    "A15": ("evidence-required+", "agree", ""),
    "A16": ("architecture-compliance+ quirks-opt-out+ evidence-required+ "
            "no-uapi-regression+", "mixed", "policy-ruling changes-requested"),
    "A17": ("", "agree", "withdrawn"),
    "B01": ("", None, ""),
    "B02": ("", "neutral", ""),
    "B03": ("quirks-opt-out+", "neutral", ""),
    "B04": ("no-uapi-regression+ evidence-required+", "mixed", "changes-requested"),
    "B05": ("quirks-opt-out+ compatible-by-default+", "disagree",
            "rejected changes-requested"),
    "B06": ("", "neutral", "changes-requested"),
    "B07": ("", "mixed", ""),
    "B08": ("", "agree", "withdrawn"),
    "B09": ("quirks-opt-out+ compatible-by-default+", None, ""),
    "B10": ("quirks-opt-out+ compatible-by-default+", "neutral", ""),
    "B11": ("", "neutral", ""),
    "B12": ("", "neutral", ""),
    "B13": ("", "agree", "endorsed"),
    "B14": ("", "agree", "endorsed"),
    "B15": ("compatible-by-default+", "agree", "endorsed"),
    "B16": ("compatible-by-default+ quirks-opt-out+", "agree", "endorsed"),
    "B17": ("", "agree", "accepted"),
    "C01": ("", None, ""),
    "C02": ("userspace-configures+", "neutral", ""),
    "C03": ("", "mixed", ""),
    "C04": ("", "neutral", ""),
    "C05": ("pin-previous-behaviour- userspace-configures+", "neutral", ""),
    "C06": ("", "neutral", ""),
    "C07": ("", "agree", ""),
    "C08": ("userspace-configures+", "agree", ""),
}


def intended(key: str) -> dict:
    positions, relation, decisions = INTENDED[key]
    out = {"positions": [{"position": p[:-1], "stance": "for" if p[-1] == "+" else "against"}
                         for p in positions.split()],
           "relation": relation, "decisions": decisions.split()}
    assert {p["position"] for p in out["positions"]} <= POSITION_IDS, key
    assert relation is None or relation in RELATION_IDS, key
    assert set(out["decisions"]) <= DECISION_IDS, key
    return out


# ==========================================================================
# Build, manifest, check.

SERIES = [("B01", ["B02", "B03"], 1), ("B09", ["B10", "B11", "B12"], 2)]
APPLIED = ["B17"]
UTC = timezone.utc


def build() -> tuple[dict[str, bytes], dict]:
    assert set(INTENDED) == set(BY_KEY), set(INTENDED) ^ set(BY_KEY)
    RENDERED.clear()
    for m in MAILS:  # definition order: parents before children
        RENDERED[m.key] = render_body(m)
    order = sorted(MAILS, key=lambda m: (m.when.astimezone(UTC), m.msgid))
    files = {LISTS[k]["file"]: b"".join(mbox_entry(m, k) for m in order if k in m.lists)
             for k in LISTS}
    return files, manifest(order)


def manifest(order: list[Mail]) -> dict:
    threads = []
    for label in dict.fromkeys(m.thread for m in MAILS):
        members = [m for m in order if m.thread == label]
        roots = [m for m in members if m.parent is None and m.missing_parent is None]
        assert len(roots) == 1, label
        threads.append({"root_message_id": roots[0].msgid, "subject": roots[0].subject,
                        "message_ids": [m.msgid for m in members]})
    return {
        "synthetic": SYNTHETIC,
        "files": {LISTS[k]["file"]: {"list_id": LISTS[k]["list_id"].strip("<>"),
                                     "entries": sum(1 for m in MAILS if k in m.lists)}
                  for k in LISTS},
        "messages_total_entries": sum(len(m.lists) for m in MAILS),
        "unique_message_ids": len({m.msgid for m in MAILS}),
        "threads": threads,
        "cross_posted": [m.msgid for m in order if len(m.lists) > 1],
        "html_only": [m.msgid for m in order if m.content_type == "text/html"],
        "non_utf8": [{"message_id": m.msgid, "charset": m.charset} for m in order
                     if m.charset.lower() not in ("utf-8", "us-ascii")],
        "series": [{"version": v, "cover": BY_KEY[c].msgid,
                    "patches": [BY_KEY[p].msgid for p in ps]} for c, ps, v in SERIES],
        "applied": [BY_KEY[k].msgid for k in APPLIED],
        "missing_message_id": [],
        "missing_parents": [{"message_id": m.msgid, "in_reply_to": m.missing_parent}
                            for m in order if m.missing_parent],
        "messages": [{"message_id": m.msgid, "key": m.key, "thread": m.thread,
                      "files": [LISTS[k]["file"] for k in m.lists],
                      "from": PEOPLE[m.author][0], "date": m.when.isoformat(),
                      "in_reply_to": in_reply_to(m), "situation": m.situation,
                      "intended": intended(m.key)}
                     for m in order],
    }


def manifest_text(man: dict) -> str:
    return json.dumps(man, indent=2, ensure_ascii=False) + "\n"


def write() -> None:
    files, man = build()
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    (HERE / "MANIFEST.json").write_text(manifest_text(man), encoding="utf-8")
    print(f"wrote {', '.join(files)} and MANIFEST.json: "
          f"{man['messages_total_entries']} entries, {man['unique_message_ids']} messages")


def _decoded(value: str | None) -> str:
    return str(make_header(decode_header(value or ""))).replace("\n", "")


TRAILER = re.compile(r"^[A-Z][A-Za-z-]+: \S")


def check() -> int:
    """Verify the files on disk; print problems; return the number of errors."""
    errors: list[str] = []
    warnings: list[str] = []
    files, man = build()
    for name, data in files.items():
        if (HERE / name).read_bytes() != data:
            errors.append(f"{name} differs from what generate.py produces")
    if json.loads((HERE / "MANIFEST.json").read_text(encoding="utf-8")) != man:
        errors.append("MANIFEST.json differs from what generate.py produces")
    man = json.loads((HERE / "MANIFEST.json").read_text(encoding="utf-8"))

    seen: dict[str, list[str]] = {}
    parsed = {}
    for key, lst in LISTS.items():
        box = mailbox.mbox(str(HERE / lst["file"]), create=False)
        for msg in box:
            mid = (msg["Message-ID"] or "").strip().strip("<>")
            if not mid:
                errors.append(f"{lst['file']}: entry without Message-ID")
                continue
            seen.setdefault(mid, []).append(lst["file"])
            parsed[mid] = msg
            if msg["X-Synthetic"] != SYNTHETIC:
                errors.append(f"{mid}: X-Synthetic header missing")
            if msg["List-Id"] != lst["list_id"]:
                errors.append(f"{mid}: List-Id {msg['List-Id']} in {lst['file']}")
            body = msg.get_payload(decode=True)
            charset = msg.get_content_charset()
            try:
                body.decode(charset)
            except (LookupError, UnicodeDecodeError) as exc:
                errors.append(f"{mid}: body does not decode as {charset}: {exc}")
    total = sum(len(v) for v in seen.values())
    if total != man["messages_total_entries"]:
        errors.append(f"entries {total} != manifest {man['messages_total_entries']}")
    if len(seen) != man["unique_message_ids"]:
        errors.append(f"unique ids {len(seen)} != manifest {man['unique_message_ids']}")
    if sorted(k for k, v in seen.items() if len(v) > 1) != sorted(man["cross_posted"]):
        errors.append("cross_posted does not match the files")

    allowed_missing = {p["in_reply_to"] for p in man["missing_parents"]}
    for mid, msg in parsed.items():
        irt = (msg["In-Reply-To"] or "").strip().strip("<>")
        if irt and irt not in seen and irt not in allowed_missing:
            errors.append(f"{mid}: In-Reply-To {irt} not in the corpus")
        if irt in parsed:
            child = email.utils.parsedate_to_datetime(msg["Date"])
            parent = email.utils.parsedate_to_datetime(parsed[irt]["Date"])
            if child <= parent:
                errors.append(f"{mid}: dated before its parent {irt}")
    for mid in man["html_only"]:
        if parsed[mid].get_content_type() != "text/html" or parsed[mid].is_multipart():
            errors.append(f"{mid}: not an HTML-only message")
    for item in man["non_utf8"]:
        raw = parsed[item["message_id"]].get_payload(decode=True)
        if parsed[item["message_id"]].get_content_charset() != item["charset"].lower():
            errors.append(f"{item['message_id']}: charset mismatch")
        try:
            raw.decode("utf-8")
            errors.append(f"{item['message_id']}: body is valid UTF-8")
        except UnicodeDecodeError:
            pass
    for t in man["threads"]:
        if _decoded(parsed[t["root_message_id"]]["Subject"]) != t["subject"]:
            errors.append(f"thread {t['root_message_id']}: subject mismatch")
        for mid in t["message_ids"]:
            if mid not in seen:
                errors.append(f"thread member {mid} not in the corpus")

    for m in MAILS:  # style: own prose wrapped at 72 columns
        in_diff = False
        for line in RENDERED[m.key].split("\n"):
            in_diff = in_diff or line.startswith("diff --git ") or line == "---"
            exempt = (line[:1] in (">", " ", "[") or line.endswith(("wrote:", "writes:"))
                      or TRAILER.match(line))
            if m.content_type == "text/plain" and not in_diff and not exempt \
                    and len(line.expandtabs()) > 72:
                warnings.append(f"{m.key}: {len(line.expandtabs())} cols: {line[:50]}...")
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    print(f"checked {total} entries, {len(seen)} unique Message-IDs, "
          f"{len(man['threads'])} threads: {len(errors)} errors, {len(warnings)} warnings")
    return len(errors)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="verify the files on disk instead of writing them")
    args = ap.parse_args()
    if args.check:
        return 1 if check() else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
