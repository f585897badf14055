"""Every rule of the catalogue, run on its own fixture (as in ruff, a rule carries it:
scaffold/rules/fixtures.py): it fires on the tree its fixture breaks, with the findings
its snapshot keeps (tests/snapshots/rules/CODE.txt, each read against QEMU's code by a
person when written), and stays quiet on the tree unchanged.  docs/rules.md is the
catalogue's table, and `check --explain` prints each rule's why.

A snapshot is written when it is missing and QSCAFFOLD_WRITE_SNAPSHOTS=1 is set; the
test still fails then, so that a new snapshot is read before it is kept."""
from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path

import pytest

from helpers import REPO, real_tree, run_cli
from scaffold.rules import catalogue as rules
from scaffold.rules.fixtures import MACHINE, NEWER, Fixture
from scaffold.rules.registry import SEVERITIES, Rule
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option
from scaffold.rules.chain import check_tree
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

ARM = "hw/arm/virt.c"
SNAPSHOTS = Path(__file__).parent / "snapshots" / "rules"
WITH_FIXTURE = [r for r in rules.RULES if r.fixture is not None and not r.fixture.by_hand]
BY_HAND = [r for r in rules.RULES if r.fixture is not None and r.fixture.by_hand]


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


def _add(tree: QemuTree, args) -> list:
    device, prop, value, *release = args
    plan = plan_compat_add(tree, device, prop, value, force=True,
                           release=Version.parse(release[0] if release else "11.1"))
    return plan.notes


def _lint(root: Path) -> list:
    from scaffold.rules.lint_tree import run_lint

    return run_lint(root)[0]


QUIET_ADD = ("virtio-blk-device", "queue-size", "1")   # on layout-11.2: only A107


JUDGED_BY = {   # each judge of registry.JUDGES, run on a tree
    "check": lambda fixture, root: check_tree(QemuTree.open(root)),
    "compat add": lambda fixture, root: _add(QemuTree.open(root), fixture.args or QUIET_ADD),
    "lint": lambda fixture, root: _lint(root),
}


def _findings(rule: Rule, fixture: Fixture, root: Path) -> list:
    """What the rule's judge reports on the tree at `root`."""
    return JUDGED_BY[rule.judge](fixture, root)


def test_every_judge_is_run_and_every_rule_names_one():
    from scaffold.rules.registry import JUDGES

    assert set(JUDGED_BY) == set(JUDGES) == {r.judge for r in rules.RULES}


def _quiet(rule: Rule, fixture: Fixture, fixture_tree) -> list:
    """The rule's findings where its fixture is quiet: the tree unchanged."""
    if rule.code == "A107":   # every add says what it affects; machine-option never does
        tree = changed(fixture_tree, fixture.tree, [])
        return plan_machine_option(tree, ["mc->smp_props.prefer_sockets = true;"], ["arm"],
                                   False, release=Version(11, 1)).notes
    return _findings(rule, fixture._replace(args=()),
                     changed_root(fixture_tree, fixture.quiet_on or fixture.tree, []))


def _snapshot(rule: Rule, found: list) -> str:
    return "".join(f"{f}\n" for f in found)


@pytest.mark.parametrize("rule", WITH_FIXTURE, ids=lambda r: r.code)
def test_a_rule_fires_on_its_fixture_as_its_snapshot_says(rule, fixture_tree):
    fixture = rule.fixture
    root = changed_root(fixture_tree, fixture.tree, fixture.changes)
    found = [f for f in _findings(rule, fixture, root) if f.code == rule.code]
    assert found, f"{rule.code} does not fire on its fixture"
    assert all(f.severity == rule.severity or f.severity == rule.other for f in found)
    text = _snapshot(rule, found)
    snapshot = SNAPSHOTS / f"{rule.code}.txt"
    if not snapshot.exists():
        if os.environ.get("QSCAFFOLD_WRITE_SNAPSHOTS") == "1":
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            snapshot.write_text(text)
        pytest.fail(f"{snapshot.name} is new: read it against QEMU's code, then keep it\n{text}")
    assert text == snapshot.read_text()


@pytest.mark.parametrize("rule", WITH_FIXTURE, ids=lambda r: r.code)
def test_a_rule_is_quiet_on_its_tree_unchanged(rule, fixture_tree):
    assert rule.code not in codes(_quiet(rule, rule.fixture, fixture_tree))


def test_the_snapshots_are_the_rules():
    kept = {p.stem for p in SNAPSHOTS.glob("*.txt")}
    assert kept == {r.code for r in WITH_FIXTURE}


@pytest.mark.realtree
def test_the_bugfix_chain_is_seen_on_real_qemu():
    assert "C105" in codes(check_tree(QemuTree.open(real_tree("10.2"))))


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


def _hand_tested(rules_by_hand: list[Rule]) -> set[str]:
    """Rules whose fixture is a test of their own (a real tree, a plan's notes, git
    history): the test must exist and check that code, so that a rule whose test is
    deleted or no longer names it fails test_every_rule_has_its_fixture."""
    found = set()
    for rule in rules_by_hand:
        module, name = rule.fixture.by_hand.split("::")
        test = getattr(importlib.import_module(module), name, None)
        assert test is not None, f"{rule.code}: {module}.{name} is gone"
        assert f'"{rule.code}"' in inspect.getsource(test), \
            f"{rule.code}: {module}.{name} no longer checks it"
        found.add(rule.code)
    return found


def test_every_rule_has_its_fixture():
    tested = {r.code for r in WITH_FIXTURE} | _hand_tested(BY_HAND)
    assert {r.code for r in rules.RULES} == tested


def test_a_rule_that_loses_its_test_is_seen():
    c105 = rules.lookup("C105")
    gone = c105._replace(fixture=Fixture("", by_hand="test_rules::test_no_such_test"))
    with pytest.raises(AssertionError, match="C105: test_rules.test_no_such_test is gone"):
        _hand_tested([gone])
    other = c105._replace(fixture=Fixture("", by_hand="test_rules::test_the_catalogue_is_well_formed"))
    with pytest.raises(AssertionError, match="C105: .* no longer checks it"):
        _hand_tested([other])


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
