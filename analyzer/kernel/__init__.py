"""The behaviour catalogue read from the Linux kernel source.

Small pure readers, one per kernel file, each turning text into catalogue entries:

- :mod:`~analyzer.kernel.apidoc`: Documentation/virt/kvm/api.rst (ioctl and capability
  sections, exit reasons, the quirk table);
- :mod:`~analyzer.kernel.headers`: include/uapi/linux/kvm.h and arch/*/include/uapi/asm/kvm.h
  (KVM_CAP_*, KVM_EXIT_*, KVM_X86_QUIRK_*, ioctls, attributes, flags, constants);
- :mod:`~analyzer.kernel.sysreg`: arch/arm64/tools/sysreg (every register and field);
- :mod:`~analyzer.kernel.selftests`: the KVM selftests' library (the function that wraps
  each ioctl: how code names it);

:mod:`~analyzer.kernel.merge` combines them with the curated entries and aliases,
:mod:`~analyzer.kernel.render` writes the catalogue file, and
:mod:`~analyzer.kernel.source` (the only one touching files) reads a kernel tree or a
linux-source tarball.
"""

from __future__ import annotations

from analyzer.analysis.catalogue import Catalogue
import dataclasses

from analyzer.kernel.merge import CatalogueBuild, kernel_entries, merge_catalogue, with_code_names
from analyzer.kernel.render import REBUILD, catalogue_header, render_catalogue
from analyzer.kernel.source import KernelFiles, read_kernel_source


def build_catalogue(files: KernelFiles, curated: Catalogue) -> CatalogueBuild:
    """The shipped catalogue: the kernel's entries merged with the curated ones, each
    ioctl with the selftests' functions that wrap it (``code_names``)."""
    found = kernel_entries(files)
    build = merge_catalogue(curated, found)
    return dataclasses.replace(build, entries=with_code_names(build.entries, files, found))


__all__ = [
    "REBUILD",
    "CatalogueBuild",
    "KernelFiles",
    "build_catalogue",
    "catalogue_header",
    "kernel_entries",
    "merge_catalogue",
    "read_kernel_source",
    "render_catalogue",
]
