"""Factories so that a test reads as a short story: ``msg("a", body=...)``, ``reply(a, ...)``."""

from __future__ import annotations

import datetime as dt
import itertools

from analyzer.records import Address, Message, Provenance

_clock = itertools.count()
_BASE = dt.datetime(2026, 5, 11, 9, 0, tzinfo=dt.timezone.utc)


def msg(
    message_id: str,
    *,
    subject: str = "KVM: arm64: example",
    author: str = "Alice Example <alice@example.org>",
    body: str = "Some text.\n",
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    date: str | None = None,
    lists: tuple[str, ...] = ("kvmarm.lists.linux.dev",),
) -> Message:
    """A decoded Message with sensible defaults; dates increase with each call."""
    name, _, email = author.partition("<")
    when = date or (_BASE + dt.timedelta(minutes=next(_clock))).isoformat()
    return Message(
        message_id=message_id,
        synthetic_id=False,
        subject=subject,
        author=Address(name=name.strip(), email=email.rstrip(">").strip().lower()),
        to=(),
        cc=(),
        date=when,
        date_raw=when,
        in_reply_to=in_reply_to,
        references=references,
        list_ids=lists,
        body=body,
        body_kind="plain",
        defects=(),
        size=len(body),
        provenance=Provenance(source="test", locator=message_id),
    )


def reply(parent: Message, message_id: str, *, body: str = "Reply.\n", **options: object) -> Message:
    """A reply to ``parent``: In-Reply-To, References and a ``Re:`` subject filled in."""
    subject = parent.subject if parent.subject.lower().startswith("re:") else f"Re: {parent.subject}"
    return msg(
        message_id,
        subject=str(options.pop("subject", subject)),
        body=body,
        in_reply_to=parent.message_id,
        references=(*parent.references, parent.message_id),
        **options,  # type: ignore[arg-type]
    )
