"""Bumps of hand-written fixture trees for the layouts no Debian package carries.

Each fixture's expected files (tests/fixtures/<name>/after/) were written by hand from
QEMU-FACTS.md's description of the layout (and how upstream's bumps of that era looked);
the test compares whole files.
"""
from __future__ import annotations

import pytest

from helpers import FIXTURES, run_cli, snapshot
from scaffold.planning.bump import plan_bump
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

# Each fixture's bump: the release, and the families the plan names.  The expected files
# are tests/fixtures/<name>/after/ (as LibCST's codemod tests keep before and after
# text): every file there is the bumped file, byte for byte, and every other file of
# before/ stays as it is.  They were written by hand from QEMU-FACTS.md's description of
# each layout (as hunks on before/, until issue 38 moved them into the trees).
#   layout-8.1 to 8.2: the first bump after upstream stopped resetting the alias in every
#               older version; the newest body has more than the alias lines (pcmc...)
#   layout-9.0 to 9.1: tagged x86 macros, the alias reset moves from 8.2 to 9.0;
#               spapr/s390x "(A_B, "A.B", true|false)", m68k "(A, B, true|false)", arm
#               _AS_LATEST
#   layout-9.2 to 10.0: x86 "DEFINE_I440FX_MACHINE(A, B);" with alias lines (the 9.2
#               bump's mid layout), everything else _AS_LATEST
#   layout-11.2 to 12.0: boards.h in include/hw/core/, loongarch versioned, a
#               distribution's own types in pc_piix.c / pc_q35.c (untouched), riscv unknown
CASES = {
    "layout-8.1": ("8.2", ["i440fx", "q35"]),
    "layout-9.0": ("9.1", ["arm", "i440fx", "m68k", "q35", "s390x", "spapr"]),
    "layout-9.2": ("10.0", ["arm", "i440fx", "q35", "s390x"]),
    "layout-11.2": ("12.0", ["arm", "i440fx", "loongarch", "q35"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_bump_is_exact(name, fixture_tree):
    target, families = CASES[name]
    root = fixture_tree(name)
    before = snapshot(root)
    proc = run_cli("bump", target, "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    after = snapshot(root)
    expected = snapshot(FIXTURES / name / "after")
    assert {p for p in after if after[p] != before[p]} == set(expected)
    for path, data in expected.items():
        assert after[path] == data, path
    plan = plan_bump(QemuTree.open(FIXTURES / name / "before"), Version.parse(target))
    assert plan.families == families


def test_commit_message_lists_loongarch():
    from scaffold.commands.bump import message_for

    plan = plan_bump(QemuTree.open(FIXTURES / "layout-11.2" / "before"), Version(12, 0))
    message = message_for(plan, None, False)
    assert "Add 12.0 machine types for arm/i440fx/loongarch/q35." in message


def test_unknown_family_and_downstream_types_are_named_not_touched():
    root = FIXTURES / "layout-11.2" / "before"
    proc = run_cli("bump", "12.0", "--dry-run", "--repo", str(root))
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "hw/riscv/virt.c:15: warning[C901]: DEFINE_VIRT_MACHINE_AS_LATEST(11, 2) registers " \
           "a machine type no family describes: not read, not checked, not bumped" in err
    assert "hw/i386/pc_q35.c:67: warning[C901]: DEFINE_RHEL_Q35_MACHINE(10, 2, ...) " in err
    diff = proc.stdout.decode()
    assert "riscv" not in diff and "rhel" not in diff and "resolute" not in diff


def test_layout_detection():
    from scaffold.reading.machines import reset_convention
    from scaffold.reading.reader import read_families

    forms = {}
    for name in CASES:
        for family in read_families(QemuTree.open(FIXTURES / name / "before"))[0]:
            forms[(name, family.name)] = (family.layout, reset_convention(family))
    assert forms[("layout-9.0", "i440fx")] == ("tagged", "second")
    assert forms[("layout-9.0", "spapr")] == ("flag", "none")
    assert forms[("layout-9.0", "m68k")] == ("flag_num", "none")
    assert forms[("layout-9.2", "q35")] == ("plain", "second")
    assert forms[("layout-11.2", "loongarch")] == ("latest", "none")
