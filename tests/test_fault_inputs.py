"""Mail that used to stop a stage for every thread: each is now analysed, or recorded as a
failure with its reason while everything else is analysed; mbox entries are counted from
the separators the file really holds."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.analysis.inputs import MessageInput, ThreadInput
from analyzer.analysis.isolate import analyse_isolating_failures
from analyzer.analysis.thread import rules_reader
from analyzer.analyze import analyze_store
from analyzer.cli import app
from analyzer.ingest.mbox import ExpansionCap, mbox_lines, read_mbox_file, split_mbox
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.nlp.annotate import Annotator, BlockMarks, TextBlock, split_block
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from analyzer.records import RawMail, Rejection
from analyzer.segment.records import Segmentation
from analyzer.store.db import Store
from analyzer.report.summary import summary_markdown
from analyzer.store.failures import load_failures
from analyzer.store.structure import load_segmentation, needs_rebuild, rebuild_structure
from analyzer.thread.context import library_segmenter

runner = CliRunner()


def _mail(number: int, subject: str, body: str, *, reply_to: int | None = None, sender: str = "alice@example.org") -> str:
    reply = f"In-Reply-To: <fault-{reply_to}@example.org>\n" if reply_to else ""
    return (
        f"From {sender} Mon May 11 09:30:4{number % 10} 2026\n"
        f"From: Sample Person {number} <{sender}>\n"
        "To: kvm@vger.kernel.org\n"
        f"Subject: {subject}\n"
        f"Date: Mon, 11 May 2026 11:30:4{number % 10} +0200\n"
        f"Message-ID: <fault-{number}@example.org>\n"
        f"{reply}"
        "X-Synthetic: yes - written for the mlpa project\n\n"
        f"{body}\n\n"
    )


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(build_pipeline(PipelineSettings()))


def _store_of(tmp_path: Path, text: str) -> Store:
    path = tmp_path / "faults.mbox"
    path.write_text(text, encoding="utf-8")
    store = Store.open(tmp_path / "faults.db")
    ingest(store, [(str(path), "mbox")], IngestOptions(jobs=1))
    return store


def test_garbled_encoded_word_subject_is_threaded_analysed_and_shown(tmp_path: Path, annotator: Annotator) -> None:
    store = _store_of(
        tmp_path,
        _mail(1, "=?utf-8?B?a?=", "We should keep the old behaviour.")
        + _mail(2, "Re: =?utf-8?B?a?=", "> We should keep the old behaviour.\n\nI agree.", reply_to=1, sender="bob@example.org"),
    )
    summary = rebuild_structure(store)
    assert summary.threads == 1 and summary.failed == 0
    report = analyze_store(store, annotator, pipeline_fingerprint="test")
    assert report.failed == 0 and report.messages == 2
    db = str(store.path)
    store.close()
    threads = runner.invoke(app, ["threads", "--db", db], env={"COLUMNS": "200"})
    assert threads.exit_code == 0 and "=?utf-8?B?a?=" in threads.output
    shown = runner.invoke(app, ["show", "fault-2@example.org", "--db", db])
    assert shown.exit_code == 0, shown.output


def test_non_ascii_trailer_address_is_segmented(tmp_path: Path) -> None:
    store = _store_of(tmp_path, _mail(1, "[PATCH] KVM: fix", "Fix it.\n\nSigned-off-by: Jürgen Groß <jürgen@exämple.org>"))
    assert rebuild_structure(store).failed == 0
    segmentation = load_segmentation(store, "fault-1@example.org")
    assert segmentation is not None
    (trailer,) = segmentation.trailers
    assert (trailer.key, trailer.email) == ("Signed-off-by", "jürgen@exämple.org")


def test_a_body_over_spacys_limit_is_analysed_in_pieces(tmp_path: Path, annotator: Annotator) -> None:
    paragraph = "Breaking released guests is not acceptable, we must keep the previous GICD_IIDR behaviour. "
    body = "\n\n".join(paragraph * 4 for _ in range(3500))
    assert len(body) > 1_000_000
    store = _store_of(tmp_path, _mail(1, "long", body) + _mail(2, "Re: long", "> Breaking\n\nAgreed.", reply_to=1))
    rebuild_structure(store)
    report = analyze_store(store, annotator, pipeline_fingerprint="test")
    assert report.failed == 0
    stored = store.message("fault-1@example.org")
    assert stored is not None
    rows = store.connection.execute("SELECT start, end, text FROM mentions WHERE message_id = 'fault-1@example.org'").fetchall()
    assert len(rows) >= 3500 * 4 and max(r[0] for r in rows) > 1_000_000
    assert all(stored.body[r[0] : r[1]] == r[2] for r in rows)


def test_pieces_cut_at_line_ends_and_cover_the_block() -> None:
    block = TextBlock("m", 10, ("word " * 30 + "\n") * 2000)
    pieces = split_block(block, limit=1000)
    assert all(len(p.text) <= 1000 for p in pieces)
    assert "".join(p.text for p in pieces) == block.text
    assert all(p.text.endswith("\n") for p in pieces[:-1])
    assert [p.offset - 10 for p in pieces] == [sum(len(q.text) for q in pieces[:i]) for i in range(len(pieces))]


class _FailingOn:
    """The project's segmenter, failing on one message (a stand-in for any bug it may have)."""

    def __init__(self, message_id: str) -> None:
        self._inner = library_segmenter()
        self._bad = message_id
        self.fingerprint = self._inner.fingerprint + "-broken"  # fixing it changes the fingerprint

    def segment(self, message_id: str, body: str) -> Segmentation:
        if message_id == self._bad:
            raise ValueError("cannot segment this one")
        return self._inner.segment(message_id, body)

    def resolve(self, segmentation: Segmentation, **context: object) -> Segmentation:
        return self._inner.resolve(segmentation, **context)  # type: ignore[arg-type]


