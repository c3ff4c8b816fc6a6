"""Full-text search that understands kernel identifiers, shared by ``analyzer search`` and
the dashboard.

The index (``messages_fts``, migration 7 below) splits words at ``_`` and ``.`` as well as
at spaces and punctuation, so ``KVM_X2APIC_API_DISABLE_SUPPRESS_EOI_BROADCAST`` is stored
as its parts. A search term is matched against those parts:

- a plain word is a prefix of a word or of an identifier's part (``LPIs`` finds
  ``GICD_TYPER.num_LPIs``);
- an identifier — a term with ``_`` or ``.`` inside, such as ``EOI_BROADCAST``,
  ``num_LPIs``, ``SUPPRESS_EOI`` or ``KVM_CAP_*`` — is found where it starts at the start of
  a word or of a part and is written as typed (case aside): the index finds the run of
  parts (a phrase, the last part a prefix), and the text is then checked to hold the term
  with its separators, so prose such as "EOI broadcast" or "KVM capability" is not a hit;
- "quoted phrases", AND / OR / NOT (NOT binds tightest, then AND, then OR; two terms side
  by side mean AND) and parentheses keep their FTS5 meaning; stray quotes, operators and
  parentheses are dropped rather than refused.

:func:`compile_query` turns the typed text into an FTS5 ``MATCH`` string that finds every
hit (it may find more: NOT of an identifier is left to the check) and an SQL condition on
the ``messages`` row ``m`` that keeps exactly the hits; :func:`run` runs an SQL query over
the hits, which :func:`matching_rows` (``analyzer search``) and the dashboard's search use.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

def rebuilt_index(tokenize: str) -> str:
    """SQL that replaces the full-text index (and the triggers that keep it in step with
    ``messages``) by one built with the FTS5 tokenizer ``tokenize``, rebuilt from the rows."""
    return f"""
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, author_name, body, content='messages', content_rowid='id',
    tokenize = "{tokenize}"
);
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, subject, author_name, body)
    VALUES ('delete', old.id, old.subject, old.author_name, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, subject, author_name, body)
    VALUES ('delete', old.id, old.subject, old.author_name, old.body);
    INSERT INTO messages_fts(rowid, subject, author_name, body)
    VALUES (new.id, new.subject, new.author_name, new.body);
END;
INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8);
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
"""


IDENTIFIER_PARTS = rebuilt_index("unicode61")
"""Migration 7: the full-text index splits identifiers at ``_`` and ``.`` into their parts
(it kept them whole, so only an identifier's prefix could be found). The index is derived
from ``messages`` and rebuilt from it; no stored data changes."""

_TOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()]+')
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_INNER_SEPARATOR = re.compile(r"\w[_.]+\w")
_WORD = re.compile(r"[^\W_]")
_TEXT = "lower(m.subject || ' ' || m.author_name || ' ' || m.body)"


@dataclass(frozen=True, slots=True)
class Term:
    """A bare word or identifier (``KVM_CAP_*`` is the term ``KVM_CAP_``)."""

    word: str

    @property
    def identifier(self) -> bool:
        """Whether the word has ``_`` or ``.`` inside it, between word characters."""
        return bool(_INNER_SEPARATOR.search(self.word))


@dataclass(frozen=True, slots=True)
class Phrase:
    """A "quoted phrase"."""

    text: str


@dataclass(frozen=True, slots=True)
class Both:
    """Every item matches (AND, or terms side by side)."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Either:
    """Any item matches (OR)."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Without:
    """``kept`` matches and ``dropped`` does not (NOT)."""

    kept: Node
    dropped: Node


Node = Term | Phrase | Both | Either | Without


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """What a search box's text asks of the index (``match``) and of the text (``check``,
    an SQL condition on the messages row ``m``; empty when the index answers alone)."""

    match: str
    check: str
    params: dict[str, str]


def parse(text: str) -> Node | None:
    """The query tree of a search box's text; None when it holds no word to look for."""
    return _Parser(_balanced(_TOKEN.findall(text))).either()


def _balanced(tokens: list[str]) -> list[str]:
    """The tokens without closing parentheses that close nothing."""
    kept, depth = [], 0
    for token in tokens:
        if token == ")" and depth == 0:
            continue
        depth += {"(": 1, ")": -1}.get(token, 0)
        kept.append(token)
    return kept


