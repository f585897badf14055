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
import subprocess
from pathlib import Path

import pytest

from helpers import git, init_repo, linked_copy, one_line_error, rhel_tree, run_cli

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
    assert not [n for n in report["notes"] if n["code"] == "C901"], report["notes"]


def test_check_on_rhel_has_no_false_finding(rhel):
    proc = run_cli("check", "--repo", str(rhel))
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert "removed" not in out and "error[" not in out
    # the only warnings: upstream entries RHEL's types lack against the upstream types
    # their release's arrays claim (C111, each read by hand in test_vendor_claims.py)
    warnings = [line for line in out.splitlines() if "warning[" in line]
    assert len(warnings) == 6 and all("warning[C111]" in line for line in warnings), out
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
    # the chain rule upstream's families are judged by, at the options function
    line = broken[:broken.index('static void pc_q35_machine_rhel900_options(')].count("\n") + 1
    assert f"hw/i386/pc_q35.c:{line}: error[C101]: rhel-q35 rhel9.0.0: " \
           "pc_q35_machine_rhel900_options does not call pc_q35_machine_rhel920_options " \
           "(fix: call pc_q35_machine_rhel920_options(m) first)" in out
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
    assert sum(n["code"] == "C901" for n in report["notes"]) == 10
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
    assert "- [x] rhel-spapr: no rhel9.2.0 type (frozen at pseries-rhel8.5.0, of rhel8, an older major than rhel9.2.0)" in out
    assert "- [x] rhel-i440fx: no rhel9.2.0 type (frozen at pc-i440fx-rhel7.6.0, of rhel7, an older major than rhel9.2.0)" in out
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
    assert any(n["code"] == "C901" for n in _machines(root)["notes"])
    proc = run_cli("machines", "--json", "--families", str(described), "--repo", str(root))
    report = json.loads(proc.stdout)
    assert not any(n["code"] == "C901" for n in report["notes"])
    acme = next(f for f in report["downstream"] if f["name"] == "acme-q35")
    assert [t["name"] for t in acme["machine_types"]] == ["pc-q35-acme1.0.0"]
    gone = run_cli("check", "--families", str(tmp_path / "none.toml"), "--repo", str(root))
    assert gone.returncode == 2 and gone.stderr.decode().count("\n") == 1
    assert "--families" in gone.stderr.decode() and "no such file" in gone.stderr.decode()


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


# The files RHEL's 0018-0022 touch, and those patches in the order they apply (with the
# later fix that moves arm_rhel_compat into the 9.2.0 options, where 0020 should have put
# it: the bump writes what RHEL meant, kvm-redhat-fix-virt-rhel9.2.0-compat-props).
TOUCHED = ("hw/core/machine.c", "hw/arm/virt.c", "hw/s390x/s390-virtio-ccw.c", "hw/i386/pc_q35.c",
           "hw/i386/pc_piix.c")
PATCHES = ("0018-", "0019-", "0020-", "kvm-redhat-fix-virt-rhel9.2.0-compat-props", "0021-",
           "0022-")


def _theirs(before, dest, patches=PATCHES):
    """The touched files of `before` with RHEL's own patches applied."""
    from helpers import RHEL_PATCHES, apply_patch

    for rel in TOUCHED:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(before / rel, dest / rel)
    for prefix in patches:
        apply_patch(dest, next(RHEL_PATCHES.glob(f"{prefix}*.patch")))
    return dest


@pytest.fixture(scope="module")
def before_0018(tmp_path_factory):
    return rhel_tree(tmp_path_factory.mktemp("rhel-before"), before="0018")