def _thread_mail() -> str:
    return (
        _mail(1, "policy", "We must not break released guests.")
        + _mail(2, "Re: policy", "> We must not break released guests.\n\nAgreed.", reply_to=1, sender="bob@example.org")
        + _mail(3, "Re: policy", "> Agreed.\n\nNAK.", reply_to=2, sender="carol@example.org")
    )


def test_a_message_that_cannot_be_segmented_is_recorded_and_the_others_are_segmented(tmp_path: Path) -> None:
    store = _store_of(tmp_path, _thread_mail())
    summary = rebuild_structure(store, segmenter=_FailingOn("fault-2@example.org"))
    assert (summary.segmented, summary.failed) == (3, 1)
    assert load_segmentation(store, "fault-2@example.org") is None
    assert load_segmentation(store, "fault-1@example.org") is not None
    assert load_segmentation(store, "fault-3@example.org") is not None
    (failure,) = load_failures(store)
    assert (failure["stage"], failure["message_id"], failure["reason"]) == ("segment", "fault-2@example.org", "ValueError")
    assert not needs_rebuild(store)
    # The same input fails the same way: not tried again; a fixed segmenter clears it.
    assert rebuild_structure(store, segmenter=_FailingOn("fault-2@example.org")).segmented == 0
    assert rebuild_structure(store).failed == 0
    assert load_failures(store) == [] and load_segmentation(store, "fault-2@example.org") is not None


class _MachineFaultOn(_FailingOn):
    """The project's segmenter itself, failing on one message while ``broken`` (a failure
    of the machine, such as memory running out, rather than of the segmenter: its
    fingerprint is the project's, so nothing tells a re-run the input changed)."""

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.fingerprint = self._inner.fingerprint
        self.broken = True

    def segment(self, message_id: str, body: str) -> Segmentation:
        if message_id == self._bad and self.broken:
            raise MemoryError("out of memory while segmenting")
        return self._inner.segment(message_id, body)


