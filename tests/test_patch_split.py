"""Patch text split from prose, by the forms patchwork's ``find_patch_content`` knows:
unified, git, CVS/Subversion ``Index:``, ``\\ No newline at end of file``, git binary
patches, and pull requests (boilerplate, shortlog and diffstat are ``pull``, the tag
message is prose). One small written sample per case, with the blocks expected."""

from __future__ import annotations

import pytest

from analyzer.segment import segment_body

UNIFIED = """Plain diff -u output.

--- run.c.orig	2026-03-01 10:00:00
+++ run.c	2026-03-02 10:00:00
@@ -1,2 +1,2 @@
 int x;
-int y
+int y;

Does this look right?
"""

GIT = """Fix the off-by-one.

Signed-off-by: Jane Doe <jane@example.org>
---
 a.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/a.c b/a.c
index 0123abc..4567def 100644
--- a/a.c
+++ b/a.c
@@ -1 +1 @@
-int n = 1;
+int n = 0;
-- 
2.40.0
"""

CVS = """Fix the build on the old tree.

Index: tools/kvm/run.c
===================================================================
RCS file: /cvs/tools/kvm/run.c,v
retrieving revision 1.2
diff -u -r1.2 run.c
--- tools/kvm/run.c	1 Mar 2026 10:00:00 -0000	1.2
+++ tools/kvm/run.c	2 Mar 2026 10:00:00 -0000
@@ -1,2 +1,2 @@
 int x;
-int y
+int y;
\\ No newline at end of file

Thanks for looking.
"""

BINARY = """Add the firmware blob.

---
 fw.bin | Bin 0 -> 12 bytes

diff --git a/fw.bin b/fw.bin
new file mode 100644
index 0000000..3b18e51
GIT binary patch
literal 12
TcmZ?wbaGYjb9VIgVq{=j0{{W4

literal 0
HcmV?d00001

delta 4
LcmZ?wbaGYjb9VIg

It only adds data.
"""

PULL = """Hi Paolo,

Here are the KVM/arm64 fixes for 6.20.

The following changes since commit 0123456789abcdef0123456789abcdef01234567:

  KVM: arm64: an older fix (2026-03-01 10:00:00 +0000)

are available in the Git repository at:

  git://git.example.org/pub/scm/linux/kernel/git/kvmarm/kvmarm.git tags/kvmarm-fixes-6.20-1

for you to fetch changes up to 89abcdef0123456789abcdef0123456789abcdef:

  KVM: arm64: the newest fix (2026-03-05 10:00:00 +0000)

----------------------------------------------------------------
KVM/arm64 fixes for 6.20, take #1

- Fix the vgic IIDR revision selection

----------------------------------------------------------------
Jane Doe (2):
      KVM: arm64: vgic: fix the IIDR revision
      KVM: arm64: its: plug a leak

 arch/arm64/kvm/vgic/vgic-its.c | 3 ++-
 arch/arm64/kvm/vgic/vgic-v3.c  | 2 +-
 2 files changed, 3 insertions(+), 2 deletions(-)
"""

PULL_WITHOUT_TAG = """The following changes since commit 0123456789abcdef0123456789abcdef01234567:

  KVM: arm64: an older fix (2026-03-01 10:00:00 +0000)

are available in the Git repository at:

  git://git.example.org/kvmarm.git next

----------------------------------------------------------------
Jane Doe (1):
      KVM: arm64: vgic: fix the IIDR revision

 arch/arm64/kvm/vgic/vgic-v3.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/arch/arm64/kvm/vgic/vgic-v3.c b/arch/arm64/kvm/vgic/vgic-v3.c
--- a/arch/arm64/kvm/vgic/vgic-v3.c
+++ b/arch/arm64/kvm/vgic/vgic-v3.c
@@ -1 +1 @@
-old
+new
"""


def blocks(body: str) -> list[tuple[str, str]]:
    """(kind, first line) of every block but blank ones."""
    segmentation = segment_body("m", body)
    return [(b.kind, body[b.start : b.end].split("\n")[0]) for b in segmentation.blocks if b.kind != "blank"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (UNIFIED, [("own", "Plain diff -u output."), ("patch", "--- run.c.orig\t2026-03-01 10:00:00"),
                   ("own", "Does this look right?")]),
        (GIT, [("own", "Fix the off-by-one."), ("trailer", "Signed-off-by: Jane Doe <jane@example.org>"),
               ("patch", "---"), ("signature", "-- ")]),
        (CVS, [("own", "Fix the build on the old tree."), ("patch", "Index: tools/kvm/run.c"),
               ("own", "Thanks for looking.")]),
        (BINARY, [("own", "Add the firmware blob."), ("patch", "---"), ("own", "It only adds data.")]),
        (PULL, [("own", "Hi Paolo,"), ("pull", "The following changes since commit 0123456789abcdef0123456789abcdef01234567:"),
                ("own", "KVM/arm64 fixes for 6.20, take #1"), ("pull", "-" * 64)]),
        (PULL_WITHOUT_TAG, [("pull", "The following changes since commit 0123456789abcdef0123456789abcdef01234567:"),
                            ("patch", "diff --git a/arch/arm64/kvm/vgic/vgic-v3.c b/arch/arm64/kvm/vgic/vgic-v3.c")]),
    ],
    ids=["unified", "git", "cvs-index-no-newline", "binary-literal-delta", "pull-request", "pull-request-with-diff"],
)
def test_patch_and_prose_are_split(body: str, expected: list[tuple[str, str]]) -> None:
    assert blocks(body) == expected


def test_the_patch_ends_where_the_diff_does() -> None:
    segmentation = segment_body("m", CVS)
    (patch,) = [b for b in segmentation.blocks if b.kind == "patch"]
    assert CVS[patch.start : patch.end].rstrip("\n").endswith("\\ No newline at end of file")
    assert segmentation.has_patch


def test_a_pull_request_is_no_patch_and_its_prose_is_own_text() -> None:
    segmentation = segment_body("m", PULL)
    assert not segmentation.has_patch
    assert [o.text.split("\n")[0] for o in segmentation.own] == ["Hi Paolo,", "KVM/arm64 fixes for 6.20, take #1"]
    assert segmentation.trailers == ()


def test_a_quoted_pull_request_is_a_quoted_patch_not_prose() -> None:
    body = "On Mon, Marc wrote:\n" + "".join(f"> {line}\n" if line else ">\n" for line in PULL.splitlines()) + "\nPulled, thanks.\n"
    segmentation = segment_body("m", body)
    pulled = [q for q in segmentation.quotes if q.text.startswith("The following changes")]
    assert pulled and all(q.patch for q in pulled)
    assert [o.text.strip() for o in segmentation.own] == ["Pulled, thanks."]


@pytest.mark.parametrize("reply", [True, False])
def test_a_wrapped_trailer_keeps_its_address(reply: bool) -> None:
    tail = "" if reply else "---\n a.c | 1 +\n"
    body = "Looks good.\n\nReviewed-by: Alexandra Katharina Longname-Example\n <alexandra.longname@example.org>\n" + tail
    (trailer,) = segment_body("m", body).trailers
    assert (trailer.key, trailer.name, trailer.email) == (
        "Reviewed-by", "Alexandra Katharina Longname-Example", "alexandra.longname@example.org"
    )
    assert body[trailer.start : trailer.end].endswith("<alexandra.longname@example.org>")
    assert trailer.in_patch is not reply
