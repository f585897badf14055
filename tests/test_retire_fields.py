"""retire removes class fields no remaining machine type sets, with the code reading them,
in the commit of the machine type that set them last (issue 19), as upstream's "Remove
deprecated pseries-3.1 machine" commits did; any other form stays a follow-up."""
from __future__ import annotations

import json
import subprocess

import pytest

from helpers import build_tree, expected_file, real_tree, run_cli, snapshot
from scaffold.planning.retire import plan_retire
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

TREE = "retire-fields"
VIRT, HEADER = "hw/arm/virt.c", "include/hw/arm/virt.h"

# Written by hand: no_foo and no_bar were set by virt 11.0 only (no_bar's base value is
# false), so they go with it; no_baz stays (11.1 sets it); no_qux stays (`bool wanted =
# !vmc->no_qux;` is not a form folded).
READERS = [
    ("""{
    VirtMachineClass *vmc = VIRT_MACHINE_GET_CLASS(vms);

    /* Old machines had no foo */
    if (vmc->no_foo) {
        return;
    }
    foo_realize(vms);""", """{
    foo_realize(vms);"""),
    ("    return vmc->no_foo ? 0 : vmc->irq_base + 5;", "    return vmc->irq_base + 5;"),
    ("""    if (secure && !vmc->no_bar) {
        bar_realize(vms);
    } else if (vmc->no_bar) {
        old_bar_realize(vms);
    }
""", """    if (secure) {
        bar_realize(vms);
    }
"""),
    ("    vmc->irq_base = 32;\n    vmc->no_bar = false;\n", "    vmc->irq_base = 32;\n"),
]


