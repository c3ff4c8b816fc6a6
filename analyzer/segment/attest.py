"""Whether a trailer given in a reply speaks for its sender, by b4's rule for follow-up
trailers: b4 applies an ``Acked-by:``/``Reviewed-by:``/``Tested-by:`` from a reply only
when the person it names sent the reply (the address matches the sender's, or failing
that every part of the name does), and never takes a trailer the patch already carries
as a new one.

Pure: a trailer, who sent it, and the trailers already on the patches it answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from analyzer.segment.records import Trailer

Attestation = Literal["attested", "unattested", "restated", "patch"]
"""``attested``: the sender speaks for themself (or names nobody, like a bare NAK);
``unattested``: it names someone else, so it is nobody's decision here; ``restated``:
the patch answered already carries it; ``patch``: it belongs to the patch this message posts."""

_NAME_PART = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a message: the From name and every address known for that person."""

    name: str
    addresses: frozenset[str]

    @classmethod
    def of(cls, name: str, addresses: Iterable[str]) -> Sender:
        return cls(name, frozenset(a.strip().lower() for a in addresses if a.strip()))


def trailer_key(trailer: Trailer) -> tuple[str, str]:
    """What makes two trailers the same tag: the key and whom it names."""
    return (trailer.key, (trailer.email or trailer.value).strip().lower())


def attest(trailer: Trailer, sender: Sender | None, present: frozenset[tuple[str, str]] = frozenset()) -> Attestation:
    """How a trailer of a message counts (``present``: ``trailer_key`` of every trailer on
    the patches the message answers). Without a known sender nothing can be checked, and
    the trailer is taken as the sender's, as before attestation."""
    if trailer.in_patch:
        return "patch"
    if trailer_key(trailer) in present:
        return "restated"
    if trailer.email is None or sender is None or not (sender.addresses or sender.name.strip()):
        return "attested"
    if trailer.email.lower() in sender.addresses or _same_name(trailer.name, sender.name):
        return "attested"
    return "unattested"


def _same_name(named: str | None, sender: str) -> bool:
    """Every part of the name the trailer gives appears in the sender's name (b4 accepts
    "Jane Doe" from "Doe, Jane" or "Jane Q. Doe")."""
    named_parts = set(_NAME_PART.findall((named or "").casefold()))
    sender_parts = set(_NAME_PART.findall(sender.casefold()))
    return len(named_parts) >= 2 and named_parts <= sender_parts