def test_rebase_then_bump_reproduce_rhel_s_0018_to_0022_byte_for_byte(before_0018, tmp_path):
    """On the tree before RHEL's rebase bits, `compat rebase --from 7.0 --to 7.2` and then
    `bump rhel9.2.0` write what 0018-0022 wrote: the entry of hw_compat_7_1 (0018);
    ccw_machine_7_1's settings that stand alone (0019: PAIE off, the zPCI compat array
    with its declarations, max_threads); `enforce_amd_1tb_hole = false` from
    pc_q35_7_0/pc_i440fx_7_0 (0022's rebase bit); the 9.2.0 types of arm, s390x and q35
    (0020-0022), spapr and i440fx frozen.  The upstream CPU models s390x keeps its own
    of are listed for a person, not carried."""
    ours = linked_copy(before_0018, tmp_path / "ours")
    theirs = _theirs(before_0018, tmp_path / "theirs")
    rebase = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    assert rebase.returncode == 0, rebase.stderr.decode()
    left = [line for line in rebase.stderr.decode().splitlines() if "for a person" in line]
    assert len(left) == 2 and all("s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);" in l
                                  and "qemu_cpu_feat" in l.split("not carried")[1] for l in left)
    bump = run_cli("bump", "rhel9.2.0", "--no-commit", "--repo", str(ours))
    err = bump.stderr.decode()
    assert bump.returncode == 0, err
    assert "no new type for rhel-spapr: frozen at pseries-rhel8.5.0" in err
    assert "no new type for rhel-i440fx: frozen at pc-i440fx-rhel7.6.0" in err
    for rel in TOUCHED:
        assert (ours / rel).read_bytes() == (theirs / rel).read_bytes(), rel
        assert (ours / rel).read_bytes() != (before_0018 / rel).read_bytes(), rel
    again = run_cli("bump", "rhel9.2.0", "--no-commit", "--repo", str(ours))
    assert again.returncode == 0 and "nothing to do" in again.stderr.decode()
    rebase = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    assert rebase.returncode == 0 and "nothing to do" in rebase.stderr.decode()


def test_bumping_the_newest_type_again_continues_the_chain(rhel, tmp_path):
    """On RHEL 9.2 as shipped, `bump rhel9.4.0`: each continued family's newest is
    9.4.0 (q35 by its alias, arm by _AS_LATEST, s390x by `true`), 9.2.0 chains to it and
    gives up the mark, check stays quiet; a re-run of the same bump does nothing."""
    ours = linked_copy(rhel, tmp_path / "ours")
    proc = run_cli("bump", "rhel9.4.0", "--no-commit", "--repo", str(ours))
    assert proc.returncode == 0, proc.stderr.decode()
    families = {f["name"]: f for f in _machines(ours)["downstream"]}
    for name in ("rhel-q35", "rhel-arm", "rhel-s390x"):
        assert families[name]["newest"] == "rhel9.4.0", name
        assert families[name]["count"] == EXPECTED[name][1] + 1
        latest = [t["name"] for t in families[name]["machine_types"] if t["latest"]]
        assert len(latest) == 1 and latest[0].endswith("rhel9.4.0"), name
    assert families["rhel-q35"]["alias"] == "q35"
    assert families["rhel-spapr"]["newest"] == "rhel8.5.0"
    q35 = (ours / "hw/i386/pc_q35.c").read_text()
    assert ("static void pc_q35_machine_rhel920_options(MachineClass *m)\n{\n"
            "    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);\n"
            "    pc_q35_machine_rhel940_options(m);\n"
            "    m->desc = \"RHEL-9.2.0 PC (Q35 + ICH9, 2009)\";\n"
            "    m->alias = NULL;\n") in q35
    assert '    pcmc->smbios_stream_version = "9.4.0";\n' in q35
    virt = (ours / "hw/arm/virt.c").read_text()
    assert ("static void rhel940_virt_options(MachineClass *mc)\n{\n    compat_props_add(mc->"
            "compat_props, arm_rhel_compat, arm_rhel_compat_len);\n}\n"
            "DEFINE_RHEL_MACHINE_AS_LATEST(9, 4, 0)\n\n"
            "static void rhel920_virt_options(MachineClass *mc)\n{\n"
            "    rhel940_virt_options(mc);\n}\nDEFINE_RHEL_MACHINE(9, 2, 0)\n") in virt
    check = run_cli("check", "--repo", str(ours))
    assert check.returncode == 0, check.stdout.decode()
    again = run_cli("bump", "rhel9.4.0", "--no-commit", "--repo", str(ours))
    assert again.returncode == 0 and "nothing to do" in again.stderr.decode()


