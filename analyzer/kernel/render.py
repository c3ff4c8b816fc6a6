"""The text of the shipped catalogue file: a header that says how it was made and how to
rebuild it, then one YAML mapping per entry (empty fields left out)."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from analyzer.analysis.catalogue import KINDS, Behaviour

REBUILD = (
    "analyzer catalogue build --kernel-source /usr/src/linux-source-6.12.tar.xz "
    "-o analyzer/data/behaviours.yaml"
)


def catalogue_header(*, kernel: str, curated: str) -> str:
    """Comment lines naming the kernel the file was built from and the rebuild command."""
    lines = [
        "KVM behaviour catalogue. GENERATED: do not edit; edit the curated file and rebuild.",
        f"Built from {kernel} (Documentation/virt/kvm/api.rst, include/uapi/linux/kvm.h,",
        "arch/*/include/uapi/asm/kvm.h, arch/arm64/tools/sysreg, the KVM selftests' library)",
        f"plus {curated} (hand-curated entries, summaries and aliases; their fields win).",
        f"Rebuild: {REBUILD}",
        "Entries read from the kernel carry no aliases, only their full identifier (docs/catalogue.md);",
        "code_names (the selftests' wrappers of an ioctl) are weak evidence for the learned linker only.",
        f"kind in {'|'.join(KINDS)}",
    ]
    return "".join(f"# {line}\n" for line in lines)


def render_catalogue(entries: Iterable[Behaviour], *, header: str) -> str:
    """``header`` and then the entries as a YAML list, in the order given."""
    body = yaml.safe_dump([e.as_mapping() for e in entries], sort_keys=False, width=100, allow_unicode=True)
    return header + str(body)


__all__ = ["REBUILD", "catalogue_header", "render_catalogue"]
