"""`compat add` and `compat machine-option` (issue 6), on fixture and real trees."""
from __future__ import annotations

import pytest

from helpers import expected_file, real_tree, run_cli, snapshot
from scaffold.rules.chain import check_tree
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option
from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading.tree import QemuTree

TREE = "layout-11.2"


def stderr(proc) -> str:
    return proc.stderr.decode()


def test_add_appends_in_the_arrays_style(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--release", "11.1",
                   "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    after = snapshot(root)
    assert {p for p in after if after[p] != before[p]} == {"hw/core/machine.c"}
    # hw_compat_11_1's newest entry is `{ TYPE_VIRTIO_IOMMU_PCI, "granule", "4k" },`
    assert after["hw/core/machine.c"] == expected_file(before["hw/core/machine.c"], [(
        '    { TYPE_VIRTIO_IOMMU_PCI, "granule", "4k" },\n};\nconst size_t hw_compat_11_1_len',
        '    { TYPE_VIRTIO_IOMMU_PCI, "granule", "4k" },\n'
        '    { "virtio-blk-device", "num-queues", "1" },\n};\nconst size_t hw_compat_11_1_len')],
        "hw/core/machine.c")
    assert "nothing committed" in stderr(proc)
    assert [f for f in check_tree(QemuTree.open(root)) if f.severity == "error"] == []


def test_add_opens_an_empty_array_after_a_bump(fixture_tree):
    root = fixture_tree(TREE)
    assert run_cli("bump", "12.0", "--no-commit", "--repo", str(root)).returncode == 0
    before = snapshot(root)
    proc = run_cli("compat", "add", "TYPE_VIRTIO_BLK", "num-queues", "1", "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    # machine.c does not include the header that defines TYPE_VIRTIO_BLK: the #include
    # goes after the file's last hw/ include, so that the result compiles
    assert snapshot(root)["hw/core/machine.c"] == expected_file(before["hw/core/machine.c"], [(
        '#include "hw/virtio/virtio-pci.h"\n',
        '#include "hw/virtio/virtio-pci.h"\n#include "hw/virtio/virtio-blk.h"\n'), (
        "GlobalProperty hw_compat_11_2[] = {};\n",
        "GlobalProperty hw_compat_11_2[] = {\n"
        "    { TYPE_VIRTIO_BLK, \"num-queues\", \"1\" },\n"
        "};\n")], "hw/core/machine.c")
    assert "include hw/virtio/virtio-blk.h for TYPE_VIRTIO_BLK" in stderr(proc)


def test_add_x86_goes_to_pc_compat(fixture_tree):
    root = fixture_tree(TREE)
    assert run_cli("bump", "12.0", "--no-commit", "--repo", str(root)).returncode == 0
    before = snapshot(root)
    proc = run_cli("compat", "add", "virtio-blk-device", "x-enable-wce-if-config-wce", "off", "--x86",
                   "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    assert snapshot(root)["hw/i386/pc.c"] == expected_file(before["hw/i386/pc.c"], [(
        "GlobalProperty pc_compat_11_2[] = {};\n",
        'GlobalProperty pc_compat_11_2[] = {\n'
        '    { "virtio-blk-device", "x-enable-wce-if-config-wce", "off" },\n};\n')],
        "hw/i386/pc.c")


