"""Quote resolution on the real gold threads: every quoted block whose text was written
in a message of the thread must resolve, to the right message and span.

Whether a block's source is in the thread is decided independently of the resolver: a
block counts when one of its longer lines (25+ characters, whitespace ignored) appears
in the unquoted lines of another message of the mbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer.ingest.mbox import ExpansionCap, read_mbox_file
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail
from analyzer.segment import QuotedBlock, resolve_quotes, segment_body
from tests.conftest import require_shared

_LONG_LINE = 25


def read_thread(path: Path) -> list[Message]:
    messages = []
    for raw in read_mbox_file(path, max_size=50_000_000, cap=ExpansionCap()):
        assert isinstance(raw, RawMail), raw
        message = parse_raw(raw, ParsePolicy())
        assert isinstance(message, Message), message
        messages.append(message)
    return messages


def chain_of(message: Message, by_id: dict[str, Message]) -> list[tuple[str, str]]:
    """Ancestors present in the mbox, nearest first: In-Reply-To links, and where one
    is missing the nearest References entry that is present."""
    chain: list[tuple[str, str]] = []
    seen = {message.message_id}
    current = message
    while current.in_reply_to is not None:
        parent_id: str | None = current.in_reply_to
        if parent_id not in by_id:
            parent_id = next((r for r in reversed(current.references) if r in by_id and r not in seen), None)
        if parent_id is None or parent_id in seen:
            break
        seen.add(parent_id)
        current = by_id[parent_id]
        chain.append((parent_id, current.body))
    return chain


def squeeze(text: str) -> str:
    return "".join(text.split())


def unquoted(body: str) -> str:
    return squeeze("\n".join(line for line in body.split("\n") if not line.startswith(">")))


@dataclass
class Tally:
    checked: int = 0
    resolved: int = 0
    absent: int = 0
    failures: list[str] | None = None


def check_block(
    message_id: str, quote: QuotedBlock, chain: Sequence[tuple[str, str]], written: dict[str, str], tally: Tally
) -> None:
    lines = [squeeze(line) for line in quote.text.split("\n") if len(squeeze(line)) >= _LONG_LINE]
    holders = [mid for mid, text in written.items() if mid != message_id and any(line in text for line in lines)]
    if not holders:
        tally.absent += 1
        return
    tally.checked += 1
    failures = tally.failures if tally.failures is not None else []
    where = f"{message_id} quote {quote.index} (depth {quote.depth}): {quote.text[:70]!r}"
    if quote.source_message_id is None or quote.source_start is None or quote.source_end is None:
        failures.append(f"unresolved {where}")
        return
    tally.resolved += 1
    expected = chain[quote.depth - 1][0] if quote.depth <= len(chain) else None
    if expected in holders and quote.source_message_id != expected:
        failures.append(f"resolved to {quote.source_message_id}, expected {expected}: {where}")
    source = dict(chain).get(quote.source_message_id, "")
    span = squeeze(source[quote.source_start : quote.source_end]) if source else ""
    if source and not any(line in span for line in lines):
        failures.append(f"span does not hold the quoted text: {where}")


def test_every_quote_whose_source_is_in_the_gold_thread_resolves_to_it() -> None:
    gold = require_shared("gold")
    tally = Tally(failures=[])
    quotes = 0
    for path in sorted(gold.glob("*.mbox")):
        messages = read_thread(path)
        by_id = {m.message_id: m for m in messages}
        bodies = {m.message_id: m.body for m in messages}
        written = {m.message_id: unquoted(m.body) for m in messages}
        for message in messages:
            chain = chain_of(message, by_id)
            segmentation = resolve_quotes(segment_body(message.message_id, message.body), chain=chain, thread_bodies=bodies)
            quotes += len(segmentation.quotes)
            for quote in segmentation.quotes:
                check_block(message.message_id, quote, chain, written, tally)
    assert tally.checked >= 200, f"only {tally.checked} quoted blocks checked: segmentation lost the quotes"
    assert tally.failures == [], "\n".join(tally.failures or [])
    assert tally.resolved == tally.checked
    print(f"gold: {quotes} quoted blocks, {tally.checked} with a source in the thread, {tally.resolved} resolved")


@pytest.mark.parametrize("name", ["kvm-guest-visible-compat-2026-05", "kvmarm-ccsidr-associativity-invariant-regs"])
def test_own_text_of_gold_replies_answers_resolved_quotes(name: str) -> None:
    """In the inline-reply threads, nearly every own-text block below a quote answers a
    quote that resolved, so relations can point at the claim they answer."""
    path = require_shared("gold", f"{name}.mbox")
    messages = read_thread(path)
    by_id = {m.message_id: m for m in messages}
    bodies = {m.message_id: m.body for m in messages}
    answering = answered_resolved = 0
    for message in messages:
        chain = chain_of(message, by_id)
        segmentation = resolve_quotes(segment_body(message.message_id, message.body), chain=chain, thread_bodies=bodies)
        for own in segmentation.own:
            if own.answers is not None:
                answering += 1
                answered_resolved += segmentation.quotes[own.answers].resolved
    assert answering >= 30
    assert answered_resolved == answering
