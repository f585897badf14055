"""A downstream fork's tree (issue 19): upstream's arm virt types compiled out with `#if 0`,
the fork's own types registered after them.  Registrations `#if 0` disables are not the
tree's machine types: they are left alone, said in one line, and never a syntax error."""
from __future__ import annotations

from helpers import run_cli, snapshot
from scaffold.rules.chain import check_tree
from scaffold.reading.tree import QemuTree

TREE = "downstream-if0"
NOTE = ("hw/arm/virt.c:34: info[C902]: arm: 3 DEFINE_VIRT_MACHINE registrations disabled by `#if 0` "
        "(a downstream tree): left alone")


def test_the_live_families_are_bumped_and_the_disabled_ones_left_alone(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", "8.2", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    assert f"qscaffold: {NOTE}" in proc.stderr.decode()
    after = snapshot(root)
    assert {p for p in after if after[p] != before[p]} == {
        "hw/core/machine.c", "include/hw/boards.h", "hw/s390x/s390-virtio-ccw.c"}
    assert b"DEFINE_CCW_MACHINE(8_2, \"8.2\", true);" in after["hw/s390x/s390-virtio-ccw.c"]
    findings = check_tree(QemuTree.open(root))
    assert not [f for f in findings if f.severity in ("error", "pending")]
    disabled = [f for f in findings if f.kind == "family-disabled"]
    assert [(f.severity, f.path, f.line) for f in disabled] == [("info", "hw/arm/virt.c", 34)]


def test_machines_names_no_arm_family(fixture_tree):
    report = run_cli("machines", "--repo", str(fixture_tree(TREE))).stdout.decode()
    assert not any(line.startswith("arm ") for line in report.splitlines())
    assert NOTE in report


def test_a_brace_missing_in_compiled_out_code_is_no_error(fixture_tree):
    root = fixture_tree(TREE)
    virt = root / "hw/arm/virt.c"
    virt.write_text(virt.read_text().replace(
        "    compat_props_add(mc->compat_props, hw_compat_8_0, hw_compat_8_0_len);\n}\n",
        "    compat_props_add(mc->compat_props, hw_compat_8_0, hw_compat_8_0_len);\n", 1))
    proc = run_cli("check", "--repo", str(root))
    assert proc.returncode == 1 and b"pending" in proc.stdout and b"error" not in proc.stdout


def test_a_real_missing_brace_is_still_an_error(fixture_tree):
    root = fixture_tree(TREE)
    ccw = root / "hw/s390x/s390-virtio-ccw.c"
    ccw.write_text(ccw.read_text().replace(
        "    ccw_machine_8_1_class_options(mc);\n    compat_props_add(mc->compat_props, "
        "hw_compat_8_0, hw_compat_8_0_len);\n}\n",
        "    ccw_machine_8_1_class_options(mc);\n    compat_props_add(mc->compat_props, "
        "hw_compat_8_0, hw_compat_8_0_len);\n", 1))
    before = snapshot(root)
    proc = run_cli("bump", "8.2", "--no-commit", "--repo", str(root))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "hw/s390x/s390-virtio-ccw.c:" in err and "s390x" in err
    assert "brace is never closed" in err and snapshot(root) == before


def test_compat_rebase_refuses_what_it_cannot_do_in_one_line(fixture_tree):
    """An upstream tree has no distribution's types; the bases must come in order; a tree
    without any vendor array has none to copy into nor to model a new one on.  Nothing
    written."""
    upstream = fixture_tree("layout-9.0")
    downstream = fixture_tree(TREE)
    bare = fixture_tree(TREE)
    for rel, text in (("hw/core/machine.c", "GlobalProperty hw_compat_rhel_9_2[] = {};\n"
                       "const size_t hw_compat_rhel_9_2_len = G_N_ELEMENTS(hw_compat_rhel_9_2);\n\n"),
                      ("include/hw/boards.h", "extern GlobalProperty hw_compat_rhel_9_2[];\n"
                       "extern const size_t hw_compat_rhel_9_2_len;\n\n")):
        path = bare / rel
        assert text in path.read_text()
        path.write_text(path.read_text().replace(text, ""))
    for root, args, says in (
            (upstream, ("--from", "8.1", "--to", "9.0"), "registers no distribution's"),
            (downstream, ("--from", "8.2", "--to", "8.1"), "the old base comes first"),
            (bare, ("--from", "7.2", "--to", "8.1"), "no hw_compat_rhel_X_Y array in the tree")):
        before = snapshot(root)
        proc = run_cli("compat", "rebase", *args, "--repo", str(root))
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.count("\n") == 1 and says in err, err
        assert snapshot(root) == before
