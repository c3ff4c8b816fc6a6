"""The catalogue built from the kernel source: the readers of ``analyzer.kernel`` on small
samples written for the tests (tests/samples/kernel-tree, and malformed text inline), the
merge with the curated file, ``analyzer catalogue build`` and ``check``, and a build from
Debian's real ``linux-source-6.12`` tarball when it is installed."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from analyzer.analysis.catalogue import PACKAGED_DATA, Behaviour, Catalogue, load_catalogue, load_link_rules
from analyzer.cli.catalogue import CURATED, commands, shared_names
from analyzer.errors import ConfigError, SourceError
from analyzer.kernel import CatalogueBuild, build_catalogue, catalogue_header, kernel_entries, read_kernel_source, render_catalogue
from analyzer.kernel.apidoc import exit_summaries, quirk_summaries, section_entries, sections
from analyzer.kernel.headers import defines, exit_reasons, header_entries
from analyzer.kernel.merge import merge_catalogue
from analyzer.kernel.source import API_DOC, GENERIC_HEADER, SYSREG, kernel_version
from analyzer.kernel.sysreg import registers, sysreg_entries
from analyzer.nlp.behaviours import MentionFinder
from tests.conftest import SAMPLES

TREE = SAMPLES / "kernel-tree"
DEBIAN_SOURCE = Path("/usr/src/linux-source-6.12.tar.xz")
runner = CliRunner()


def read(relative: str) -> str:
    return (TREE / relative).read_text(encoding="utf-8")


def by_id(entries: list[Behaviour] | tuple[Behaviour, ...]) -> dict[str, Behaviour]:
    return {e.id: e for e in entries}


# ---------------------------------------------------------------- uapi headers


def test_header_defines_join_continuations_and_leave_out_function_macros() -> None:
    found = {d.name: d for d in defines(read(GENERIC_HEADER))}
    assert found["KVM_SET_EXAMPLE_STATE"].value == "_IOW(KVMIO, 0xd0, struct kvm_example_state)"
    assert "KVM_EXAMPLE_SIZE" not in found  # function-like
    assert found["KVM_EXIT_EXAMPLE_RING_FULL"].comment == "example ring is full"


def test_header_kinds_from_names_values_and_layout() -> None:
    generic = by_id(header_entries(read(GENERIC_HEADER), source=GENERIC_HEADER))
    kinds = {name: entry.kind for name, entry in generic.items()}
    assert kinds["KVM_CAP_EXAMPLE_RING"] == "capability"
    assert kinds["KVM_EXIT_EXAMPLE_RING_FULL"] == "exit_reason"
    assert kinds["KVM_EXIT_IO_IN"] == "constant"  # a sub-type after the run of exit reasons
    assert kinds["KVM_EXIT_EXAMPLE_SUBTYPE_A"] == "constant"  # before KVM_EXIT_UNKNOWN
    assert kinds["KVM_RUN"] == kinds["KVM_SET_EXAMPLE_STATE"] == "ioctl"
    assert (kinds["KVM_MEM_READONLY"], generic["KVM_MEM_READONLY"].bit) == ("flag", 1)
    assert kinds["KVM_GUESTDBG_SINGLESTEP"] == "flag"
    assert "KVM_EXAMPLE_SHIFT" not in generic and "KVMIO" not in generic
    assert generic["KVM_CAP_ARM_EXAMPLE_FEATURE"].arch == "arm64"
    assert generic["KVM_CAP_X86_EXAMPLE_EXIT"].arch == "x86"
    assert generic["KVM_CAP_EXAMPLE_GENERIC"].arch == "generic"
    assert generic["KVM_EXIT_EXAMPLE_RING_FULL"].summary == "Example ring is full."
    assert all(not e.aliases for e in generic.values())

    arm64 = by_id(header_entries(read("arch/arm64/include/uapi/asm/kvm.h"), source="arm64.h", arch="arm64"))
    assert arm64["KVM_ARM_VCPU_EXAMPLE"].kind == "vcpu_feature"
    assert arm64["KVM_ARM_VCPU_EXAMPLE"].summary == "An example vcpu feature."
    assert arm64["KVM_ARM_VCPU_EXAMPLE_CTRL"].kind == "device_attr"
    assert arm64["KVM_ARM_VCPU_EXAMPLE_IPA"].kind == "device_attr"  # indented under its group
    assert arm64["KVM_REG_ARM_EXAMPLE_FW_REG"].kind == "firmware_reg"
    assert {e.arch for e in arm64.values()} == {"arm64"}


def test_malformed_headers_give_what_can_be_read() -> None:
    text = "#define\n#define KVM_EMPTY\n#define KVM_OK 3 /* unterminated\n#define KVM_TAIL \\\n"
    text += "\x00\xff garbage\n#define KVM_SPACED   (1 << 4)\n#define KVM_X(a"
    entries = by_id(header_entries(text, source="x.h"))
    assert set(entries) == {"KVM_OK", "KVM_TAIL", "KVM_SPACED"}  # KVM_TAIL continues onto the next line
    assert entries["KVM_OK"].value == "3"  # an unterminated comment is no part of the value
    assert entries["KVM_SPACED"].kind == "flag"
    assert exit_reasons(defines("")) == set()


# ---------------------------------------------------------------- api.rst


def test_api_sections_give_ioctls_and_capabilities_with_their_first_sentence() -> None:
    found = {s.number: s for s in sections(read(API_DOC))}
    assert found["4.200"].names == ("KVM_EXAMPLE_RESET_RINGS", "KVM_EXAMPLE_ONLY_DOCUMENTED")
    assert found["4.200"].fields["Capability"] == "KVM_CAP_EXAMPLE_RING"
    assert found["4.200"].arch == "generic"  # two architectures
    assert found["8.300"].arch == "arm64"
    entries = by_id(section_entries(list(found.values())))
    assert entries["KVM_RUN"].summary == "This ioctl runs an example vcpu."  # not "Errors:" or the table
    assert entries["KVM_EXAMPLE_RESET_RINGS"].kind == "ioctl"
    assert entries["KVM_EXAMPLE_RESET_RINGS"].summary == "Re-protects the example entries that userspace harvested."
    assert entries["KVM_CAP_EXAMPLE_RING_ORDERED"].kind == "capability"
    assert entries["KVM_CAP_EXAMPLE_RING"].source == f"{API_DOC} (8.300 KVM_CAP_EXAMPLE_RING/KVM_CAP_EXAMPLE_RING_ORDERED)"
    assert entries["KVM_CAP_DISABLE_QUIRKS2"].summary == "This capability, if enabled, disables example quirks."


def test_exit_reasons_and_quirks_are_described_by_their_first_sentence() -> None:
    exits = exit_summaries(read(API_DOC))
    assert exits["KVM_EXIT_MMIO"] == "If exit_reason is KVM_EXIT_MMIO, then the vcpu did an example access."
    assert exits["KVM_EXIT_EXAMPLE_RING_FULL"] == "Used when an example ring is full."
    quirks = quirk_summaries(read(API_DOC))
    # rows with and without the table's leading space
    assert quirks["KVM_X86_QUIRK_LINT0_REENABLED"].startswith("By default, the reset value for the LVT LINT0")
    assert quirks["KVM_X86_QUIRK_EXAMPLE_TIMER_RESET"] == "By default, an example timer keeps counting across vCPU reset."


def test_malformed_api_text_gives_no_sections() -> None:
    text = "4.1 KVM_NO_UNDERLINE\nbody\n\n4.2\n---\n\n:Architectures: arm64\n" + "x" * 5000
    assert sections(text) == []
    assert exit_summaries("\t/* KVM_EXIT_LAST */\n") == {"KVM_EXIT_LAST": ""}
    assert quirk_summaries("KVM_X86_QUIRK_ALONE") == {}


# ---------------------------------------------------------------- sysreg


def test_sysreg_registers_and_fields_link_to_their_register() -> None:
    entries = by_id(sysreg_entries(read(SYSREG), source=SYSREG))
    register = entries["ID_AA64PFR0_EL1"]
    assert (register.kind, register.value) == ("register", "S3_0_C0_C4_0")
    sve = entries["ID_AA64PFR0_EL1.SVE"]
    assert (sve.kind, sve.part_of, sve.summary) == ("register_field", "ID_AA64PFR0_EL1", "Field at bits 35:32; values NI, IMP.")
    assert {"EXAMPLE_CTLR_EL1.TRAP", "EXAMPLE_CTLR_EL2.EN", "EXAMPLE_STATUS_EL1.State"} <= set(entries)
    assert entries["EXAMPLE_CTLR_EL2.EN"].part_of == "EXAMPLE_CTLR_EL2"
    assert "EXAMPLE_CTLR_ELx" not in entries  # a shared layout, not a register
    assert not any(".Res0" in name or name.endswith(".NI") for name in entries)
    assert all(e.arch == "arm64" and not e.aliases for e in entries.values())


def test_malformed_sysreg_lines_are_reported_not_fatal() -> None:
    text = "Field 3:0 LOST\nSysreg BROKEN_EL1 3 x\nFields NOWHERE\nField 7:4 KEPT\nUnsignedEnum 3:0\nEndSysreg\nEndEnum\n"
    found, problems = registers(text)
    assert [(r.name, r.encoding, [f.name for f in r.fields]) for r in found] == [("BROKEN_EL1", (), ["KEPT"])]
    assert [(p.line, p.reason) for p in problems] == [(1, "outside a Sysreg block"), (3, "unknown field layout NOWHERE")]
    assert by_id(sysreg_entries(text, source=SYSREG))["BROKEN_EL1"].value is None


# ---------------------------------------------------------------- reading a source


def test_a_tree_and_its_tarball_give_the_same_files(tmp_path: Path) -> None:
    tree = read_kernel_source(TREE)
    assert tree.version == "6.12.99"
    assert set(tree.arch_headers()) == {"arm64", "x86"}
    archive = tmp_path / "linux-source-example.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(TREE, arcname="linux-source-example")
    packed = read_kernel_source(archive)
    assert packed.files == tree.files
    assert kernel_entries(packed) == kernel_entries(tree)


@pytest.mark.parametrize("case", ["missing", "not-a-tar", "empty-tar", "empty-dir"])
def test_a_path_that_is_no_kernel_source_is_a_clear_error(tmp_path: Path, case: str) -> None:
    path = tmp_path / case
    if case == "not-a-tar":
        path.write_bytes(b"\xfd7zXZ\x00 not really xz")
    elif case == "empty-tar":
        with tarfile.open(path, "w:xz") as tar:
            tar.add(TREE / "Makefile", arcname="top/Makefile")
    elif case == "empty-dir":
        path.mkdir()
    with pytest.raises(SourceError, match=str(path)):
        read_kernel_source(path)


def test_kernel_version_from_a_makefile() -> None:
    assert kernel_version("VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\nEXTRAVERSION = -rc1\n") == "6.12.118-rc1"
    assert kernel_version("VERSION = 6\n") is None


# ---------------------------------------------------------------- merge


def test_merge_keeps_curated_fields_and_aliases_and_gives_kernel_entries_none() -> None:
    curated = Catalogue(
        (
            Behaviour("KVM_CAP_EXAMPLE_RING", "capability", aliases=("EXAMPLE_RING", "KVM_EXAMPLE_RESET_RINGS"), summary="Mine."),
            Behaviour("ID_AA64PFR0_EL1.sve", "register_field", aliases=("SVE field",)),
            Behaviour("FEAT_EXAMPLE", "arch_feature", aliases=("TRAP",)),
        )
    )
    build = merge_catalogue(curated, kernel_entries(read_kernel_source(TREE)))
    entries = by_id(build.entries)
    ring = entries["KVM_CAP_EXAMPLE_RING"]
    assert (ring.summary, ring.aliases, ring.value) == ("Mine.", ("EXAMPLE_RING", "KVM_EXAMPLE_RESET_RINGS"), "903")
    assert ("KVM_EXAMPLE_RESET_RINGS", "already an alias of KVM_CAP_EXAMPLE_RING") in build.skipped
    assert "KVM_EXAMPLE_RESET_RINGS" not in entries
    assert ("ID_AA64PFR0_EL1.SVE", "curated as ID_AA64PFR0_EL1.sve (same name, other case)") in build.skipped
    assert entries["ID_AA64PFR0_EL1.sve"].part_of == "ID_AA64PFR0_EL1"  # filled from the kernel
    assert [b.id for b in build.entries[:3]] == ["KVM_CAP_EXAMPLE_RING", "ID_AA64PFR0_EL1.sve", "FEAT_EXAMPLE"]
    assert all(not e.aliases for e in build.entries[3:])
    assert build.added == len(build.entries) - 3
    assert any("'TRAP' of FEAT_EXAMPLE" in note and "EXAMPLE_CTLR_EL1.TRAP" in note for note in build.notes)


def test_rendered_catalogue_loads_back_with_part_of_checked(tmp_path: Path) -> None:
    build = build_catalogue(read_kernel_source(TREE), load_catalogue(CURATED))
    out = tmp_path / "built.yaml"
    out.write_text(render_catalogue(build.entries, header=catalogue_header(kernel="Linux 6.12.99", curated="c.yaml")))
    loaded = load_catalogue(out)
    assert loaded.behaviours == build.entries
    assert out.read_text().startswith("# KVM behaviour catalogue. GENERATED")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: A.B\n  kind: register_field\n  part_of: A\n")
    with pytest.raises(ConfigError, match="part_of 'A' is no id"):
        load_catalogue(broken)


# ---------------------------------------------------------------- commands


def test_build_command_writes_the_merge_and_says_what_it_did(tmp_path: Path) -> None:
    out = tmp_path / "built.yaml"
    result = runner.invoke(commands, ["build", "--kernel-source", str(TREE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    built = load_catalogue(out)
    curated = load_catalogue(CURATED)
    assert [b.id for b in built.behaviours[: len(curated)]] == [b.id for b in curated]
    assert built.get("KVM_EXIT_EXAMPLE_RING_FULL") is not None
    assert "Linux 6.12.99 (kernel-tree): " in result.stderr
    assert "KVM_X86_QUIRK_EPT_IGNORE_GUEST_PAT: already an alias of KVM_X86_QUIRK_IGNORE_GUEST_PAT" in result.stderr
    assert "--kernel-source" in out.read_text().splitlines()[4]


def test_build_onto_a_given_curated_file_prints_to_stdout(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("- id: EXAMPLE_CTLR_EL1\n  kind: register\n  arch: arm64\n  summary: kept\n")
    result = runner.invoke(commands, ["build", "--kernel-tree", str(TREE), "--curated", str(base)])
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(result.stdout)
    assert entries[0] == {"id": "EXAMPLE_CTLR_EL1", "kind": "register", "arch": "arm64", "summary": "kept",
                          "source": SYSREG, "value": "S3_0_C1_C2_0"}
    assert "KVM_X86_QUIRK_CD_NW_CLEARED" in {e["id"] for e in entries}


def test_build_refuses_what_is_no_kernel_source(tmp_path: Path) -> None:
    result = runner.invoke(commands, ["build", "--kernel-source", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a kernel source" in result.output.replace("\n", "")


def test_check_reports_the_packaged_files_and_shared_names() -> None:
    result = runner.invoke(commands, ["check"])
    assert result.exit_code == 0, result.output
    assert "catalogue packaged behaviours.yaml:" in result.stdout
    assert "8 positions, 6 decision kinds" in result.stdout
    assert "'nv2_only' names ID_AA64MMFR4_EL1.NV_frac, NV2_ONLY" in result.stdout


@pytest.mark.parametrize("option", ["--catalogue", "--taxonomy", "--rules"])
def test_check_fails_cleanly_on_a_broken_file(tmp_path: Path, option: str) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("- [this is: not, valid\n")
    result = runner.invoke(commands, ["check", option, str(broken)])
    assert result.exit_code == 2
    assert str(broken) in result.output.replace("\n", "")


def test_shared_names_lists_every_owner() -> None:
    names = shared_names(load_catalogue())
    assert names["e2h0"] == ("KVM_ARM_VCPU_HAS_EL2_E2H0", "FEAT_E2H0")
    assert "midr" not in names


# ---------------------------------------------------------------- linking with the shipped catalogue


def test_shipped_catalogue_links_full_identifiers_and_only_curated_short_names() -> None:
    finder = MentionFinder(load_catalogue(), load_link_rules())

    def targets(text: str) -> set[str]:
        return {f.target for f in finder.find(text) if f.kind == "behaviour"}

    assert targets("KVM_RUN fails until KVM_EXIT_DIRTY_RING_FULL is handled.") == {"KVM_RUN", "KVM_EXIT_DIRTY_RING_FULL"}
    assert targets("Check ID_AA64PFR0_EL1.SVE first.") == {"ID_AA64PFR0_EL1.SVE"}
    assert targets("Userspace sees the KVM_EXIT_ARM_NISV exit.") == {"KVM_CAP_ARM_NISV_TO_USER"}  # curated alias
    assert targets("kvm->arch.pmuver follows the PMU.") == {"ID_AA64DFR0_EL1.PMUVer"}  # curated short name
    assert targets("PMUVer is what the guest reads.") == {"ID_AA64DFR0_EL1.PMUVer"}  # not ID_DFR0_EL1's field
    assert targets("SVE guests") == {"FEAT_SVE"}  # the curated feature, not the field of that name
    assert targets("the DL bit, E1SPE and PMSVer values") == set()  # bare names of kernel-only fields


# ---------------------------------------------------------------- the real kernel source


@pytest.fixture(scope="module")
def debian_build() -> tuple[str, CatalogueBuild]:
    if not DEBIAN_SOURCE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{DEBIAN_SOURCE} missing under CI: scripts/setup.sh installs linux-source-6.12")
        pytest.skip(f"{DEBIAN_SOURCE} not installed (apt-get install linux-source-6.12)")
    files = read_kernel_source(DEBIAN_SOURCE)
    return f"Linux {files.version} ({DEBIAN_SOURCE.name})", build_catalogue(files, load_catalogue(CURATED))


def test_debian_source_gives_registers_fields_capabilities_and_exits(debian_build: tuple[str, CatalogueBuild]) -> None:
    _, build = debian_build
    entries = by_id(build.entries)
    assert len(entries) > 2500
    assert entries["ID_AA64PFR0_EL1.SVE"].part_of == "ID_AA64PFR0_EL1"
    assert entries["ID_AA64DFR0_EL1.PMUVer"].part_of == "ID_AA64DFR0_EL1"  # curated, linked to its register
    assert entries["ID_AA64DFR0_EL1"].value == "S3_0_C0_C5_0"
    ring = entries["KVM_CAP_DIRTY_LOG_RING"]
    assert ring.kind == "capability" and "8.29" in ring.source and ring.summary.startswith("KVM is capable of tracking dirty memory")
    assert entries["KVM_CAP_DIRTY_LOG_RING_ACQ_REL"].kind == "capability"
    assert entries["KVM_EXIT_DIRTY_RING_FULL"].kind == "exit_reason"
    assert entries["KVM_EXIT_MMIO"].summary.startswith("If exit_reason is KVM_EXIT_MMIO")
    assert entries["KVM_RESET_DIRTY_RINGS"].kind == "ioctl"
    assert entries["KVM_ARM_VCPU_PVTIME_CTRL"].kind == "device_attr"
    assert entries["KVM_ARM_VCPU_PVTIME_IPA"].kind == "device_attr"
    assert ("KVM_X86_SNP_VM", "already an alias of KVM_CAP_VM_TYPES") in build.skipped  # the curated VM-types entry
    assert entries["KVM_X86_QUIRK_SLOT_ZAP_ALL"].bit == 7
    assert ("KVM_EXIT_ARM_NISV", "already an alias of KVM_CAP_ARM_NISV_TO_USER") in build.skipped
    curated_ids = load_catalogue(CURATED).ids
    assert all(not e.aliases for e in entries.values() if e.id not in curated_ids)


def test_committed_catalogue_is_a_fresh_build(debian_build: tuple[str, CatalogueBuild]) -> None:
    kernel, build = debian_build
    committed = (PACKAGED_DATA / "behaviours.yaml").read_text(encoding="utf-8")
    if f"Built from {kernel} " not in committed.splitlines()[1]:
        pytest.skip(f"installed {kernel} differs from the kernel the catalogue was built from; rebuild it (docs/catalogue.md)")
    header = catalogue_header(kernel=kernel, curated="analyzer/data/behaviours_curated.yaml")
    assert render_catalogue(build.entries, header=header) == committed


def test_shipped_catalogue_holds_every_curated_entry_as_written() -> None:
    """Without the kernel package: the generated file is not stale against the curated
    one (every curated entry first, its written fields and aliases unchanged)."""
    curated = load_catalogue(CURATED)
    shipped = load_catalogue()
    assert [b.id for b in shipped.behaviours[: len(curated)]] == [b.id for b in curated], "rebuild: docs/catalogue.md"
    for entry, built in zip(curated, shipped.behaviours):
        written = entry.as_mapping()
        assert {k: built.as_mapping().get(k) for k in written} == written, f"{entry.id}: rebuild (docs/catalogue.md)"
