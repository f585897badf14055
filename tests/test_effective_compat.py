"""Effective compat (issue 36): the compat properties a machine type applies, in QEMU's
order, computed from the source.  The fixture's expectations are written by hand from
its code (ubuntu-codenames: q35 6.2 ... 6.0 and Ubuntu's types calling them); on Debian's
10.2 tree, counts the binary states (QEMU-FACTS: 3 for pc-q35-10.2, 10 for pc-q35-10.1,
61 for pc-q35-7.2); and with the 10.2 builds, every versioned type of x86_64 and aarch64
equal to the binary's own list, order included."""
from __future__ import annotations

import json

import pytest

from helpers import build_tree, real_tree, run_cli

TREE = "ubuntu-codenames"


def _show(root, name: str, *args: str) -> dict:
    proc = run_cli("compat", "show", name, "--json", *args, "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["schema"] == 1 and data["command"] == "compat show"
    return data


def _props(data: dict) -> list[tuple[str, str, str]]:
    return [(e["type"], e["property"], e["value"]) for e in data["entries"]]


def test_an_older_type_applies_the_newer_arrays_first_then_its_own(fixture_tree):
    root = fixture_tree(TREE)
    data = _show(root, "pc-q35-6.0")
    # pc_q35_6_0 calls 6_1 first (which calls 6_2, then the base: nothing), so 6.1's arrays
    # come before 6.0's; hw before pc in each, as the functions add them
    assert _props(data) == [
        ("vhost-user-vsock-device", "seqpacket", "off"), ("nvme-ns", "shared", "off"),
        ("x86_64-cpu", "hv-version-id-build", "0x1bbc"),
        ("x86_64-cpu", "hv-version-id-major", "0x0006"),
        ("gpex-pcihost", "allow-unmapped-accesses", "false"),
        ("i8042", "extended-state", "false"),
        ("qemu64-x86_64-cpu", "family", "6"), ("qemu64-x86_64-cpu", "model", "6")]
    first = data["entries"][0]
    assert (first["array"], first["location"], first["added_by"]) == (
        "hw_compat_6_1", {"path": "hw/core/machine.c", "line": 9}, "pc_q35_6_1_machine_options")
    assert data["target"] == "x86_64" and data["cannot_tell"] == []
    i386 = _show(root, "pc-q35-6.0", "--target", "i386")
    assert [t for t, _, _ in _props(i386)][-2:] == ["qemu64-i386-cpu", "qemu64-i386-cpu"]
    assert _show(root, "pc-q35-6.2")["entries"] == []   # the newest: no array of its own


def test_a_variant_adds_its_own_array_after_its_release_types(fixture_tree):
    root = fixture_tree(TREE)
    hpb = _props(_show(root, "pc-q35-impish-hpb"))
    assert hpb == _props(_show(root, "pc-q35-6.0")) + [
        ("x86_64-cpu", "host-phys-bits", "on")]
    assert _props(_show(root, "pseries-impish")) == \
        [("vhost-user-vsock-device", "seqpacket", "off"), ("nvme-ns", "shared", "off"),
         ("gpex-pcihost", "allow-unmapped-accesses", "false"),
         ("i8042", "extended-state", "false")]


def test_an_overridden_entry_stays_and_is_marked(fixture_tree):
    root = fixture_tree(TREE)
    machine = root / "hw/core/machine.c"
    machine.write_text(machine.read_text().replace(
        '    { "i8042", "extended-state", "false"},\n',
        '    { "i8042", "extended-state", "false"},\n    { "nvme-ns", "shared", "on" },\n'))
    entries = _show(root, "pc-q35-6.0")["entries"]
    shared = [(e["value"], e["overridden"]) for e in entries if e["property"] == "shared"]
    assert shared == [("off", True), ("on", False)]   # QEMU keeps both; the later wins


def test_diff_says_what_each_applies_that_the_other_does_not(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("compat", "diff", "pc-q35-6.0", "pc-q35-6.1", "--json", "--repo", str(root))
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["command"] == "compat diff"
    # across a bump's demotion, exactly the older release's arrays
    assert [(e["array"], e["property"]) for e in data["only_a"]] == [
        ("hw_compat_6_0", "allow-unmapped-accesses"), ("hw_compat_6_0", "extended-state"),
        ("pc_compat_6_0", "family"), ("pc_compat_6_0", "model")]
    assert data["only_b"] == [] and data["differ"] == []
    same = run_cli("compat", "diff", "pc-q35-jammy", "pc-q35-6.2", "--repo", str(root))
    assert same.stdout.decode() == "pc-q35-jammy and pc-q35-6.2 apply the same compat " \
        "properties\n"


def test_an_unknown_or_ambiguous_type_is_one_line(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("compat", "show", "pc-q35-5.9", "--repo", str(root))
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "no versioned machine type " \
        "'pc-q35-5.9' (this tree has pc-q35-6.0, pc-q35-6.1, pc-q35-6.2" in err


@pytest.mark.realtree
def test_debian_10_2_counts_are_the_binarys(tmp_path):
    root = real_tree("10.2")
    counts = {name: len(_show(root, name)["entries"])
              for name in ("pc-q35-10.2", "pc-q35-10.1", "pc-q35-7.2")}
    assert counts == {"pc-q35-10.2": 3, "pc-q35-10.1": 10, "pc-q35-7.2": 61}
    bump = run_cli("compat", "diff", "pc-q35-9.2", "pc-q35-10.0", "--json", "--repo", str(root))
    data = json.loads(bump.stdout)
    # exactly the 10.0 bump's arrays: hw_compat_9_2's eight entries (pc_compat_9_2 is empty)
    assert [e["array"] for e in data["only_a"]] == ["hw_compat_9_2"] * 8
    assert data["only_b"] == [] and data["differ"] == []


@pytest.mark.realtree
@pytest.mark.qemu_build
@pytest.mark.parametrize("target, types", [("x86_64", 36), ("aarch64", 18)])
def test_compat_show_equals_the_binarys_query_machines(target, types):
    """Every versioned machine type of the 10.2 build: the same entries, in the same
    order, with the same values, as QMP query-machines with compat-props states."""
    from scaffold.reading.tree import QemuTree
    from scaffold.commands.compat_agreement import agreement

    src, build = build_tree("10.2", "--reset", f"qemu-system-{target}")
    result = agreement(QemuTree.open(src), build / f"qemu-system-{target}", target)
    assert not result.differ, {k: v for k, v in list(result.differ.items())[:2]}
    assert result.summary() == f"{target}: {types}/{types} types equal"


def test_an_item_that_is_a_macro_expands_where_it_stands(fixture_tree):
    """pc_compat_2_4 begins with `PC_CPU_MODEL_IDS("2.4.0")`, a macro of three entries:
    10.0's pc-q35-2.4 differed from its binary there until the macro was expanded."""
    root = fixture_tree(TREE)
    pc = root / "hw/i386/pc.c"
    pc.write_text(pc.read_text().replace(
        "GlobalProperty pc_compat_6_0[] = {\n",
        '#define PC_CPU_MODEL_IDS(v) \\\n'
        '    { "qemu32-" TYPE_X86_CPU, "model-id", "QEMU Virtual CPU version " v, },\\\n'
        '    { "qemu64-" TYPE_X86_CPU, "model-id", "QEMU Virtual CPU version " v, },\n\n'
        "GlobalProperty pc_compat_6_0[] = {\n    PC_CPU_MODEL_IDS(\"6.0.0\")\n"))
    entries = _show(root, "pc-q35-6.0")["entries"]
    got = [(e["type"], e["property"], e["value"], e["array"]) for e in entries][4:8]
    assert got == [("gpex-pcihost", "allow-unmapped-accesses", "false", "hw_compat_6_0"),
                   ("i8042", "extended-state", "false", "hw_compat_6_0"),
                   ("qemu32-x86_64-cpu", "model-id", "QEMU Virtual CPU version 6.0.0",
                    "pc_compat_6_0"),
                   ("qemu64-x86_64-cpu", "model-id", "QEMU Virtual CPU version 6.0.0",
                    "pc_compat_6_0")]
    assert entries[8]["property"] == "family"   # the array's own entries follow