def test_add_warns_about_transport_specific_and_variant_types(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("compat", "add", "virtio-blk-pci", "num-queues", "1", "--dry-run", "--release", "11.1",
                   "--repo", str(root))
    assert proc.returncode == 0
    err = stderr(proc)
    assert "virtio-blk-pci applies to the pci transport only; virtio-blk-device covers every " \
           "transport (pci, ccw, mmio)" in err
    assert "virtio-blk-pci-base is the parent of all of them" in err
    assert proc.stdout.startswith(b"diff --git a/hw/core/machine.c b/hw/core/machine.c")


def test_add_refuses_unknown_types_and_duplicates(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("compat", "add", "virtio-blk-dev", "num-queues", "1", "--release", "11.1",
                   "--repo", str(root))
    assert proc.returncode == 2 and "unknown device type 'virtio-blk-dev'" in stderr(proc)
    proc = run_cli("compat", "add", "migration", "zero-page-detection", "none", "--release", "11.1",
                   "--repo", str(root))
    assert proc.returncode == 1
    assert "hw/core/machine.c:12: hw_compat_11_1 already sets migration zero-page-detection" in stderr(proc)
    assert stderr(proc).count("\n") == 1
    assert snapshot(root) == before
    proc = run_cli("compat", "add", "my-downstream-dev", "x", "1", "--force", "--release", "11.1",
                   "--repo", str(root))
    assert proc.returncode == 0 and "not a type this tree declares" in stderr(proc)


def test_add_before_the_bump_asks_for_the_bump_first(fixture_tree):
    root = fixture_tree("layout-9.2")
    text = (root / "hw/core/machine.c").read_text()
    (root / "hw/core/machine.c").write_text(text.replace("hw_compat_9_1", "hw_compat_9_1_old"))
    proc = run_cli("compat", "add", "x", "y", "z", "--force", "--repo", str(root))
    assert proc.returncode == 1 and "qscaffold bump 10.0" in stderr(proc)


@pytest.mark.realtree
def test_add_on_a_real_tree_reports_older_entries():
    tree = QemuTree.open(real_tree("10.2"))
    plan = plan_compat_add(tree, "scsi-hd", "dpofua", "on")
    old, new = plan.contents(tree)["hw/core/machine.c"]
    assert new == old.replace(
        b'    { TYPE_VIRTIO_NET, "guest_tunnel_csum", "off" },\n};\nconst size_t hw_compat_10_1_len',
        b'    { TYPE_VIRTIO_NET, "guest_tunnel_csum", "off" },\n    { "scsi-hd", "dpofua", "on" },\n'
        b'};\nconst size_t hw_compat_10_1_len')
    assert any(n.kind == "older-entry" and n.severity == "info" and
               n.message.startswith('hw_compat_10_0 sets scsi-hd dpofua = "off"') for n in plan.notes)
    with pytest.raises(ScaffoldError, match="already sets virtio-net-device host_tunnel"):
        plan_compat_add(tree, "TYPE_VIRTIO_NET", "host_tunnel", "on")
    with pytest.raises(UsageError, match="unknown device type"):
        plan_compat_add(tree, "virtio-blk-pcie", "x", "1")


# --- machine-option ---------------------------------------------------------------------

def test_machine_option_lands_in_each_familys_last_release(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("compat", "machine-option", "mc->smp_props.prefer_sockets = true;",
                   "--family", "i440fx", "--family", "arm", "--release", "11.1", "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    after = snapshot(root)
    assert {p for p in after if after[p] != before[p]} == {"hw/i386/pc_piix.c", "hw/arm/virt.c"}
    assert after["hw/i386/pc_piix.c"] == expected_file(before["hw/i386/pc_piix.c"], [(
        "    pc_i440fx_machine_11_2_options(m);\n    compat_props_add",
        "    pc_i440fx_machine_11_2_options(m);\n    m->smp_props.prefer_sockets = true;\n"
        "    compat_props_add")], "hw/i386/pc_piix.c")
    assert after["hw/arm/virt.c"] == expected_file(before["hw/arm/virt.c"], [(
        "    virt_machine_11_2_options(mc);\n    compat_props_add",
        "    virt_machine_11_2_options(mc);\n    mc->smp_props.prefer_sockets = true;\n"
        "    compat_props_add")], "hw/arm/virt.c")
    assert "pc_i440fx_machine_11_1_options (hw/i386/pc_piix.c:" in stderr(proc)
    again = run_cli("compat", "machine-option", "mc->smp_props.prefer_sockets = true;",
                    "--family", "i440fx", "--release", "11.1", "--repo", str(root))
    assert again.returncode == 0 and "nothing to do" in stderr(again)
    assert [f for f in check_tree(QemuTree.open(root)) if f.severity == "error"] == []


@pytest.mark.parametrize("statement", ["a = 1; b = 2;", "mc->x = (;", "", "{"])
def test_machine_option_needs_exactly_one_statement(fixture_tree, statement):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("compat", "machine-option", "--all", "--repo", str(root), "--", statement)
    assert proc.returncode == 2 and "not one C statement" in stderr(proc)
    assert snapshot(root) == before


def test_machine_option_family_choice(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("compat", "machine-option", "mc->x = 1;", "--repo", str(root))
    assert proc.returncode == 2 and "--family" in stderr(proc)
    proc = run_cli("compat", "machine-option", "mc->x = 1;", "--family", "sparc", "--repo", str(root))
    assert proc.returncode == 2 and "unknown family 'sparc'" in stderr(proc)


@pytest.mark.realtree
def test_machine_option_on_a_real_tree_all_families():
    tree = QemuTree.open(real_tree("10.2"))
    plan = plan_machine_option(tree, "mc->smp_props.prefer_sockets = true;", [], True)
    assert plan.families == ["arm", "i440fx", "m68k", "q35", "s390x", "spapr"]
    contents = plan.contents(tree)
    old, new = contents["hw/s390x/s390-virtio-ccw.c"]
    assert new == old.replace(
        b"    ccw_machine_10_2_class_options(mc);\n    compat_props_add(mc->compat_props, hw_compat_10_1",
        b"    ccw_machine_10_2_class_options(mc);\n    mc->smp_props.prefer_sockets = true;\n"
        b"    compat_props_add(mc->compat_props, hw_compat_10_1")
    old, new = contents["hw/i386/pc_q35.c"]
    assert new == old.replace(
        b"    m->smbios_memory_device_size = 2047 * TiB;\n    compat_props_add(m->compat_props, hw_compat_10_1",
        b"    m->smbios_memory_device_size = 2047 * TiB;\n    m->smp_props.prefer_sockets = true;\n"
        b"    compat_props_add(m->compat_props, hw_compat_10_1")


@pytest.mark.realtree
def test_one_fix_per_entry_the_one_that_covers_every_transport(tmp_path):
    """Issue 29, item 5: on 10.2, virtio-net-pci's guest_uso4 is an alias of
    virtio-net-device's (L201) and is defined on virtio-net-pci-base (L202); naming the
    pci base would still leave ccw and mmio out.  One finding is given, with the exact
    command that covers every transport; that command draws no such warning."""
    from helpers import linked_copy

    root = linked_copy(real_tree("10.2"), tmp_path / "qemu")
    proc = run_cli("compat", "add", "virtio-net-pci", "guest_uso4", "off", "--release", "10.1",
                   "-n", "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    lines = [l for l in stderr(proc).splitlines() if "[L20" in l]
    assert len(lines) == 1 and "warning[L201]" in lines[0], lines
    assert lines[0].endswith("(fix: qscaffold compat add virtio-net-device guest_uso4 off "
                             "--release 10.1)")
    fixed = run_cli("compat", "add", "virtio-net-device", "guest_uso4", "off", "--release",
                    "10.1", "-n", "--repo", str(root))
    assert fixed.returncode == 0 and "[L20" not in stderr(fixed), stderr(fixed)