def test_dead_fields_go_with_the_machine_type_that_set_them_last(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("retire", "11.0", "--force", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    after = snapshot(root)
    removed_machine = """
static void virt_machine_11_0_options(MachineClass *mc)
{
    VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS(mc));

    virt_machine_11_1_options(mc);
    compat_props_add(mc->compat_props, hw_compat_11_0, hw_compat_11_0_len);
    vmc->no_foo = true;
    vmc->no_bar = true;
    vmc->no_qux = true;
}
DEFINE_VIRT_MACHINE(11, 0)
"""
    assert after[VIRT] == expected_file(before[VIRT], READERS + [(removed_machine, "")], VIRT)
    assert after[HEADER] == expected_file(before[HEADER], [(
        "    bool no_foo;        /* Machines < 11.1 have no foo device */\n    bool no_bar;\n", "")],
        HEADER)
    err = proc.stderr.decode()
    assert ("follow-up: include/hw/arm/virt.h:11: VirtMachineClass::no_qux: no remaining "
            "machine type sets it") in err and "not done: a reader of a form not folded " \
        "(hw/arm/virt.c:55)" in err
    assert "no_baz" not in err and "no_foo" not in err


def test_the_commit_says_what_went_with_the_machine_type(fixture_tree):
    series = plan_retire(QemuTree.open(fixture_tree(TREE)), Version(11, 0), force=True)
    [step] = [s for s in series.steps if "virt-11.0" in s.subject]
    assert step.subject == "hw/arm/virt: Remove deprecated virt-11.0 machine"
    assert "No remaining machine type sets VirtMachineClass::no_foo: remove it, and fold the " \
        "code reading it with false." in step.summary
    assert "VirtMachineClass::no_bar" in step.summary and "no_qux" not in step.summary
    assert sorted(step.contents) == [VIRT, HEADER]


@pytest.mark.realtree
def test_pseries_fields_go_as_upstream_removed_them():
    """The 10.0 tree: pseries 3.1, 4.1 and 4.2 take broken_host_serial_model, dr_phb_enabled,
    update_dt_enabled, linux_pci_probe, smp_threads_vsmt and rma_limit with them."""
    proc = run_cli("retire", "4.2", "--force", "--family", "spapr", "--dry-run", "--format",
                   "json", "--repo", str(real_tree("10.0")))
    assert proc.returncode == 0, proc.stderr.decode()
    steps = {s["subject"]: s["summary"] for s in json.loads(proc.stdout)["steps"]}
    gone = {subject.split()[-2]: [f for f in ("broken_host_serial_model", "dr_phb_enabled",
                                              "update_dt_enabled", "linux_pci_probe",
                                              "smp_threads_vsmt", "rma_limit")
                                  if f"SpaprMachineClass::{f}:" in summary]
            for subject, summary in steps.items()}
    assert gone["pseries-3.1"] == ["broken_host_serial_model", "dr_phb_enabled",
                                   "update_dt_enabled"]
    assert gone["pseries-4.1"] == ["linux_pci_probe", "smp_threads_vsmt"]
    assert gone["pseries-4.2"] == ["rma_limit"]
    patch = run_cli("retire", "4.2", "--force", "--family", "spapr", "--dry-run", "--repo",
                    str(real_tree("10.0"))).stdout.decode()
    # upstream's forms: `} else if (smc->broken_host_serial_model && ...) {`,
    # `return smc->update_dt_enabled;`, `if (smc->rma_limit) {...}` with its comment
    assert "-    } else if (smc->broken_host_serial_model && kvmppc_get_host_model(&buf)) {" in patch
    assert "-    return smc->update_dt_enabled;\n+    return true;" in patch
    assert "-    if (smc->rma_limit) {" in patch and "-     * Clamp the RMA size" in patch


@pytest.mark.qemu_build
@pytest.mark.realtree
def test_every_step_that_removes_fields_compiles():
    """The 10.2 tree's arm virt 5.x and pseries 5.x take four fields with them: every
    commit is compiled with -Werror for the targets that build the files it edits."""
    src, build = build_tree("10.2", "--reset")
    try:
        for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
            subprocess.run(["git", "-C", str(src), "config", key, value], check=True)
        proc = run_cli("retire", "5.2", "--force", "--family", "arm", "--family", "spapr",
                       "--build-dir", str(build), "--repo", str(src))
        assert proc.returncode == 0, proc.stderr.decode()
        log = subprocess.run(["git", "-C", str(src), "log", "--format=%B", "pristine..HEAD"],
                             capture_output=True, text=True, check=True).stdout
        log = " ".join(log.split())   # the body is wrapped at 76 columns
        for field in ("VirtMachineClass::no_kvm_steal_time", "VirtMachineClass::no_secure_gpio",
                      "SpaprMachineClass::pre_5_1_assoc_refpoints",
                      "SpaprMachineClass::pre_5_2_numa_associativity"):
            assert f"No remaining machine type sets {field}" in log, field
        header = (src / "include/hw/ppc/spapr.h").read_text()
        assert "pre_5_1_assoc_refpoints" not in header
        check = run_cli("check", "--repo", str(src))
        assert check.returncode == 0, check.stdout.decode()
    finally:
        build_tree("10.2", "--reset")


def _compile_retire(release: str, targets: str, *args: str) -> str:
    """Run `retire ARGS` on the release's build tree with --build-dir: every commit is
    compiled with QEMU's own build (configured --enable-werror) before it is made.
    Returns the log of what was committed."""
    src, build = build_tree(release, "--reset", "--targets", targets)
    try:
        for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
            subprocess.run(["git", "-C", str(src), "config", key, value], check=True)
        proc = run_cli("retire", *args, "--build-dir", str(build), "--repo", str(src))
        assert proc.returncode == 0, proc.stderr.decode()
        assert "-Werror" in (build / "build.ninja").read_text()
        return subprocess.run(["git", "-C", str(src), "log", "--format=%B%n--%n%b", "-p",
                               "pristine..HEAD"], capture_output=True, text=True,
                              check=True).stdout
    finally:
        build_tree(release, "--reset", "--targets", targets)


@pytest.mark.qemu_build
@pytest.mark.realtree
def test_locals_a_fold_leaves_unused_go_and_the_commits_compile_on_7_2():
    """Debian's 7.2 tree, `retire 2.1 --family i440fx --force` (issue 26, item 2): folding
    enforce_aligned_dimm leaves `pcms` in pc_memory_pre_plug unused once `pcmc` goes, and
    folding legacy_acpi_table_size leaves `aml_len` set but never read (and `fadt`, which
    fed only it): all go, and every commit compiles with -Werror."""
    log = _compile_retire("7.2", "x86_64-softmmu", "2.1", "--family", "i440fx", "--force")
    assert "-    const PCMachineState *pcms = PC_MACHINE(hotplug_dev);\n" in log
    assert "-    size_t aml_len = 0;\n" in log
    assert "-    unsigned facs, dsdt, rsdt, fadt;\n+    unsigned facs, dsdt, rsdt;\n" in log


@pytest.mark.qemu_build
@pytest.mark.realtree
def test_a_chain_of_locals_goes_and_the_commits_compile_on_10_0():
    """Debian's 10.0 tree, `retire 3.1 --family spapr --force`: spapr_phb_plug's `smc` goes
    with dr_phb_enabled's reader, and then `spapr`, which only `smc` used."""
    log = _compile_retire("10.0", "ppc64-softmmu", "3.1", "--family", "spapr", "--force")
    assert "-    SpaprMachineState *spapr = SPAPR_MACHINE(OBJECT(hotplug_dev));\n" \
        "-    SpaprMachineClass *smc = SPAPR_MACHINE_GET_CLASS(spapr);\n" in log
