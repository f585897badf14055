"""`qscaffold check`, `machines` and `checklist` (issue 5)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile

import pytest

from helpers import FIXTURES, linked_copy, real_tree, run_cli
from scaffold.planning import bump as bump_module
from scaffold.planning.bump import plan_bump
from scaffold.rules.chain import check_tree
from scaffold.errors import ScaffoldError
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


def errors(findings):
    return [f for f in findings if f.severity == "error"]


@pytest.mark.realtree
@pytest.mark.parametrize("release", ["5.2", "7.2", "10.0", "10.2"])
def test_real_trees_have_no_errors(release):
    root = real_tree(release)
    findings = check_tree(QemuTree.open(root))
    assert errors(findings) == []
    proc = run_cli("check", "--repo", str(root))
    assert proc.returncode == 0, proc.stdout
    # The one oddity, reported as what it is: q35 4.0 gets its compat props through the
    # 4.0.1 bugfix machine -- QEMU's code says so itself.
    oddity = [f for f in findings if f.kind == "chain-bugfix"]
    assert [(f.family, f.version) for f in oddity] == [("q35", "4.0")]
    assert "4.0 compat props" in (root / "hw/i386/pc_q35.c").read_text()


def mutated(root, path: str, old: str, new: str) -> QemuTree:
    tree = QemuTree.open(root)
    data = tree.file(path).data
    assert data.count(old.encode()) == 1, old
    return tree.with_contents({path: (data, data.replace(old.encode(), new.encode()))})


def line_of(root, path: str, text: str) -> int:
    return (root / path).read_text().split(text)[0].count("\n") + 1


# Each historical mistake (QEMU-FACTS.md, "Mistakes that shipped upstream") reproduced on
# the real 10.2 tree; check must name file, line, family and version precisely.
MISTAKES = [
    ("6.1 bump: arm virt lost its compat array", "hw/arm/virt.c",
     "    compat_props_add(mc->compat_props, hw_compat_10_1, hw_compat_10_1_len);\n", "",
     "compat-missing", "arm", "10.1", "static void virt_machine_10_1_options"),
    ("7.0 bump: x86 called the base options", "hw/i386/pc_piix.c",
     "    pc_i440fx_machine_10_2_options(m);\n    m->smbios", "    pc_i440fx_machine_options(m);\n    m->smbios",
     "chain-base", "i440fx", "10.1", "    pc_i440fx_machine_options(m);\n    m->smbios"),
    ("chain to the wrong version", "hw/i386/pc_q35.c",
     "    pc_q35_machine_10_1_options(m);\n    compat_props_add(m->compat_props, hw_compat_10_0",
     "    pc_q35_machine_10_2_options(m);\n    compat_props_add(m->compat_props, hw_compat_10_0",
     "chain-wrong", "q35", "10.0", "    pc_q35_machine_10_2_options(m);\n    compat_props_add(m->compat_props, hw_compat_10_0"),
    ("5.x bumps: arm virt missing the chain call", "hw/arm/virt.c",
     "    virt_machine_10_1_options(mc);\n    compat_props_add(mc->compat_props, hw_compat_10_0",
     "    compat_props_add(mc->compat_props, hw_compat_10_0",
     "chain-missing", "arm", "10.0", "static void virt_machine_10_0_options"),
    ("two latest markers", "hw/ppc/spapr.c", "DEFINE_SPAPR_MACHINE(10, 1);",
     "DEFINE_SPAPR_MACHINE_AS_LATEST(10, 1);", "latest-extra", "spapr", "10.1",
     "DEFINE_SPAPR_MACHINE_AS_LATEST(10, 1);"),
    ("the compat array added twice", "hw/s390x/s390-virtio-ccw.c",
     "    compat_props_add(mc->compat_props, hw_compat_10_1, hw_compat_10_1_len);\n",
     "    compat_props_add(mc->compat_props, hw_compat_10_1, hw_compat_10_1_len);\n" * 2,
     "compat-duplicate", "s390x", "10.1", "static void ccw_machine_10_1_class_options"),
]
# Adding the same array twice applies the same values twice: it changes nothing a guest
# sees and it builds, so it is a warning (every other mistake above is an error).
WARNINGS = {"compat-duplicate"}


@pytest.mark.realtree
@pytest.mark.parametrize("case", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_historical_mistakes_are_named_precisely(case):
    _, path, old, new, kind, family, version, at = case
    root = real_tree("10.2")
    tree = mutated(root, path, old, new)
    found = [f for f in check_tree(tree) if f.kind == kind]
    assert len(found) == 1, [str(f) for f in check_tree(tree)]
    f = found[0]
    assert f.severity == ("warning" if kind in WARNINGS else "error")
    assert (f.path, f.family, f.version) == (path, family, version)
    text = tree.file(path).data.decode()
    assert f.line == text.split(at)[0].count("\n") + 1
    assert f.fix


@pytest.mark.realtree
def test_dropped_extern_is_named():
    root = real_tree("10.2")
    tree = mutated(root, "include/hw/boards.h",
                   "extern GlobalProperty hw_compat_10_0[];\nextern const size_t hw_compat_10_0_len;\n\n", "")
    found = errors(check_tree(tree))
    assert [(f.kind, f.path) for f in found] == [("extern-missing", "hw/core/machine.c")]
    assert "hw_compat_10_0" in found[0].message
    assert found[0].line == line_of(root, "hw/core/machine.c", "GlobalProperty hw_compat_10_0[]")


def test_bump_pending_and_disagreeing_families():
    tree = QemuTree.open(FIXTURES / "layout-11.2" / "before")
    findings = check_tree(tree)
    assert [f.kind for f in findings if f.severity == "pending"] == ["bump-pending"]
    assert "qscaffold bump 12.0" in [f.fix for f in findings if f.kind == "bump-pending"][0]
    proc = run_cli("check", "--json", "--repo", str(FIXTURES / "layout-11.2" / "before"))
    assert proc.returncode == 1 and json.loads(proc.stdout)["failed"] is True
    unknown = [f for f in findings if f.kind == "family-unknown"]
    assert {f.path for f in unknown} == {"hw/i386/pc_q35.c", "hw/riscv/virt.c"}


def test_bump_refuses_a_result_that_fails_check(monkeypatch):
    real_render = bump_module.render

    def broken(template, **values):   # a template bug: the demoted version adds no arrays
        if template == "demoted_options.c.j2":
            values["arrays"] = []
        return real_render(template, **values)

    monkeypatch.setattr(bump_module, "render", broken)
    with pytest.raises(ScaffoldError, match="would fail `qscaffold check`.*does not add hw_compat_11_2"):
        plan_bump(QemuTree.open(FIXTURES / "layout-11.2" / "before"), Version(12, 0))


def test_a_dry_run_shows_nothing_when_the_result_fails_check(monkeypatch, capfdbinary, tmp_path):
    """The dry run checks the result while git renders the diff: a failed check must
    still print only the error, and leave no scratch copies behind."""
    from scaffold.commands import program

    real_render = bump_module.render
    monkeypatch.setattr(bump_module, "render", lambda template, **values: real_render(
        template, **dict(values, arrays=[]) if template == "demoted_options.c.j2" else values))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["qscaffold", "bump", "12.0", "--dry-run", "--repo",
                                      str(FIXTURES / "layout-11.2" / "before")])
    with pytest.raises(SystemExit) as exit_:
        program.main()
    out, err = capfdbinary.readouterr()
    assert exit_.value.code == 1 and out == b""
    assert err.count(b"\n") == 1 and b"would fail `qscaffold check`" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.realtree
def test_machines_report_on_real_trees():
    proc = run_cli("machines", "--json", "--repo", str(real_tree("10.2")))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    fams = {f["name"]: f for f in data["families"]}
    assert set(fams) == {"arm", "i440fx", "m68k", "q35", "s390x", "spapr"}
    assert {n: f["alias"] for n, f in fams.items()} == {
        "arm": "virt", "i440fx": "pc", "m68k": "virt", "q35": "q35",
        "s390x": "s390-ccw-virtio", "spapr": "pseries"}
    assert all(f["newest"] == "10.2" and f["layout"] == "latest" for f in fams.values())
    assert data["policy"] == {"deprecation_years": 3, "deletion_years": 6, "source": "include/hw/boards.h"}
    status = {v["version"]: v["status"] for v in fams["i440fx"]["versions"]}
    # 10.2 release: 3 years back (7.2) is deprecated, 6 years back (4.2) past deletion
    assert (status["8.0"], status["7.2"], status["5.0"], status["4.2"]) == \
        ("supported", "deprecated", "deprecated", "past-deletion")
    old = json.loads(run_cli("machines", "--json", "--repo", str(real_tree("7.2"))).stdout)
    assert old["policy"] is None
    assert {f["name"]: f["layout"] for f in old["families"]} == {
        "arm": "latest", "i440fx": "tagged", "m68k": "flag_num", "q35": "tagged",
        "s390x": "flag", "spapr": "flag"}


@pytest.mark.realtree
def test_checklist_before_and_after_a_real_bump(tmp_path):
    root = real_tree("10.2")
    before = run_cli("checklist", "--json", "--repo", str(root))
    data = json.loads(before.stdout)
    assert data["version"] == "11.0"
    assert not any(i["done"] for i in data["items"] if "added" in i["text"])
    deprecated = next(i for i in data["items"] if "deprecates" in i["text"])
    # 11.0 deprecates the 8.0 types; every family's registration macro (x86: pc.h's
    # DEFINE_PC_VER_MACHINE) sets their deprecation reason, so the item is ticked
    assert deprecated["done"]
    assert "pc-i440fx-8.0: deprecation reason set by the registration macro in " \
           "hw/i386/pc_piix.c" in deprecated["details"]
    assert len(deprecated["details"]) == 6

    copy = linked_copy(root, tmp_path / "qemu")
    # the bump happens on the development branch: VERSION 10.2.50 (on the 10.2.2 release
    # tree, check warns that 11.0 types are newer than VERSION, and the item stays open)
    (copy / "VERSION").unlink()
    (copy / "VERSION").write_text("10.2.50\n")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=T", "-c", "user.email=t@e.org",
                                                  "commit", "-q", "-m", "QEMU 10.2"]):
        subprocess.run(["git", "-C", str(copy), *args], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(copy), "config", "user.name", "Test"], check=True)
    subprocess.run(["git", "-C", str(copy), "config", "user.email", "t@example.org"], check=True)
    assert run_cli("bump", "11.0", "--repo", str(copy)).returncode == 0
    proc = run_cli("checklist", "--repo", str(copy))
    text = proc.stdout.decode()
    for line in ("- [x] Compat array `hw_compat_10_2` added and declared",
                 "- [x] Compat array `pc_compat_10_2` added and declared",
                 "- [x] spapr: `pseries-11.0` added in hw/ppc/spapr.c, 10.2 chained to it",
                 "- [x] Latest/default machine type moved to 11.0 in every family",
                 "- [x] `qscaffold check` is clean",
                 "- [x] The patch passes `scripts/checkpatch.pl`",
                 "- [x] Every family is in the deprecation docs'"):
        assert line in text, text
    assert "qemu-s390x@nongnu.org" in text and "Peter Maydell" in text


def test_a_machine_typeinfo_no_family_reads_is_said(fixture_tree):
    """A TypeInfo that registers a machine type (its parent a machine type, not abstract)
    is a registration no family reads: said with its name and line; an abstract one (the
    family's base class, `virt_machine_info`) and another parent are not.  Read by syntax:
    a comment naming `.abstract = true` does not make it abstract."""
    root = fixture_tree("layout-11.2")
    virt = root / "hw/arm/virt.c"
    virt.write_text(virt.read_text() + """
static const TypeInfo virt_machine_info = {
    .name          = TYPE_VIRT_MACHINE,
    .parent        = TYPE_MACHINE,
    .abstract      = true,
};

static const TypeInfo acme_board_info = {
    .name = "acme-board",   /* .abstract = true would hide it from a text search */
    .parent = TYPE_VIRT_MACHINE,
    .class_init = acme_board_class_init,
};

static const TypeInfo acme_device_info = {
    .name = "acme-device",
    .parent = TYPE_DEVICE,
};
""")
    said = [f for f in check_tree(QemuTree.open(root)) if f.kind == "family-unknown"
            and f.path == "hw/arm/virt.c"]
    assert [f.message.split(" registers")[0] for f in said] == ['a TypeInfo named "acme-board"']
    assert said[0].line == line_of(root, "hw/arm/virt.c", "static const TypeInfo acme_board_info")
