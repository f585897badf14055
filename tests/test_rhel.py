"""RHEL 9.2's tree (Debian's 7.2 source and ../shared/downstream/rhel-9.2's patches):
its own machine types read from data (scaffold/families/rhel.toml), every registration
claimed or said, and check quiet where the tree is right (issue 28, items 1 to 3).

The expected values were counted by hand in the patched tree: pc_q35.c registers ten
pc-q35-rhelX.Y.Z types (9.2.0 down to 7.6.0) and sets `m->alias = "q35"` in the base
options that only 9.2.0 does not reset; pc_piix.c one pc-i440fx-rhel7.6.0, alias "pc" and
`is_default = 1`; virt.c `DEFINE_RHEL_MACHINE_AS_LATEST(9, 2, 0)` and 9.0.0; s390x seven
`DEFINE_CCW_MACHINE(rhelNNN, "rhelX.Y.Z", latest)` with 9.2.0 true; spapr eight, 8.5.0
true, one of them the pseries-rhel7.6.0-sxxm variant."""
from __future__ import annotations

import json
import shutil

import pytest

from helpers import linked_copy, rhel_tree, run_cli

pytestmark = pytest.mark.realtree

EXPECTED = {
    "rhel-q35": ("rhel9.2.0", 10, "q35", False),
    "rhel-i440fx": ("rhel7.6.0", 1, "pc", True),
    "rhel-arm": ("rhel9.2.0", 2, "virt", True),
    "rhel-s390x": ("rhel9.2.0", 7, "s390-ccw-virtio", True),
    "rhel-spapr": ("rhel8.5.0", 8, "pseries", True),
}


@pytest.fixture(scope="module")
def rhel(tmp_path_factory):
    return rhel_tree(tmp_path_factory.mktemp("rhel"))


