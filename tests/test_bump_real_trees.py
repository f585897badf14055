"""End-to-end bumps of real QEMU trees (Debian source packages), byte for byte.

Expectations are written by hand from QEMU's conventions: every tree shows the previous
bump's result (e.g. 10.2's tree has 10.1 demoted exactly the way 11.0 demotes 10.2).
Each expectation is an (old, new) pair: `old` must occur exactly once in the original
file, and the whole bumped file must equal the original with `old` replaced by `new`.
"""
from __future__ import annotations

import subprocess

import pytest

from helpers import (arrays, changed_files, current_layout, expected_file, linked_copy, newest_tree,
                      real_tree, run_cli)
from scaffold.rules.chain import check_tree
from scaffold.reading.reader import read_families
from scaffold.planning.bump import plan_bump
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

pytestmark = pytest.mark.realtree


# QEMU 7.2 (x86 tagged macros and alias resets on every older version, flag macros for
# spapr/s390x/m68k), bumped to 8.0 as upstream's "hw: Add compat machines for 8.0" did.
X86_72 = {
    "i440fx": ("""static void pc_i440fx_7_2_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_i440fx_machine_options(m);
    m->alias = "pc";
    m->is_default = true;
    pcmc->default_cpu_version = 1;
}

DEFINE_I440FX_MACHINE(v7_2, "pc-i440fx-7.2", NULL,
                      pc_i440fx_7_2_machine_options);
""", """static void pc_i440fx_8_0_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_i440fx_machine_options(m);
    m->alias = "pc";
    m->is_default = true;
    pcmc->default_cpu_version = 1;
}

DEFINE_I440FX_MACHINE(v8_0, "pc-i440fx-8.0", NULL,
                      pc_i440fx_8_0_machine_options);

static void pc_i440fx_7_2_machine_options(MachineClass *m)
{
    pc_i440fx_8_0_machine_options(m);
    m->alias = NULL;
    m->is_default = false;
    compat_props_add(m->compat_props, hw_compat_7_2, hw_compat_7_2_len);
    compat_props_add(m->compat_props, pc_compat_7_2, pc_compat_7_2_len);
}

DEFINE_I440FX_MACHINE(v7_2, "pc-i440fx-7.2", NULL,
                      pc_i440fx_7_2_machine_options);
"""),
    "q35": ("""static void pc_q35_7_2_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_q35_machine_options(m);
    m->alias = "q35";
    pcmc->default_cpu_version = 1;
}

DEFINE_Q35_MACHINE(v7_2, "pc-q35-7.2", NULL,
                   pc_q35_7_2_machine_options);
""", """static void pc_q35_8_0_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_q35_machine_options(m);
    m->alias = "q35";
    pcmc->default_cpu_version = 1;
}

DEFINE_Q35_MACHINE(v8_0, "pc-q35-8.0", NULL,
                   pc_q35_8_0_machine_options);

static void pc_q35_7_2_machine_options(MachineClass *m)
{
    pc_q35_8_0_machine_options(m);
    m->alias = NULL;
    compat_props_add(m->compat_props, hw_compat_7_2, hw_compat_7_2_len);
    compat_props_add(m->compat_props, pc_compat_7_2, pc_compat_7_2_len);
}

DEFINE_Q35_MACHINE(v7_2, "pc-q35-7.2", NULL,
                   pc_q35_7_2_machine_options);
"""),
}

