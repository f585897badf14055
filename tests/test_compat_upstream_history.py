"""check, compat add and machine-option as upstream's history needs them (issue 10)."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from helpers import real_tree, run_cli, snapshot
from scaffold.errors import UsageError
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option
from scaffold.reading.qom import model as qom_model
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


def stderr(proc) -> str:
    return proc.stderr.decode()


def findings(root) -> list[dict]:
    return json.loads(run_cli("check", "--json", "--repo", str(root)).stdout)["findings"]


# --- check: errors only for what would not build, link, or change a guest ---------------

STALE = ("extern GlobalProperty pc_compat_1_7[];\nextern const size_t pc_compat_1_7_len;\n\n")


def test_stale_extern_is_a_warning(fixture_tree):
    root = fixture_tree("layout-9.0")
    header = root / "include/hw/i386/pc.h"
    text = header.read_text()
    at = text.rindex("extern GlobalProperty pc_compat_")   # the oldest pair, at the end
    header.write_text(text[:at] + STALE + text[at:])
    proc = run_cli("check", "--repo", str(root))
    assert proc.returncode == 0, proc.stdout
    stale = [f for f in findings(root) if f["kind"] == "stale-declaration"]
    assert [(f["severity"], f["location"]["path"]) for f in stale] == [("warning", "include/hw/i386/pc.h")]
    assert "pc_compat_1_7" in stale[0]["message"] and stale[0]["fix"]
    assert run_cli("check", "--strict", "--repo", str(root)).returncode == 1


def test_used_but_undefined_array_is_an_error(fixture_tree):
    root = fixture_tree("layout-9.0")
    machine = root / "hw/core/machine.c"
    text = machine.read_text()
    start = text.index("GlobalProperty hw_compat_8_1[]")
    end = text.index("\n\n", text.index("hw_compat_8_1_len", start)) + 2
    machine.write_text(text[:start] + text[end:])
    proc = run_cli("check", "--repo", str(root))
    assert proc.returncode == 1
    errors = [f for f in findings(root) if f["severity"] == "error"]
    assert [f["kind"] for f in errors] == ["definition-missing"]
    assert "hw_compat_8_1 is used but defined nowhere" in errors[0]["message"]


def _three_argument_i440fx(text: str) -> str:
    """The 9.1 cycle's transient layout: DEFINE_I440FX_MACHINE(suffix, name, optionfn)."""
    text = text.replace("#define DEFINE_I440FX_MACHINE(suffix, name, compatfn, optionfn)",
                        "#define DEFINE_I440FX_MACHINE(suffix, name, optionfn)")
    return re.sub(r'(DEFINE_I440FX_MACHINE\(v\d+_\d+, "pc-i440fx-[\d.]+",) NULL,', r"\1", text)


def test_three_argument_i440fx_is_read_checked_and_bumped(fixture_tree):
    four = fixture_tree("layout-9.0")
    three = four.parent / "three"
    shutil.copytree(four, three)
    piix = three / "hw/i386/pc_piix.c"
    piix.write_text(_three_argument_i440fx(piix.read_text()))
    assert 'DEFINE_I440FX_MACHINE(v9_0, "pc-i440fx-9.0",\n' in piix.read_text()
    assert run_cli("check", "--repo", str(three)).returncode == 0
    report = json.loads(run_cli("machines", "--json", "--repo", str(three)).stdout)
    i440fx = next(f for f in report["families"] if f["name"] == "i440fx")
    assert (i440fx["layout"], i440fx["newest"], i440fx["alias"]) == ("tagged", "9.0", "pc")
    for root in (four, three):
        proc = run_cli("bump", "9.1", "--no-commit", "--repo", str(root))
        assert proc.returncode == 0, stderr(proc)
    # the three-argument result is the four-argument one (hand-checked in test_layouts)
    # in the three-argument form, new 9.1 registration included
    bumped = piix.read_text()
    assert bumped == _three_argument_i440fx((four / "hw/i386/pc_piix.c").read_text())
    assert 'DEFINE_I440FX_MACHINE(v9_1, "pc-i440fx-9.1",\n                      ' \
           'pc_i440fx_9_1_machine_options);' in bumped
    assert run_cli("check", "--repo", str(three)).returncode == 0