def test_a_downstream_bump_says_what_it_refuses_in_one_line(rhel):
    from helpers import snapshot

    before = {p: d for p, d in snapshot(rhel).items() if p.startswith("hw/")}
    for version, words in (("rhel9.1.0", "not newer than the newest type, pc-q35-rhel9.2.0"),
                           ("acme3.1.0", "registers no acme machine types")):
        proc = run_cli("bump", version, "--no-commit", "--repo", str(rhel))
        err = proc.stderr.decode()
        assert proc.returncode in (1, 2) and err.count("\n") == 1 and words in err, err
    assert {p: d for p, d in snapshot(rhel).items() if p.startswith("hw/")} == before


def test_a_dry_run_downstream_bump_is_a_patch_git_applies_and_json_says_the_frozen(rhel):
    patch = run_cli("bump", "rhel9.4.0", "-n", "--format", "patch", "--repo", str(rhel))
    assert patch.returncode == 0, patch.stderr.decode()
    text = patch.stdout.decode()
    assert "Subject: [PATCH] redhat: add rhel9.4.0 machine types" in text
    assert "Signed-off-by: " in text
    check = subprocess.run(["git", "apply", "--check", "-"], input=patch.stdout, cwd=rhel,
                           capture_output=True)
    assert check.returncode == 0, check.stderr.decode()
    data = json.loads(run_cli("bump", "rhel9.4.0", "-n", "--format", "json",
                              "--repo", str(rhel)).stdout)
    assert sorted(data["families"]) == ["rhel-arm", "rhel-q35", "rhel-s390x"]
    assert [s.split(":")[0] for s in data["skipped"]] == ["rhel-i440fx", "rhel-spapr"]


def test_rebase_after_the_bump_makes_the_new_types_array(before_0018, tmp_path):
    """Bumped first (rhel9.2.0 adds no array), a rebase makes hw_compat_rhel_9_2 as the
    vendor writes hw_compat_rhel_9_1: definition and `_len` above it, extern pair above
    its pair, a `compat_props_add` in the newest type of each family that adds 9_1,
    written as that family writes it (pc_piix.c's flat list included)."""
    ours = linked_copy(before_0018, tmp_path / "ours")
    assert run_cli("bump", "rhel9.2.0", "--no-commit", "--repo", str(ours)).returncode == 0
    proc = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    assert proc.returncode == 0, proc.stderr.decode()
    machine = (ours / "hw/core/machine.c").read_text()
    assert ("GlobalProperty hw_compat_rhel_9_2[] = {\n"
            "  /* hw_compat_rhel_9_2 from hw_compat_7_1 */\n"
            "  { \"virtio-device\", \"queue_reset\", \"false\" },\n};\n"
            "const size_t hw_compat_rhel_9_2_len = G_N_ELEMENTS(hw_compat_rhel_9_2);\n\n"
            "/*\n * Mostly the same as hw_compat_7_0\n */\n"
            "GlobalProperty hw_compat_rhel_9_1[] = {") in machine
    boards = (ours / "include/hw/boards.h").read_text()
    assert ("extern GlobalProperty hw_compat_rhel_9_2[];\nextern const size_t "
            "hw_compat_rhel_9_2_len;\n\nextern GlobalProperty hw_compat_rhel_9_1[];") in boards
    assert ("    compat_props_add(mc->compat_props, arm_rhel_compat, arm_rhel_compat_len);\n"
            "    compat_props_add(mc->compat_props, hw_compat_rhel_9_2, hw_compat_rhel_9_2_len);\n"
            "}\nDEFINE_RHEL_MACHINE_AS_LATEST(9, 2, 0)") in (ours / "hw/arm/virt.c").read_text()
    assert ("    pcmc->enforce_amd_1tb_hole = false;\n"
            "    compat_props_add(m->compat_props, hw_compat_rhel_9_2,\n"
            "                     hw_compat_rhel_9_2_len);\n"
            "    compat_props_add(m->compat_props, hw_compat_rhel_9_1,\n") in \
        (ours / "hw/i386/pc_piix.c").read_text()
    assert "hw_compat_rhel_9_2" not in (ours / "hw/ppc/spapr.c").read_text()   # frozen at 8.5
    check = run_cli("check", "--repo", str(ours))
    assert check.returncode == 0, check.stdout.decode()


