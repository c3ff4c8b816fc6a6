"""Bad input, one small sample per pathology (tests/samples/pathologies/<case>.*), each
with its expected outcome beside it (<case>.expected.json): counts, rejections, recorded
defects and decoded fields. Every case ends as stored messages (defects recorded) or
rejections with a reason: never a crash, never silent loss. Samples too big to commit
(huge message, gzip bomb, deep nesting) are generated here at run time."""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Callable
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.mail.addresses import addresses_of
from analyzer.mail.parse import REJECTION_REASONS, ParsePolicy, parse_raw
from analyzer.records import Provenance, RawMail, Rejection
from analyzer.store.db import Store, StoredMessage
from tests.conftest import SAMPLES

PATHOLOGIES = SAMPLES / "pathologies"
CASES = sorted(p.name.removesuffix(".expected.json") for p in PATHOLOGIES.glob("*.expected.json"))
MIB = 1024 * 1024


def _mail(number: int, case: int, body: str) -> bytes:
    return (
        f"From alice@example.org Mon May 11 09:30:4{number} 2026\n"
        "From: Alice Example <alice@example.org>\n"
        "To: kvmarm@lists.linux.dev\n"
        f"Subject: [PATCH {number}/3] KVM: arm64: generated sample\n"
        f"Date: Mon, 11 May 2026 11:30:4{number} +0200\n"
        f"Message-ID: <20260511093042.{case}-{number}-alice@example.org>\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "X-Synthetic: yes - written for the mlpa project, fictional participants\n\n"
        f"{body}\n\n"
    ).encode()


def _huge_message(folder: Path) -> Path:
    path = folder / "huge-message.mbox"
    line = b"+\tval = kvm_read_sysreg(vcpu, ID_AA64DFR0_EL1) & ~ID_AA64DFR0_EL1_PMUVer_MASK;\n"
    with path.open("wb") as out:
        out.write(_mail(1, 1030, "A small message first."))
        out.write(_mail(2, 1030, "A patch far too large for any list:")[:-1])
        for _ in range(26 * MIB // len(line) + 1):
            out.write(line)
        out.write(b"\n" + _mail(3, 1030, "And a small one after it."))
    return path


def _gzip_bomb(folder: Path) -> Path:
    path = folder / "gzip-bomb.mbox.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(_mail(1, 1031, "First."))
        out.write(_mail(2, 1031, "Second."))
        out.write(_mail(3, 1031, "Then the bomb:"))
        block = b"0" * MIB
        for _ in range(24):
            out.write(block)
    return path


def _deep_nesting(folder: Path) -> Path:
    depth = 5000
    head = _mail(1, 1032, "").split(b"Content-Type:")[0]
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    path = folder / "deep-nesting.mbox"
    path.write_bytes(head + opening + b"Content-Type: text/plain\n\ninnermost\n" + closing + b"\n" + _mail(2, 1032, "Next."))
    return path


def _long_line(folder: Path) -> Path:
    path = folder / "long-line.mbox"
    with path.open("wb") as out:
        out.write(_mail(1, 1046, "A small message first."))
        out.write(_mail(2, 1046, "")[:-1])
        for _ in range(3):
            out.write(b"x" * MIB)
        out.write(b"\n\n" + _mail(3, 1046, "And a small one after it."))
    return path


GENERATORS: dict[str, Callable[[Path], Path]] = {
    "long-line": _long_line,
    "huge-message": _huge_message,
    "gzip-bomb": _gzip_bomb,
    "deep-nesting": _deep_nesting,
}


def _source(case: str, spec: dict[str, Any], folder: Path) -> Path:
    if "generate" in spec:
        return GENERATORS[spec["generate"]](folder)
    (sample,) = [p for p in PATHOLOGIES.glob(f"{case}.*") if not p.name.endswith(".expected.json")]
    return sample


def test_there_is_a_sample_and_an_expectation_for_every_pathology() -> None:
    assert len(CASES) >= 20
    samples = {p.name.split(".")[0] for p in PATHOLOGIES.iterdir() if not p.name.endswith(".expected.json")}
    assert samples <= set(CASES), f"samples without an expected outcome: {samples - set(CASES)}"
    generated = {c for c in CASES if "generate" in json.loads((PATHOLOGIES / f"{c}.expected.json").read_text())}
    assert set(CASES) == samples | generated, "every expectation needs its sample or a generator"


@pytest.mark.parametrize("case", CASES)
def test_pathology(case: str, tmp_path: Path, store: Store) -> None:
    spec = json.loads((PATHOLOGIES / f"{case}.expected.json").read_text(encoding="utf-8"))
    source = _source(case, spec, tmp_path)
    counts = ingest(store, [(str(source), "auto")], IngestOptions(jobs=1)).counts
    assert counts.as_dict() == spec["counts"], spec["about"]
    assert counts.balanced()
    assert store.runs()[-1]["counts"] == spec["counts"] | {"status": "complete"}
    assert store.count("messages") == counts.stored
    _check_rejections(store, spec)
    for expected in spec.get("messages", []):
        _check_message(store, expected)


def _check_rejections(store: Store, spec: dict[str, Any]) -> None:
    recorded = store.rejections()
    assert sorted(r["reason"] for r in recorded) == sorted(
        reason for reason, number in spec["counts"]["rejected"].items() for _ in range(number)
    )
    for expected in spec.get("rejections", []):
        details = [r["detail"] for r in recorded if r["reason"] == expected["reason"]]
        assert any(expected.get("detail", "") in d for d in details), (expected, details)


def _find(store: Store, expected: dict[str, Any]) -> StoredMessage:
    if "message_id" in expected:
        found = store.message(expected["message_id"])
        assert found is not None, f"{expected['message_id']} was not stored"
        return found
    matches = [m for m in store.messages() if m.subject == expected["subject"]]
    assert len(matches) == 1, f"expected one message with subject {expected['subject']!r}"
    return matches[0]


_FIELDS = ("subject", "author_name", "author_email", "date", "in_reply_to", "body_kind", "synthetic_id")


def _check_message(store: Store, expected: dict[str, Any]) -> None:
    message = _find(store, expected)
    for name in _FIELDS:
        if name in expected:
            assert getattr(message, name) == expected[name], name
    if "references" in expected:
        assert list(message.references) == expected["references"]
    if "message_id_endswith" in expected:
        assert message.message_id.endswith(expected["message_id_endswith"])
    for wanted in expected.get("defects", []):
        assert any(wanted in defect for defect in message.defects), (wanted, message.defects)
    if expected.get("no_defects"):
        assert message.defects == ()
    for text in expected.get("body_contains", []):
        assert text in message.body
    for text in expected.get("body_excludes", []):
        assert text not in message.body
    _check_row(store, message, expected)


def _check_row(store: Store, message: StoredMessage, expected: dict[str, Any]) -> None:
    """Fields StoredMessage does not carry, read from the row itself."""
    row = store.connection.execute(
        "SELECT date_raw, cc_json, (SELECT count(*) FROM message_sources s WHERE s.message_id = m.message_id) AS sources "
        "FROM messages m WHERE message_id = ?",
        (message.message_id,),
    ).fetchone()
    if "date_raw" in expected:
        assert row["date_raw"] == expected["date_raw"]
    if "cc" in expected:
        assert [[a["name"], a["email"]] for a in json.loads(row["cc_json"])] == expected["cc"]
    if "sources" in expected:
        assert row["sources"] == expected["sources"]


_NAME = st.text(st.characters(codec="utf-8", exclude_characters='"\\<>,;:@()[]\r\n\x00'), max_size=12)
_LOCAL = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}", fullmatch=True)
_DOMAIN = st.from_regex(r"[a-z0-9]{1,8}(\.[a-z]{2,6}){1,2}", fullmatch=True)


