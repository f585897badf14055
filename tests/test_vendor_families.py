"""A distribution the tool was not written for (tests/fixtures/vendor-acme): "acme"
describes its families in the tree's .qscaffold/families.toml, registers its arm types
with a macro of its own (`DEFINE_ACME_VIRT(acme310, "acme3.1.0", true)`) beside
upstream's live virt types, and keeps its s390x types under the `#else` of an `#if 0`
that compiles upstream's out, frozen at acme 2.5.  Every expected text below was
written by hand from the fixture's code (issue 28: "write the code for the shapes")."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import run_cli, snapshot
from scaffold.errors import UsageError
from scaffold.reading.tree import QemuTree

TREE = "vendor-acme"


def _machines(root) -> dict:
    proc = run_cli("machines", "--json", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_the_vendors_families_are_read_from_its_file_and_nothing_is_silent(fixture_tree):
    report = _machines(fixture_tree(TREE))
    got = {f["name"]: (f["newest"], f["count"], f["alias"]) for f in report["downstream"]}
    assert got == {"acme-virt": ("acme3.1.0", 2, "virt-acme"),
                   "acme-s390x": ("acme2.5.0", 1, "s390-ccw-virtio")}
    assert [f["name"] for f in report["families"]] == ["arm"]   # upstream's, live
    assert report["dialect"] == ("downstream (acme): 2 families of the vendor's own machine "
                                 "types; 1 upstream family compiled out by `#if 0`")
    assert not [n for n in report["notes"] if n["code"] == "C901"]


def test_bump_writes_the_new_type_in_the_vendors_shape(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", "acme3.2.0", "--no-commit", "--repo", str(root))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert ("no new type for acme-s390x: frozen at s390-ccw-virtio-acme2.5.0, of acme2, an "
            "older major than acme3.2.0") in err
    after = snapshot(root)
    assert {p for p in after if after[p] != before[p]} == {"hw/arm/virt.c"}
    old = before["hw/arm/virt.c"].decode()
    expected = old.replace('''static void acme310_virt_options(MachineClass *mc)
{
    VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS(mc));

    acme_virt_defaults(mc);
    vmc->acme_stream = "3.1.0";
}
DEFINE_ACME_VIRT(acme310, "acme3.1.0", true)
''', '''static void acme320_virt_options(MachineClass *mc)
{
    VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS(mc));

    acme_virt_defaults(mc);
    vmc->acme_stream = "3.2.0";
}
DEFINE_ACME_VIRT(acme320, "acme3.2.0", true)

static void acme310_virt_options(MachineClass *mc)
{
    VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS(mc));

    acme320_virt_options(mc);
    vmc->acme_stream = "3.1.0";
}
DEFINE_ACME_VIRT(acme310, "acme3.1.0", false)
''')
    assert expected != old and after["hw/arm/virt.c"].decode() == expected
    families = {f["name"]: f for f in _machines(root)["downstream"]}
    assert families["acme-virt"]["newest"] == "acme3.2.0"
    assert [t["latest"] for t in families["acme-virt"]["machine_types"]] == [True, False, False]
    assert run_cli("check", "--repo", str(root)).returncode == 0


def test_the_upstream_bump_leaves_the_vendors_types_alone(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("bump", "8.2", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    virt = (root / "hw/arm/virt.c").read_text()
    assert "DEFINE_VIRT_MACHINE_AS_LATEST(8, 2)" in virt
    assert 'DEFINE_ACME_VIRT(acme310, "acme3.1.0", true)' in virt
    assert "acme320" not in virt


def test_the_rebase_makes_the_array_of_the_newest_types_and_carries_a_statement(fixture_tree):
    """acme 3.1's types add no array of their own: the rebase from 8.0 makes
    hw_compat_acme_3_1 as hw_compat_acme_3_0 is written (4-space entries, the vendor's
    comment), declares it, adds it in acme310's options (modelled on acme300's line), and
    carries virt_machine_8_0's `vmc->no_tcg_lpa2 = true;` after acme310's last
    assignment; its `vmc` declaration is the same as acme310's, so none is added."""
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("compat", "rebase", "--from", "8.0", "--to", "8.1", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    after = snapshot(root)
    assert after["hw/core/machine.c"].decode() == before["hw/core/machine.c"].decode().replace(
        "GlobalProperty hw_compat_acme_3_0[] = {",
        'GlobalProperty hw_compat_acme_3_1[] = {\n'
        '    /* from hw_compat_8_0 */\n'
        '    { "migration", "multifd-flush-after-each-section", "on"},\n'
        '};\n'
        'const size_t hw_compat_acme_3_1_len = G_N_ELEMENTS(hw_compat_acme_3_1);\n\n'
        'GlobalProperty hw_compat_acme_3_0[] = {')
    assert after["include/hw/boards.h"].decode() == before["include/hw/boards.h"].decode().replace(
        "extern GlobalProperty hw_compat_acme_3_0[];",
        "extern GlobalProperty hw_compat_acme_3_1[];\nextern const size_t hw_compat_acme_3_1_len;"
        "\n\nextern GlobalProperty hw_compat_acme_3_0[];")
    assert after["hw/arm/virt.c"].decode() == before["hw/arm/virt.c"].decode().replace(
        '    vmc->acme_stream = "3.1.0";\n}\n',
        '    vmc->acme_stream = "3.1.0";\n    vmc->no_tcg_lpa2 = true;\n'
        '    compat_props_add(mc->compat_props, hw_compat_acme_3_1, hw_compat_acme_3_1_len);\n'
        '}\n')
    assert after["hw/s390x/s390-virtio-ccw.c"] == before["hw/s390x/s390-virtio-ccw.c"]
    again = run_cli("compat", "rebase", "--from", "8.0", "--to", "8.1", "--repo", str(root))
    assert again.returncode == 0 and "nothing to do" in again.stderr.decode()
    assert snapshot(root) == after


def test_a_family_the_vendor_continues_by_data_is_bumped_though_of_an_older_major(fixture_tree):
    root = fixture_tree(TREE)
    families = root / ".qscaffold/families.toml"
    families.write_text(families.read_text().replace(
        'alias = "s390-ccw-virtio"\n', 'alias = "s390-ccw-virtio"\ncontinued = true\n'))
    proc = run_cli("bump", "acme3.2.0", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    ccw = (root / "hw/s390x/s390-virtio-ccw.c").read_text()
    assert ('static void ccw_machine_acme320_instance_options(MachineState *machine)\n{\n}\n\n'
            'static void ccw_machine_acme320_class_options(MachineClass *mc)\n{\n}\n'
            'DEFINE_CCW_MACHINE(acme320, "acme3.2.0", true);\n\n'
            'static void ccw_machine_acme250_instance_options(MachineState *machine)\n{\n'
            '    ccw_machine_acme320_instance_options(machine);\n}\n\n'
            'static void ccw_machine_acme250_class_options(MachineClass *mc)\n{\n'
            '    ccw_machine_acme320_class_options(mc);\n'
            '    compat_props_add(mc->compat_props, hw_compat_acme_2_5, '
            'hw_compat_acme_2_5_len);\n}\n'
            'DEFINE_CCW_MACHINE(acme250, "acme2.5.0", false);\n#endif\n') in ccw


def test_a_function_left_open_is_said_and_nothing_is_bumped(fixture_tree):
    """A careless edit (acme310's closing brace deleted) hides the rest of the file from
    the parser: the bump says where, in one line, and changes nothing."""
    root = fixture_tree(TREE)
    virt = root / "hw/arm/virt.c"
    text = virt.read_text()
    broken = text.replace('    vmc->acme_stream = "3.1.0";\n}\n', '    vmc->acme_stream = "3.1.0";\n', 1)
    assert broken != text
    virt.write_text(broken)
    before = snapshot(root)
    proc = run_cli("bump", "acme3.2.0", "--no-commit", "--repo", str(root))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1, err
    assert "hw/arm/virt.c:" in err and "acme-virt" in err and "never closed" in err
    assert snapshot(root) == before


def test_upstreams_families_are_data_in_the_vendors_format():
    """Issue 35: families/upstream.toml, the keys a vendor's file uses (name, file, macro,
    machine, options) and upstream's own; an options kind's role and parameter read from
    its name as QEMU names them."""
    import tomllib

    from scaffold.reading.families import SHIPPED
    from scaffold.reading.families import FAMILIES, OTHER_TYPES

    data = tomllib.loads((SHIPPED / "upstream.toml").read_text())
    vendor = tomllib.loads((SHIPPED / "rhel.toml").read_text())["family"][0]
    shared = {"name", "file", "macro", "machine", "options"}
    assert all(shared <= set(t) and shared <= set(vendor) for t in data["family"])
    assert [f.name for f in FAMILIES] == ["arm", "i440fx", "loongarch", "m68k", "q35", "s390x",
                                          "spapr"]
    s390x = next(f for f in FAMILIES if f.name == "s390x")
    assert [(k.role, k.param_type, k.adds_compat) for k in s390x.kinds] == [
        ("instance_options", "MachineState", False), ("class_options", "MachineClass", True)]
    q35 = next(f for f in FAMILIES if f.name == "q35")
    assert (q35.machine, q35.prefix, q35.arch, q35.arrays, q35.options,
            q35.class_kind.match("pc_q35_9_0_machine_options") is not None) == (
        "pc-q35-{version}", "pc-q35", "i386", ("hw", "pc"),
        ("pc_q35_machine_{major}_{minor}_options",), True)
    assert (q35.is_upstream, q35.vendor, q35.type_name("10.2")) == (True, "", "pc-q35-10.2")
    assert OTHER_TYPES == {"hw/i386/pc_piix.c": ("isapc", "xenfv-4.2", "xenfv-3.1")}


def test_upstream_toml_is_not_read_as_a_vendors_file(fixture_tree):
    from scaffold.reading.family_files import load_specs

    specs = load_specs(QemuTree.open(fixture_tree("layout-9.0")))
    assert {s.vendor for s in specs} == {"rhel", "ubuntu"}


def test_one_family_model_for_upstream_and_every_vendor(fixture_tree):
    """Issue 35: upstream's families and a vendor's are one record, read by one loader
    (one [[family]] parser: its checks name the file and the family either way)."""
    from scaffold.reading.families import FAMILIES, FamilySpec, family_spec
    from scaffold.reading.family_files import all_specs

    tree = QemuTree.open(fixture_tree("layout-9.0"))
    specs = all_specs(tree)
    assert {type(s) for s in specs} == {FamilySpec}
    assert [s.name for s in specs[:len(FAMILIES)]] == [f.name for f in FAMILIES]
    rhel_q35 = next(s for s in specs if s.name == "rhel-q35")
    assert (rhel_q35.is_upstream, rhel_q35.upstream, rhel_q35.machine, rhel_q35.kinds) == (
        False, "q35", "{1}", ())
    bad = {"name": "x", "file": "hw/i386/x.c", "macro": "M", "machine": "x", "options": ["y"]}
    for vendor, needs in (("", "ends in -{version}"), ("acme", "missing upstream, latest")):
        with pytest.raises(UsageError, match=rf"f.toml: family 1.*{re.escape(needs)}"):
            family_spec(bad, Path("f.toml"), 0, vendor)


def test_a_families_file_of_the_wrong_shape_is_one_line(fixture_tree):
    """`family = 3` (not [[family]] tables) was an internal error from the loader."""
    root = fixture_tree(TREE)
    own = root / ".qscaffold/families.toml"
    own.write_text('vendor = "acme"\nfamily = 3\n')
    before = snapshot(root)
    proc = run_cli("machines", "--repo", str(root))
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "internal error" not in err, err
    assert "families.toml: `family` is a list of [[family]] tables" in err
    assert snapshot(root) == before
