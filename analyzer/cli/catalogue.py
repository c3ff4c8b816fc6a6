"""``analyzer catalogue``: build the behaviour catalogue from the kernel source plus the
curated entries, and check catalogue, taxonomy and linker-rule files.

The readers and the merge live in :mod:`analyzer.kernel`; the commands only read, call one
function and write.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.analysis.catalogue import (
    PACKAGED_DATA,
    Catalogue,
    load_catalogue,
    load_link_rules,
    load_taxonomy,
)
from analyzer.cli.common import RichProgress, err, guarded, out
from analyzer.kernel import CatalogueBuild, build_catalogue, catalogue_header, read_kernel_source, render_catalogue

commands = typer.Typer(
    help="Build the behaviour catalogue from the kernel source, and check catalogue/taxonomy files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

CURATED = PACKAGED_DATA / "behaviours_curated.yaml"
"""The hand-curated entries and aliases the shipped catalogue is built from."""


@commands.command("build")
def build_command(
    kernel_source: Annotated[
        Path,
        typer.Option(
            "--kernel-source",
            "--kernel-tree",
            help="A kernel source: a tree, or a linux-source tarball read without unpacking "
            "(Debian: /usr/src/linux-source-6.12.tar.xz from the linux-source-6.12 package).",
            show_default=False,
        ),
    ],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
    curated: Annotated[
        Optional[Path],
        typer.Option("--curated", "--base", help="Curated entries and aliases (default: the packaged behaviours_curated.yaml)."),
    ] = None,
) -> None:
    """Read every capability, exit reason, quirk, ioctl, attribute, flag and constant of the
    KVM uapi headers and api.rst, and every arm64 system register and field, and merge them
    with the curated entries (whose fields and aliases win). Entries read from the kernel
    get no aliases, only their full identifier."""
    curated_path = curated or CURATED

    def run() -> tuple[str, CatalogueBuild, str]:
        base = load_catalogue(curated_path)
        files = read_kernel_source(kernel_source, progress=RichProgress(True, "catalogue"))
        kernel = f"Linux {files.version or '(version unknown)'} ({Path(files.origin).name})"
        build = build_catalogue(files, base)
        text = render_catalogue(build.entries, header=catalogue_header(kernel=kernel, curated=_shown(curated_path)))
        return text, build, kernel

    text, build, kernel = guarded(run)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    for line in build_summary(build, kernel):
        err.print(line, highlight=False, markup=False, soft_wrap=True)


def build_summary(build: CatalogueBuild, kernel: str) -> list[str]:
    """What a build did, in lines for the terminal."""
    kinds = Counter(e.kind for e in build.entries[len(build.entries) - build.added :])
    added = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "nothing new"
    lines = [
        f"{kernel}: {build.kernel_entries} names read",
        f"catalogue: {len(build.entries)} entries, {len(build.entries) - build.added} curated, {build.added} added ({added})",
        f"skipped {len(build.skipped)} kernel names the curated file already has:",
    ]
    lines += [f"  {name}: {reason}" for name, reason in build.skipped]
    lines += [f"  note: {note}" for note in build.notes]
    return lines


def _shown(path: Path) -> str:
    """A packaged file by its path in the project, any other as given."""
    try:
        return path.resolve().relative_to(PACKAGED_DATA.parent.parent).as_posix()
    except ValueError:
        return str(path)


@commands.command("check")
def check_command(
    catalogue: Annotated[Optional[Path], typer.Option("--catalogue", help="Behaviour catalogue file.")] = None,
    taxonomy: Annotated[Optional[Path], typer.Option("--taxonomy", help="Position taxonomy file.")] = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="Behaviour-linker rules file.")] = None,
) -> None:
    """Validate a catalogue, taxonomy and linker-rules file (the packaged copy of any not
    given) and report names shared by several catalogue entries."""

    def run() -> list[str]:
        behaviours = load_catalogue(catalogue)
        positions = load_taxonomy(taxonomy)
        load_link_rules(rules)
        lines = [
            f"catalogue {behaviours.source}: {len(behaviours)} entries",
            f"taxonomy {positions.source}: {len(positions.positions)} positions, {len(positions.decisions)} decision kinds",
            "linker rules: valid",
        ]
        lines += [f"  note: {name!r} names {', '.join(ids)}" for name, ids in shared_names(behaviours).items()]
        return lines

    for line in guarded(run):
        out.print(line, highlight=False, markup=False)


def shared_names(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Names (ids or aliases, compared in lower case) that more than one entry uses."""
    owners: dict[str, list[str]] = {}
    for behaviour in catalogue:
        for name in dict.fromkeys(n.lower() for n in behaviour.names):
            owners.setdefault(name, []).append(behaviour.id)
    return {name: tuple(ids) for name, ids in sorted(owners.items()) if len(ids) > 1}


__all__ = ["CURATED", "build_summary", "commands", "shared_names"]
