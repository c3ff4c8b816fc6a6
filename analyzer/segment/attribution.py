"""Attribution lines ("On <date>, <name> wrote:" and its variants) and Outlook headers.

A line only counts as an attribution when quoted text follows it: "As Marc wrote:" in the
middle of prose, followed by prose, is prose.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache

from dateutil import parser as dateparser

from analyzer.segment.lines import Line
from analyzer.segment.records import Attribution

_VERB = r"(?:wrote|writes|said|a\s+écrit|ha\s+scritto|escribió|escribi[oó])"
# "On <date>, <name> wrote:" in the languages seen on kernel lists.
_LEAD_IN = re.compile(rf"^(?:On|Le|El|Il|Em|Op)\s+(?P<rest>.+?)\s*,?\s+{_VERB}\s*:$", re.IGNORECASE)
_GERMAN = re.compile(r"^Am\s+(?P<date>.+?),?\s+schrieb\s+(?P<who>.+?)\s*:$")
_GERMAN_AFTER = re.compile(r"^(?P<who>.+?)\s+schrieb\s+am\s+(?P<date>.+?)\s*:$")
_NAME_ONLY = re.compile(rf"^(?P<rest>.+?)\s+{_VERB}\s*:$", re.IGNORECASE)
_MUTT = re.compile(r"^\*\s+(?P<who>[^\[\]]+?)\s*\[(?P<date>[^\]]+)\]\s*:$")
_QUOTING = re.compile(r"^Quoting\s+(?P<who>[^()]+?)\s*(?:\((?P<date>[^)]*)\))?\s*:?$")
_MULTI_LINE_LEADS = ("On ", "Le ", "El ", "Il ", "Am ", "Em ", "Op ", "Quoting ")

_EMAIL = re.compile(r"[\w.+=-]+@[\w-]+(?:\.[\w-]+)+")
_BRACKETED_EMAIL = re.compile(r"[<(\[](?:mailto:)?[^<>()\[\]]*@[^<>()\[\]]*(?:<[^<>]*>)?[^<>()\[\]]*[>)\]]")
_TIME = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:[+-]\d{4}|\(?(?:UTC|GMT|[ECMP][SD]T|CES?T|BST|JST|IST|KST)\)?))*"
)

_OUTLOOK_RULE = re.compile(r"^-{3,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{3,}\s*$", re.IGNORECASE)
_HEADER_FIELD = re.compile(r"^(?P<key>From|Sent|Date|To|Cc|Subject|Reply-To|Von|Gesendet|An|Betreff|De|Envoyé|À|Objet)\s*:", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^_{10,}\s*$")
_SNIP = re.compile(
    r"^\s*(?:\[\s*(?:\.{2,}|…|snip(?:ped)?|trimmed|cut|deleted|removed)[^\]]*\]|<\s*(?:snip(?:ped)?|\.{3})\s*>"
    r"|\.{3,}|…|snip\.?)\s*$",
    re.IGNORECASE,
)


def is_snip(text: str) -> bool:
    """``[...]``, ``<snip>``, ``...``: the quoter cut something here."""
    return len(text) < 40 and bool(_SNIP.match(text))


def outlook_headers(lines: Sequence[Line]) -> list[tuple[int, int]]:
    """(first line, line count) of each Outlook-style header: the original message below
    it is quoted without ``>`` markers."""
    found: list[tuple[int, int]] = []
    for index, line in enumerate(lines):
        text = line.text.strip()
        if _OUTLOOK_RULE.match(text):
            count = 1 + _header_fields(lines, index + 1, line.markers)
            found.append((index, count))
        elif text.startswith("From:") and _is_outlook_web(lines, index):
            first = index - 1 if index and _UNDERSCORES.match(lines[index - 1].text) else index
            found.append((first, index - first + _header_fields(lines, index, line.markers)))
    return found


def _is_outlook_web(lines: Sequence[Line], index: int) -> bool:
    """``From: …`` directly followed by ``Sent: …``: only Outlook writes that pair."""
    following = lines[index + 1] if index + 1 < len(lines) else None
    return following is not None and following.markers == lines[index].markers and (
        following.text.startswith(("Sent:", "Gesendet:", "Envoyé:"))
    )


def _header_fields(lines: Sequence[Line], first: int, markers: int) -> int:
    """How many lines of header fields (with wrapped continuations) start at ``first``."""
    count = 0
    seen_field = False
    for line in lines[first : first + 30]:
        if line.markers != markers or line.blank:
            break
        if _HEADER_FIELD.match(line.text):
            seen_field = True
        elif not seen_field:
            break
        count += 1
    return count


def outlook_attribution(lines: Sequence[Line], first: int, count: int) -> Attribution:
    fields: dict[str, str] = {}
    for line in lines[first : first + count]:
        match = _HEADER_FIELD.match(line.text)
        if match:
            fields.setdefault(_canonical_field(match.group("key")), line.text[match.end() :].strip())
    sender = fields.get("from", "")
    if " On Behalf Of " in sender:
        sender = sender.split(" On Behalf Of ", 1)[1]
    who, email = _who(sender)
    date = fields.get("date")
    return Attribution(
        start=lines[first].start,
        end=lines[first + count - 1].end,
        name=who,
        email=email,
        date=iso_date(date) if date else None,
        depth=lines[first].depth,
    )


def _canonical_field(key: str) -> str:
    key = key.lower()
    return {"von": "from", "de": "from", "sent": "date", "gesendet": "date", "envoyé": "date"}.get(key, key)


def match_attribution(lines: Sequence[Line], index: int) -> tuple[Attribution, int] | None:
    """The attribution starting at ``lines[index]`` and how many lines it spans, if the
    lines there form one and quoted text follows."""
    first = lines[index]
    if first.blank or len(first.text) > 300:
        return None
    for count in (1, 2, 3):
        group = lines[index : index + count]
        if len(group) < count or any(line.markers != first.markers or line.blank for line in group):
            return None
        if count > 1 and not first.text.lstrip("\ufeff-> ").startswith(_MULTI_LINE_LEADS):
            return None
        parsed = _parse(" ".join(line.text.strip() for line in group))
        if parsed is not None:
            name, email, date, strong = parsed
            followed = _quote_follows(lines, index + count, first.depth, reach=_STRONG_REACH if strong else 0)
            if not followed and not _unmistakable(email, date, strong=strong):
                return None
            return Attribution(first.start, group[-1].end, name, email, date, first.depth), count
    return None


def _unmistakable(email: str | None, date: str | None, *, strong: bool) -> bool:
    """An attribution whose quote was cut entirely still names an address or a date
    that parsed: prose does not look like that."""
    return email is not None or (strong and date is not None and date[:1].isdigit() and "T" in date)


# "On <date>, <name> wrote:" may be followed by a greeting or a line of the writer's own
# before the quote starts; a bare "<name> wrote:" must be followed by the quote itself.
_STRONG_REACH = 4


def _quote_follows(lines: Sequence[Line], index: int, depth: int, *, reach: int) -> bool:
    same_depth = 0
    for line in lines[index : index + 12]:
        if line.blank or is_snip(line.text):
            continue
        if line.depth != depth:
            return line.depth > depth
        same_depth += 1
        if same_depth > reach:
            return False
    return False


def parse_attribution(text: str) -> tuple[str, str | None, str | None] | None:
    """(name, email, ISO date or the date as written) of an attribution line, or None."""
    parsed = _parse(text)
    return parsed[:3] if parsed else None


_Parsed = tuple[str, "str | None", "str | None", bool]


def _parse(text: str) -> _Parsed | None:
    """(name, email, date, strong): strong when the line has a form prose never takes."""
    text = text.strip().lstrip("\ufeff").lstrip("-").strip()
    if not text.endswith(":") and not text.startswith("Quoting "):
        return None
    for pattern in (_MUTT, _QUOTING, _GERMAN, _GERMAN_AFTER):
        match = pattern.match(text)
        if match:
            who, email = _who(match.group("who"))
            date = match.group("date")
            dayfirst = pattern in (_GERMAN, _GERMAN_AFTER)
            return (who, email, iso_date(date, dayfirst=dayfirst) if date else None, True) if who else None
    match = _LEAD_IN.match(text)
    if match:
        # Outside English, dates are written day first ("Le 11/05/2026", "El 11/5/26").
        found = _dated(match.group("rest"), lead_in=True, dayfirst=not text.startswith("On "))
        return (*found, True) if found else None
    match = _NAME_ONLY.match(text.lstrip("* "))
    if match:
        found = _dated(match.group("rest"), lead_in=False, dayfirst=False)
        return (*found, False) if found else None
    return None


def _dated(rest: str, *, lead_in: bool, dayfirst: bool) -> tuple[str, str | None, str | None] | None:
    plain = _BRACKETED_EMAIL.sub(" ", rest)
    email_match = _EMAIL.search(rest)
    plain = _without_empty_brackets(_EMAIL.sub(" ", plain).replace("mailto:", " ")).strip().rstrip(",").strip()
    times = list(_TIME.finditer(plain))
    if times and times[-1].end() < len(plain):
        date, who = plain[: times[-1].end()], plain[times[-1].end() :]
    elif lead_in and "," in plain:
        date, _, who = plain.rpartition(",")
    else:
        date, who = "", plain
    who = " ".join(who.strip(" ,\"'").split())
    email = email_match.group() if email_match else None
    if not who and email:
        who = email
    if not who or (not lead_in and not _plausible_name(who, dated=bool(date))):
        return None
    date = date.strip(" ,")
    return who, email, iso_date(date, dayfirst=dayfirst) if date else None


def _plausible_name(who: str, *, dated: bool) -> bool:
    """A bare "<name> wrote:" line: a short name, not the end of a sentence."""
    words = who.split()
    if len(words) > 6 or any(ch in who for ch in "?!;=+{}"):
        return False
    return dated or who[0].isupper() or who[0] in "\"'" or "@" in who


def _who(text: str) -> tuple[str, str | None]:
    email_match = _EMAIL.search(text)
    name = _EMAIL.sub(" ", _BRACKETED_EMAIL.sub(" ", text)).replace("mailto:", " ")
    name = " ".join(_without_empty_brackets(name).strip(" ,\"'").split())
    email = email_match.group() if email_match else None
    return (name or email or ""), email


_EMPTY_BRACKETS = re.compile(r"\(\s*\)|<\s*>|\[\s*\]")


def _without_empty_brackets(text: str) -> str:
    """What is left of ``<[addr](<mailto:addr>)>`` once the addresses are gone."""
    while True:
        text, count = _EMPTY_BRACKETS.subn(" ", text)
        if not count:
            return text


@lru_cache(maxsize=4096)
def iso_date(raw: str, *, dayfirst: bool = False) -> str:
    """ISO 8601 when the date parses unambiguously, else the date as written. Memoised:
    a thread repeats the same attribution lines in every nested quote."""
    cleaned = " ".join(raw.replace(" at ", " ").replace(" à ", " ").replace(" um ", " ").split()).strip(" ,")
    parsed = {_fuzzy(cleaned, default, dayfirst) for default in _DEFAULTS}
    if len(parsed) == 1:
        (only,) = parsed
        if only is not None:
            return only.isoformat()
    return raw.strip()


# Parsing against two defaults that differ in year, month and day shows whether one of
# those was missing (dateutil silently fills it in): then the date is kept as written.
_DEFAULTS = (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2))


def _fuzzy(text: str, default: dt.datetime, dayfirst: bool) -> dt.datetime | None:
    with warnings.catch_warnings():
        # An unknown zone name ("EST") is dropped with a warning; the time stays right.
        warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
        try:
            parsed = dateparser.parse(text, default=default, fuzzy=True, dayfirst=dayfirst)
        except (ValueError, OverflowError, TypeError, LookupError):
            return None
    return parsed if isinstance(parsed, dt.datetime) else None