def test_what_the_vendor_declined_is_said_with_its_reason_not_added(before_0018, tmp_path):
    ours = linked_copy(before_0018, tmp_path / "ours")
    (ours / ".qscaffold").mkdir()
    (ours / ".qscaffold/declined.toml").write_text(
        '[[declined]]\nfrom = "ccw_machine_7_1_instance_options"\n'
        'what = "s390_set_qemu_cpu_model(0x8561,15,1,qemu_cpu_feat);"\n'
        'reason = "rhel9.0.0 keeps its z14 model"\n\n'
        '[[declined]]\nfrom = "hw_compat_7_1"\nwhat = "virtio-device queue_reset"\n'
        'reason = "not in RHEL 9.2"\n\n'
        '[[declined]]\nfrom = "hw_compat_6_0"\nwhat = "gpex-pcihost allow-unmapped-accesses"\n'
        'reason = "a typo\'s place"\n')
    proc = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(ours))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert ("declined: hw/s390x/s390-virtio-ccw.c:842: ccw_machine_7_1_instance_options's "
            "`s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);`: rhel9.0.0 keeps its z14 "
            "model (.qscaffold/declined.toml:1)") in err
    assert "hw_compat_7_1's" in err and "not in RHEL 9.2 (.qscaffold/declined.toml:6)" in err
    assert ".qscaffold/declined.toml:11: declines hw_compat_6_0's" in err
    assert err.count("for a person") == 2   # 7.0's CPU model, and the declination unused
    assert b"hw_compat_rhel_9_1 from hw_compat_7_1" not in (ours / "hw/core/machine.c").read_bytes()


@pytest.mark.qemu_build
def test_the_bumped_rhel_tree_builds_and_its_binary_lists_every_type():
    """QEMU's own build of RHEL's tree before 0018 (scripts/qemu-build --patches, cached):
    the rebase, committed, then `bump rhel9.2.0 --build-dir` (which compiles what it
    touched with -Werror before committing), then the x86_64 binary is asked over QMP:
    pc-q35-rhel9.2.0 is there as `q35`, every older RHEL type still is, with its
    description, and the default stays pc-i440fx-rhel7.6.0."""
    from helpers import RHEL_PATCHES, build_tree, ninja
    from test_build_proof import machines

    if not (RHEL_PATCHES / "series").is_file():
        rhel_tree(Path("."))   # skips, and the run says so
    args = ("qemu-system-x86_64", "--targets", "x86_64-softmmu", "--patches", str(RHEL_PATCHES),
            "--before", "0018")
    src, build = build_tree("7.2", "--reset", *args)
    try:
        before = machines(build)
        assert _machine_help(build)["q35"].endswith("(alias of pc-q35-rhel9.0.0)")
        for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
            subprocess.run(["git", "-C", str(src), "config", key, value], check=True)
        rebase = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--repo", str(src))
        assert rebase.returncode == 0, rebase.stderr.decode()
        subprocess.run(["git", "-C", str(src), "commit", "-qam", "rebase bits"], check=True)
        bump = run_cli("bump", "rhel9.2.0", "--build-dir", str(build), "--repo", str(src))
        assert bump.returncode == 0, bump.stderr.decode()
        ninja(build, "qemu-system-x86_64")
        after = machines(build)
        assert after["pc-q35-rhel9.2.0"].get("alias") == "q35"
        assert "alias" not in after["pc-q35-rhel9.0.0"]
        assert set(after) == set(before) | {"pc-q35-rhel9.2.0"}
        default = [n for n, m in after.items() if m.get("is-default")]
        assert default == ["pc-i440fx-rhel7.6.0"]
        listed = _machine_help(build)
        assert listed["q35"] == "RHEL-9.2.0 PC (Q35 + ICH9, 2009) (alias of pc-q35-rhel9.2.0)"
        assert listed["pc-q35-rhel9.2.0"] == "RHEL-9.2.0 PC (Q35 + ICH9, 2009)"
        assert listed["pc-q35-rhel9.0.0"] == "RHEL-9.0.0 PC (Q35 + ICH9, 2009)"
        assert {n for n in listed if "rhel" in n} == \
            {n for n in before if "rhel" in n} | {"pc-q35-rhel9.2.0"}
    finally:
        build_tree("7.2", "--reset", *args)


