"""Every rule of the catalogue fires on a tree made to break it, and stays quiet on the
tree it was made from (as in ruff: each rule has its fixtures).  docs/rules.md is the
catalogue's table, and `check --explain` prints each rule's why."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import REPO, real_tree, run_cli
from scaffold.rules import catalogue as rules
from scaffold.rules.registry import SEVERITIES
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option
from scaffold.rules.chain import check_tree
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

ARM, Q35, S390 = "hw/arm/virt.c", "hw/i386/pc_q35.c", "hw/s390x/s390-virtio-ccw.c"
MACHINE, BOARDS = "hw/core/machine.c", "include/hw/boards.h"
ADD_8_2 = "    compat_props_add(mc->compat_props, hw_compat_8_2, hw_compat_8_2_len);\n"
ADD_8_1 = "    compat_props_add(mc->compat_props, hw_compat_8_1, hw_compat_8_1_len);\n"
ARRAY_8_1 = ('GlobalProperty hw_compat_8_1[] = {\n'
             '    { TYPE_PCI_BRIDGE, "x-pci-express-writeable-slt-bug", "true" },\n};\n'
             'const size_t hw_compat_8_1_len = G_N_ELEMENTS(hw_compat_8_1);\n')
ARRAY_8_2 = ('GlobalProperty hw_compat_8_2[] = {\n'
             '    { "migration", "zero-page-detection", "legacy"},\n'
             '    { TYPE_VIRTIO_IOMMU_PCI, "granule", "4k" },\n};\n'
             'const size_t hw_compat_8_2_len = G_N_ELEMENTS(hw_compat_8_2);\n')

# code: (fixture, [(file, old text, new text)]) -- `check` on layout-9.0 (clean) as changed
CHECK = {
    "C101": [(ARM, "    virt_machine_9_0_options(mc);\n", "")],
    "C102": [(Q35, "    pc_q35_9_0_machine_options(m);\n", "    pc_q35_machine_options(m);\n")],
    "C103": [(ARM, "    virt_machine_8_2_options(mc);\n", "    virt_machine_9_0_options(mc);\n")],
    "C104": [(ARM, "    virt_machine_8_2_options(mc);\n", "    virt_machine_8_2_options(NULL);\n")],
    "C201": [(ARM, ADD_8_2, "")],
    "C202": [(ARM, ADD_8_2, ADD_8_2 * 2)],
    "C203": [(ARM, "virt_machine_9_0_options(MachineClass *mc)\n{\n}",
              "virt_machine_9_0_options(MachineClass *mc)\n{\n" + ADD_8_1 + "}")],
    "C301": [(S390, "    ccw_machine_8_2_instance_options(machine);\n", ""),
             (S390, "static void ccw_machine_8_1_instance_options(MachineState *machine)\n{\n",
              "static void ccw_machine_8_1_other(MachineState *machine)\n{\n")],
    "C302": [(ARM, "DEFINE_VIRT_MACHINE(8, 2)\n", "")],
    "C303": [(ARM, "DEFINE_VIRT_MACHINE_AS_LATEST(9, 0)", "DEFINE_VIRT_MACHINE(9, 0)")],
    "C304": [(ARM, "DEFINE_VIRT_MACHINE(8, 2)", "DEFINE_VIRT_MACHINE_AS_LATEST(8, 2)")],
    "C305": [(ARM, "virt_machine_8_1_options(MachineClass", "virt_machine_18_1_options(MachineClass")],
    "C401": [(MACHINE, "const size_t hw_compat_8_2_len = G_N_ELEMENTS(hw_compat_8_2);\n", "")],
    "C402": [(BOARDS, "extern GlobalProperty hw_compat_8_2[];\nextern const size_t hw_compat_8_2_len;\n", "")],
    "C403": [(MACHINE, ARRAY_8_1, "")],
    "C404": [(BOARDS, "#endif", "extern GlobalProperty hw_compat_7_0[];\n"
              "extern const size_t hw_compat_7_0_len;\n\n#endif")],
    "C405": [(BOARDS, "extern const size_t hw_compat_8_2_len;\n", "")],
    "C406": [(ARM, ADD_8_1, ADD_8_1.replace("8_1", "7_1"))],
    "C407": [(MACHINE, ARRAY_8_1, ARRAY_8_1 + ARRAY_8_1.replace("8_1", "7_0")),
             (BOARDS, "#endif", "extern GlobalProperty hw_compat_7_0[];\n"
              "extern const size_t hw_compat_7_0_len;\n\n#endif")],
    "C501": [(ARM, "static void virt_machine_9_0_options(MachineClass *mc)\n{\n}\n"
              "DEFINE_VIRT_MACHINE_AS_LATEST(9, 0)\n", ""),
             (ARM, "    virt_machine_9_0_options(mc);\n", ""),
             (ARM, "DEFINE_VIRT_MACHINE(8, 2)", "DEFINE_VIRT_MACHINE_AS_LATEST(8, 2)"),
             (ARM, ADD_8_2, "")],
    "C502": [(MACHINE, ARRAY_8_2, "")],
    "C503": [("VERSION", "9.0.0", "9.0.50")],
    "C504": [("VERSION", "9.0.0", "8.1.50")],
}
# Rules the fixtures above cannot show: on the tree named, unchanged.
SEEN_ON = {"C901": "downstream-if0", "C902": "downstream-if0"}


def changed_root(fixture_tree, name: str, changes) -> Path:
    root = fixture_tree(name)
    for path, old, new in changes:
        text = (root / path).read_text()
        assert text.count(old) == 1, (path, old)
        (root / path).write_text(text.replace(old, new))
    return root


def changed(fixture_tree, name: str, changes) -> QemuTree:
    return QemuTree.open(changed_root(fixture_tree, name, changes))


def codes(findings) -> set[str]:
    return {f.code for f in findings}


@pytest.mark.parametrize("code", sorted(CHECK))
def test_a_check_rule_fires_on_its_mistake_and_only_there(code, fixture_tree):
    quiet = check_tree(changed(fixture_tree, "layout-9.0", []))
    assert code not in codes(quiet)
    found = [f for f in check_tree(changed(fixture_tree, "layout-9.0", CHECK[code])) if f.code == code]
    assert found, code
    rule = rules.lookup(code)
    assert all(f.severity == rule.severity or rule.otherwise.startswith(f.severity) for f in found)
    assert all(f.path for f in found)


@pytest.mark.parametrize("code", sorted(SEEN_ON))
def test_a_reading_rule_fires_on_its_tree(code, fixture_tree):
    assert code in codes(check_tree(changed(fixture_tree, SEEN_ON[code], [])))
    assert code not in codes(check_tree(changed(fixture_tree, "layout-9.0", [])))


@pytest.mark.realtree
def test_the_bugfix_chain_is_seen_on_real_qemu():
    assert "C105" in codes(check_tree(QemuTree.open(real_tree("10.2"))))


# compat add's advice, on layout-11.2 (11.2.50; its arrays: 11.1 and 11.0): code ->
# (changes, arguments of plan_compat_add) that make it fire; QUIET gives only A107.
ADD = {
    "A101": ([("VERSION", "11.2.50", "11.2.0")], ("virtio-blk-device", "queue-size", "1")),
    "A102": ([], ("no-such-device", "queue-size", "1")),
    "A103": ([], ("virtio-blk-device", "no-such-prop", "1")),
    "A105": ([], ("TYPE_PCI_BRIDGE", "x-pci-express-writeable-slt-bug", "false")),
    "A106": ([], ("migration", "zero-page-detection", "x", "11.0")),
    "A107": ([], ("virtio-blk-device", "queue-size", "1")),
}
QUIET = ("virtio-blk-device", "queue-size", "1")


def _add(tree: QemuTree, args) -> set[str]:
    device, prop, value, *release = args
    plan = plan_compat_add(tree, device, prop, value, force=True,
                           release=Version.parse(release[0] if release else "11.1"))
    return codes(plan.notes)


@pytest.mark.parametrize("code", sorted(ADD))
def test_a_compat_add_rule_fires_and_stays_quiet(code, fixture_tree):
    changes, args = ADD[code]
    assert code in _add(changed(fixture_tree, "layout-11.2", changes), args)
    quiet = changed(fixture_tree, "layout-11.2", [])
    if code == "A107":   # every add says what it affects; machine-option never does
        plan = plan_machine_option(quiet, ["mc->smp_props.prefer_sockets = true;"], ["arm"],
                                   False, release=Version(11, 1))
        assert code not in codes(plan.notes)
    else:
        assert _add(quiet, QUIET) == {"A107"}


def test_the_transport_advice_fires_on_a_proxy_only(fixture_tree):
    tree = changed(fixture_tree, "layout-11.2", [])
    proxy = plan_compat_add(tree, "virtio-blk-pci", "num-queues", "1", release=Version(11, 1))
    device = plan_compat_add(tree, "virtio-blk-device", "num-queues", "1", release=Version(11, 1))
    assert "A104" in codes(proxy.notes) and "A104" not in codes(device.notes)


def test_already_present_statements_are_an_info(fixture_tree):
    tree = changed(fixture_tree, "layout-9.0", [])
    plan = plan_machine_option(tree, ["vmc->no_ns_el2_virt_timer_irq = true;"], ["arm"], False,
                               release=Version(8, 2))
    assert [(f.code, f.severity, f.path) for f in plan.notes if f.code != "A101"] == \
        [("A108", "info", ARM)]
    assert "A108" not in codes(plan_machine_option(
        tree, ["vmc->no_ns_el2_virt_timer_irq = true;"], ["arm"], False,
        release=Version(8, 1)).notes)


# lint's rules, on the qom-entries fixture (a small QOM world: device, virtio-device,
# virtio-blk-device, virtio-pci and the virtio-blk-pci variants, e1000 registered by a
# loop): code -> the entries added to hw_compat_11_0, which are all quiet as they are.
NEWER = '    { "virtio-blk-device", "num-queues", "1" },\n'
LINT = {
    "L101": '    { "virtio-blk-devicee", "num-queues", "1" },\n',
    "L102": '    { "virtio-blk-device", "num-queue", "1" },\n',
    "L103": '    { "virtio-blk-device", "num-queues", "many" },\n',
    "L201": '    { "virtio-blk-pci", "queue-size", "64" },\n',
    "L202": '    { "virtio-blk-pci", "vectors", "3" },\n',
    "L203": '    { "virtio-blk-device", "scsi", "true" },\n',
    "L204": NEWER,
    "L205": '    { TYPE_VIRTIO_BLK, "queue-size", "128" },\n',
    "L901": '    { "e1000", "mitigation", "off" },\n',
}


def _lint(root: Path) -> list:
    from scaffold.commands.qom_command import run_lint

    return run_lint(root)[0]


@pytest.mark.parametrize("code", sorted(LINT))
def test_a_lint_rule_fires_on_its_entry_and_only_there(code, fixture_tree):
    quiet = _lint(changed_root(fixture_tree, "qom-entries", []))
    assert quiet == [], [str(f) for f in quiet]
    root = changed_root(fixture_tree, "qom-entries", [(MACHINE, NEWER, NEWER + LINT[code])])
    found = [f for f in _lint(root) if f.code == code]
    assert found, [str(f) for f in _lint(root)]
    assert all(f.path == MACHINE and f.line for f in found)
    assert all(f.severity == rules.lookup(code).severity for f in found)


def test_an_entry_some_subtypes_lack_is_an_error_naming_them(fixture_tree):
    """vmapple's { TYPE_VIRTIO_PCI, "disable-legacy", "on" }: the generic virtio-*-pci
    types have it, the transitional ones do not (QEMU's binary agrees)."""
    entry = '    { TYPE_VIRTIO_PCI, "disable-legacy", "on" },\n'
    root = changed_root(fixture_tree, "qom-entries", [(MACHINE, NEWER, NEWER + entry)])
    found = [f for f in _lint(root) if f.code == "L102"]
    assert len(found) == 1
    assert "defined on virtio-blk-pci but not on virtio-blk-pci-non-transitional, " \
           "virtio-blk-pci-transitional" in found[0].message
    optional = entry.replace('"on" }', '"on", .optional = true }')
    root = changed_root(fixture_tree, "qom-entries", [(MACHINE, NEWER, NEWER + optional)])
    assert [f for f in _lint(root) if f.code == "L102"] == []


# Rules whose fixtures are a test of their own (a real tree, a plan's notes, git history):
# code -> (test module, test function).  Each must exist and check that code, so that a
# rule whose test is deleted or no longer names it fails test_every_rule_has_its_fixtures.
BY_HAND = {
    "C105": ("test_rules", "test_the_bugfix_chain_is_seen_on_real_qemu"),
    "A104": ("test_rules", "test_the_transport_advice_fires_on_a_proxy_only"),
    "A108": ("test_rules", "test_already_present_statements_are_an_info"),
    "L206": ("test_lint", "test_since_names_an_entry_in_the_wrong_release_and_explains_a_late_fix"),
    "L902": ("test_lint", "test_since_names_an_entry_in_the_wrong_release_and_explains_a_late_fix"),
    "L207": ("test_lint", "test_since_names_a_machine_option_in_an_older_version"),
}


def _hand_tested() -> set[str]:
    import importlib
    import inspect

    found = set()
    for code, (module, name) in BY_HAND.items():
        test = getattr(importlib.import_module(module), name, None)
        assert test is not None, f"{code}: {module}.{name} is gone"
        assert f'"{code}"' in inspect.getsource(test), f"{code}: {module}.{name} no longer checks it"
        found.add(code)
    return found


def test_every_rule_has_its_fixtures():
    tested = set(CHECK) | set(SEEN_ON) | set(ADD) | set(LINT) | _hand_tested()
    assert {r.code for r in rules.RULES} == tested


def test_a_rule_that_loses_its_test_is_seen(monkeypatch):
    monkeypatch.setitem(BY_HAND, "C105", ("test_rules", "test_no_such_test"))
    with pytest.raises(AssertionError, match="C105: test_rules.test_no_such_test is gone"):
        _hand_tested()
    monkeypatch.setitem(BY_HAND, "C105", ("test_rules", "test_the_catalogue_is_well_formed"))
    with pytest.raises(AssertionError, match="C105: .* no longer checks it"):
        _hand_tested()


def test_the_catalogue_is_well_formed():
    assert len({r.code for r in rules.RULES}) == len({r.name for r in rules.RULES}) == len(rules.RULES)
    for r in rules.RULES:
        assert r.severity in SEVERITIES and r.summary and r.why, r
        assert "\n" not in r.summary


def test_docs_rules_is_the_catalogue():
    text = (REPO / "docs" / "rules.md").read_text()
    assert rules.table() in text, "regenerate: python -c 'from scaffold.rules import catalogue as rules; " \
                                  "print(rules.table(), end=\"\")'"


def test_explain_prints_the_why():
    proc = run_cli("check", "--explain", "chain-missing")
    assert proc.returncode == 0
    assert proc.stdout.decode() == rules.lookup("C101").explain()
    bad = run_cli("check", "--explain", "C999")
    assert bad.returncode == 2 and b"no rule 'C999'" in bad.stderr