def test_structure_retry_failed_segments_again_what_a_fault_of_the_machine_left_unsegmented(tmp_path: Path) -> None:
    store = _store_of(tmp_path, _thread_mail())
    flaky = _MachineFaultOn("fault-2@example.org")
    assert rebuild_structure(store, segmenter=flaky).failed == 1
    # the same segmenter on the same input: not tried again without --retry-failed
    flaky.broken = False
    assert rebuild_structure(store, segmenter=flaky).segmented == 0
    assert [f["message_id"] for f in load_failures(store)] == ["fault-2@example.org"]
    # retried while the fault lasts: read again, recorded again
    flaky.broken = True
    again = rebuild_structure(store, segmenter=flaky, retry_failed=True)
    assert (again.segmented, again.failed) == (3, 1)
    assert load_segmentation(store, "fault-2@example.org") is None
    # retried once the fault is gone: segmented, the failure cleared, nothing left to retry
    flaky.broken = False
    retried = rebuild_structure(store, segmenter=flaky, retry_failed=True)
    assert (retried.segmented, retried.failed) == (3, 0)
    assert load_failures(store) == [] and load_segmentation(store, "fault-2@example.org") is not None
    assert rebuild_structure(store, segmenter=flaky, retry_failed=True).segmented == 0


class _AnnotatorFailingOn(Annotator):
    def __init__(self, annotator: Annotator, word: str) -> None:
        super().__init__(annotator.nlp)
        self._word = word

    def annotate(self, blocks: list[TextBlock]) -> list[BlockMarks]:  # type: ignore[override]
        if any(self._word in b.text for b in blocks):
            raise RuntimeError(f"the pipeline failed on {self._word!r}")
        return super().annotate(blocks)


def test_a_message_that_cannot_be_analysed_is_recorded_and_the_rest_of_its_thread_is_analysed(
    tmp_path: Path, annotator: Annotator
) -> None:
    store = _store_of(tmp_path, _thread_mail())
    rebuild_structure(store)
    failing = _AnnotatorFailingOn(annotator, "NAK")
    report = analyze_store(store, failing, pipeline_fingerprint="test")
    assert (report.analysed, report.failed) == (1, 1)
    (failure,) = load_failures(store)
    assert (failure["stage"], failure["message_id"], failure["reason"]) == ("analyze", "fault-3@example.org", "RuntimeError")
    analysed = {r[0] for r in store.connection.execute("SELECT DISTINCT message_id FROM relations")}
    assert "fault-2@example.org" in analysed
    assert store.summary()["failures"] == {"analyze": 1}
    assert "| analyze | 1 |" in summary_markdown(store.summary())
    again = analyze_store(store, failing, pipeline_fingerprint="test")
    assert (again.analysed, again.failed, again.outstanding) == (0, 0, 1)  # recorded, not retried, still counted
    retried = analyze_store(store, failing, pipeline_fingerprint="test", retry_failed=True)
    assert (retried.analysed, retried.failed, retried.outstanding) == (1, 1, 1)  # read again, fails again
    assert analyze_store(store, annotator, pipeline_fingerprint="fixed").failed == 0
    assert load_failures(store) == []


def test_isolation_hands_back_every_message_when_the_fault_is_not_in_one(annotator: Annotator) -> None:
    class FailsOnTwo(Annotator):
        def annotate(self, blocks: list[TextBlock]) -> list[BlockMarks]:  # type: ignore[override]
            if len({b.message_id for b in blocks}) > 1:
                raise RuntimeError("only fails on the thread as a whole")
            return super().annotate(blocks)

    messages = tuple(
        MessageInput(
            message_id=f"m{i}", author_id=f"p{i}", author_name=f"P{i}", date=None, subject="s", body="Text.",
            parent_id=None, segmentation=library_segmenter().segment(f"m{i}", "Text."),
        )
        for i in range(2)
    )
    analysis, failed = analyse_isolating_failures(ThreadInput("t", messages), rules_reader(FailsOnTwo(annotator.nlp)))
    assert analysis.messages == () and [m for m, _ in failed] == ["m0", "m1"]


# -- mbox accounting -------------------------------------------------------------------


def _entries(data: bytes, **options: object) -> list[RawMail | Rejection]:
    return list(split_mbox(io.BytesIO(data), source="s", max_size=1 << 20, **options))  # type: ignore[arg-type]


