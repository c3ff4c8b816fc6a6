"""Bodies in every charset Python can decode come out decoded, whatever the transfer
encoding (ISO-2022-JP/KR, UTF-7 and HZ are 7-bit: their bytes look like ASCII, and were
once stored with their escape sequences); a charset Python does not know, or that does
not fit the bytes, is guessed and the guess recorded as a defect."""

from __future__ import annotations

import base64
import codecs
import encodings.aliases
import quopri

import pytest

from analyzer.mail.body import codec_for
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, Provenance, RawMail

SAMPLES = {
    "iso-2022-jp": "了解しました。修正版を送ります。\nAcked-by: 山田 <yamada@example.jp>\n",
    "iso-2022-jp-2": "了解しました。\n",
    "iso-2022-kr": "검토했습니다. 좋습니다.\n",
    "utf-7": "Reviewed, looks fine — naïve café.\n",
    "hz-gb-2312": "我已经测试过了。\n",
    "shift_jis": "了解しました。\n",
    "euc-jp": "了解しました。\n",
    "euc-kr": "검토했습니다.\n",
    "gb2312": "我已经测试过了。\n",
    "big5": "我已經測試過了。\n",
    "koi8-r": "Проверил, всё работает.\n",
    "iso-8859-2": "Przetestowałem, działa.\n",
    "windows-1251": "Проверил.\n",
    "unicode-1-1-utf-7": "caf\u00e9\n",
    "ks_c_5601-1987": "검토했습니다.\n",
}
CHARSET_DEFECT = ("charset", "CharsetDecodeDefect")


def mail(charset: str, payload: bytes, transfer: str) -> RawMail:
    if transfer == "base64":
        payload = base64.encodebytes(payload)
    elif transfer == "quoted-printable":
        payload = quopri.encodestring(payload)
    head = (
        "From: A <a@example.org>\nSubject: t\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"
        f"Message-ID: <{charset}.{transfer}@example.org>\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {transfer}\n\n"
    )
    return RawMail(head.encode() + payload, Provenance("test", f"{charset}-{transfer}"))


def parsed(raw: RawMail) -> Message:
    message = parse_raw(raw, ParsePolicy())
    assert isinstance(message, Message), message
    return message


@pytest.mark.parametrize("transfer", ["7bit", "8bit", "base64", "quoted-printable"])
@pytest.mark.parametrize("charset", sorted(SAMPLES))
def test_named_charsets_are_decoded(charset: str, transfer: str) -> None:
    text = SAMPLES[charset]
    codec = codec_for(charset)
    assert codec is not None
    message = parsed(mail(charset, text.encode(codec), transfer))
    assert message.body == text
    assert not [d for d in message.defects if d.startswith(CHARSET_DEFECT) or "CharsetDecodeDefect" in d]


def _text_codecs() -> list[str]:
    names = sorted({codecs.lookup(n).name for n in set(encodings.aliases.aliases.values()) if _is_text(n)})
    return [n for n in names if not n.startswith(("mbcs", "oem", "cp65001"))]


def _is_text(name: str) -> bool:
    try:
        return bool(getattr(codecs.lookup(name), "_is_text_encoding", True))
    except LookupError:
        return False


def test_every_text_codec_python_has_is_decoded() -> None:
    """Base64 carries any bytes, so each codec's own output comes back exactly."""
    checked = 0
    for codec in _text_codecs():
        for text in ("Tested on two boards, thanks.\n", "Tested, thanks: \u00e4\u00f6\u00fc \u00e9\n"):
            try:
                payload = text.encode(codec)
            except UnicodeEncodeError:
                continue
            message = parsed(mail(codec, payload, "base64"))
            assert message.body == text, codec
            checked += 1
    assert checked > 80


@pytest.mark.parametrize(
    ("charset", "reason"), [("x-no-such-charset", "unknown to Python"), ("utf-8", "does not fit the bytes")]
)
def test_an_unusable_charset_is_guessed_and_recorded(charset: str, reason: str) -> None:
    text = "Ich habe das gepr\u00fcft und f\u00fcr gut befunden, danke sch\u00f6n.\n"
    message = parsed(mail(charset, text.encode("cp1252"), "8bit"))
    assert message.body == text
    (guess,) = [d for d in message.defects if d.startswith("charset-guessed")]
    assert f"declared {charset!r} ({reason}); decoded as " in guess
