"""Node ids of the argument graph, and the page anchors a report gives each node.

Node ids are readable and unique (``claim:<message-id>#<start>-<end>:<position>/<stance>``); anchors are short
hashes of them, because message-ids are arbitrary text from the wire and must never reach
an ``id``/``href`` attribute as written.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from analyzer.analysis.records import Claim, Decision

LORE_BASE = "https://lore.kernel.org/all/"


def person_node(person_id: str) -> str:
    return f"person:{person_id}"


def message_node(message_id: str) -> str:
    return f"message:{message_id}"


def claim_node(claim: Claim) -> str:
    # One sentence can argue two positions: each is its own claim node.
    return f"claim:{claim.message_id}#{claim.start}-{claim.end}:{claim.position}/{claim.stance}"


def position_node(position: str) -> str:
    return f"position:{position}"


def behaviour_node(behaviour: str) -> str:
    return f"behaviour:{behaviour}"


def decision_node(decision: Decision) -> str:
    return f"decision:{decision.message_id}#{decision.kind}@{decision.start}"


def anchor(node_id: str) -> str:
    """A fragment id that is safe in HTML whatever the node id holds."""
    prefix = node_id.split(":", 1)[0][0]
    return f"{prefix}-{hashlib.sha1(node_id.encode('utf-8')).hexdigest()[:12]}"


def message_anchor(message_id: str) -> str:
    return anchor(message_node(message_id))


def claim_anchor(claim: Claim) -> str:
    return anchor(claim_node(claim))


def lore_url(message_id: str) -> str:
    """The lore link of a message; the id is percent-encoded so that it stays inside the
    path whatever it contains (``/``, ``?``, ``#``, quotes)."""
    return f"{LORE_BASE}{quote(message_id.strip('<>'), safe='@!$&()*+,;=:~._-')}/"
