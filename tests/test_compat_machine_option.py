"""`compat machine-option` with declarations: the seed's s390x CPU-model example (issue 22).

Expectations are written by hand from upstream's commit 9f17bfdab4 ("target/s390x: support
SHA-512 extensions"), which gave ccw_machine_7_1_instance_options a local feature list
(declared first, a blank line after it) and the call that uses it (after the chain call).
"""
from __future__ import annotations

import pytest

from helpers import expected_file, linked_copy, real_tree, run_cli, snapshot
from scaffold.errors import UsageError
from scaffold.planning.compat_edit import plan_machine_option, split_snippet
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

TREE = "s390x-cpu-model"
CCW = "hw/s390x/s390-virtio-ccw.c"
DECLARATION = "static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };"
STATEMENT = "s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);"
# ccw_machine_7_1_instance_options before and after upstream's commit
BEFORE_7_1 = """static void ccw_machine_7_1_instance_options(MachineState *machine)
{
    ccw_machine_7_2_instance_options(machine);
    s390_cpudef_featoff_greater(16, 1, S390_FEAT_PAIE);
}
"""
AFTER_7_1 = """static void ccw_machine_7_1_instance_options(MachineState *machine)
{
    static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };

    ccw_machine_7_2_instance_options(machine);
    s390_cpudef_featoff_greater(16, 1, S390_FEAT_PAIE);
    s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);
}
"""


def machine_option(root, *args: str):
    return run_cli("compat", "machine-option", "--repo", str(root), *args)