def _machines(root) -> dict:
    proc = run_cli("machines", "--json", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_machines_lists_every_rhel_type_and_no_registration_is_silent(rhel):
    report = _machines(rhel)
    got = {f["name"]: (f["newest"], f["count"], f["alias"], f["default"])
           for f in report["downstream"]}
    assert got == EXPECTED
    for f in report["downstream"]:
        latest = [t["name"] for t in f["machine_types"] if t["latest"]]
        assert latest == [f["machine_types"][0]["name"]], f["name"]
    assert sum(f["count"] for f in report["downstream"]) == 28
    assert report["dialect"].startswith("downstream (rhel)")
    assert not [n for n in report["notes"] if "C901" in n], report["notes"]


def test_check_on_rhel_has_no_false_finding(rhel):
    proc = run_cli("check", "--repo", str(rhel))
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert "removed" not in out and "error" not in out and "warning" not in out
    assert out.count("not used by this tree's machine types") == 1


def test_a_broken_rhel_chain_and_an_unknown_registration_are_said(rhel, tmp_path):
    root = linked_copy(rhel, tmp_path / "tree")
    q35 = root / "hw/i386/pc_q35.c"
    text = q35.read_text()
    q35.unlink()   # a hard link: write a file of its own
    broken = text.replace("    pc_q35_machine_rhel920_options(m);\n", "", 1)
    assert broken != text
    broken += '\nDEFINE_PC_MACHINE(q35_acme100, "pc-q35-acme1.0.0", pc_q35_init_rhel920,\n' \
              '                  pc_q35_machine_rhel920_options);\n'
    q35.write_text(broken)
    out = run_cli("check", "--repo", str(root)).stdout.decode()
    line = broken[:broken.index('DEFINE_PC_MACHINE(q35_rhel900')].count("\n") + 1
    assert f"hw/i386/pc_q35.c:{line}: error[C106]: rhel-q35 rhel9.0.0: " \
           "pc_q35_machine_rhel900_options does not call pc_q35_machine_rhel920_options" in out
    acme = broken[:broken.index("DEFINE_PC_MACHINE(q35_acme100")].count("\n") + 1
    assert f"hw/i386/pc_q35.c:{acme}: warning[C901]: DEFINE_PC_MACHINE(q35_acme100, " \
           "pc-q35-acme1.0.0, ...) registers a machine type no family describes" in out


def test_a_vendor_file_in_the_tree_describes_its_family(rhel, tmp_path):
    """A vendor's own families file (.qscaffold/families.toml) replaces the shipped
    description of a family of the same name: here rhel-q35 named by another macro, so
    that its registrations are no family's and said."""
    root = linked_copy(rhel, tmp_path / "tree")
    shipped = (run_cli("machines", "--repo", str(root)).stdout.decode())
    assert "rhel-q35" in shipped
    (root / ".qscaffold").mkdir()
    (root / ".qscaffold/families.toml").write_text(
        'vendor = "rhel"\n[[family]]\nname = "rhel-q35"\nupstream = "q35"\n'
        'file = "hw/i386/pc_q35.c"\nmacro = "DEFINE_Q35_RHEL_MACHINE"\nmachine = "{1}"\n'
        'options = ["{3}"]\nlatest = "alias"\n')
    report = _machines(root)
    assert "rhel-q35" not in {f["name"] for f in report["downstream"]}
    assert sum("C901" in n for n in report["notes"]) == 10
    (root / ".qscaffold/families.toml").write_text('vendor = "rhel"\n[[family]]\nname = "x"\n')
    proc = run_cli("machines", "--repo", str(root))
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "families.toml: family 1: missing" in err
    shutil.rmtree(root / ".qscaffold")


def test_checklist_gives_a_downstreams_steps(rhel):
    """RHEL 9 continues q35, arm and s390x; spapr's newest is rhel8.5.0 and i440fx's
    rhel7.6.0 (frozen: RHEL 9 builds no ppc64 and adds no i440fx type); no mailing list."""
    proc = run_cli("checklist", "--repo", str(rhel))
    out = proc.stdout.decode()
    assert proc.returncode == 0 and out.startswith("## rhel9.2.0: the distribution's")
    assert "qemu-devel" not in out and "hw: add compat machines" not in out
    for name in ("rhel-q35", "rhel-arm", "rhel-s390x"):
        assert f"- [x] {name}: the rhel9.2.0 type registered" in out
    assert "- [x] rhel-spapr: frozen, its newest type pseries-rhel8.5.0 is of rhel 8" in out
    assert "- [x] rhel-i440fx: frozen, its newest type pc-i440fx-rhel7.6.0 is of rhel 7" in out
    assert "- [x] Rebase bits:" in out   # 0018 copied hw_compat_7_1's queue_reset
    later = json.loads(run_cli("checklist", "rhel9.4.0", "--json", "--repo", str(rhel)).stdout)
    assert later["version"] == "rhel9.4.0"
    undone = [i["text"].split(":")[0] for i in later["items"] if not i["done"]]
    assert {"rhel-q35", "rhel-arm", "rhel-s390x"} <= set(undone)


def test_rebase_bits_missing_are_listed(rhel, tmp_path):
    root = linked_copy(rhel, tmp_path / "tree")
    machine = root / "hw/core/machine.c"
    text = machine.read_text()
    machine.unlink()
    copied = '\n  { "virtio-device", "queue_reset", "false" },'   # 0018's line, indented so
    assert text.count(copied) == 1 and text.count("queue_reset") == 2   # and hw_compat_7_1's
    machine.write_text(text.replace(copied, "", 1))
    out = run_cli("checklist", "--repo", str(root)).stdout.decode()
    assert "- [ ] Rebase bits:" in out
    assert 'hw_compat_7_1 { "virtio-device", "queue_reset", "false" } is in no vendor array' in out


def test_a_families_file_given_by_option_is_read(rhel, tmp_path):
    """`--families FILE` describes a family the shipped data lacks: an "acme" vendor's
    q35 type becomes a family instead of an unclaimed registration; a missing file is one
    line, exit 2."""
    root = linked_copy(rhel, tmp_path / "tree")
    q35 = root / "hw/i386/pc_q35.c"
    text = q35.read_text()
    q35.unlink()
    q35.write_text(text + '\nDEFINE_PC_MACHINE(q35_acme100, "pc-q35-acme1.0.0", '
                   'pc_q35_init_rhel920,\n                  pc_q35_machine_rhel920_options);\n')
    described = tmp_path / "acme.toml"
    described.write_text('vendor = "acme"\n[[family]]\nname = "acme-q35"\nupstream = "q35"\n'
                         'file = "hw/i386/pc_q35.c"\nmacro = "DEFINE_PC_MACHINE"\n'
                         'machine = "{1}"\noptions = ["{3}"]\nlatest = "alias"\n')
    assert any("C901" in n for n in _machines(root)["notes"])
    proc = run_cli("machines", "--json", "--families", str(described), "--repo", str(root))
    report = json.loads(proc.stdout)
    assert not any("C901" in n for n in report["notes"])
    acme = next(f for f in report["downstream"] if f["name"] == "acme-q35")
    assert [t["name"] for t in acme["machine_types"]] == ["pc-q35-acme1.0.0"]
    gone = run_cli("check", "--families", str(tmp_path / "none.toml"), "--repo", str(root))
    assert gone.returncode == 2 and gone.stderr.decode().count("\n") == 1
    assert "--families" in gone.stderr.decode() and "no such file" in gone.stderr.decode()


def test_a_downstream_bump_is_refused_in_one_line_and_the_tree_is_left_as_it_was(rhel):
    """Bumping a distribution's types is not done yet (docs/families.md): said, exit 2."""
    from helpers import snapshot

    before = {p: d for p, d in snapshot(rhel).items() if p.startswith("hw/")}
    proc = run_cli("bump", "rhel9.4.0", "--no-commit", "--repo", str(rhel))
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "not bumped yet" in err
    assert {p: d for p, d in snapshot(rhel).items() if p.startswith("hw/")} == before


def test_compat_rebase_reproduces_rhel_s_0018_byte_for_byte(tmp_path_factory, tmp_path):
    """0018 ("Addd 7.2 compat bits for RHEL 9.1 machine type") is RHEL's rebase bit of
    hw_compat_7_1: `compat rebase --from 7.0 --to 7.2` on the tree before it writes the
    same file (hw_compat_7_0's two entries are in hw_compat_rhel_9_1 already, with their
    comments: skipped); a second run changes nothing."""
    from helpers import RHEL_PATCHES, apply_patch

    before = rhel_tree(tmp_path_factory.mktemp("rhel-before"), before="0018")
    ours = linked_copy(before, tmp_path / "ours")
    theirs = tmp_path / "theirs"
    (theirs / "hw/core").mkdir(parents=True)
    shutil.copy(before / "hw/core/machine.c", theirs / "hw/core/machine.c")
    apply_patch(theirs, next(RHEL_PATCHES.glob("0018-*.patch")))
    proc = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    assert proc.returncode == 0, proc.stderr.decode()
    assert (ours / "hw/core/machine.c").read_bytes() == (theirs / "hw/core/machine.c").read_bytes()
    assert (before / "hw/core/machine.c").read_bytes() != (theirs / "hw/core/machine.c").read_bytes()
    again = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    assert again.returncode == 0 and "nothing to do" in again.stderr.decode()
    assert (ours / "hw/core/machine.c").read_bytes() == (theirs / "hw/core/machine.c").read_bytes()
