"""Fetching threads over HTTP from a real loopback server standing in for lore."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.errors import FetchError
from analyzer.ingest.lore import LoreClient, make_session, thread_ref
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.ingest.sources import ReadOptions
from analyzer.store.db import Store
from tests.conftest import CORPUS
from tests.lore_server import LoreFixture, serve

MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())
THREAD = MANIFEST["threads"][0]


def _thread_mbox() -> bytes:
    wanted = set(THREAD["message_ids"])
    out = b""
    for path in (CORPUS / "kvm.mbox", CORPUS / "kvmarm.mbox"):
        for message in mailbox.mbox(str(path)):
            message_id = (message["Message-ID"] or "").strip().strip("<>")
            if message_id in wanted:
                wanted.discard(message_id)
                out += b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + bytes(message).replace(b"\nFrom ", b"\n>From ") + b"\n"
    return out


@pytest.fixture
def lore() -> Iterator[LoreFixture]:
    with serve(LoreFixture(threads={THREAD["root_message_id"]: _thread_mbox()})) as fixture:
        yield fixture


def _client(tmp_path: Path, *, cache: bool = True, max_download: int = 8 * 1024 * 1024, timeout: float = 5.0) -> LoreClient:
    session = make_session(cache_dir=tmp_path / "cache" if cache else None, retries=2, backoff=0.0)
    return LoreClient(session, timeout=(2.0, timeout), max_download=max_download)


def _ingest(store: Store, target: str, client: LoreClient, base: str) -> dict[str, object]:
    options = IngestOptions(read=ReadOptions(lore_base=base), jobs=1)
    return ingest(store, [(target, "auto")], options, lore_client=client).counts.as_dict()


def test_thread_by_message_id_and_by_url(tmp_path: Path, lore: LoreFixture, store: Store) -> None:
    client = _client(tmp_path)
    counts = _ingest(store, THREAD["root_message_id"], client, lore.base)
    assert counts == {"read": len(THREAD["message_ids"]), "stored": len(THREAD["message_ids"]), "duplicates": 0, "rejected": {}}
    url = f"{lore.base}/kvmarm/{THREAD['root_message_id']}/T/#t"
    again = _ingest(store, url, client, "http://unused.invalid")
    assert again["duplicates"] == len(THREAD["message_ids"]) and again["stored"] == 0


def test_on_disk_cache_avoids_a_second_download(tmp_path: Path, lore: LoreFixture, store: Store) -> None:
    _ingest(store, THREAD["root_message_id"], _client(tmp_path), lore.base)
    _ingest(store, THREAD["root_message_id"], _client(tmp_path), lore.base)  # new session, same cache dir
    assert lore.hits[THREAD["root_message_id"]] == 1


def test_retries_after_a_server_error(tmp_path: Path, lore: LoreFixture, store: Store) -> None:
    lore.threads["flaky@example.org"] = _thread_mbox()
    counts = _ingest(store, "flaky@example.org", _client(tmp_path, cache=False), lore.base)
    assert lore.hits["flaky@example.org"] == 2
    assert counts["stored"] == len(THREAD["message_ids"])


@pytest.mark.parametrize(
    ("message_id", "client_options", "detail"),
    [
        ("missing@example.org", {}, "404"),
        ("huge@example.org", {"max_download": 1024 * 1024}, "download cap"),
        ("slow@example.org", {"timeout": 0.5}, "Timeout"),
    ],
)
def test_failed_fetch_is_a_reported_rejection(
    tmp_path: Path, lore: LoreFixture, store: Store, message_id: str, client_options: dict, detail: str  # type: ignore[type-arg]
) -> None:
    counts = _ingest(store, message_id, _client(tmp_path, cache=False, **client_options), lore.base)
    assert counts == {"read": 1, "stored": 0, "duplicates": 0, "rejected": {"fetch-failed": 1}}
    [rejection] = store.rejections()
    assert detail.lower() in rejection["detail"].lower()


def test_gzip_bomb_is_stopped(tmp_path: Path, lore: LoreFixture, store: Store) -> None:
    counts = _ingest(store, "bomb@example.org", _client(tmp_path, cache=False), lore.base)
    assert counts["rejected"] == {"decompression-bomb": 1}
    assert counts["stored"] == 0


def test_thread_ref_forms() -> None:
    ref = thread_ref("<abc@example.org>", base="https://lore.example")
    assert ref.url == "https://lore.example/all/abc@example.org/t.mbox.gz"
    assert thread_ref("https://lore.kernel.org/kvmarm/abc@example.org/").url.endswith("/kvmarm/abc@example.org/t.mbox.gz")
    with pytest.raises(FetchError):
        thread_ref("not a message id")