@st.composite
def _mailbox(draw: st.DrawFn) -> str:
    address = f"{draw(_LOCAL)}@{draw(_DOMAIN)}"
    name = draw(_NAME).strip()
    style = draw(st.sampled_from(["bare", "angle", "named", "quoted", "quoted-comma"]))
    return {
        "bare": address,
        "angle": f"<{address}>",
        "named": f"{name} <{address}>" if name else address,
        "quoted": f'"{name}" <{address}>',
        "quoted-comma": f'"{name}, Jr" <{address}>',
    }[style]


@settings(max_examples=120, deadline=None)
@given(st.lists(_mailbox(), min_size=1, max_size=8), st.sampled_from([", ", ",", " , ", ",\n "]))
def test_address_lists_read_as_the_standard_library_does(mailboxes: list[str], separator: str) -> None:
    """The fast path for Cc lists must agree with email.utils.getaddresses."""
    value = separator.join(mailboxes)
    expected = [(" ".join(n.split()), a.lower()) for n, a in getaddresses([value]) if a]
    expected = [("" if n.lower() == a else n, a) for n, a in expected]
    assert [(a.name, a.email) for a in addresses_of([value])] == expected


_BASE = (PATHOLOGIES / "truncated-multipart.mbox").read_bytes().split(b"\n", 1)[1].replace(b"\nFrom alice", b"\nX-Was: alice")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_BASE)), st.integers(0, 4), st.binary(max_size=12)), max_size=8))
def test_mangled_mail_is_stored_or_rejected_never_raised(edits: list[tuple[int, int, bytes]]) -> None:
    """Random damage to a real-looking message: the result is a Message that SQLite
    accepts as it is, or a Rejection with a known reason; never an exception."""
    data = _BASE
    for at, cut, insert in edits:
        data = data[:at] + insert + data[at + cut :]
    result = parse_raw(RawMail(data, Provenance("fuzz", "0")), ParsePolicy())
    if isinstance(result, Rejection):
        assert result.reason in REJECTION_REASONS and result.reason != "parse-error", result.detail
        return
    for text in (result.subject, result.body, result.author.name, result.date_raw, *result.defects):
        text.encode("utf-8")  # no lone surrogates: SQLite and JSON take it as it is
    with Store.open(":memory:") as memory:
        assert memory.write_batch([result], [], [], {}).stored == 1


_PIECES = [p.read_bytes() for p in sorted(PATHOLOGIES.glob("*.mbox"))]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.binary(max_size=200)), min_size=1, max_size=6))
def test_any_mix_of_bad_mbox_pieces_balances(pieces: list[bytes]) -> None:
    """Samples and junk glued into one mbox: the run ends, and every entry it read is
    stored, a duplicate or rejected."""
    with tempfile.TemporaryDirectory() as folder:
        mbox = Path(folder) / "mixed.mbox"
        mbox.write_bytes(b"\n".join(pieces))
        with Store.open(Path(folder) / "mixed.db") as store:
            counts = ingest(store, [(str(mbox), "mbox")], IngestOptions(jobs=1)).counts
            assert counts.balanced()
            assert store.count("messages") == counts.stored
            assert store.count("rejections") == counts.rejected_total
