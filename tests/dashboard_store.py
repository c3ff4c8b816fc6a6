"""A mid-size real store for the dashboard tests: the newest messages of the real kvmarm
public-inbox archive plus the gold threads, ingested and analysed once per session.

The mbox is written at run time from ``../shared`` (git cat-file of each commit's ``m``
blob): no real mail is copied into the project.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from analyzer import api
from tests.conftest import require_shared

ARCHIVE_MESSAGES = 2000
"""The newest messages of the archive (autumn 2022 – January 2023): a couple of thousand, so
that one analysis run stays within the test budget."""
_FROM = re.compile(rb"^(>*From )", re.MULTILINE)


def archive_mbox(archive: Path, out: Path, count: int) -> Path:
    """The raw messages of the newest ``count`` commits as one mboxrd file."""
    commits = subprocess.run(["git", "-C", str(archive), "rev-list", f"--max-count={count}", "HEAD"],
                             check=True, capture_output=True).stdout.split()
    batch = subprocess.run(["git", "-C", str(archive), "cat-file", "--batch"], input=b"".join(c + b":m\n" for c in commits),
                           check=True, capture_output=True).stdout
    with out.open("wb") as mbox:
        position = 0
        while position < len(batch):
            header_end = batch.index(b"\n", position)
            header = batch[position:header_end].split()
            position = header_end + 1
            if header[-1] == b"missing":
                continue
            size = int(header[2])
            raw = batch[position:position + size]
            position += size + 1
            mbox.write(b"From mlpa@archive Thu Jan  1 00:00:00 1970\n")
            mbox.write(_FROM.sub(rb">\1", raw.replace(b"\r\n", b"\n")).rstrip(b"\n") + b"\n\n")
    return out


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    gold = require_shared("gold")
    folder = tmp_path_factory.mktemp("dashboard-real")
    mbox = archive_mbox(archive, folder / "archive.mbox", ARCHIVE_MESSAGES)
    db = folder / "real.db"
    with api.open_store(db) as store:
        # The cue rules' reading: these tests are about the dashboard at size, and the learned
        # reading (add_sources' default) would take minutes more over 2,000 messages.
        api.add_sources(store, str(mbox), *(str(p) for p in sorted(gold.glob("*.mbox"))), encoder="rules")
    return db
