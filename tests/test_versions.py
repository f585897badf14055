"""QEMU's release numbers before 4.0 (issue 19): 1.0 ... 1.7, 2.0 ... 2.12, 3.0, 3.1, then
X.0, X.1, X.2 (../shared/QEMU-FACTS.md, "Versions")."""
from __future__ import annotations

import json

import pytest

from helpers import real_tree, run_cli
from scaffold.errors import UsageError
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

# (a release, the one after it): every boundary of the numbering
SEQUENCE = [("1.7", "2.0"), ("2.0", "2.1"), ("2.11", "2.12"), ("2.12", "3.0"), ("3.0", "3.1"),
            ("3.1", "4.0"), ("4.0", "4.1"), ("4.2", "5.0"), ("10.2", "11.0")]


@pytest.mark.parametrize("before, after", SEQUENCE)
def test_next_and_previous_across_the_boundaries(before, after):
    assert Version.parse(before).next() == Version.parse(after)
    assert Version.parse(after).prev() == Version.parse(before)


@pytest.mark.parametrize("text, series", [("2.13", "2.0 ... 2.12"), ("3.2", "3.0 ... 3.1"),
                                          ("1.8", "1.0 ... 1.7"), ("4.3", "X.0, X.1, X.2"),
                                          ("11.3", "X.0, X.1, X.2")])
def test_releases_that_never_were(text, series):
    with pytest.raises(UsageError, match=f"QEMU releases go {series}"):
        Version.parse(text)


@pytest.mark.realtree
def test_retire_2_7_as_upstream_did():
    """Upstream removed pc-q35-2.7 and pc-i440fx-2.7 in one commit, then each array."""
    proc = run_cli("retire", "2.7", "--dry-run", "--format", "json", "--repo", str(real_tree("10.2")))
    assert proc.returncode == 0, proc.stderr.decode()

    subjects = [s["subject"] for s in json.loads(proc.stdout)["steps"]]
    assert subjects == [
        "hw/i386/pc: Remove deprecated pc-q35-2.6 and pc-i440fx-2.6 machines",
        "hw/i386/pc: Remove deprecated pc-q35-2.7 and pc-i440fx-2.7 machines",
        "hw/core/machine: Remove hw_compat_2_6[] array", "hw/i386/pc: Remove pc_compat_2_6[] array",
        "hw/core/machine: Remove hw_compat_2_7[] array", "hw/i386/pc: Remove pc_compat_2_7[] array"]


@pytest.mark.realtree
def test_compat_changes_for_2_11():
    tree = QemuTree.open(real_tree("10.2"))
    plan = plan_compat_add(tree, "virtio-blk-device", "num-queues", "1", release=Version(2, 11))
    [(path, (old, new))] = plan.contents(tree).items()
    assert path == "hw/core/machine.c"
    assert new == old.replace(b'    { "e1000", "migrate_tso_props", "off" },\n};\n'
                              b"const size_t hw_compat_2_11_len",
                              b'    { "e1000", "migrate_tso_props", "off" },\n'
                              b'    { "virtio-blk-device", "num-queues", "1" },\n};\n'
                              b"const size_t hw_compat_2_11_len")
    plan = plan_machine_option(tree, "m->smp_props.prefer_sockets = true;", ["i440fx"], False,
                               release=Version(2, 11))
    [(path, (old, new))] = plan.contents(tree).items()
    fn = new[new.index(b"pc_i440fx_machine_2_11_options(MachineClass *m)"):]
    fn = fn[:fn.index(b"\n}\n")]
    assert b"    m->smp_props.prefer_sockets = true;\n" in fn
