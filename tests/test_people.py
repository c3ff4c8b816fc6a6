"""People: one identity across addresses and spellings; aliases; MAINTAINERS roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.records import Address
from analyzer.thread.mailmap import parse_mailmap
from analyzer.thread.maintainers import parse_maintainers, roles_by_email
from analyzer.thread.people import People, Sighting, name_key, resolve_people

MAINTAINERS = """\
List of maintainers
===================

Descriptions of section entries and preferred order
---------------------------------------------------

\tM: *Mail* patches to: FullName <address@domain>
\tR: Designated *Reviewer*: FullName <address@domain>

Maintainers List
----------------

KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)
M:\tMax Zeller <max@kernel.example>
M:\tOlga Upton <olga@example.dev>
R:\tJoe Gould <joe.gould@example.com>
L:\tkvmarm@lists.example.dev (moderated for non-subscribers)
S:\tMaintained
T:\tgit git://git.example.org/kvmarm.git
F:\tarch/arm64/kvm/
F:\tinclude/kvm/arm_*

KERNEL VIRTUAL MACHINE (KVM)
M:\tPaula Bonn <pbonn@example.com>
L:\tkvm@vger.example.org
S:\tSupported
F:\tvirt/kvm/
"""


def sightings(*pairs: str) -> list[Sighting]:
    found = []
    for pair in pairs:
        name, _, email = pair.partition("<")
        found.append(Sighting(name.strip().strip('"'), email.rstrip(">")))
    return found


def person_of(people: People, pair: str) -> str | None:
    name, _, email = pair.partition("<")
    return people.person_of(name.strip().strip('"'), email.rstrip(">"))


def test_same_name_at_kernel_org_and_a_company_is_one_person() -> None:
    people = resolve_people(sightings("Max Zeller <max@kernel.example>", "Max Zeller <max.zeller@corp.example.com>"))
    (max_,) = people.people
    assert max_.emails == ("max.zeller@corp.example.com", "max@kernel.example")


def test_surname_first_and_accents_and_asides_spell_the_same_name() -> None:
    people = resolve_people(
        sightings(
            '"Zeller, Max" <mz@corp.example.com>',
            "Max Zeller <max@kernel.example>",
            "Max Zeller (Arm) <max@kernel.example>",
            "Renée Ortiz <renee@example.org>",
            "Renee Ortiz <rortiz@example.net>",
        )
    )
    assert len(people.people) == 2
    assert name_key("Zeller, Max") == name_key("Max J. Zeller") == name_key("MAX ZELLER (Arm)")


def test_one_address_with_several_display_names_is_one_person_named_by_the_usual_one() -> None:
    people = resolve_people(
        [Sighting("Greg K", "greg@example.org", 28), Sighting("Greg Kroll", "greg@example.org", 6), Sighting("", "greg@example.org", 15)]
    )
    (greg,) = people.people
    assert greg.name == "Greg K" and greg.person_id == "greg@example.org"


def test_one_word_names_and_shared_addresses_link_nobody() -> None:
    people = resolve_people(
        sightings(
            "root <root@host-a.example.org>",
            "root <root@host-b.example.org>",
            "Ana Lima via kvm <kvm@lists.example.org>",
            "Ben Ortiz via kvm <kvm@lists.example.org>",
            "Carla Nunes via kvm <kvm@lists.example.org>",
            "Ana Lima <ana@example.org>",
        )
    )
    ids = {person_of(people, pair) for pair in ("root <root@host-a.example.org>", "root <root@host-b.example.org>")}
    assert len(ids) == 2
    via_list = [person_of(people, f"{who} via kvm <kvm@lists.example.org>") for who in ("Ana Lima", "Ben Ortiz", "Carla Nunes")]
    assert via_list[0] == person_of(people, "Ana Lima <ana@example.org>") == "ana@example.org"
    assert len(set(via_list)) == 3 and len(people.people) == 5
    assert {p.name for p in people.people} >= {"Ana Lima", "Ben Ortiz", "Carla Nunes"}


def test_plus_tags_are_the_same_mailbox() -> None:
    (person,) = resolve_people(sightings("M <max+kvm@kernel.example>", "M <max@kernel.example>")).people
    assert person.emails == ("max+kvm@kernel.example", "max@kernel.example")


def test_aliases_merge_what_names_cannot_and_split_what_they_wrongly_merge() -> None:
    aliases = parse_mailmap(
        "# kernel-style mailmap\n"
        "Max Zeller <max@kernel.example> <mz1999@oldmail.example>\n"
        "David Brown <dbrown@bank.example> David Brown <david@shared.example>\n"
        "Dave A. Brown <dab@uni.example> <dab@uni.example>\n"
    )
    people = resolve_people(
        sightings(
            "mz <mz1999@oldmail.example>",
            "Max Zeller <max@kernel.example>",
            "David Brown <dab@uni.example>",
            "David Brown <david@shared.example>",
        ),
        mailmap=aliases,
    )
    assert person_of(people, "mz <mz1999@oldmail.example>") == "max@kernel.example"
    assert person_of(people, "David Brown <david@shared.example>") == "dbrown@bank.example"
    assert person_of(people, "David Brown <dab@uni.example>") == "dab@uni.example"


def test_a_bad_alias_line_names_its_line() -> None:
    with pytest.raises(ConfigError, match="aliases:2:"):
        parse_mailmap("Max <max@kernel.example>\nthis is not an alias\n")


def test_maintainers_sections_are_parsed_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "MAINTAINERS"
    path.write_text(MAINTAINERS, encoding="utf-8")
    arm64, kvm = parse_maintainers(path.read_text(encoding="utf-8"))
    assert arm64.title == "KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)"
    assert arm64.maintainers == (Address("Max Zeller", "max@kernel.example"), Address("Olga Upton", "olga@example.dev"))
    assert arm64.reviewers == (Address("Joe Gould", "joe.gould@example.com"),)
    assert arm64.lists == ("kvmarm@lists.example.dev",) and arm64.files == ("arch/arm64/kvm/", "include/kvm/arm_*")
    assert (kvm.title, kvm.status) == ("KERNEL VIRTUAL MACHINE (KVM)", "Supported")
    assert roles_by_email([arm64, kvm])["joe.gould@example.com"] == ("reviewer:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)",)


def test_roles_reach_people_through_any_of_their_addresses(tmp_path: Path) -> None:
    path = tmp_path / "MAINTAINERS"
    path.write_text(MAINTAINERS, encoding="utf-8")
    sections = parse_maintainers(path.read_text(encoding="utf-8"))
    people = resolve_people(
        sightings(
            "Max Zeller <max.zeller@corp.example.com>",  # listed under another address, same name
            "Joe Gould <joe.gould@example.com>",
            "Ivy Chen <ivy@example.com>",
        ),
        maintainers=sections,
    )
    by_id = {p.person_id: p for p in people.people}
    assert set(by_id) == {"max.zeller@corp.example.com", "joe.gould@example.com", "ivy@example.com"}
    assert by_id["max.zeller@corp.example.com"].roles == ("maintainer:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)",)
    assert by_id["max.zeller@corp.example.com"].is_maintainer
    assert by_id["joe.gould@example.com"].roles == ("reviewer:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)",)
    assert not by_id["joe.gould@example.com"].is_maintainer and by_id["ivy@example.com"].roles == ()
