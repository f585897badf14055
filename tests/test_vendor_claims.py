"""A vendor type against the upstream type it claims to equal (issue 36): the claim read
from the code (the upstream options it calls; its release's arrays' "from hw_compat_X_Y"
comments), `check`'s C111 on what it lacks, `compat diff` saying which differences are
the vendor's own or declined, `compat rebase` saying what it leaves, and `prove --repo`
setting a run's difference against the source's list.

Expectations are written from the trees' code by hand: the fixture's arrays (rhel8-shapes:
hw_compat_rhel_8_5 copies hw_compat_6_0's gpex entry and hw_compat_6_1's vsock entry, not
i8042's nor nvme-ns's), RHEL 9.2's arrays as ../shared/downstream/rhel-9.2 writes them,
and Ubuntu 22.04's files."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import SHARED, init_repo, linked_copy, rhel_tree, run_cli

from scaffold.reading.claims import claims
from scaffold.reading.tree import QemuTree

SPAPR_6_0 = ('DEFINE_SPAPR_MACHINE(6_1, "6.1", false);\n',
             'DEFINE_SPAPR_MACHINE(6_1, "6.1", false);\n\n'
             "static void spapr_machine_6_0_class_options(MachineClass *mc)\n{\n"
             "    spapr_machine_6_1_class_options(mc);\n"
             "    compat_props_add(mc->compat_props, hw_compat_6_0, hw_compat_6_0_len);\n}\n\n"
             'DEFINE_SPAPR_MACHINE(6_0, "6.0", false);\n')


def _with_pseries_6_0(root: Path) -> Path:
    """The fixture with upstream's pseries-6.0 kept under `#if 0`, as a RHEL tree keeps
    every upstream type: the base pseries-rhel8.5.0 claims."""
    spapr = root / "hw/ppc/spapr.c"
    spapr.write_text(spapr.read_text().replace(*SPAPR_6_0))
    return root


def _c111(root: Path) -> list[str]:
    out = run_cli("check", "--repo", str(root)).stdout.decode()
    return [line for line in out.splitlines() if "[C111]" in line]


def test_a_release_claims_the_oldest_upstream_release_its_arrays_copy_from(fixture_tree):
    root = fixture_tree("rhel8-shapes")
    got = {(c.vendor_type, c.upstream) for c in claims(QemuTree.open(root))}
    assert got == {("pc-q35-rhel8.5.0", "pc-q35-6.0"), ("pc-q35-rhel8.4.0", "pc-q35-5.2"),
                   ("pseries-rhel8.5.0", "pseries-6.0"), ("pseries-rhel8.4.0", "pseries-5.2")}


def test_an_upstream_type_the_tree_lacks_is_cannot_tell_not_a_finding(fixture_tree):
    assert _c111(fixture_tree("rhel8-shapes")) == []   # no pseries-6.0 to compare with


def test_what_the_vendor_did_not_copy_is_said_and_declining_it_quiets_it(fixture_tree):
    root = _with_pseries_6_0(fixture_tree("rhel8-shapes"))
    found = _c111(root)
    assert len(found) == 1 and "pseries-rhel8.5.0 differs from pseries-6.0" in found[0]
    assert "lacks 2 of upstream's entries (hw_compat_6_0, hw_compat_6_1" in found[0]
    (root / ".qscaffold").mkdir()
    (root / ".qscaffold/declined.toml").write_text(
        '[[declined]]\nfrom = "hw_compat_6_0"\nwhat = "i8042 extended-state"\n'
        'reason = "no i8042 on pseries"\n\n'
        '[[declined]]\nfrom = "hw_compat_6_1"\nwhat = "nvme-ns shared"\nreason = "RHEL 8.5 kept it"\n')
    assert _c111(root) == []
    proc = run_cli("compat", "diff", "pseries-rhel8.5.0", "pseries-6.0", "--repo", str(root))
    out = proc.stdout.decode()
    assert "[declined: no i8042 on pseries (.qscaffold/declined.toml:1)]" in out
    assert "[declined: RHEL 8.5 kept it (.qscaffold/declined.toml:6)]" in out
    assert out.endswith("every difference is the vendor's own or declined\n")


def test_diff_json_says_why_each_difference_is_allowed(fixture_tree):
    root = _with_pseries_6_0(fixture_tree("rhel8-shapes"))
    proc = run_cli("compat", "diff", "pseries-6.0", "pseries-rhel8.5.0", "--json",
                   "--repo", str(root))
    data = json.loads(proc.stdout)
    from test_json import validate

    validate(data, "compat show, compat diff")
    # the upstream type first: what only it applies is what the vendor lacks
    assert {(e["array"], e["property"], e["allowed"]) for e in data["only_a"]} == {
        ("hw_compat_6_1", "shared", None), ("hw_compat_6_0", "extended-state", None)}
    # pseries-rhel8.5.0's own (spapr_machine_rhel_default_class_options sets no compat)
    assert data["only_b"] == []


# -- RHEL 9.2 ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rhel(tmp_path_factory):
    return rhel_tree(tmp_path_factory.mktemp("rhel"))


@pytest.fixture(scope="module")
def before_0018(tmp_path_factory):
    return rhel_tree(tmp_path_factory.mktemp("rhel-before"), before="0018")


# Each read by hand in RHEL 9.2's tree: the upstream array whose entry the vendor type
# lacks, against the upstream type its release's arrays claim.
RHEL_9_2_LACKS = {
    # virt-rhel9.0.0 adds hw_compat_rhel_9_1 but not hw_compat_rhel_9_0 (PIIX4_PM only)
    "virt-rhel9.0.0": ("virt-6.2", {"hw_compat_6_2"}),
    # pc_rhel_8_5_compat copies five of pc_compat_6_0's entries, not x-keep-pci-slot-hpc
    "pc-q35-rhel8.5.0": ("pc-q35-6.0", {"pc_compat_6_0"}),
    # pc_rhel_8_3_compat copies pc_compat_5_1's x-smi-cpu-hotplug, not kvm-msi-ext-dest-id
    "pc-q35-rhel8.3.0": ("pc-q35-5.1", {"pc_compat_5_1"}),
    "pc-q35-rhel8.0.0": ("pc-q35-3.1", {"hw_compat_3_1", "hw_compat_4_0", "pc_compat_3_1"}),
    "pc-q35-rhel7.6.0": ("pc-q35-2.11", {"hw_compat_2_11", "hw_compat_2_12", "pc_compat_2_11",
                                         "pc_compat_2_12"}),
    "s390-ccw-virtio-rhel7.6.0": ("s390-ccw-virtio-2.11", {
        "compat", "hw_compat_2_11", "hw_compat_2_12", "hw_compat_3_1", "hw_compat_4_0"}),
}


def _said(lines: list[str]) -> dict[str, tuple[str, set[str]]]:
    out = {}
    for line in lines:
        head = line.split("]: ", 1)[1].split(": ", 1)[1]
        mine, _, rest = head.partition(" differs from ")
        theirs = rest.split(",", 1)[0]
        arrays = rest.split("upstream's entries (", 1)[1].split(";", 1)[0]
        out[mine] = (theirs, set(arrays.split(", ")))
    return out


@pytest.mark.realtree
def test_rhel_9_2s_types_differ_from_their_bases_only_where_read_by_hand(rhel):
    from scaffold.reading.reader import read_downstream

    assert _said(_c111(rhel)) == RHEL_9_2_LACKS
    # spot checks of the arrays as the patches write them
    pc = (rhel / "hw/i386/pc.c").read_text()
    rhel_8_5 = pc.split("GlobalProperty pc_rhel_8_5_compat[] = {", 1)[1].split("};", 1)[0]
    assert "x-vendor-cpuid-only" in rhel_8_5 and "x-keep-pci-slot-hpc" not in rhel_8_5
    virt = (rhel / "hw/arm/virt.c").read_text()
    assert "hw_compat_rhel_9_1," in virt and "hw_compat_rhel_9_0" not in virt
    # the newest types claim the tree's own QEMU and differ by RHEL's own entries only
    for family in read_downstream(QemuTree.open(rhel))[0]:
        if family.newest.name.endswith("rhel9.2.0"):
            base = {"rhel-q35": "pc-q35-7.2", "rhel-arm": "virt-7.2",
                    "rhel-s390x": "s390-ccw-virtio-7.2"}[family.name]
            out = run_cli("compat", "diff", family.newest.name, base, "--repo",
                          str(rhel)).stdout.decode()
            assert out.endswith(("every difference is the vendor's own or declined\n",
                                 "apply the same compat properties\n")), out


@pytest.mark.realtree
def test_before_0018_the_rebase_due_is_said_and_the_rebase_says_what_it_leaves(before_0018,
                                                                             tmp_path):
    said = _said(_c111(before_0018))
    # what 0018 and 0019 bring: hw_compat_7_1's queue_reset, s390x's zPCI interpretation
    assert said["pc-q35-rhel9.0.0"] == ("pc-q35-6.2", {"hw_compat_7_1"})
    assert said["s390-ccw-virtio-rhel9.0.0"] == ("s390-ccw-virtio-6.2", {"compat", "hw_compat_7_1"})
    ours = linked_copy(before_0018, tmp_path / "ours")
    init_repo(ours)
    proc = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    assert proc.returncode == 0, proc.stderr.decode()
    left = [line for line in proc.stderr.decode().splitlines() if "compat left:" in line]
    assert {line.split(": ", 3)[3].split(" differs", 1)[0] for line in left} == \
        set(RHEL_9_2_LACKS)   # exactly what the shipped tree keeps


@pytest.mark.realtree
def test_ubuntu_22_04s_types_equal_the_upstream_types_they_call(tmp_path):
    tree = SHARED / "downstream" / "ubuntu-22.04" / "tree"
    if not tree.is_dir():
        pytest.skip("MISSING COVERAGE: ../shared/downstream/ubuntu-22.04 is absent")
    root = tmp_path / "u22"
    shutil.copytree(tree, root)
    from scaffold.commands.compat_report import vendor_reasons
    from scaffold.reading import effective

    parsed = QemuTree.open(root)
    found = claims(parsed)
    assert len(found) == 73
    allowed = {}
    for claim in found:
        mine = effective.compute(parsed, effective.find(parsed, claim.vendor_type))
        theirs = effective.compute(parsed, effective.find(parsed, claim.upstream))
        reasons = vendor_reasons(parsed, mine, theirs)
        assert None not in reasons.values(), (claim, reasons)
        allowed[claim.vendor_type] = set(reasons.values())
    # the -hpb variants' host_phys_bits_compat, wily's hybrid: the vendor's own
    assert allowed["pc-q35-jammy-hpb"] == {"the vendor's own"}
    assert allowed["pc-i440fx-wily"] == {"the vendor's own"}
    assert allowed["pc-q35-jammy"] == set()
    out = run_cli("compat", "diff", "pc-q35-jammy-hpb", "pc-q35-6.2", "--repo", str(root))
    assert out.stdout.decode().endswith("every difference is the vendor's own or declined\n")


def test_prove_sets_a_runs_difference_against_the_sources_list(fixture_tree):
    """`prove --repo`: a property a run finds changed, against the type's compat list in
    the source (ubuntu-codenames: pc-q35-6.0 adds hw_compat_6_0's gpex-pcihost
    allow-unmapped-accesses=false; nothing sets virtio-net-pci's mq)."""
    from scaffold.commands.prove_source import Source
    from scaffold.running.prove import Difference

    source = Source(fixture_tree("ubuntu-codenames"), "x86_64")
    assert {"pc-q35-6.0", "pc-q35-jammy"} <= set(source.types)
    listed = source.says(Difference("pc-q35-6.0", "/machine/gpex", "gpex-pcihost",
                                    "allow-unmapped-accesses", False, True))
    assert listed.startswith("the source's pc-q35-6.0 sets gpex-pcihost "
                             "allow-unmapped-accesses=false (hw_compat_6_0, hw/core/machine.c:")
    missing = source.says(Difference("pc-q35-6.0", "/machine/peripheral/net0",
                                     "virtio-net-pci", "mq", True, False))
    assert missing.startswith("the source's pc-q35-6.0 has no compat entry for it")
    assert source.says(Difference("pc-q35-9.9", "/x", "t", "p", 1, 2)) == ""


def test_a_build_directory_names_its_source_tree(fixture_tree, tmp_path):
    """`prove --build-dir` takes its types from the tree meson configured the build from
    (meson-info.json); a build directory without one, or naming no QEMU tree, has none."""
    from scaffold.commands.prove_source import source_of_build

    tree = fixture_tree("ubuntu-codenames")
    build = tmp_path / "build"
    (build / "meson-info").mkdir(parents=True)
    assert source_of_build(build) is None
    info = build / "meson-info" / "meson-info.json"
    info.write_text(json.dumps({"directories": {"source": str(tree), "build": str(build)}}))
    assert source_of_build(build) == tree
    info.write_text(json.dumps({"directories": {"source": str(tmp_path / "gone")}}))
    assert source_of_build(build) is None
    info.write_text("{")
    assert source_of_build(build) is None


def test_an_array_of_copies_left_unwired_is_named_in_the_question(fixture_tree):
    """The issue's example: the release's array holds the copies, the type does not add
    it: the finding asks whether that array is wired into its options."""
    root = _with_pseries_6_0(fixture_tree("rhel8-shapes"))
    spapr = root / "hw/ppc/spapr.c"
    wired = ("    compat_props_add(mc->compat_props, hw_compat_rhel_8_5,\n"
             "                     hw_compat_rhel_8_5_len);\n")
    assert spapr.read_text().count(wired) == 1
    spapr.write_text(spapr.read_text().replace(wired, ""))
    found = _c111(root)
    assert len(found) == 1 and found[0].split(" (fix: ")[0].endswith(
        "is hw_compat_rhel_8_5 wired into its options?"), found
    assert "lacks 4 of upstream's entries (hw_compat_6_0, hw_compat_6_1;" in found[0]