def _machine_help(build: Path) -> dict[str, str]:
    """`qemu-system-x86_64 -machine help`: name -> the rest of its line."""
    proc = subprocess.run([str(build / "qemu-system-x86_64"), "-machine", "help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return {line.split()[0]: line.split(None, 1)[1].strip()
            for line in proc.stdout.splitlines()[1:] if line.strip()}


def test_check_says_a_vendor_array_half_declared_or_not_added(rhel, tmp_path):
    """Issue 28, item 3: every vendor array whole (C408), and the newest one added by the
    types its release covers, the flat i440fx list included (C409); the shipped tree has
    neither (test_check_on_rhel_has_no_false_finding)."""
    root = linked_copy(rhel, tmp_path / "tree")
    for rel, old in (("include/hw/boards.h", "extern GlobalProperty hw_compat_rhel_9_1[];\n"
                      "extern const size_t hw_compat_rhel_9_1_len;\n"),
                     ("hw/arm/virt.c", "    compat_props_add(mc->compat_props, hw_compat_rhel_9_1,"
                      " hw_compat_rhel_9_1_len);\n"),
                     ("hw/i386/pc_piix.c", "    compat_props_add(m->compat_props, hw_compat_rhel_9_1,\n"
                      "                     hw_compat_rhel_9_1_len);\n")):
        path = root / rel
        text = path.read_text()
        assert text.count(old) == 1, rel
        path.unlink()   # a hard link to the module's tree: a file of its own
        path.write_text(text.replace(old, ""))
    proc = run_cli("check", "--repo", str(root))
    out = proc.stdout.decode()
    assert proc.returncode == 1, out
    errors = [l for l in out.splitlines() if "error[" in l]
    assert [l.split(": error[")[1][:4] for l in errors] == ["C409", "C408", "C409"], errors
    assert any(l.startswith("hw/core/machine.c:52: error[C408]: hw_compat_rhel_9_1 lacks its "
                            "extern declaration") for l in errors)
    assert any("virt-rhel9.0.0 does not add hw_compat_rhel_9_1" in l for l in errors)
    assert any("pc-i440fx-rhel7.6.0 does not add hw_compat_rhel_9_1" in l for l in errors)


def test_a_rebase_for_the_next_release_then_its_bump_moves_the_array_to_the_new_type(
        before_0018, tmp_path):
    """`compat rebase --array-release 9.2` before any 9.2.0 type exists wires
    hw_compat_rhel_9_2 into the newest types up to 9.2 (rhel9.0.0); `bump rhel9.2.0` then
    said "internal error: ... virt-rhel9.2.0 does not add hw_compat_rhel_9_2" (issue 37,
    item 12).  The new 9.2.0 types are now the newest up to 9.2: the line moves to them,
    and 9.0.0 still gets it through the chain."""
    ours = linked_copy(before_0018, tmp_path / "ours")
    proc = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--array-release", "9.2",
                   "--repo", str(ours))
    assert proc.returncode == 0, proc.stderr.decode()
    bump = run_cli("bump", "rhel9.2.0", "--no-commit", "--repo", str(ours))
    assert bump.returncode == 0, bump.stderr.decode()
    virt = (ours / "hw/arm/virt.c").read_text()
    assert ("static void rhel920_virt_options(MachineClass *mc)\n{\n"
            "    compat_props_add(mc->compat_props, arm_rhel_compat, arm_rhel_compat_len);\n"
            "    compat_props_add(mc->compat_props, hw_compat_rhel_9_2, hw_compat_rhel_9_2_len);\n"
            "}\nDEFINE_RHEL_MACHINE_AS_LATEST(9, 2, 0)") in virt
    assert virt.count("hw_compat_rhel_9_2, hw_compat_rhel_9_2_len") == 1
    check = run_cli("check", "--repo", str(ours))
    assert check.returncode == 0, check.stdout.decode()


