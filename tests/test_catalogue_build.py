"""``analyzer catalogue build`` and ``check`` on a small kernel tree written for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from analyzer.analysis.catalogue import PACKAGED_DATA, load_catalogue, load_link_rules
from analyzer.cli.catalogue import (
    API_DOC,
    CAP_HEADER,
    QUIRK_HEADER,
    SYSREG,
    commands,
    capabilities_from_header,
    plan_build,
    quirk_summaries_from_api,
    quirks_from_header,
    read_kernel_tree,
    shared_names,
    sysregs_from_file,
)
from analyzer.nlp.behaviours import MentionFinder
from tests.conftest import SAMPLES

TREE = SAMPLES / "kernel-tree"
runner = CliRunner()


def read(relative: str) -> str:
    return (TREE / relative).read_text(encoding="utf-8")


def test_quirks_are_read_with_their_bit_and_api_description() -> None:
    summaries = quirk_summaries_from_api(read(API_DOC))
    assert summaries["KVM_X86_QUIRK_EXAMPLE_TIMER_RESET"] == (
        "By default, an example timer keeps counting across vCPU reset."
    )
    assert summaries["KVM_X86_QUIRK_LINT0_REENABLED"].startswith("By default, the reset value for the LVT LINT0")
    quirks = {q.id: q for q in quirks_from_header(read(QUIRK_HEADER), summaries)}
    assert set(quirks) == {
        "KVM_X86_QUIRK_LINT0_REENABLED",
        "KVM_X86_QUIRK_CD_NW_CLEARED",
        "KVM_X86_QUIRK_EPT_IGNORE_GUEST_PAT",
        "KVM_X86_QUIRK_EXAMPLE_TIMER_RESET",
    }
    timer = quirks["KVM_X86_QUIRK_EXAMPLE_TIMER_RESET"]
    assert (timer.kind, timer.arch, timer.bit, timer.value) == ("quirk", "x86", 12, "1 << 12")
    assert timer.aliases == ("EXAMPLE_TIMER_RESET",)
    assert API_DOC in timer.source and QUIRK_HEADER in timer.source
    assert quirks["KVM_X86_QUIRK_CD_NW_CLEARED"].summary == ""


def test_capabilities_get_an_architecture_from_their_name() -> None:
    caps = {c.id: c for c in capabilities_from_header(read(CAP_HEADER))}
    assert caps["KVM_CAP_ARM_EXAMPLE_FEATURE"].arch == "arm64"
    assert caps["KVM_CAP_X86_EXAMPLE_EXIT"].arch == "x86"
    assert caps["KVM_CAP_EXAMPLE_GENERIC"].arch == "generic"
    assert caps["KVM_CAP_IRQCHIP"].aliases == ()  # a one-word stem is too plain to link alone
    assert caps["KVM_CAP_EXAMPLE_GENERIC"].aliases == ("EXAMPLE_GENERIC",)
    assert all(c.kind == "capability" and c.source == CAP_HEADER for c in caps.values())


def test_system_registers_and_fields_including_shared_field_blocks() -> None:
    entries = {e.id: e for e in sysregs_from_file(read(SYSREG))}
    assert entries["ID_AA64PFR0_EL1"].kind == "register"
    assert {"ID_AA64PFR0_EL1.CSV3", "ID_AA64PFR0_EL1.SVE", "ID_AA64PFR0_EL1.GIC"} <= set(entries)
    assert {"EXAMPLE_CTLR_EL1.TRAP", "EXAMPLE_CTLR_EL2.EN", "EXAMPLE_STATUS_EL1.State"} <= set(entries)
    assert "EXAMPLE_CTLR_ELx" not in entries  # a field layout, not a register
    assert not any(".Res0" in name or name.endswith(".NI") for name in entries)
    assert all(e.arch == "arm64" and e.source == SYSREG for e in entries.values())


def test_plan_keeps_existing_ids_and_skips_names_already_used_as_aliases() -> None:
    base = load_catalogue()
    plan = plan_build(base, read_kernel_tree(TREE))
    added = {b.id for b in plan.additions}
    assert "KVM_X86_QUIRK_EXAMPLE_TIMER_RESET" in added and "EXAMPLE_CTLR_EL1.TRAP" in added
    assert not added & base.ids
    assert ("KVM_X86_QUIRK_EPT_IGNORE_GUEST_PAT", "already an alias of KVM_X86_QUIRK_IGNORE_GUEST_PAT") in plan.skipped


def test_build_writes_the_base_untouched_plus_new_entries(tmp_path: Path) -> None:
    out = tmp_path / "built.yaml"
    result = runner.invoke(commands, ["build", "--kernel-tree", str(TREE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    base_raw = yaml.safe_load((PACKAGED_DATA / "behaviours.yaml").read_text(encoding="utf-8"))
    built_raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert built_raw[: len(base_raw)] == base_raw
    new = {entry["id"]: entry for entry in built_raw[len(base_raw) :]}
    assert new["KVM_X86_QUIRK_EXAMPLE_TIMER_RESET"]["kind"] == "quirk"
    assert new["EXAMPLE_STATUS_EL1.Count"] == {
        "id": "EXAMPLE_STATUS_EL1.Count",
        "kind": "register_field",
        "arch": "arm64",
        "source": SYSREG,
    }
    assert out.read_text(encoding="utf-8").startswith("# KVM behaviour catalogue.")
    assert len(load_catalogue(out)) == len(built_raw)


def test_built_catalogue_links_the_new_names() -> None:
    built = load_catalogue()
    plan = plan_build(built, read_kernel_tree(TREE))
    from analyzer.analysis.catalogue import Catalogue

    finder = MentionFinder(Catalogue(built.behaviours + plan.additions), load_link_rules())
    text = "Set EXAMPLE_CTLR_EL1.TRAP, and disable the EXAMPLE_TIMER_RESET quirk first."
    assert {f.target for f in finder.find(text)} == {"EXAMPLE_CTLR_EL1.TRAP", "KVM_X86_QUIRK_EXAMPLE_TIMER_RESET"}


def test_build_onto_a_given_base_prints_to_stdout(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("# my catalogue\n- id: EXAMPLE_CTLR_EL1\n  kind: register\n  arch: arm64\n  note: kept\n")
    result = runner.invoke(commands, ["build", "--kernel-tree", str(TREE), "--base", str(base)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# my catalogue\n")
    entries = yaml.safe_load(result.stdout)
    assert entries[0] == {"id": "EXAMPLE_CTLR_EL1", "kind": "register", "arch": "arm64", "note": "kept"}
    assert "KVM_X86_QUIRK_CD_NW_CLEARED" in {e["id"] for e in entries}


def test_build_refuses_a_directory_that_is_no_kernel_tree(tmp_path: Path) -> None:
    result = runner.invoke(commands, ["build", "--kernel-tree", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a kernel tree" in result.output.replace("\n", "")


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
