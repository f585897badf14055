"""Ubuntu's machine types (issue 35): one type per Ubuntu release and family, named by the
release's codename (pc-q35-jammy), registered with upstream's macros beside upstream's
live types, each calling the upstream options of the QEMU that release shipped.

tests/fixtures/ubuntu-codenames is a small tree in 22.04's shapes (q35 with -hpb variants,
spapr with DEFINE_SPAPR_MACHINE_NAMED and the latest flag handed to pseries-jammy); the
real 22.04 machine files are read from ../shared/downstream/ubuntu-22.04 (skipped loudly
without it).  Every expected text below was written by hand from the files' code and
from how Ubuntu made its earlier releases (../shared/downstream/ubuntu-22.04/patches)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import SHARED, git, init_repo, run_cli, snapshot
from scaffold.reading import families
from scaffold.reading.reader import read_families
from scaffold.reading.tree import QemuTree
from scaffold.rules.chain import check_tree, reader_notes

TREE = "ubuntu-codenames"
UBUNTU_2204 = SHARED / "downstream" / "ubuntu-22.04" / "tree"


def _machines(root: Path) -> dict:
    proc = run_cli("machines", "--json", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def _ubuntu_tree(tmp_path: Path) -> Path:
    if not UBUNTU_2204.is_dir():
        pytest.skip("MISSING COVERAGE: ../shared/downstream/ubuntu-22.04 is absent")
    dest = tmp_path / "ubuntu-22.04"
    shutil.copytree(UBUNTU_2204, dest)
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


# -- the fixture -----------------------------------------------------------------------------

def test_machines_lists_every_ubuntu_type_with_the_upstream_version_it_calls(fixture_tree):
    report = _machines(fixture_tree(TREE))
    got = {f["name"]: [(t["name"], t["upstream"], t["latest"]) for t in f["machine_types"]]
           for f in report["downstream"]}
    assert got == {
        "ubuntu-q35": [("pc-q35-jammy", "6.2", True), ("pc-q35-jammy-hpb", "6.2", False),
                       ("pc-q35-impish", "6.0", False), ("pc-q35-impish-hpb", "6.0", False)],
        "ubuntu-spapr": [("pseries-jammy", "6.2", True), ("pseries-impish", "6.0", False)]}
    aliases = {f["name"]: (f["alias"], f["default"]) for f in report["downstream"]}
    assert aliases == {"ubuntu-q35": ("ubuntu-q35", False), "ubuntu-spapr": ("pseries", True)}
    spapr = next(f for f in report["families"] if f["name"] == "spapr")
    assert (spapr["alias"], spapr["default"], spapr["latest_held_by"]) == \
        (None, False, "pseries-jammy")
    q35 = next(f for f in report["families"] if f["name"] == "q35")
    assert (q35["alias"], q35["latest_held_by"]) == ("q35", None)   # upstream keeps `q35`
    assert report["notes"] == []


def test_check_is_clean_and_the_handed_latest_flag_is_no_error(fixture_tree):
    proc = run_cli("check", "--repo", str(fixture_tree(TREE)))
    assert proc.returncode == 0, proc.stdout.decode()
    assert proc.stdout.decode() == "check: no findings\n"


def test_without_ubuntus_data_every_codename_registration_is_said(fixture_tree, monkeypatch,
                                                                 tmp_path):
    shipped = tmp_path / "families"
    shipped.mkdir()
    shutil.copy(families.SHIPPED / "rhel.toml", shipped)
    monkeypatch.setattr(families, "SHIPPED", shipped)
    _, notes = read_families(QemuTree.open(fixture_tree(TREE)))
    said = [(f.code, f.path, f.line) for f in reader_notes(notes)]
    assert said == [("C901", "hw/i386/pc_q35.c", 68), ("C901", "hw/i386/pc_q35.c", 79),
                    ("C901", "hw/i386/pc_q35.c", 90), ("C901", "hw/i386/pc_q35.c", 101),
                    ("C901", "hw/ppc/spapr.c", 75), ("C901", "hw/ppc/spapr.c", 76)]


def test_upstream_bump_keeps_ubuntus_latest_flag_where_it_is(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("bump", "7.0", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    spapr = (root / "hw/ppc/spapr.c").read_text()
    assert 'DEFINE_SPAPR_MACHINE(7_0, "7.0", false);\n' in spapr
    assert 'DEFINE_SPAPR_MACHINE(6_2, "6.2", false);\n' in spapr
    assert 'DEFINE_SPAPR_MACHINE_NAMED(6_2, ubuntu_jammy, "jammy", true);\n' in spapr
    assert [f for f in check_tree(QemuTree.open(root)) if f.severity != "warning"] == []
    # the one warning: VERSION 6.2.0 is a release, the bump belongs on 6.2.50


JAMMY_DEMOTED = '''static void pc_q35_jammy_machine_options(MachineClass *m)
{
    pc_q35_6_2_machine_options(m);
    m->desc = "Ubuntu 22.04 PC (Q35 + ICH9, 2009)";
    /* The ubuntu alias and default is on the i440fx type. The
     * ubuntu-q35 alias auto-picks the most recent ubuntu q35 type */
    m->alias = NULL;
}
'''
KINETIC = '''DEFINE_Q35_MACHINE(jammy_hpb, "pc-q35-jammy-hpb", NULL,
                   pc_q35_jammy_hpb_machine_options);

static void pc_q35_kinetic_machine_options(MachineClass *m)
{
    pc_q35_6_2_machine_options(m);
    m->desc = "Ubuntu 22.10 PC (Q35 + ICH9, 2009)";
    /* The ubuntu alias and default is on the i440fx type. The
     * ubuntu-q35 alias auto-picks the most recent ubuntu q35 type */
    m->alias = "ubuntu-q35";
}
DEFINE_Q35_MACHINE(kinetic, "pc-q35-kinetic", NULL,
                   pc_q35_kinetic_machine_options);

static void pc_q35_kinetic_hpb_machine_options(MachineClass *m)
{
    pc_q35_kinetic_machine_options(m);
    m->desc = "Ubuntu 22.10 PC (Q35 + ICH9, +host-phys-bits=true, 2009)";
    m->alias = NULL;
    compat_props_add(m->compat_props,
        host_phys_bits_compat, host_phys_bits_compat_len);
}
DEFINE_Q35_MACHINE(kinetic_hpb, "pc-q35-kinetic-hpb", NULL,
                   pc_q35_kinetic_hpb_machine_options);
'''
SPAPR_AFTER = '''DEFINE_SPAPR_MACHINE_NAMED(6_0, ubuntu_impish, "impish", false);
DEFINE_SPAPR_MACHINE_NAMED(6_2, ubuntu_jammy, "jammy", false);
DEFINE_SPAPR_MACHINE_NAMED(6_2, ubuntu_kinetic, "kinetic", true);
'''


def test_bump_ubuntu_kinetic_adds_the_next_releases_types_and_moves_the_marks(fixture_tree):
    root = init_repo(fixture_tree(TREE))
    before = snapshot(root)
    proc = run_cli("bump", "ubuntu-kinetic", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    after = snapshot(root)
    assert {p for p in after if after[p] != before[p]} == {"hw/i386/pc_q35.c", "hw/ppc/spapr.c"}
    q35 = after["hw/i386/pc_q35.c"].decode()
    assert JAMMY_DEMOTED in q35 and q35.endswith(KINETIC)
    assert SPAPR_AFTER in after["hw/ppc/spapr.c"].decode()
    assert git(root, "log", "-1", "--format=%s").strip() == \
        "ubuntu: add ubuntu-kinetic machine types"
    report = _machines(root)
    newest = {f["name"]: (f["newest"], f["alias"]) for f in report["downstream"]}
    assert newest == {"ubuntu-q35": ("ubuntu-kinetic", "ubuntu-q35"),
                      "ubuntu-spapr": ("ubuntu-kinetic", "pseries")}
    assert run_cli("check", "--repo", str(root)).returncode == 0
    again = run_cli("bump", "ubuntu-kinetic", "--repo", str(root))   # nothing to do
    assert again.returncode == 0 and snapshot(root) == after


def test_bump_ubuntu_dry_run_is_a_diff_git_applies(fixture_tree):
    root = init_repo(fixture_tree(TREE))
    proc = run_cli("bump", "ubuntu-kinetic", "-n", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    subprocess.run(["git", "apply", "--check", "-"], input=proc.stdout, cwd=root, check=True)
    as_json = json.loads(run_cli("bump", "ubuntu-kinetic", "-n", "--format", "json",
                                 "--repo", str(root)).stdout)
    assert as_json["families"] == ["ubuntu-q35", "ubuntu-spapr"]


def test_a_release_older_or_unknown_is_refused_in_one_line(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    older = run_cli("bump", "ubuntu-impish", "--repo", str(root))
    assert older.returncode == 2   # a usage error, as upstream's `bump 10.1` on a 10.2 tree
    assert older.stderr.decode().startswith("qscaffold: error: hw/i386/pc_q35.c:90: ubuntu-q35: "
                                            "ubuntu-impish (21.10) is not newer than the newest "
                                            "type, pc-q35-jammy (22.04)")
    unknown = run_cli("bump", "ubuntu-zorro", "--repo", str(root))
    assert unknown.returncode == 2 and "'zorro' is not one of ubuntu's releases" in \
        unknown.stderr.decode() and len(unknown.stderr.decode().splitlines()) == 1
    assert snapshot(root) == before


# -- Ubuntu 22.04's own machine files --------------------------------------------------------

def test_ubuntu_2204_all_73_types_are_read_and_nothing_is_silent(tmp_path):
    report = _machines(_ubuntu_tree(tmp_path))
    counts = {f["name"]: f["count"] for f in report["downstream"]}
    assert counts == {"ubuntu-i440fx": 24, "ubuntu-q35": 22, "ubuntu-s390x": 13,
                      "ubuntu-spapr": 14}
    assert not [n for n in report["notes"] if n["code"] == "C901"]
    i440fx = next(f for f in report["downstream"] if f["name"] == "ubuntu-i440fx")
    assert (i440fx["alias"], i440fx["default"]) == ("ubuntu", True)   # outside microvm builds
    wily = next(t for t in i440fx["machine_types"] if t["name"] == "pc-i440fx-wily")
    assert wily["upstream"] == "2.5"   # through Ubuntu's pc_i440fx_wily_machine_options


def test_ubuntu_2204_check_reports_no_error_only_the_two_shipped_variant_mismatches(tmp_path):
    proc = run_cli("check", "--repo", str(_ubuntu_tree(tmp_path)))
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert "error" not in out
    warnings = [line for line in out.splitlines() if "warning[" in line]
    assert warnings == [
        "hw/i386/pc_piix.c:1126: warning[C109]: ubuntu-i440fx ubuntu-hirsute: "
        "pc-i440fx-hirsute-hpb reaches i440fx 5.1's options, pc-i440fx-hirsute 5.2's (fix: "
        "if not intended, call pc_hirsute_machine_options() as the other variants do)",
        "hw/i386/pc_q35.c:689: warning[C109]: ubuntu-q35 ubuntu-cosmic: pc-q35-cosmic-hpb "
        "reaches q35 2.12's options, pc-q35-cosmic 2.11's (fix: if not intended, call "
        "pc_q35_cosmic_machine_options() as the other variants do)"]


def test_ubuntu_2204_next_release_bump_passes_check(tmp_path):
    root = init_repo(_ubuntu_tree(tmp_path))
    proc = run_cli("bump", "ubuntu-kinetic", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    report = _machines(root)
    newest = {f["name"]: f["machine_types"][0]["name"] for f in report["downstream"]}
    assert newest == {"ubuntu-i440fx": "pc-i440fx-kinetic", "ubuntu-q35": "pc-q35-kinetic",
                      "ubuntu-s390x": "s390-ccw-virtio-kinetic",
                      "ubuntu-spapr": "pseries-kinetic"}
    variants = {t["name"] for f in report["downstream"] for t in f["machine_types"]
                if "kinetic-" in t["name"]}
    assert variants == {"pc-i440fx-kinetic-hpb", "pc-q35-kinetic-hpb"}   # no -sxxm: bionic's
    check = run_cli("check", "--repo", str(root))
    assert check.returncode == 0 and "error" not in check.stdout.decode()
    piix = (root / "hw/i386/pc_piix.c").read_text()
    assert ('static void pc_jammy_machine_options(MachineClass *m)\n{\n'
            '    pc_i440fx_6_2_machine_options(m);\n'
            '    m->desc = "Ubuntu 22.04 PC (i440FX + PIIX, 1996)";\n'
            '    m->alias = NULL;\n    m->is_default = false;\n}\n') in piix


def test_the_checklist_of_a_release_is_ubuntus_not_a_rebase(fixture_tree):
    """Ubuntu keeps no arrays of its own: its checklist asks that the release's types call
    the QEMU it ships, not for rebase bits; `checklist ubuntu-kinetic` names the bump."""
    root = init_repo(fixture_tree(TREE))
    before = run_cli("checklist", "ubuntu-kinetic", "--repo", str(root)).stdout.decode()
    assert before.startswith("## ubuntu-kinetic: the distribution's machine types\n")
    assert ("- [ ] ubuntu-q35: the ubuntu-kinetic type registered in hw/i386/pc_q35.c, "
            "marked latest, calling upstream's options\n  - newest is pc-q35-jammy (the "
            "latest)\n  - `qscaffold bump ubuntu-kinetic` adds it\n") in before
    assert "Rebase bits" not in before
    assert run_cli("bump", "ubuntu-kinetic", "--repo", str(root)).returncode == 0
    after = run_cli("checklist", "ubuntu-kinetic", "--repo", str(root)).stdout.decode()
    assert "- [x] ubuntu-q35: the ubuntu-kinetic type" in after
    assert ("- [x] The ubuntu-kinetic types call the options of the QEMU the release ships "
            "(the tree's newest upstream types)") in after


@pytest.mark.qemu_build
def test_ubuntus_shape_on_10_2_bumps_builds_and_the_binary_lists_the_new_types():
    """Issue 35's build proof: Ubuntu's shape ported to Debian's 10.2 tree by hand
    (helpers.ubuntu_on_10_2: questing's i440fx and q35 types calling 10.2's options,
    registered with Ubuntu's 6.2 macro shape), committed, then `bump ubuntu-resolute
    --build-dir` (which compiles what it touched with -Werror before committing); the
    binary lists the new types, `ubuntu` is the new i440fx one's alias and the default,
    `ubuntu-q35` the new q35 one's, and upstream's `pc` and `q35` stay where they were."""
    from helpers import build_tree, ninja, ubuntu_on_10_2

    src, build = build_tree("10.2", "--reset")
    try:
        ubuntu_on_10_2(src)
        for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
            subprocess.run(["git", "-C", str(src), "config", key, value], check=True)
        subprocess.run(["git", "-C", str(src), "commit", "-qam", "ubuntu: questing's types"],
                       check=True)
        check = run_cli("check", "--repo", str(src))
        assert check.returncode == 0, check.stdout.decode()
        bump = run_cli("bump", "ubuntu-resolute", "--build-dir", str(build), "--repo", str(src))
        assert bump.returncode == 0, bump.stderr.decode()
        assert run_cli("check", "--repo", str(src)).returncode == 0
        ninja(build, "qemu-system-x86_64")
        proc = subprocess.run([str(build / "qemu-system-x86_64"), "-machine", "help"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        listed = {line.split()[0]: line.split(None, 1)[1] for line in proc.stdout.splitlines()[1:]
                  if line.strip()}
        assert listed["ubuntu"] == "Ubuntu 26.04 PC (i440FX + PIIX, 1996) (alias of " \
            "pc-i440fx-resolute)"
        assert listed["pc-i440fx-resolute"] == "Ubuntu 26.04 PC (i440FX + PIIX, 1996) (default)"
        assert listed["ubuntu-q35"] == "Ubuntu 26.04 PC (Q35 + ICH9, 2009) (alias of " \
            "pc-q35-resolute)"
        assert listed["pc-i440fx-questing"] == "Ubuntu 25.10 PC (i440FX + PIIX, 1996)"
        assert listed["pc-q35-questing"] == "Ubuntu 25.10 PC (Q35 + ICH9, 2009)"
        assert listed["pc"].endswith("(alias of pc-i440fx-10.2)")
        assert listed["q35"].endswith("(alias of pc-q35-10.2)")
    finally:
        build_tree("10.2", "--reset")


MAXCPUS = '''
static void pc_q35_jammy_maxcpus_machine_options(MachineClass *m)
{
    pc_q35_jammy_machine_options(m);
    m->desc = "Ubuntu 22.04 PC (Q35 + ICH9, maxcpus=1024, 2009)";
    m->alias = NULL;
    m->max_cpus = 1024;
}
DEFINE_Q35_MACHINE(jammy_maxcpus, "pc-q35-jammy-maxcpus", NULL,
                   pc_q35_jammy_maxcpus_machine_options);
'''


def test_a_maxcpus_variant_is_read_checked_and_carried_to_the_next_release(fixture_tree):
    """-maxcpus (Ubuntu's README: q35, `max_cpus = 1024`, from 24.04 on), written here
    after jammy's -hpb: a variant calling its release's type's options.  `machines` lists
    it with 6.2 (through pc-q35-jammy); the bump gives kinetic both variants the newest
    release has, each calling kinetic's type, with its own settings and the release's
    number in its description."""
    root = fixture_tree(TREE)
    q35 = root / "hw/i386/pc_q35.c"
    anchor = "DEFINE_Q35_MACHINE(jammy_hpb, \"pc-q35-jammy-hpb\", NULL,\n" \
             "                   pc_q35_jammy_hpb_machine_options);\n"
    assert q35.read_text().count(anchor) == 1
    q35.write_text(q35.read_text().replace(anchor, anchor + MAXCPUS))
    init_repo(root)
    family = {f["name"]: f for f in _machines(root)["downstream"]}["ubuntu-q35"]
    listed = {t["name"]: t for t in family["machine_types"]}
    assert (listed["pc-q35-jammy-maxcpus"]["upstream"], listed["pc-q35-jammy-maxcpus"]["latest"]) \
        == ("6.2", False)
    assert run_cli("check", "--repo", str(root)).returncode == 0
    proc = run_cli("bump", "ubuntu-kinetic", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    text = q35.read_text()
    assert ("static void pc_q35_kinetic_maxcpus_machine_options(MachineClass *m)\n{\n"
            "    pc_q35_kinetic_machine_options(m);\n"
            '    m->desc = "Ubuntu 22.10 PC (Q35 + ICH9, maxcpus=1024, 2009)";\n'
            "    m->alias = NULL;\n    m->max_cpus = 1024;\n}\n"
            'DEFINE_Q35_MACHINE(kinetic_maxcpus, "pc-q35-kinetic-maxcpus", NULL,\n'
            "                   pc_q35_kinetic_maxcpus_machine_options);\n") in text
    assert 'DEFINE_Q35_MACHINE(kinetic_hpb, "pc-q35-kinetic-hpb", NULL,' in text
    assert text.index("kinetic_hpb") < text.index("kinetic_maxcpus")   # as jammy's order
    assert run_cli("check", "--repo", str(root)).returncode == 0


@pytest.mark.realtree
def test_ubuntus_types_through_pc_hs_macro_on_10_2_are_read_checked_and_bumped(tmp_path):
    """Past QEMU 9.1 upstream's x86 macros name their types themselves; a vendor then
    registers through pc.h's DEFINE_PC_MACHINE(suffix, "pc-q35-questing", init, options),
    which ubuntu.toml lists beside DEFINE_Q35_MACHINE: the types are read (not warned
    about as unknown), pass `check`, and the next release's are written the same way."""
    from helpers import real_tree, ubuntu_on_10_2

    root = tmp_path / "u"
    shutil.copytree(real_tree("10.2"), root, symlinks=True)
    ubuntu_on_10_2(root, through_pc_h=True)
    init_repo(root)
    report = _machines(root)
    got = {f["name"]: [t["name"] for t in f["machine_types"]] for f in report["downstream"]}
    assert got == {"ubuntu-i440fx": ["pc-i440fx-questing"], "ubuntu-q35": ["pc-q35-questing"]}
    assert not [n for n in report["notes"] if n["code"] == "C901"]
    assert run_cli("check", "--repo", str(root)).returncode == 0
    proc = run_cli("bump", "ubuntu-resolute", "-n", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    assert ('+DEFINE_PC_MACHINE(resolute, "pc-i440fx-resolute", pc_i440fx_init,\n'
            '+                  pc_i440fx_resolute_machine_options);\n') in proc.stdout.decode()