def test_a_mistyped_type_name_is_said_before_the_bump_and_a_merge_first(rhel, tmp_path):
    """A type-name typo (`"pc-q35-rhel9.2.0x"`): check rightly reports C303 (the newest
    type, rhel9.0.0, lacks the mark the 9.2.0x variant has: C304 too), but `bump
    rhel9.4.0` said "internal error: the result would fail check", and the same during a
    conflicted merge instead of "a merge is in progress" (issue 37, item 12)."""
    ours = linked_copy(rhel, tmp_path / "ours")
    q35 = ours / "hw/i386/pc_q35.c"
    text = q35.read_text().replace('"pc-q35-rhel9.2.0"', '"pc-q35-rhel9.2.0x"')
    q35.unlink()   # a hard link of the module's tree: replaced, never written through
    q35.write_text(text)
    init_repo(ours)
    proc = run_cli("bump", "rhel9.4.0", "--repo", str(ours))
    err = one_line_error(proc)
    assert proc.returncode == 1 and "internal error" not in err
    assert "the tree fails `qscaffold check` before the bump (C303: the newest version " \
        "rhel9.0.0 is not marked as the latest)" in err
    (ours / ".git/MERGE_HEAD").write_text(git(ours, "rev-parse", "HEAD"))
    merge = one_line_error(run_cli("bump", "rhel9.4.0", "--repo", str(ours)))
    assert "a merge" in merge and "finish or abort it first" in merge


def test_rebase_says_which_array_already_has_an_entry(before_0018):
    """`compat rebase -n --array-release 9.2` said "already there: hw_compat_rhel_9_2
    has ..." of an array that does not exist yet; the entries are in hw_compat_rhel_9_1."""
    proc = run_cli("compat", "rebase", "--from", "7.0", "--to", "7.2", "--array-release",
                   "9.2", "-n", "--repo", str(before_0018))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert ("already there: hw_compat_rhel_9_1 has hw_compat_7_0's { \"nvme-ns\", "
            "\"eui64-default\", \"on\" }") in err
    assert "already there: hw_compat_rhel_9_2 has" not in err


def test_machine_option_on_a_family_rhel_compiles_out_says_so(rhel):
    proc = run_cli("compat", "machine-option", "--family", "x86", "--release", "7.1",
                   "m->smp_props.prefer_sockets = true;", "-n", "--repo", str(rhel))
    err = one_line_error(proc)
    assert proc.returncode == 2 and "i440fx: its upstream machine types are compiled out by " \
        "`#if 0` in this tree" in err and "compat rebase" in err


def test_compat_diff_sets_a_rhel_type_against_the_upstream_type_it_is_based_on(rhel):
    """pc-q35-7.2 is compiled out in RHEL's tree (`#if 0`): it is read as written, as the
    base RHEL's 9.2.0 type claims to be (issue 36).  On QEMU 7.2, pc-q35-rhel9.2.0 adds
    to it only the distribution's own pc_rhel_compat (QEMU-FACTS: the distro-wide array
    only the newest type adds)."""
    proc = run_cli("compat", "diff", "pc-q35-rhel9.2.0", "pc-q35-7.2", "--json",
                   "--repo", str(rhel))
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert {e["array"] for e in data["only_a"]} == {"pc_rhel_compat"}
    assert len(data["only_a"]) == 10 and data["only_b"] == [] and data["differ"] == []