def test_a_declaration_and_its_statement_land_together(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = machine_option(root, "--family", "s390x", "--instance", DECLARATION, STATEMENT)
    assert proc.returncode == 0, proc.stderr.decode()
    after = snapshot(root)
    assert {p for p in after if after[p] != before[p]} == {CCW}
    assert after[CCW] == expected_file(before[CCW], [(BEFORE_7_1, AFTER_7_1)], CCW)


def test_pieces_from_a_snippet_keep_their_comment(fixture_tree, tmp_path):
    root = fixture_tree(TREE)
    before = snapshot(root)
    snippet = tmp_path / "cpu-model.c"
    snippet.write_text(f"/* the 7.1 CPU model */\n{DECLARATION}\n\n    {STATEMENT}\n")
    proc = machine_option(root, "--family", "s390x", "--instance", "--from", str(snippet))
    assert proc.returncode == 0, proc.stderr.decode()
    expected = AFTER_7_1.replace("{\n    static", "{\n    /* the 7.1 CPU model */\n    static")
    assert snapshot(root)[CCW] == expected_file(before[CCW], [(BEFORE_7_1, expected)], CCW)


def test_a_multi_line_declaration_is_indented_as_the_body(fixture_tree):
    """ccw_machine_7_0_class_options declares nothing: the family's class cast and the
    given array come first, then a blank line; the statements follow the chain call."""
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = machine_option(root, "--family", "s390x", "--release", "7.0",
                          'static GlobalProperty compat[] = {\n'
                          '        { TYPE_S390_PCI_DEVICE, "interpret", "off", },\n    };',
                          "compat_props_add(mc->compat_props, compat, G_N_ELEMENTS(compat));",
                          "s390mc->max_threads = 2;")
    assert proc.returncode == 0, proc.stderr.decode()
    assert snapshot(root)[CCW] == expected_file(before[CCW], [(
        """static void ccw_machine_7_0_class_options(MachineClass *mc)
{
    ccw_machine_7_1_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_7_0, hw_compat_7_0_len);
""", """static void ccw_machine_7_0_class_options(MachineClass *mc)
{
    S390CcwMachineClass *s390mc = S390_CCW_MACHINE_CLASS(mc);
    static GlobalProperty compat[] = {
        { TYPE_S390_PCI_DEVICE, "interpret", "off", },
    };

    ccw_machine_7_1_class_options(mc);
    compat_props_add(mc->compat_props, compat, G_N_ELEMENTS(compat));
    s390mc->max_threads = 2;
    compat_props_add(mc->compat_props, hw_compat_7_0, hw_compat_7_0_len);
""")], CCW)


def test_a_declaration_joins_the_leading_ones_of_a_function_with_a_cast(fixture_tree):
    """ccw_machine_7_1_class_options starts with its cast and a static array: a new
    declaration goes after them, before the blank line that is already there."""
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = machine_option(root, "--family", "s390x",
                          'static GlobalProperty more[] = { { "diag288", "x", "off" } };',
                          "compat_props_add(mc->compat_props, more, G_N_ELEMENTS(more));")
    assert proc.returncode == 0, proc.stderr.decode()
    assert snapshot(root)[CCW] == expected_file(before[CCW], [(
        """        { TYPE_S390_PCI_DEVICE, "forwarding-assist", "off", },
    };

    ccw_machine_7_2_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_7_1""",
        """        { TYPE_S390_PCI_DEVICE, "forwarding-assist", "off", },
    };
    static GlobalProperty more[] = { { "diag288", "x", "off" } };

    ccw_machine_7_2_class_options(mc);
    compat_props_add(mc->compat_props, more, G_N_ELEMENTS(more));
    compat_props_add(mc->compat_props, hw_compat_7_1""")], CCW)


@pytest.mark.parametrize("pieces, message", [
    ((STATEMENT,), "`qemu_cpu_feat` is declared in ccw_machine_7_0_instance_options "
                   f"({CCW}:55), not in ccw_machine_7_1_instance_options"),
    (("s390_set_qemu_cpu_model(0x8561, 15, 1, my_feat);",),
     f"`my_feat` is declared nowhere in ccw_machine_7_1_instance_options or {CCW}"),
    # defined in a header of the tree that nothing the file includes reaches
    (("machine->maxram_size = 2047 * PiB;",),
     f"`PiB` is declared nowhere in ccw_machine_7_1_instance_options or {CCW}"),
    ((DECLARATION,), "declares qemu_cpu_feat, which no statement uses"),
    (("int x = 1;",), "declares x, which no statement uses"),
    ((DECLARATION, "int a; a = 1;"), "not one C statement or declaration"),
])
def test_refused_pieces_change_nothing(fixture_tree, pieces, message):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = machine_option(root, "--family", "s390x", "--instance", *pieces)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and message in err, err
    assert snapshot(root) == before


def test_a_name_declared_twice_is_refused(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = machine_option(root, "--family", "s390x", "static GlobalProperty compat[] = {};",
                          "compat_props_add(mc->compat_props, compat, 0);")
    assert proc.returncode == 1
    assert f"{CCW}:40: s390x: ccw_machine_7_1_class_options already declares compat" in \
        proc.stderr.decode()
    assert snapshot(root) == before


def test_pieces_already_there_are_nothing_to_do(fixture_tree):
    root = fixture_tree(TREE)
    assert machine_option(root, "--family", "s390x", "--instance", DECLARATION,
                          STATEMENT).returncode == 0
    again = machine_option(root, "--family", "s390x", "--instance", DECLARATION, STATEMENT)
    assert again.returncode == 0 and "nothing to do" in again.stderr.decode()


def test_split_snippet():
    assert split_snippet(f"// a\n{DECLARATION}\n\nif (x) {{\n    y();\n}}\n") == \
        [f"// a\n{DECLARATION}", "if (x) {\n    y();\n}"]
    with pytest.raises(UsageError, match="syntax error"):
        split_snippet("a = (;")
    with pytest.raises(UsageError, match="no C statement"):
        split_snippet("/* only a comment */")


@pytest.mark.realtree
def test_upstreams_sha512_commit_byte_for_byte(tmp_path):
    """The 7.2 tree with the commit's lines taken out, given the commit's two pieces, is
    the 7.2 tree again."""
    root = linked_copy(real_tree("7.2"), tmp_path / "qemu")
    path = root / CCW
    released = path.read_bytes()
    assert AFTER_7_1.encode() in released
    path.unlink()   # a hard link into the cache: replace it, never write through it
    path.write_bytes(released.replace(AFTER_7_1.encode(), BEFORE_7_1.encode()))
    tree = QemuTree.open(root)
    plan = plan_machine_option(tree, [DECLARATION, STATEMENT], ["s390x"], False,
                               release=Version(7, 1), instance=True)
    assert plan.contents(tree)[CCW][1] == released


@pytest.mark.realtree
def test_an_older_release_of_the_10_2_tree():
    tree = QemuTree.open(real_tree("10.2"))
    declaration = "static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };"
    plan = plan_machine_option(tree, [declaration, STATEMENT], ["s390x"], False,
                               release=Version(9, 1), instance=True)
    old, new = plan.contents(tree)[CCW]
    assert new == old.replace(
        b"{\n    ccw_machine_9_2_instance_options(machine);\n}\n",
        b"{\n    " + declaration.encode() + b"\n\n    ccw_machine_9_2_instance_options(machine);\n"
        b"    " + STATEMENT.encode() + b"\n}\n")
    assert new != old


def test_a_name_from_a_header_the_file_includes_is_declared(fixture_tree):
    """Upstream's 10.1-cycle statement `mc->smbios_memory_device_size = 2047 * TiB;` (issue
    26, item 3): `TiB` comes from qemu/units.h, which the file reaches through
    qemu/osdep.h and another header; it is not "declared nowhere"."""
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = machine_option(root, "--family", "s390x", "mc->smbios_memory_device_size = 2047 * TiB;")
    assert proc.returncode == 0, proc.stderr.decode()
    after = snapshot(root)
    assert after[CCW] == expected_file(before[CCW], [(
        "    ccw_machine_7_2_class_options(mc);\n",
        "    ccw_machine_7_2_class_options(mc);\n    mc->smbios_memory_device_size = 2047 * TiB;\n")],
        CCW)
