"""Loading and validating the behaviour catalogue, the taxonomy and the linker rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analyzer.analysis.catalogue import (
    KINDS,
    Behaviour,
    catalogue_from_data,
    load_catalogue,
    load_link_rules,
    load_taxonomy,
)
from analyzer.errors import ConfigError
from tests.conftest import require_shared

ENTRY = {"id": "EXAMPLE_CTLR_EL1", "kind": "register", "arch": "arm64", "aliases": ["EXAMPLE_CTLR"]}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_packaged_catalogue_loads_with_unique_ids_and_known_kinds() -> None:
    catalogue = load_catalogue()
    ids = [b.id for b in catalogue]
    assert len(ids) == len(set(ids)) > 100
    assert {b.kind for b in catalogue} <= set(KINDS)
    quirk = catalogue.get("KVM_X86_QUIRK_IGNORE_GUEST_PAT")
    assert quirk is not None and quirk.kind == "quirk" and quirk.bit == 9
    assert "IGNORE_GUEST_PAT" in quirk.aliases
    assert catalogue.source == "packaged behaviours.yaml"


def test_packaged_copy_keeps_every_shared_id_and_alias() -> None:
    shared = load_catalogue(require_shared("behaviours.yaml"))
    packaged = load_catalogue()
    missing = sorted(shared.ids - packaged.ids)
    assert not missing, f"packaged catalogue dropped shared ids: {missing}"
    for behaviour in shared:
        ours = packaged.get(behaviour.id)
        assert ours is not None and ours.kind == behaviour.kind
        assert set(behaviour.aliases) <= set(ours.aliases), behaviour.id


def test_packaged_taxonomy_matches_the_shared_one() -> None:
    shared = load_taxonomy(require_shared("taxonomy.yaml"))
    packaged = load_taxonomy()
    assert packaged.position_ids == shared.position_ids
    assert packaged.decision_ids == shared.decision_ids
    assert packaged.stances == shared.stances and packaged.relations == shared.relations


def test_taxonomy_records_positions_with_examples_per_stance() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.stances == ("for", "against")
    assert "policy-ruling" in taxonomy.decision_ids
    position = taxonomy.position("quirks-opt-out")
    assert position is not None and position.label
    assert set(position.examples) == {"for", "against"}
    assert taxonomy.position("no-such-position") is None


def test_catalogue_round_trips_through_its_mappings() -> None:
    catalogue = load_catalogue()
    again = catalogue_from_data([b.as_mapping() for b in catalogue], "round trip")
    assert again.behaviours == catalogue.behaviours


def test_catalogue_may_be_a_mapping_with_a_behaviours_list(tmp_path: Path) -> None:
    catalogue = load_catalogue(write(tmp_path, "c.yaml", {"behaviours": [ENTRY]}))
    assert catalogue.get("EXAMPLE_CTLR_EL1") == Behaviour(
        id="EXAMPLE_CTLR_EL1", kind="register", arch="arm64", aliases=("EXAMPLE_CTLR",)
    )
    assert "EXAMPLE_CTLR_EL1" in catalogue and len(catalogue) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([ENTRY, ENTRY], "id 'EXAMPLE_CTLR_EL1' repeats entry 1"),
        ([{**ENTRY, "kind": "gadget"}], "unknown kind 'gadget'"),
        ([{"kind": "register"}], "entry 1 has no id"),
        ([{**ENTRY, "aliases": "EXAMPLE_CTLR"}], "aliases must be a list of strings"),
        ([{**ENTRY, "bit": "three"}], "bit must be an integer"),
        ([], "expected a non-empty list"),
        ({"version": 1}, "expected a non-empty list"),
        (["just a string"], "entry 1 is not a mapping"),
    ],
)
def test_broken_catalogue_names_the_file_and_the_fault(tmp_path: Path, data: object, message: str) -> None:
    path = write(tmp_path, "broken.yaml", data)
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_missing_and_unparsable_files_raise_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="catalogue file not found: .*nowhere.yaml"):
        load_catalogue(tmp_path / "nowhere.yaml")
    with pytest.raises(ConfigError, match="taxonomy file not found"):
        load_taxonomy(tmp_path / "nowhere.yaml")
    bad = write(tmp_path, "bad.yaml", "- id: X\n  kind: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_catalogue(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"positions": []}, "positions must be a non-empty list"),
        ({"stances": "for"}, "stances must be a non-empty list"),
        ({"version": "one"}, "version must be an integer"),
    ],
)
def test_broken_taxonomy_is_refused(tmp_path: Path, change: dict[str, object], message: str) -> None:
    raw = yaml.safe_load(load_taxonomy_text())
    raw.update(change)
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(write(tmp_path, "t.yaml", raw))


def test_taxonomy_with_a_repeated_position_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(load_taxonomy_text())
    raw["positions"].append(dict(raw["positions"][0]))
    with pytest.raises(ConfigError, match="position ids repeated: pin-previous-behaviour"):
        load_taxonomy(write(tmp_path, "t.yaml", raw))


def test_position_without_description_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(load_taxonomy_text())
    del raw["positions"][1]["description"]
    with pytest.raises(ConfigError, match=r"position 2 \(compatible-by-default\): description is missing"):
        load_taxonomy(write(tmp_path, "t.yaml", raw))


def test_packaged_link_rules_load() -> None:
    rules = load_link_rules()
    assert "policy_rule" in rules.exclude_kinds
    assert "x2apic" in rules.generic_aliases
    assert ("MSR_IA32_", "MSR_", "IA32_") in rules.equivalent_prefixes
    assert {"field", "cpuid", "suppress"} <= set(rules.syntax)
    assert {"commit", "link", "doc", "config"} <= set(rules.references)
    assert rules.syntax["cpuid"].may_match("CPUID.01H:ECX[3]")
    assert not rules.syntax["cpuid"].may_match("no such literal here")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"syntax": {"field": "(unclosed"}}, "syntax.field is not a valid regular expression"),
        ({"exclude_kinds": ["gadget"]}, "exclude_kinds has unknown kinds: gadget"),
        ({"references": {"commit": "not a list"}}, "references.commit must be a list"),
        ({"id_patterns": [{"regex": "x"}]}, "each id_patterns entry needs an id"),
        ([1, 2], "expected a mapping of linker rules"),
    ],
)
def test_broken_link_rules_are_refused(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_link_rules(write(tmp_path, "rules.yaml", data))


def load_taxonomy_text() -> str:
    from analyzer.analysis.catalogue import PACKAGED_DATA

    return (PACKAGED_DATA / "taxonomy.yaml").read_text(encoding="utf-8")
