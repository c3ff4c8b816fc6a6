"""Mutated real mail: damage of the kinds real archives hold (cut short, garbled headers,
stray separators, escape sequences, odd encodings, CR-only lines, long lines) applied to
real messages read at run time from ../shared, never stored in the project.

Used by tests/test_fuzz_pipeline.py (a few hundred mutants, and Hypothesis-chosen ones) and
benchmarks/fuzz_pipeline.py (thousands)."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from analyzer.ingest.mbox import split_mbox
from analyzer.records import RawMail

Mutation = Callable[[bytes, random.Random], bytes]

ENVELOPE = re.compile(rb"^From \S+.*\d\d:\d\d:\d\d.*\d{4}")


def real_messages(shared: Path, *, limit: int | None = None) -> list[bytes]:
    """The raw messages of the gold and silver threads, in file order."""
    found: list[bytes] = []
    for path in sorted((shared / "gold").glob("*.mbox")) + sorted((shared / "silver").glob("*.mbox")):
        with path.open("rb") as stream:
            found += [i.data for i in split_mbox(stream, source=str(path), max_size=1 << 24) if isinstance(i, RawMail)]
        if limit is not None and len(found) >= limit:
            return found[:limit]
    return found


def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.randbytes(rng.randrange(1, 40)) + data[at:]


def _drop_line(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _headerless_first_line(data: bytes, rng: random.Random) -> bytes:
    return b"this line is not a header\n" + data


def _forged_separator(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    at = rng.randrange(len(lines) + 1)
    forged = [b"", b"From forged@example.org Mon May 11 11:30:42 2026", b"Subject: forged"][rng.randrange(2) :]
    return b"\n".join(lines[:at] + forged + lines[at:])


def _garbled_subject(data: bytes, rng: random.Random) -> bytes:
    word = rng.choice([b"=?utf-8?B?a?=", b"=?unknown-8bit?Q?=FF=FE?=", b"=?utf-8?B?" + rng.randbytes(6).hex().encode() + b"?=", b"=?"])
    return re.sub(rb"(?mi)^Subject:.*$", lambda _: b"Subject: " + word, data, count=1)


def _escapes(data: bytes, rng: random.Random) -> bytes:
    sequence = rng.choice([b"\x1b[2J\x1b[H", b"\x1b]0;title\x07", b"\x1b]8;;http://x.example/\x1b\\", b"\xc2\x9b31m", b"\xe2\x80\xae"])
    target = rng.choice([rb"(?mi)^Subject: ", rb"(?mi)^From: ", rb"\n\n"])
    return re.sub(target, lambda m: m.group() + sequence, data, count=1)


def _non_ascii_trailer(data: bytes, rng: random.Random) -> bytes:
    return data.rstrip(b"\n") + "\n\nSigned-off-by: Jürgen Groß <jürgen@exämple.org>\n".encode()


def _cr_only(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")


def _long_line(data: bytes, rng: random.Random) -> bytes:
    at = data.find(b"\n\n") + 2 if b"\n\n" in data else len(data)
    return data[:at] + b"x" * rng.choice([2000, 70_000, 1_100_000]) + b"\n" + data[at:]


def _nul_and_8bit_headers(data: bytes, rng: random.Random) -> bytes:
    return re.sub(rb"(?mi)^(From|Subject): ", lambda m: m.group() + b"\x00\xff\xfe ", data, count=1)


def _drop_header(data: bytes, rng: random.Random) -> bytes:
    name = rng.choice([b"Message-ID", b"From", b"Date", b"Subject", b"In-Reply-To", b"References", b"Content-Type"])
    return re.sub(rb"(?mi)^" + name + rb":.*\n(?:[ \t].*\n)*", b"", data, count=1)


def _duplicate(data: bytes, rng: random.Random) -> bytes:
    return data  # the same message again: a duplicate, counted as such


def _escaped_from_body(data: bytes, rng: random.Random) -> bytes:
    return data.rstrip(b"\n") + b"\n\n>From the archive\n>>From deeper\n"


MUTATIONS: tuple[Mutation, ...] = (
    _cut, _insert_bytes, _drop_line, _headerless_first_line, _forged_separator, _garbled_subject, _escapes,
    _non_ascii_trailer, _cr_only, _long_line, _nul_and_8bit_headers, _drop_header, _duplicate, _escaped_from_body,
)


def mutant(data: bytes, operations: Sequence[int], seed: int) -> bytes:
    """``data`` after the mutations numbered ``operations`` (indices into MUTATIONS)."""
    rng = random.Random(seed)
    for number in operations:
        data = MUTATIONS[number % len(MUTATIONS)](data, rng)
    return data


def as_mbox(messages: Sequence[bytes]) -> bytes:
    """An mboxrd file of ``messages``: one envelope each, body "From " lines escaped but
    the forged separators a mutation planted; a CR-only message keeps its CRs (to the
    LF file it is one long line)."""
    out = io.BytesIO()
    for data in messages:
        out.write(b"From mutant@example.org Mon May 11 11:30:42 2026\n")
        out.write(re.sub(rb"(?m)^(>*From (?!forged@))", rb">\1", data))  # forged separators stay unescaped
        out.write(b"\n" if data.endswith(b"\n") else b"\n\n")
        out.write(b"\n")
    return out.getvalue()


def separators(mbox: bytes) -> int:
    """The entries an mbox holds: envelope lines at its start or after a blank line."""
    count, blank = 0, True
    for line in io.BytesIO(mbox):
        if blank and ENVELOPE.match(line):
            count += 1
        blank = line in (b"\n", b"\r\n")
    return count


def mutant_corpus(messages: Sequence[bytes], count: int, *, seed: int = 0) -> list[bytes]:
    """``count`` mutants, each of a message chosen at random, with one to three mutations."""
    rng = random.Random(seed)
    chosen = []
    for index in range(count):
        operations = [rng.randrange(len(MUTATIONS)) for _ in range(rng.randint(1, 3))]
        chosen.append(mutant(rng.choice(messages), operations, seed * 100_003 + index))
    return chosen