@pytest.mark.realtree
@pytest.mark.parametrize("release", ["7.2", "10.0", "10.2"])
def test_real_trees_check_clean(release):
    proc = run_cli("check", "--repo", str(real_tree(release)))
    assert proc.returncode == 0, proc.stdout
    assert b" error" not in proc.stdout


# --- compat add --release ----------------------------------------------------------------

@pytest.mark.realtree
def test_add_to_an_older_release_says_what_it_affects():
    tree = QemuTree.open(real_tree("10.2"))
    plan = plan_compat_add(tree, "virtio-gpu-device", "blob", "false", release=Version(8, 2))
    old, new = plan.contents(tree)["hw/core/machine.c"]
    start = old.index(b"GlobalProperty hw_compat_8_2[]")
    end = old.index(b"};\n", start)
    assert new == old[:end] + b'    { "virtio-gpu-device", "blob", "false" },\n' + old[end:]
    affects = next(n for n in plan.notes if n.kind == "affects")
    assert affects.severity == "info"
    assert affects.message == ("affects the 8.2 machine types and older: arm virt-8.2, "
                       "i440fx pc-i440fx-8.2, m68k virt-8.2, q35 pc-q35-8.2, "
                       "s390x s390-ccw-virtio-8.2, spapr pseries-8.2")
    assert "stable-branch" in [n.kind for n in plan.notes]      # VERSION 10.2.2


@pytest.mark.realtree
def test_add_warns_about_the_same_property_in_a_newer_array():
    tree = QemuTree.open(real_tree("10.2"))
    # hw_compat_10_0 sets scsi-hd dpofua = "off"; adding it to 9.2 as well
    plan = plan_compat_add(tree, "scsi-hd", "dpofua", "on", release=Version(9, 2))
    warning = next(n for n in plan.notes if n.kind == "newer-entry")
    assert warning.severity == "warning"
    assert "the newer hw_compat_10_0" in warning.message
    assert "9.2 and older get the new entry instead" in warning.message


def test_add_refuses_a_missing_or_newest_release(fixture_tree):
    root = fixture_tree("layout-11.2")
    proc = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--release", "2.0",
                   "--repo", str(root))
    assert proc.returncode == 1 and "hw_compat_2_0 does not exist" in stderr(proc)
    proc = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--release", "11.2",
                   "--repo", str(root))
    assert proc.returncode == 2 and "have no compat array" in stderr(proc)


# --- never touch a released machine type by accident -------------------------------------

def test_pending_bump_is_refused_without_release(fixture_tree):
    root = fixture_tree("layout-11.2")            # VERSION 11.2.50, newest types 11.2
    before = snapshot(root)
    proc = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--repo", str(root))
    assert proc.returncode == 1
    assert "the 12.0 machine types do not exist yet: run `qscaffold bump 12.0` first" in stderr(proc)
    proc = run_cli("compat", "machine-option", "mc->x = 1;", "--all", "--repo", str(root))
    assert proc.returncode == 1 and "qscaffold bump 12.0" in stderr(proc)
    assert snapshot(root) == before


@pytest.mark.parametrize("prop,says", [("", "invalid property name"),
                                       ('x"y', "invalid property name"),
                                       ("num-queue", "did you mean num-queues")])
def test_property_names_are_checked(fixture_tree, prop, says):
    root = fixture_tree("layout-11.2")
    before = snapshot(root)
    proc = run_cli("compat", "add", "virtio-blk-device", "--release", "11.1", "--repo", str(root),
                   "--", prop, "1")
    assert proc.returncode == 2 and says in stderr(proc), stderr(proc)
    assert snapshot(root) == before


