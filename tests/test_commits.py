"""Merged commits found with git in a small kernel-like tree that the test creates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from analyzer.errors import AnalyzerError
from analyzer.timeline import commits as commits_module
from analyzer.timeline.commits import attach_commits, find_merged_commits, release_tag, trailer_message_ids
from tests.debate_factory import V1_ID, V2_ID, sample_debate

ENV = {**os.environ, "GIT_AUTHOR_NAME": "Sam Ortiz", "GIT_AUTHOR_EMAIL": "sam@example.org",
       "GIT_COMMITTER_NAME": "Morgan Keel", "GIT_COMMITTER_EMAIL": "morgan@example.org",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git(tree: Path, *args: str, date: str = "2026-03-20T10:00:00+00:00") -> str:
    env = {**ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit(tree: Path, subject: str, body: str, date: str) -> str:
    path = tree / "virt" / "kvm.c"
    path.parent.mkdir(exist_ok=True)
    path.write_text(path.read_text() + subject + "\n" if path.exists() else subject + "\n")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", f"{subject}\n\n{body}", date=date)
    return git(tree, "rev-parse", "HEAD").strip()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """v6.18 tag, then a commit linked by lore URL, one by Message-Id, one that only
    mentions an id in prose, a v6.19-rc1 tag, and a last linked commit after it."""
    root = tmp_path / "linux"
    root.mkdir()
    git(root, "init", "-q", "-b", "master")
    commit(root, "Linux 6.18", "", "2026-02-01T10:00:00+00:00")
    git(root, "tag", "v6.18")
    commit(root, "KVM: arm64: vgic: Make GICD_IIDR writable",
           f"Signed-off-by: Sam Ortiz <sam@example.org>\nLink: https://lore.kernel.org/r/{V2_ID}\n"
           "Signed-off-by: Morgan Keel <morgan@example.org>", "2026-03-20T10:00:00+00:00")
    commit(root, "KVM: arm64: vgic: Document the IIDR quirk",
           "Message-Id: <ack.4@example.org>\nSigned-off-by: Morgan Keel <morgan@example.org>",
           "2026-03-21T10:00:00+00:00")
    commit(root, "KVM: arm64: unrelated cleanup",
           f"As discussed in {V1_ID} this is unrelated.\nSigned-off-by: Tess Nakamura <tess@cloud.example.org>",
           "2026-03-22T10:00:00+00:00")
    commit(root, "Linux 6.19-rc1", "", "2026-03-29T10:00:00+00:00")
    git(root, "tag", "v6.19-rc1")
    git(root, "tag", "kvmarm-fixes-6.19-1")
    commit(root, "KVM: arm64: vgic: Fix the IIDR quirk for GICv2",
           "Link: https://lore.kernel.org/all/apply.5%40example.org/\n", "2026-04-02T10:00:00+00:00")
    return root


def test_trailers_give_message_ids() -> None:
    body = ("Fix it.\n\nLink: https://lore.kernel.org/kvmarm/20260101.1-1-a@example.org/T/#u\n"
            "Link: https://patch.msgid.link/b%40example.org\nMessage-ID: <c@example.org>\n"
            "Link: https://bugzilla.example.org/show_bug.cgi?id=1\n")
    assert trailer_message_ids(body) == ["20260101.1-1-a@example.org", "b@example.org", "c@example.org"]


def test_finds_commits_linked_to_thread_messages(tree: Path) -> None:
    found = find_merged_commits(tree, sample_debate().messages.keys())
    assert [(c.message_id, c.tag) for c in found] == [
        (V2_ID, "v6.19-rc1"), ("ack.4@example.org", "v6.19-rc1"), ("apply.5@example.org", None)]
    assert found[0].subject == "KVM: arm64: vgic: Make GICD_IIDR writable"
    assert found[0].sha == git(tree, "log", "-1", "--format=%H", "--grep=writable").strip()
    assert found[0].date is not None and found[0].date.startswith("2026-03-20")


def test_a_mention_in_prose_is_not_a_link(tree: Path) -> None:
    assert find_merged_commits(tree, [V1_ID]) == ()


def test_one_pass_mode_gives_the_same_commits(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = sample_debate().messages.keys()
    expected = find_merged_commits(tree, ids)
    monkeypatch.setattr(commits_module, "FIXED_GREP_LIMIT", 1)
    assert find_merged_commits(tree, ids) == expected


def test_release_tag_prefers_version_tags(tree: Path) -> None:
    first = git(tree, "rev-list", "--max-parents=0", "HEAD").strip()
    assert release_tag(tree, first) == "v6.18"


def test_attach_commits_adds_them_to_the_debate(tree: Path) -> None:
    debate = attach_commits(sample_debate(with_commit=False), tree)
    assert {c.message_id for c in debate.commits} == {V2_ID, "ack.4@example.org", "apply.5@example.org"}


def test_not_a_git_tree_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AnalyzerError, match="git rev-parse failed"):
        find_merged_commits(tmp_path, ["x@example.org"])
    with pytest.raises(AnalyzerError, match="does not exist"):
        find_merged_commits(tmp_path / "missing", ["x@example.org"])