def test_every_envelope_after_a_blank_line_is_an_entry_and_a_headerless_one_is_rejected(tmp_path: Path) -> None:
    text = _mail(1, "one", "Body.\n\nFrom bob@example.org Sat May  9 10:00:00 2026\nnot a header line\n\nmore") + _mail(2, "two", "x")
    path = tmp_path / "forged.mbox"
    path.write_text(text)
    with Store.open(tmp_path / "f.db") as store:
        counts = ingest(store, [(str(path), "mbox")], IngestOptions(jobs=1)).counts
        separators = sum(1 for line in text.splitlines() if line.startswith("From ") and line.endswith("2026"))
        assert counts.read == separators == 3
        assert counts.balanced() and counts.rejected == {"not-a-message": 1}
        (rejection,) = store.rejections()
        assert rejection["locator"] == f"offset:{text.encode().index(b'From bob')}"


def test_unescaping_from_does_not_shift_later_offsets() -> None:
    first = _mail(1, "one", ">From the start\n>>From deeper").encode()
    data = first + _mail(2, "two", "x").encode()
    entries = _entries(data)
    assert [e.provenance.locator for e in entries] == ["offset:0", f"offset:{len(first)}"]
    assert isinstance(entries[0], RawMail) and b"\nFrom the start\n>From deeper" in entries[0].data


def test_cr_only_line_endings_are_read_as_lines() -> None:
    data = (_mail(1, "one", "Body one.") + _mail(2, "two", "Body two.")).replace("\n", "\r").encode()
    entries = _entries(data)
    assert len(entries) == 2 and all(isinstance(e, RawMail) for e in entries)
    assert isinstance(entries[1], RawMail) and entries[1].data.startswith(b"From: Sample Person 2")


def test_a_line_over_the_cap_is_read_in_pieces_and_its_entry_rejected() -> None:
    data = (_mail(1, "one", "x" * 5000) + _mail(2, "two", "fine")).encode()
    entries = _entries(data, max_line=1024)
    assert isinstance(entries[0], Rejection) and entries[0].reason == "line-too-long"
    assert isinstance(entries[1], RawMail)
    assert max(len(line) for line in mbox_lines(io.BytesIO(data), max_line=1024)) <= 1024


def _zeros_gz(path: Path, size: int) -> Path:
    with gzip.open(path, "wb") as out:
        out.write(_mail(1, "one", "before").encode())
        block = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            out.write(block)
    return path


def test_a_gzip_of_zeros_stops_at_the_expansion_cap(tmp_path: Path) -> None:
    path = _zeros_gz(tmp_path / "zeros.mbox.gz", 64 << 20)
    items: Iterator[RawMail | Rejection] = read_mbox_file(path, max_size=1 << 20, cap=ExpansionCap(floor=8 << 20, ratio=100))
    found = list(items)
    assert any(isinstance(i, Rejection) and i.reason == "decompression-bomb" for i in found)


_PIECES = st.sampled_from(
    [
        b"From a@example.org Mon May 11 09:30:42 2026\n",
        b"From here on, text\n",
        b">From escaped\n",
        b"Subject: s\n",
        b"Message-ID: <x@y>\n",
        b"text line\n",
        b"\n",
        b"\r\n",
        b"\r",
        b"x" * 300,
        b"\x00\xff",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_every_entry_starts_at_an_envelope_and_every_envelope_is_an_entry(pieces: list[bytes]) -> None:
    """Over arbitrary mixes of envelope lines, headers, text, CRs and long lines: offsets
    increase, every entry but a leading one starts at an envelope line of the raw bytes,
    and (for LF files) the entries are exactly the envelope lines at the start of the file
    or after a blank line, plus one for any text before the first."""
    data = b"".join(pieces)
    entries = _entries(data, max_line=256)
    offsets = [int(e.provenance.locator.removeprefix("offset:")) for e in entries]
    assert offsets == sorted(set(offsets)) and offsets[:1] in ([], [0])
    if b"\r" in data:
        return
    assert all(data[o:].startswith(b"From a@example.org") for o in offsets[1:])
    lines = data.split(b"\n")
    envelopes = sum(
        1 for i, line in enumerate(lines[:-1]) if line.startswith(b"From a@example.org") and (i == 0 or lines[i - 1] == b"")
    )
    leading = bool(data) and not data.startswith(b"From a@example.org")
    assert len(entries) == envelopes + leading