def test_macro_already_used_needs_no_include(fixture_tree):
    root = fixture_tree("layout-11.2")
    # machine.c already writes TYPE_VIRTIO_IOMMU_PCI: nothing to include, no warning
    tree = QemuTree.open(root)
    model = qom_model.load(root)
    model.defines["TYPE_VIRTIO_IOMMU_PCI"] = ['"virtio-iommu-pci"']
    model.define_where["TYPE_VIRTIO_IOMMU_PCI"] = "include/hw/virtio/nowhere.h"
    plan = plan_compat_add(tree, "TYPE_VIRTIO_IOMMU_PCI", "granule", "8k", model=model,
                           release=Version(11, 0))
    assert [e.what for e in plan.edits if "include" in e.what] == []


@pytest.mark.realtree
def test_every_property_real_compat_arrays_set_is_known():
    for release in ("7.2", "10.0", "10.2"):
        root = real_tree(release)
        known = qom_model.load(root).property_names()
        for rel in ("hw/core/machine.c", "hw/i386/pc.c"):
            text = (root / rel).read_text()
            props = set(re.findall(r'^\s*\{\s*[^,{}]+,\s*"([^"]+)"\s*,', text, re.M))
            assert len(props) > 20
            assert props <= known, (release, rel, props - known)


# --- machine-option: casts, --release, --instance ----------------------------------------

@pytest.mark.realtree
def test_statements_get_the_familys_class_cast():
    tree = QemuTree.open(real_tree("10.2"))
    cases = {
        "q35": ("pcmc->pvh_enabled = false;", "hw/i386/pc_q35.c",
                b"static void pc_q35_machine_10_1_options(MachineClass *m)\n{\n"
                b"    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);\n\n"
                b"    pc_q35_machine_10_2_options(m);\n"
                b"    m->smbios_memory_device_size = 2047 * TiB;\n"
                b"    pcmc->pvh_enabled = false;\n    compat_props_add"),
        "arm": ("vmc->no_kvm_steal_time = true;", "hw/arm/virt.c",
                b"static void virt_machine_10_1_options(MachineClass *mc)\n{\n"
                b"    VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS(mc));\n\n"
                b"    virt_machine_10_2_options(mc);\n"
                b"    mc->smbios_memory_device_size = 2047 * TiB;\n"
                b"    vmc->no_kvm_steal_time = true;\n    compat_props_add"),
        "spapr": ("smc->pre_6_2_numa_affinity = true;", "hw/ppc/spapr.c",
                  b"static void spapr_machine_10_1_class_options(MachineClass *mc)\n{\n"
                  b"    SpaprMachineClass *smc = SPAPR_MACHINE_CLASS(mc);\n\n"
                  b"    spapr_machine_10_2_class_options(mc);\n"
                  b"    smc->pre_6_2_numa_affinity = true;\n    compat_props_add"),
    }
    for family, (statement, path, expected) in cases.items():
        plan = plan_machine_option(tree, statement, [family], False, release=Version(10, 1))
        _, new = plan.contents(tree)[path]
        assert expected in new, (family, new[new.index(expected[:40]):][:400])


@pytest.mark.realtree
def test_instance_statement_goes_to_s390x_instance_options():
    tree = QemuTree.open(real_tree("10.2"))
    statement = "s390_cpudef_featoff_greater(17, 1, S390_FEAT_PAI);"
    plan = plan_machine_option(tree, statement, ["s390x"], False, release=Version(10, 1),
                               instance=True)
    old, new = plan.contents(tree)["hw/s390x/s390-virtio-ccw.c"]
    assert new == old.replace(
        b"    ccw_machine_10_2_instance_options(machine);\n}\n\nstatic void ccw_machine_10_1_class",
        b"    ccw_machine_10_2_instance_options(machine);\n    " + statement.encode() +
        b"\n}\n\nstatic void ccw_machine_10_1_class")
    with pytest.raises(UsageError, match="only s390x"):
        plan_machine_option(tree, statement, ["arm"], False, release=Version(10, 1), instance=True)
