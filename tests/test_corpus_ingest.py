"""The bundled sample corpus goes in whole: counts, dedupe across lists, decoding."""

from __future__ import annotations

import json

from analyzer.store.db import Store
from tests.conftest import CORPUS, IngestFn

MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())
MBOXES = [CORPUS / "kvm.mbox", CORPUS / "kvmarm.mbox"]


def test_corpus_counts_add_up_and_match_manifest(run_ingest: IngestFn, store: Store) -> None:
    counts = run_ingest(*MBOXES).counts
    assert counts.read == MANIFEST["messages_total_entries"]
    assert counts.stored == MANIFEST["unique_message_ids"]
    assert counts.duplicates == counts.read - counts.stored
    assert counts.rejected == {}
    assert counts.balanced()
    assert store.count("messages") == MANIFEST["unique_message_ids"]


def test_reingest_adds_nothing(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(*MBOXES)
    before = store.summary()
    again = run_ingest(*MBOXES).counts
    assert again.stored == 0
    assert again.duplicates == again.read == MANIFEST["messages_total_entries"]
    after = store.summary()
    assert after["messages"] == before["messages"]
    assert after["lists"] == before["lists"]


def test_cross_posted_message_is_stored_once_with_both_lists(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(*MBOXES)
    assert MANIFEST["cross_posted"], "the corpus must contain a cross-posted message"
    for message_id in MANIFEST["cross_posted"]:
        message = store.message(message_id)
        assert message is not None
        assert set(message.lists) == {"kvm.vger.kernel.org", "kvmarm.lists.linux.dev"}
        sources = store.connection.execute(
            "SELECT count(*) FROM message_sources WHERE message_id = ?", (message_id,)
        ).fetchone()[0]
        assert sources == 2


def test_html_only_mail_becomes_text_with_quotes(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(*MBOXES)
    for message_id in MANIFEST["html_only"]:
        message = store.message(message_id)
        assert message is not None and message.body_kind == "html"
        assert "<p>" not in message.body and "&amp;" not in message.body
        assert any(line.startswith(">") for line in message.body.splitlines())


def test_non_utf8_charsets_are_decoded(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(*MBOXES)
    assert MANIFEST["non_utf8"]
    for entry in MANIFEST["non_utf8"]:
        message = store.message(entry["message_id"])
        assert message is not None
        assert "\ufffd" not in message.body, f"{entry['charset']} body lost characters"
    names = {m.author_name for m in store.messages()}
    assert "Jörg Müller" in names


def test_mboxrd_from_escaping_is_undone(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(*MBOXES)
    bodies = [m.body for m in store.messages()]
    assert any("\nFrom now on" in body or body.startswith("From now on") for body in bodies)
    assert not any("\n>From now on" in body for body in bodies)


def test_full_text_search_finds_register_names(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(*MBOXES)
    hits = store.search("CCSIDR_EL1")
    assert hits and all("CCSIDR_EL1" in (m.body + m.subject) for m in hits)
    assert store.search('"bug for bug"') or store.search("bug-for-bug")
