"""Issue 35: one family model.  Upstream's families and a vendor's are read into the same
records (reading/machine_types.py: a family's `MachineType`s, newest first) and judged by
the same rules: a vendor's chain and latest mark fail with the codes upstream's do.
Every expected text below was written by hand from the fixtures' code."""
from __future__ import annotations

from pathlib import Path

from scaffold.reading.reader import read_downstream, read_families
from scaffold.reading.tree import QemuTree
from scaffold.rules.chain import check_tree

VIRT = "hw/arm/virt.c"


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def _findings(root: Path, family: str) -> list[str]:
    return [str(f) for f in check_tree(QemuTree.open(root)) if f.family == family
            and f.severity == "error"]


def test_upstream_and_vendor_families_are_read_as_one_model(fixture_tree):
    tree = QemuTree.open(fixture_tree("downstream-if0"))
    vendor = {f.name: f for f in read_downstream(tree)[0]}["rhel-arm"]
    assert [(t.name, str(t.version), t.line, t.latest, t.alias, t.options, t.registered)
            for t in vendor.types] == [
        ("virt-rhel9.2.0", "rhel9.2.0", 60, True, "virt", ("rhel920_virt_options",), 60),
        ("virt-rhel9.0.0", "rhel9.0.0", 66, False, None, ("rhel900_virt_options",), 66)]
    older = vendor.types[1].functions["rhel900_virt_options"]
    assert (older.line, older.param, [(c.name, c.args, c.line) for c in older.calls]) == (
        62, "mc", [("rhel920_virt_options", ("mc",), 64)])

    tree = QemuTree.open(fixture_tree("layout-9.0"))
    arm = {f.name: f for f in read_families(tree)[0]}["arm"]
    newest, second = arm.types[:2]
    # hw/arm/virt.c of the 9.0 layout: DEFINE_VIRT_MACHINE_AS_LATEST(9, 0) marks the
    # newest; 8.2's options call 9.0's and add hw_compat_8_2
    assert (newest.name, str(newest.version), newest.latest, newest.alias, newest.default,
            newest.options) == ("virt-9.0", "9.0", True, "virt", False,
                                ("virt_machine_9_0_options",))
    assert (second.name, second.latest, second.calls["virt_machine_8_2_options"][0],
            second.adds["virt_machine_8_2_options"]) == (
        "virt-8.2", False, "virt_machine_9_0_options", ["hw_compat_8_2"])


def test_a_vendor_chain_is_judged_by_upstreams_chain_rules(fixture_tree):
    root = fixture_tree("downstream-if0")
    assert _findings(root, "rhel-arm") == []
    _edit(root, VIRT, "    rhel920_virt_options(mc);\n", "")
    assert _findings(root, "rhel-arm") == [
        "hw/arm/virt.c:62: error[C101]: rhel-arm rhel9.0.0: rhel900_virt_options does not "
        "call rhel920_virt_options (fix: call rhel920_virt_options(mc) first)"]

    root = fixture_tree("downstream-if0")
    _edit(root, VIRT, "    rhel920_virt_options(mc);\n", "    rhel920_virt_options(NULL);\n")
    assert _findings(root, "rhel-arm") == [
        "hw/arm/virt.c:64: error[C104]: rhel-arm rhel9.0.0: rhel900_virt_options passes "
        "(NULL) to rhel920_virt_options, not its own parameter mc (fix: call "
        "rhel920_virt_options(mc) first)"]


def test_a_vendor_latest_mark_is_judged_by_upstreams_latest_rules(fixture_tree):
    root = fixture_tree("downstream-if0")
    _edit(root, VIRT, "DEFINE_RHEL_MACHINE_AS_LATEST(9, 2, 0)", "DEFINE_RHEL_MACHINE(9, 2, 0)")
    assert _findings(root, "rhel-arm") == [
        "hw/arm/virt.c:60: error[C303]: rhel-arm rhel9.2.0: the newest version rhel9.2.0 is "
        "not marked as the latest (fix: move the latest/default marker to it)"]

    root = fixture_tree("downstream-if0")
    _edit(root, VIRT, "DEFINE_RHEL_MACHINE(9, 0, 0)", "DEFINE_RHEL_MACHINE_AS_LATEST(9, 0, 0)")
    assert _findings(root, "rhel-arm") == [
        "hw/arm/virt.c:66: error[C304]: rhel-arm rhel9.0.0: rhel9.0.0 is marked as the "
        "latest too (fix: unmark it)"]


def test_one_reader_reads_every_family_into_the_one_model(fixture_tree):
    """downstream-if0: upstream's arm registrations are compiled out by `#if 0` (said, not
    read), RHEL's rhel-arm types and upstream's s390x ones are live."""
    from scaffold.reading.reader import read_machines

    machines = read_machines(QemuTree.open(fixture_tree("downstream-if0")))
    assert [f.name for f in machines.families] == ["s390x", "rhel-arm"]
    assert all(f.types and f.newest is f.types[0] for f in machines.families)
    assert [(n.family, n.path) for n in machines.disabled] == [("arm", "hw/arm/virt.c")]


def test_a_familys_bump_shape_is_read_from_its_data():
    from scaffold.planning.bump import Shape, shape_of
    from scaffold.reading.families import FAMILIES, SHIPPED, read_file

    vendors = {s.name: s for p in ("rhel.toml", "ubuntu.toml") for s in read_file(SHIPPED / p)}

    class Of:   # a family as the planner sees it: its data
        def __init__(self, spec):
            self.spec = spec

    assert {shape_of(Of(s)) for s in FAMILIES} == {Shape.NUMBERED}
    assert shape_of(Of(vendors["rhel-q35"])) is Shape.COPIED
    assert shape_of(Of(vendors["ubuntu-q35"])) is Shape.CODENAME


def test_one_checklist_takes_the_steps_of_the_releases_kind(fixture_tree):
    from scaffold.commands import checklist

    vendor = checklist.context(QemuTree.open(fixture_tree("downstream-if0")), None)
    assert str(vendor.target) == "rhel9.2.0"
    assert [i.id for i in checklist.build(vendor)] == [
        "family:rhel-arm", "rebase", "check", "lint", "older-majors", "built"]
    upstream = checklist.context(QemuTree.open(fixture_tree("layout-9.2")), None)
    # layout-9.2: arm, i440fx, q35 and s390x; no lifecycle policy in its docs (one item)
    assert str(upstream.target) == "10.0"
    assert [i.id for i in checklist.build(upstream)] == [
        "array:hw", "array:pc", "family:arm", "family:i440fx", "family:q35", "family:s390x",
        "latest", "check", "lint", "checkpatch", "lifecycle", "docs", "prove", "send"]