LAYOUT_72 = {
    "hw/arm/virt.c": [("""static void virt_machine_7_2_options(MachineClass *mc)
{
}
DEFINE_VIRT_MACHINE_AS_LATEST(7, 2)
""", """static void virt_machine_8_0_options(MachineClass *mc)
{
}
DEFINE_VIRT_MACHINE_AS_LATEST(8, 0)

static void virt_machine_7_2_options(MachineClass *mc)
{
    virt_machine_8_0_options(mc);
    compat_props_add(mc->compat_props, hw_compat_7_2, hw_compat_7_2_len);
}
DEFINE_VIRT_MACHINE(7, 2)
""")],
    "hw/m68k/virt.c": [("""static void virt_machine_7_2_options(MachineClass *mc)
{
}
DEFINE_VIRT_MACHINE(7, 2, true)
""", """static void virt_machine_8_0_options(MachineClass *mc)
{
}
DEFINE_VIRT_MACHINE(8, 0, true)

static void virt_machine_7_2_options(MachineClass *mc)
{
    virt_machine_8_0_options(mc);
    compat_props_add(mc->compat_props, hw_compat_7_2, hw_compat_7_2_len);
}
DEFINE_VIRT_MACHINE(7, 2, false)
""")],
    "hw/i386/pc_piix.c": [X86_72["i440fx"]],
    "hw/i386/pc_q35.c": [X86_72["q35"]],
    "hw/s390x/s390-virtio-ccw.c": [("""static void ccw_machine_7_2_instance_options(MachineState *machine)
{
}

static void ccw_machine_7_2_class_options(MachineClass *mc)
{
}
DEFINE_CCW_MACHINE(7_2, "7.2", true);
""", """static void ccw_machine_8_0_instance_options(MachineState *machine)
{
}

static void ccw_machine_8_0_class_options(MachineClass *mc)
{
}
DEFINE_CCW_MACHINE(8_0, "8.0", true);

static void ccw_machine_7_2_instance_options(MachineState *machine)
{
    ccw_machine_8_0_instance_options(machine);
}

static void ccw_machine_7_2_class_options(MachineClass *mc)
{
    ccw_machine_8_0_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_7_2, hw_compat_7_2_len);
}
DEFINE_CCW_MACHINE(7_2, "7.2", false);
""")],
    "hw/ppc/spapr.c": [("""/*
 * pseries-7.2
 */
static void spapr_machine_7_2_class_options(MachineClass *mc)
{
    /* Defaults for the latest behaviour inherited from the base class */
}

DEFINE_SPAPR_MACHINE(7_2, "7.2", true);
""", """/*
 * pseries-8.0
 */
static void spapr_machine_8_0_class_options(MachineClass *mc)
{
    /* Defaults for the latest behaviour inherited from the base class */
}

DEFINE_SPAPR_MACHINE(8_0, "8.0", true);

/*
 * pseries-7.2
 */
static void spapr_machine_7_2_class_options(MachineClass *mc)
{
    spapr_machine_8_0_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_7_2, hw_compat_7_2_len);
}

DEFINE_SPAPR_MACHINE(7_2, "7.2", false);
""")],
    **arrays("7_2", "7_1"),
}

CASES = {
    "10.0": ("10.1", current_layout(Version(10, 0), Version(10, 1))),
    "10.2": ("11.0", current_layout(Version(10, 2), Version(11, 0))),
    "7.2": ("8.0", LAYOUT_72),
}


@pytest.mark.parametrize("release", sorted(CASES))
def test_bump_is_byte_exact(release):
    root = real_tree(release)
    target, expected = CASES[release]
    plan = plan_bump(QemuTree.open(root), Version.parse(target))
    contents = plan.contents(QemuTree.open(root))
    assert sorted(contents) == sorted(expected)
    assert plan.families == ["arm", "i440fx", "m68k", "q35", "s390x", "spapr"]
    for path, hunks in expected.items():
        old, new = contents[path]
        assert old == (root / path).read_bytes()
        assert new == expected_file(old, hunks, path), path


@pytest.mark.parametrize("release", sorted(CASES))
def test_dry_run_patch_applies_and_passes_checkpatch(release, tmp_path):
    root = real_tree(release)
    target, _ = CASES[release]
    proc = run_cli("bump", target, "--dry-run", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    patch = tmp_path / "bump.patch"
    patch.write_bytes(proc.stdout)
    assert proc.stdout.startswith(b"diff --git a/")
    check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=root, capture_output=True)
    assert check.returncode == 0, check.stderr.decode()
    style = subprocess.run(["perl", "scripts/checkpatch.pl", "--no-signoff", str(patch)], cwd=root,
                           capture_output=True, text=True)
    assert style.returncode == 0, style.stdout + style.stderr
    assert "total: 0 errors, 0 warnings" in style.stdout


@pytest.mark.parametrize("release", sorted(CASES))
def test_real_run_writes_only_the_bumped_files(release, tmp_path):
    root = real_tree(release)
    target, expected = CASES[release]
    copy = linked_copy(root, tmp_path / "qemu")
    proc = run_cli("bump", target, "--no-commit", "--repo", str(copy))
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"nothing was committed" in proc.stderr
    assert changed_files(root, copy) == set(expected)
    for path, hunks in expected.items():
        assert (copy / path).read_bytes() == expected_file((root / path).read_bytes(), hunks, path)
    again = run_cli("bump", target, "--no-commit", "--repo", str(copy))
    assert again.returncode == 0 and b"nothing to do" in again.stderr


@pytest.mark.realtree
def test_the_newest_served_series_bumps_to_its_next_release_cleanly(tmp_path):
    """Not only the series above: whatever the mirror serves newest (10.2 today, 11.1
    once served) bumps to its next release, and the result checks clean."""
    root = newest_tree()
    tree = QemuTree.open(root)
    major, minor, _ = tree.version
    target = Version(major, minor).next()
    copy = linked_copy(root, tmp_path / "qemu")
    (copy / "VERSION").unlink()   # the development branch of the next release
    (copy / "VERSION").write_text(f"{major}.{minor}.50\n")
    proc = run_cli("bump", str(target), "--no-commit", "--repo", str(copy))
    assert proc.returncode == 0, proc.stderr.decode()
    bumped = QemuTree.open(copy)
    assert {f.newest.version for f in read_families(bumped)[0]} == {target}
    assert [f for f in check_tree(bumped) if f.severity != "info"] == []
