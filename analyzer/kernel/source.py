"""The few files of a Linux kernel source that the catalogue is built from, read from a
source directory or straight out of a source tarball (Debian's
``/usr/src/linux-source-6.12.tar.xz``) without unpacking it to disk.

This is the only module of ``analyzer.kernel`` that touches files; the readers next to it
are pure functions of the text it returns.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from analyzer.errors import SourceError
from analyzer.kernel.selftests import LIBRARY, SELFTESTS
from analyzer.progress import NoProgress, Progress

API_DOC = "Documentation/virt/kvm/api.rst"
GENERIC_HEADER = "include/uapi/linux/kvm.h"
SYSREG = "arch/arm64/tools/sysreg"
MAKEFILE = "Makefile"
FIXED_FILES = (API_DOC, GENERIC_HEADER, SYSREG, MAKEFILE)
ARCH_HEADER = re.compile(r"arch/(?P<arch>[a-z0-9_]+)/include/uapi/asm/kvm\.h")
"""Each architecture's uapi kvm.h (arm64, x86, s390, powerpc, riscv, loongarch, mips)."""
_VERSION_LINE = re.compile(r"^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=\s*(\S*)\s*$", re.MULTILINE)
_MAX_FILE = 4 * 1024 * 1024
"""No file the readers need is near this size (api.rst is ~330 kB); a larger one is refused."""


@dataclass(frozen=True, slots=True)
class KernelFiles:
    """The catalogue's source files of one kernel, by path relative to the tree's top."""

    origin: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        """``6.12.118`` as the top Makefile gives it, or None without a Makefile."""
        return kernel_version(self.files.get(MAKEFILE, ""))

    def arch_headers(self) -> dict[str, str]:
        """Architecture name -> text of its uapi kvm.h."""
        found = {}
        for path, text in sorted(self.files.items()):
            match = ARCH_HEADER.fullmatch(path)
            if match:
                found[match["arch"]] = text
        return found


def wanted(path: str) -> bool:
    """Whether a path (relative to the tree's top) is one the catalogue is built from."""
    return path in FIXED_FILES or ARCH_HEADER.fullmatch(path) is not None or LIBRARY.fullmatch(path) is not None


def kernel_version(makefile: str) -> str | None:
    """The release a top-level kernel Makefile names (VERSION.PATCHLEVEL.SUBLEVEL)."""
    parts: dict[str, str] = dict(_VERSION_LINE.findall(makefile))
    if not parts.get("VERSION") or not parts.get("PATCHLEVEL"):
        return None
    numbers = [parts["VERSION"], parts["PATCHLEVEL"]] + ([parts["SUBLEVEL"]] if parts.get("SUBLEVEL") else [])
    return ".".join(numbers) + parts.get("EXTRAVERSION", "")


def read_kernel_source(path: Path, *, progress: Progress | None = None) -> KernelFiles:
    """The catalogue's files from a kernel source directory or tarball (.tar, .tar.xz,
    .tar.gz, .tar.bz2). Raises SourceError naming the path and what to do."""
    progress = progress or NoProgress()
    if path.is_dir():
        found = _read_directory(path)
    elif path.is_file():
        found = _read_tarball(path, progress)
    else:
        raise SourceError(f"{path}: no such kernel source (give a kernel tree directory or a linux-source tarball)")
    if not any(name in found for name in (API_DOC, GENERIC_HEADER, SYSREG)):
        raise SourceError(
            f"{path}: not a kernel source: none of {API_DOC}, {GENERIC_HEADER}, {SYSREG} found "
            "(on Debian: apt-get install linux-source-6.12, then give /usr/src/linux-source-6.12.tar.xz)"
        )
    return KernelFiles(str(path), found)


def _read_directory(tree: Path) -> dict[str, str]:
    paths = [tree / name for name in FIXED_FILES] + sorted(tree.glob("arch/*/include/uapi/asm/kvm.h"))
    paths += [p for p in sorted(tree.glob(f"{SELFTESTS}**/*.[ch]")) if LIBRARY.fullmatch(p.relative_to(tree).as_posix())]
    return {p.relative_to(tree).as_posix(): _decode(p.read_bytes(), str(p)) for p in paths if p.is_file()}


def _read_tarball(archive: Path, progress: Progress) -> dict[str, str]:
    """Stream the tarball once, keeping only the wanted members; stop as soon as the fixed
    files are in and the archive has moved past ``arch/`` and the KVM selftests (tar
    writes a directory's members together, so none of their files can follow)."""
    found: dict[str, str] = {}
    total = archive.stat().st_size
    progress.start(f"read {archive.name}", total)
    try:
        with archive.open("rb") as raw:
            counted = _CountingReader(raw, progress)
            try:
                with tarfile.open(fileobj=cast(IO[bytes], counted), mode="r|*") as tar:
                    for relative, member in _members(tar):
                        if wanted(relative):
                            found[relative] = _member_text(tar, member, archive)
                        elif _done(found, relative):
                            break
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise SourceError(f"{archive}: not a readable tar archive ({exc}); give a kernel tree or a linux-source tarball") from exc
    finally:
        progress.finish()
    return found


def _members(tar: tarfile.TarFile) -> Iterator[tuple[str, tarfile.TarInfo]]:
    """(path relative to the tree's top, member): a single top directory such as
    ``linux-source-6.12/`` is taken off."""
    prefix: str | None = None
    for member in tar:
        name = member.name.removeprefix("./")
        if prefix is None:
            top = name.rstrip("/")
            prefix = top + "/" if member.isdir() and "/" not in top else ""
        if member.isfile() and name.startswith(prefix):
            yield name[len(prefix) :], member


def _done(found: dict[str, str], relative: str) -> bool:
    have_arch = any(ARCH_HEADER.fullmatch(name) for name in found)
    have_tests = any(LIBRARY.fullmatch(name) for name in found)
    return (
        all(name in found for name in FIXED_FILES) and have_arch and have_tests
        and not relative.startswith(("arch/", SELFTESTS))
    )


def _member_text(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> str:
    if member.size > _MAX_FILE:
        raise SourceError(f"{archive}: {member.name} is {member.size} bytes, too large for a kernel source file")
    handle = tar.extractfile(member)
    if handle is None:
        raise SourceError(f"{archive}: {member.name} cannot be read")
    return _decode(handle.read(), f"{archive}:{member.name}")


def _decode(data: bytes, where: str) -> str:
    if len(data) > _MAX_FILE:
        raise SourceError(f"{where}: {len(data)} bytes, too large for a kernel source file")
    return data.decode("utf-8", errors="replace")


class _CountingReader:
    """A file object that reports how many compressed bytes have been read."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self._raw = raw
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._progress.advance(len(data))
        return data


__all__ = [
    "API_DOC",
    "ARCH_HEADER",
    "FIXED_FILES",
    "GENERIC_HEADER",
    "KernelFiles",
    "MAKEFILE",
    "SYSREG",
    "kernel_version",
    "read_kernel_source",
    "wanted",
]
