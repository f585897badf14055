"""QEMU's own proof (issue 11): the result compiles with the tree's build, the binary lists
the new machine types, and scripts/compare-machine-types.py agrees.

Uses the cached build of Debian's 10.2 tree (scripts/qemu-build): the first run pays the
full build (about 5 minutes on 2 cores), later runs recompile the touched files and relink.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_tree, ninja, run_cli

pytestmark = [pytest.mark.qemu_build, pytest.mark.realtree]


def qemu_build(*args: str) -> tuple[Path, Path]:
    return build_tree("10.2", *args)


@pytest.fixture(scope="module")
def work():
    src, build = qemu_build("--reset", "qemu-system-x86_64")
    for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
        subprocess.run(["git", "-C", str(src), "config", key, value], check=True)
    yield src, build
    qemu_build("--reset")


def machines(build: Path) -> dict[str, dict]:
    """QMP query-machines of the x86_64 binary (through qemu.qmp, as prove asks)."""
    from scaffold.running.qemu import Qemu

    with Qemu(build / "qemu-system-x86_64", ["-machine", "none", "-accel", "tcg",
                                            "-nodefaults", "-display", "none"], "x86_64") as vm:
        return {m["name"]: m for m in vm.cmd("query-machines")}


def compare(src: Path, build: Path, a: str, b: str) -> list[dict]:
    """Rows of scripts/compare-machine-types.py: the properties that differ."""
    proc = subprocess.run([sys.executable, str(src / "scripts/compare-machine-types.py"),
                           "--mt", a, b, "--qemu-binary", str(build / "qemu-system-x86_64"),
                           "--qemu-args", "-machine none -accel tcg", "--format", "json"],
                          capture_output=True, text=True, cwd=src, timeout=300)
    assert proc.returncode == 0, proc.stderr
    if not proc.stdout.strip():
        return []
    table = json.loads(proc.stdout)
    rows = table.get("Driver", {})
    return [{column: table[column][i] for column in table} for i in rows]


def test_bump_compiles_and_the_binary_lists_the_new_types(work):
    src, build = work
    objects = ["libsystem_arm.a.p/hw_arm_virt.c.o", "libqemu-m68k-softmmu.a.p/hw_m68k_virt.c.o",
               "libqemu-s390x-softmmu.a.p/hw_s390x_s390-virtio-ccw.c.o",
               "libqemu-ppc64-softmmu.a.p/hw_ppc_spapr.c.o",
               "libqemu-x86_64-softmmu.a.p/hw_i386_pc_q35.c.o", "libsystem.a.p/hw_core_machine.c.o"]
    before = {o: (build / o).stat().st_mtime if (build / o).exists() else 0 for o in objects}
    proc = run_cli("bump", "11.0", "--build-dir", str(build), "--verbose", "--repo", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "compile hw/arm/virt.c, hw/core/machine.c, hw/i386/pc.c, hw/i386/pc_piix.c, " \
           "hw/i386/pc_q35.c, hw/m68k/virt.c, hw/ppc/spapr.c, hw/s390x/s390-virtio-ccw.c" \
        in proc.stderr.decode()
    # the touched objects of every target with versioned machine types were compiled
    assert all((build / o).stat().st_mtime > before[o] for o in objects)
    ninja(build, "qemu-system-x86_64")
    help_text = subprocess.run([str(build / "qemu-system-x86_64"), "-machine", "help"],
                               capture_output=True, text=True).stdout
    lines = {line.split()[0]: line for line in help_text.splitlines()[1:] if line.strip()}
    assert "(alias of pc-i440fx-11.0)" in lines["pc"]
    assert "(alias of pc-q35-11.0)" in lines["q35"]
    assert lines["pc-i440fx-11.0"].endswith("(default)")
    found = machines(build)
    assert found["pc-i440fx-11.0"]["is-default"] is True and found["pc-i440fx-11.0"]["alias"] == "pc"
    assert found["pc-q35-11.0"]["alias"] == "q35" and not found["pc-q35-11.0"].get("is-default")
    assert "alias" not in found["pc-i440fx-10.2"] and "alias" not in found["pc-q35-10.2"]
    assert found["pc-q35-11.0"]["deprecated"] is False
    # an empty compat array changes nothing: 10.2 and 11.0 have the same properties
    for family in ("pc-q35", "pc-i440fx"):
        assert compare(src, build, f"{family}-10.2", f"{family}-11.0") == [], family
    # while 10.1 differs from 10.2 by what hw_compat_10_1 / pc_compat_10_1 say
    assert compare(src, build, "pc-q35-10.1", "pc-q35-10.2") != []


def test_compat_add_shows_exactly_that_property(work):
    src, build = work
    proc = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--build-dir",
                   str(build), "--repo", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    ninja(build, "qemu-system-x86_64")
    rows = compare(src, build, "pc-q35-10.2", "pc-q35-11.0")
    assert [(r["Driver"], r["Property"]) for r in rows] == [("virtio-blk-device", "num-queues")]
    old = next(v for k, v in rows[0].items() if k not in ("Driver", "Property") and "10.2" in k)
    assert str(old) == "1"


def test_machine_option_compiles(work):
    src, build = work
    proc = run_cli("compat", "machine-option", "pcmc->pvh_enabled = false;", "--family", "q35",
                   "--build-dir", str(build), "--repo", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"PCMachineClass *pcmc = PC_MACHINE_CLASS(m);" in (src / "hw/i386/pc_q35.c").read_bytes()


def test_a_declaration_and_its_statement_compile_for_s390x(work):
    """Issue 22's s390x example, on an older release of the 10.2 tree, compiled for the
    s390x target (the feature list of 7.1 exists in every later tree)."""
    src, build = work
    proc = run_cli("compat", "machine-option", "--family", "s390x", "--instance", "--release",
                   "9.1", "static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };",
                   "s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);",
                   "--build-dir", str(build), "--repo", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"    static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };\n\n" \
        b"    ccw_machine_9_2_instance_options(machine);\n" in (src / "hw/s390x/s390-virtio-ccw.c").read_bytes()
    subprocess.run(["git", "-C", str(src), "checkout", "-q", "--", "hw/s390x/s390-virtio-ccw.c"], check=True)


def test_a_compile_error_puts_every_file_back(work):
    src, build = work
    before = (src / "hw/i386/pc_q35.c").read_bytes()
    proc = run_cli("compat", "machine-option", "pcmc->no_such_field = true;", "--family", "q35",
                   "--build-dir", str(build), "--repo", str(src))
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("qscaffold: error: hw/i386/pc_q35.c:"), err
    assert "no_such_field" in err and "every file was put back" in err
    assert (src / "hw/i386/pc_q35.c").read_bytes() == before


def test_every_retire_commit_compiles_and_no_visible_type_changes(work):
    src, build = qemu_build("--reset", "qemu-system-x86_64")
    before = machines(build)
    proc = run_cli("retire", "--build-dir", str(build), "--verbose", "--repo", str(src))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    err = proc.stderr.decode()
    # one compile before each of the 28 commits (werror: an unused static would fail)
    assert err.count("\n    compile hw/") == 28 and "[28/28] hw/i386/pc: Remove pc_compat_3_0[]" in err
    log = subprocess.run(["git", "-C", str(src), "log", "--format=%s", "pristine..HEAD"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(log) == 28
    ninja(build, "qemu-system-x86_64")
    after = machines(build)
    # the retired types were not registered any more (past deletion): the binary lists
    # exactly the machine types it listed before, with the same aliases and defaults
    assert not any(name.startswith(("pc-q35-2.", "pc-q35-4.", "pc-i440fx-2.")) for name in after)
    assert {n: (m.get("alias"), m.get("is-default"), m["deprecated"]) for n, m in after.items()} == \
        {n: (m.get("alias"), m.get("is-default"), m["deprecated"]) for n, m in before.items()}
    assert "pc-q35-5.0" in after and "pc-i440fx-5.0" in after