class _Parser:
    """Recursive descent over the tokens, forgiving: what cannot be read is skipped."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def either(self) -> Node | None:
        items = []
        while self._peek() is not None and self._peek() != ")":
            item = self.both()
            if item is not None:
                items.append(item)
            if self._peek() == "OR":
                self.at += 1
        return _joined(Either, items)

    def both(self) -> Node | None:
        items = []
        while (token := self._peek()) is not None and token not in {")", "OR"}:
            if token == "AND":
                self.at += 1
                continue
            item = self.without()
            if item is not None:
                items.append(item)
        return _joined(Both, items)

    def without(self) -> Node | None:
        kept = self.primary()
        while self._peek() == "NOT":
            self.at += 1
            dropped = self.primary()
            if kept is None:
                continue
            if dropped is not None:
                kept = Without(kept, dropped)
        return kept

    def primary(self) -> Node | None:
        token = self._peek()
        if token is None or token in {")", "OR", "AND", "NOT"}:
            return None
        self.at += 1
        if token == "(":
            inner = self.either()
            if self._peek() == ")":
                self.at += 1
            return inner
        if len(token) > 1 and token.startswith('"') and token.endswith('"'):
            return Phrase(token[1:-1]) if _WORD.search(token) else None
        word = token.rstrip("*").replace('"', "")
        return Term(word) if _WORD.search(word) else None


def _joined(kind: type[Both] | type[Either], items: list[Node]) -> Node | None:
    if not items:
        return None
    return items[0] if len(items) == 1 else kind(tuple(items))


def compile_query(text: str) -> CompiledQuery | None:
    """The index query and text check for ``text`` (see the module's docstring)."""
    tree = parse(text)
    if tree is None:
        return None
    params: dict[str, str] = {}
    return CompiledQuery(_match(tree), _refine(tree, params) or "", params)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


def _match(node: Node) -> str:
    """An FTS5 query for ``node`` that finds every hit (more, where a check must decide)."""
    if isinstance(node, Term):
        return _quoted(node.word) + "*"
    if isinstance(node, Phrase):
        return _quoted(node.text)
    if isinstance(node, Both):
        return " AND ".join(_grouped(item) for item in node.items)
    if isinstance(node, Either):
        return " OR ".join(_grouped(item) for item in node.items)
    if _exact(node.dropped):
        return f"{_grouped(node.kept)} NOT {_grouped(node.dropped)}"
    return _match(node.kept)


def _grouped(node: Node) -> str:
    return _match(node) if isinstance(node, Term | Phrase) else f"( {_match(node)} )"


def _exact(node: Node) -> bool:
    """Whether the index alone decides ``node`` (no identifier in it)."""
    if isinstance(node, Term):
        return not node.identifier
    if isinstance(node, Phrase):
        return True
    if isinstance(node, Without):
        return _exact(node.kept) and _exact(node.dropped)
    return all(_exact(item) for item in node.items)


def _refine(node: Node, params: dict[str, str]) -> str | None:
    """The condition that, with ``_match(node)``, keeps exactly the hits of ``node``."""
    if _exact(node):
        return None
    if isinstance(node, Term):
        return _verbatim(node, params)
    if isinstance(node, Both):
        return " AND ".join(c for item in node.items if (c := _refine(item, params)))
    if isinstance(node, Either):
        return "(" + " OR ".join(_full(item, params) for item in node.items) + ")"
    if isinstance(node, Without):
        kept = _refine(node.kept, params)
        dropped = f"NOT {_full(node.dropped, params)}" if not _exact(node.dropped) else None
        return " AND ".join(c for c in (kept, dropped) if c)
    raise AssertionError(node)  # a phrase is always exact


def _full(node: Node, params: dict[str, str]) -> str:
    """The whole condition for ``node`` on its own (index membership and text checks)."""
    if isinstance(node, Term | Phrase):
        name = f"q{len(params)}"
        params[name] = _match(node)
        found = f"m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH :{name})"
        return f"({found} AND {_verbatim(node, params)})" if isinstance(node, Term) and node.identifier else found
    if isinstance(node, Both):
        return "(" + " AND ".join(_full(item, params) for item in node.items) + ")"
    if isinstance(node, Either):
        return "(" + " OR ".join(_full(item, params) for item in node.items) + ")"
    return f"({_full(node.kept, params)} AND NOT {_full(node.dropped, params)})"


def _verbatim(term: Term, params: dict[str, str]) -> str:
    name = f"q{len(params)}"
    params[name] = term.word
    return f"instr({_TEXT}, lower(:{name})) > 0"


FROM = "messages_fts f JOIN messages m ON m.id = f.rowid"
"""The tables a search reads: the index ``f`` and the messages ``m``."""


def match_sql(query: CompiledQuery) -> str:
    """The condition on :data:`FROM` that keeps the hits of ``query`` (bound with
    :func:`match_params`)."""
    return "messages_fts MATCH :match" + (f" AND {query.check}" if query.check else "")


def match_params(query: CompiledQuery) -> dict[str, str]:
    return {"match": query.match, **query.params}


def plain_words(text: str) -> CompiledQuery | None:
    """``text`` read as plain words, every operator and quote ignored: the fallback when
    SQLite refuses a compiled query."""
    return compile_query(" ".join(w for w in re.findall(r"[^\s\"()*]+", text) if w not in _OPERATORS))


def run(connection: sqlite3.Connection, text: str, sql: str, params: Mapping[str, object] = {}) -> list[Any]:
    """The rows of ``sql``, which reads :data:`FROM` and where ``{matched}`` stands for the
    condition that keeps the messages matching ``text`` (no rows when ``text`` asks for
    nothing). A query SQLite refuses is run again as plain words."""
    for compiled in (compile_query(text), plain_words(text)):
        if compiled is None:
            return []
        try:
            return connection.execute(sql.format(matched=match_sql(compiled)),
                                      {**params, **match_params(compiled)}).fetchall()
        except sqlite3.OperationalError:
            continue
    return []


def matching_rows(connection: sqlite3.Connection, text: str, columns: str, *, limit: int = 50,
                  offset: int = 0) -> list[Any]:
    """``columns`` of the messages ``m`` matching ``text``, best first, a page at a time."""
    return run(connection, text, f"SELECT {columns} FROM {FROM} WHERE {{matched}} ORDER BY rank LIMIT :limit OFFSET :offset",
               {"limit": limit, "offset": offset})
