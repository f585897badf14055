"""`qscaffold retire` (issue 9): the other end of a versioned machine type's life."""
from __future__ import annotations

import json
import subprocess

import pytest

from helpers import USER, expected_file, git, init_repo, linked_copy, real_tree, run_cli, snapshot
from scaffold.planning.retire import plan_retire
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


def stderr(proc) -> str:
    return proc.stderr.decode()


def init_git(root) -> None:
    init_repo(root)


# --- every layout on fixtures ----------------------------------------------------------

# layout-9.0: flag macros for s390x/spapr/m68k, tagged x86 macros, arm _AS_LATEST; its
# oldest version is 8.1, which every family has.  Hand-written: each 8.1 block goes with
# the blank line before it (the file then ends on 8.2's registration, as before it ended
# on 8.1's).
S390X_81 = '''DEFINE_CCW_MACHINE(8_2, "8.2", false);

static void ccw_machine_8_1_instance_options(MachineState *machine)
{
    static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V8_1 };

    ccw_machine_8_2_instance_options(machine);
    s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);
}

static void ccw_machine_8_1_class_options(MachineClass *mc)
{
    ccw_machine_8_2_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_8_1, hw_compat_8_1_len);
}
DEFINE_CCW_MACHINE(8_1, "8.1", false);
'''
SPAPR_81 = '''DEFINE_SPAPR_MACHINE(8_2, "8.2", false);

/*
 * pseries-8.1
 */
static void spapr_machine_8_1_class_options(MachineClass *mc)
{
    spapr_machine_8_2_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_8_1, hw_compat_8_1_len);
}

DEFINE_SPAPR_MACHINE(8_1, "8.1", false);
'''
I440FX_81 = '''DEFINE_I440FX_MACHINE(v8_2, "pc-i440fx-8.2", NULL,
                      pc_i440fx_8_2_machine_options);

static void pc_i440fx_8_1_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);

    pc_i440fx_8_2_machine_options(m);
    pcmc->broken_32bit_mem_addr_check = true;

    compat_props_add(m->compat_props, hw_compat_8_1, hw_compat_8_1_len);
    compat_props_add(m->compat_props, pc_compat_8_1, pc_compat_8_1_len);
}

DEFINE_I440FX_MACHINE(v8_1, "pc-i440fx-8.1", NULL,
                      pc_i440fx_8_1_machine_options);
'''
M68K_81 = '''DEFINE_VIRT_MACHINE(8, 2, false)

static void virt_machine_8_1_options(MachineClass *mc)
{
    virt_machine_8_2_options(mc);
    compat_props_add(mc->compat_props, hw_compat_8_1, hw_compat_8_1_len);
}
DEFINE_VIRT_MACHINE(8, 1, false)
'''
ARM_81 = M68K_81.replace(", false)", ")")


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0] + "\n" if "I440FX" not in text else \
        text.split("\n\n", 1)[0] + "\n"


def test_retire_one_version_of_every_layout(fixture_tree, tmp_path):
    root = fixture_tree("layout-9.0")
    pc = root / "hw/i386/pc.c"      # the last user of PC_CPU_MODEL_IDS goes with pc_compat_8_1
    pc.write_text(pc.read_text().replace("GlobalProperty pc_compat_8_1[] = {};",
                                         'GlobalProperty pc_compat_8_1[] = {\n'
                                         '    PC_CPU_MODEL_IDS("8.1")\n};'))
    init_git(root)
    before = snapshot(root)
    proc = run_cli("retire", "8.1", "--repo", str(root))     # no policy in a 9.0 tree
    assert proc.returncode == 2 and "--force" in stderr(proc)
    proc = run_cli("retire", "8.1", "--force", "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    after = snapshot(root)
    hunks = {"hw/s390x/s390-virtio-ccw.c": S390X_81, "hw/ppc/spapr.c": SPAPR_81,
             "hw/i386/pc_piix.c": I440FX_81, "hw/m68k/virt.c": M68K_81, "hw/arm/virt.c": ARM_81}
    for path, old in hunks.items():
        assert after[path] == expected_file(before[path], [(old, _first_line(old))], path), path
    # q35 too, and both arrays, their externs, and the macro only pc_compat_8_1 used
    assert b"pc_q35_8_1" not in after["hw/i386/pc_q35.c"]
    assert after["hw/i386/pc.c"] == (
        b"/*\n * QEMU PC System Emulator (qscaffold fixture)\n */\n\n#include \"qemu/osdep.h\"\n"
        b"#include \"hw/i386/pc.h\"\n\nGlobalProperty pc_compat_8_2[] = {};\n"
        b"const size_t pc_compat_8_2_len = G_N_ELEMENTS(pc_compat_8_2);\n")
    assert b"hw_compat_8_1" not in after["hw/core/machine.c"] + after["include/hw/boards.h"]
    assert b"pc_compat_8_1" not in after["include/hw/i386/pc.h"]
    subjects = git(root, "log", "--format=%s", "--reverse", "HEAD~7..HEAD").splitlines()
    assert subjects == [
        "hw/arm/virt: Remove deprecated virt-8.1 machine",
        "hw/i386/pc: Remove deprecated pc-q35-8.1 and pc-i440fx-8.1 machines",
        "hw/m68k/virt: Remove deprecated virt-8.1 machine",
        "hw/s390x/ccw: Remove deprecated s390-ccw-virtio-8.1 machine",
        "hw/ppc/spapr: Remove deprecated pseries-8.1 machine",
        "hw/core/machine: Remove hw_compat_8_1[] array",
        "hw/i386/pc: Remove pc_compat_8_1[] array",
    ]
    body = git(root, "log", "-1", "--format=%b", "HEAD")
    assert "PC_CPU_MODEL_IDS, used only by it, goes too." in body.replace("\n", " ")
    assert "Generated with `qscaffold retire 8.1 --force`." in body
    assert run_cli("check", "--repo", str(root)).returncode == 0
    # a second run has nothing left to do
    head = git(root, "rev-parse", "HEAD")
    proc = run_cli("retire", "8.1", "--force", "--repo", str(root))
    assert proc.returncode == 0 and "nothing to do" in stderr(proc)
    assert git(root, "rev-parse", "HEAD") == head


def test_newest_is_never_retired_and_policy_is_honoured(fixture_tree):
    root = fixture_tree("layout-11.2")          # policy macros, VERSION 11.2.50
    before = snapshot(root)
    proc = run_cli("retire", "11.2", "--force", "--repo", str(root))
    assert proc.returncode == 2 and "newest version is never retired" in stderr(proc)
    proc = run_cli("retire", "11.0", "--repo", str(root))
    assert proc.returncode == 1
    assert "is not past deletion yet (it is, from 17.0 on)" in stderr(proc)
    assert stderr(proc).count("\n") == 1
    assert snapshot(root) == before


def test_stale_declarations_go_in_one_commit(fixture_tree):
    root = fixture_tree("layout-9.0")
    header = root / "include/hw/i386/pc.h"
    text = header.read_text()
    at = text.index("extern GlobalProperty pc_compat_8_1[];")
    header.write_text(text[:at] + "extern GlobalProperty pc_compat_1_7[];\n"
                      "extern const size_t pc_compat_1_7_len;\n\n" + text[at:])
    init_git(root)
    proc = run_cli("retire", "--family", "s390x", "8.1", "--force", "--repo", str(root))
    assert proc.returncode == 0, stderr(proc)
    assert git(root, "log", "-1", "--format=%s").strip() == \
        "hw/i386/pc: Remove stale compat array declarations"
    assert header.read_text() == text


# --- the real 10.2 tree -----------------------------------------------------------------

SUBJECTS_102 = (
    [f"hw/i386/pc: Remove deprecated pc-q35-{v} and pc-i440fx-{v} machines"
     for v in ("2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0")]
    + [f"hw/i386/pc: Remove deprecated pc-q35-{v} machine" for v in ("3.1", "4.0", "4.1", "4.2")]
    + [f"hw/{p}: Remove {a}_compat_{v}[] array"
       for v in ("2_6", "2_7", "2_8", "2_9", "2_10", "2_11", "2_12", "3_0")
       for p, a in (("core/machine", "hw"), ("i386/pc", "pc"))])


@pytest.fixture(scope="module")
def series_102():
    tree = QemuTree.open(real_tree("10.2"))
    return tree, plan_retire(tree)


@pytest.mark.realtree
def test_real_tree_series(series_102):
    tree, series = series_102
    assert [s.subject for s in series.steps] == SUBJECTS_102
    # xenfv-3.1 and xenfv-4.2 (CONFIG_XEN) still call i440fx 3.1 and 4.2: reported, kept
    kept = [f for f in series.followups if f.kind == "kept"]
    assert [str(f).split(": ", 1)[1] for f in kept] == [
        "pc-i440fx-3.1 and newer are kept: pc_i440fx_machine_3_1_options is still used by "
        "xenfv_machine_3_1_options; retire that user first, by hand"]
    fields = [f for f in series.followups if f.kind == "class-field"]
    # fwcfg_dma_enabled: only pc-q35/i440fx-2.6 set it false among the versioned types, but
    # microvm's class_init (another machine type) still sets it: it is not dead, no advice
    assert [f.message.split(": ")[0] for f in fields] == ["PCMachineClass::legacy_cpu_hotplug"]
    assert fields[0].path == "include/hw/i386/pc.h"
    mentions = {(f.path, f.message.rsplit(" ", 1)[1]) for f in series.followups if f.kind == "mention"}
    assert ("tests/qtest/test-x86-cpuid-compat.c", "pc-i440fx-2.7") in mentions
    assert "pc-q35-4.0.1" in series.retired


@pytest.mark.realtree
def test_real_tree_first_and_last_machine_commits_and_an_array_commit(series_102):
    tree, series = series_102
    first = series.steps[0].contents
    for path, prefix, macro in (("hw/i386/pc_piix.c", "pc_i440fx", "I440FX"),
                                ("hw/i386/pc_q35.c", "pc_q35", "Q35")):
        old, new = first[path]
        block = (f"DEFINE_{macro}_MACHINE(2, 7);\n\n"
                 f"static void {prefix}_machine_2_6_options(MachineClass *m)\n{{\n"
                 "    X86MachineClass *x86mc = X86_MACHINE_CLASS(m);\n"
                 "    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);\n\n"
                 f"    {prefix}_machine_2_7_options(m);\n"
                 "    pcmc->legacy_cpu_hotplug = true;\n"
                 "    x86mc->fwcfg_dma_enabled = false;\n"
                 "    compat_props_add(m->compat_props, hw_compat_2_6, hw_compat_2_6_len);\n"
                 "    compat_props_add(m->compat_props, pc_compat_2_6, pc_compat_2_6_len);\n"
                 f"}}\n\nDEFINE_{macro}_MACHINE(2, 6);\n")
        assert new == expected_file(old, [(block, f"DEFINE_{macro}_MACHINE(2, 7);\n")], path)
    # the last machine commit: q35 4.2, after which 5.0 is the oldest q35
    old, new = series.steps[11].contents["hw/i386/pc_q35.c"]
    start = old.index(b"\n\nstatic void pc_q35_machine_4_2_options")
    assert old.endswith(b"DEFINE_Q35_MACHINE(4, 2);\n")
    assert new == old[:start] + b"\n"
    assert new.endswith(b"DEFINE_Q35_MACHINE(5, 0);\n")
    # an array commit: hw_compat_2_6's definition, _len and both externs
    step = series.steps[12]
    old, new = step.contents["hw/core/machine.c"]
    start = old.index(b"GlobalProperty hw_compat_2_6[] = {")
    end = old.index(b"const size_t hw_compat_2_6_len = G_N_ELEMENTS(hw_compat_2_6);\n") + \
        len(b"const size_t hw_compat_2_6_len = G_N_ELEMENTS(hw_compat_2_6);\n\n")
    assert new == old[:start] + old[end:]
    old, new = step.contents["include/hw/boards.h"]
    assert new == old.replace(b"\n\nextern GlobalProperty hw_compat_2_6[];\n"
                              b"extern const size_t hw_compat_2_6_len;", b"")


@pytest.mark.realtree
def test_real_tree_commits_equal_git_am_of_the_mbox(tmp_path):
    base = linked_copy(real_tree("10.2"), tmp_path / "a")
    init_git(base)
    clone = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(base), str(clone)], check=True)
    git(clone, "config", "user.name", USER[0])
    git(clone, "config", "user.email", USER[1])
    mbox = tmp_path / "series.mbox"
    proc = run_cli("retire", "--dry-run", "--format", "patch", "-o", str(mbox), "--repo", str(base))
    assert proc.returncode == 0, stderr(proc)
    assert mbox.read_text().count("\nSubject: [PATCH ") == len(SUBJECTS_102)
    assert "Subject: [PATCH 01/28] hw/i386/pc: Remove deprecated pc-q35-2.6 and" in mbox.read_text()
    # issue 29, item 6: the subjects first; a cover letter; To/Cc from get_maintainer.pl
    said = [l for l in stderr(proc).splitlines() if l.startswith("qscaffold: [")]
    assert said[0] == "qscaffold: [1/28] " + SUBJECTS_102[0] and len(said) == 28
    cover = run_cli("retire", "--dry-run", "--format", "patch", "--cover-letter", "--cc",
                    "auto", "--repo", str(base))
    assert cover.returncode == 0, stderr(cover)
    first = cover.stdout.decode().split("\nFrom 0000000000000000000000000000000000000000")[0]
    assert "\nSubject: [PATCH 00/28] Remove the deprecated machine types past deletion\n" \
        "To: qemu-devel@nongnu.org\nCc: " in first
    assert "Paolo Bonzini <pbonzini@redhat.com>" in first    # PC machines in MAINTAINERS
    assert "Left for a person:\n- hw/i386/pc_piix.c:" in first
    assert f"Test User (28):\n  {SUBJECTS_102[0]}\n" in first
    patches = cover.stdout.decode().split("\nSubject: [PATCH ")[1:]
    assert len(patches) == 29 and all("\nTo: qemu-devel@nongnu.org\nCc: " in p for p in patches)
    proc = run_cli("retire", "--repo", str(base))
    assert proc.returncode == 0, stderr(proc)
    assert "follow-up: hw/i386/pc_piix.c:" in stderr(proc)
    subprocess.run(["git", "-C", str(clone), "am", "-q", str(mbox)], check=True)
    assert git(base, "rev-parse", "HEAD^{tree}") == git(clone, "rev-parse", "HEAD^{tree}")
    assert git(base, "log", "--format=%s%n%b", "master~28..master") == \
        git(clone, "log", "--format=%s%n%b", "HEAD~28..HEAD")
    assert run_cli("check", "--repo", str(base)).returncode == 0
    proc = run_cli("retire", "--repo", str(base))
    assert proc.returncode == 0 and "nothing to do" in stderr(proc)
    report = json.loads(run_cli("machines", "--json", "--repo", str(base)).stdout)
    assert {f["name"]: f["oldest"] for f in report["families"]}["q35"] == "5.0"


@pytest.mark.realtree
def test_up_to_not_past_deletion_is_refused(tmp_path):
    root = linked_copy(real_tree("10.2"), tmp_path / "q")
    proc = run_cli("retire", "5.0", "--family", "arm", "--repo", str(root))
    assert proc.returncode == 1
    assert "hw/arm/virt.c:" in stderr(proc) and "virt-5.0 is not past deletion yet " \
        "(it is, from 11.0 on)" in stderr(proc)
    assert subprocess.run(["diff", "-r", str(real_tree("10.2")), str(root)]).returncode == 0
    plan = plan_retire(QemuTree.open(root), Version(5, 0), ["arm"], force=True)
    assert [s.subject for s in plan.steps] == ["hw/arm/virt: Remove deprecated virt-5.0 machine"]


def test_the_file_search_names_words_and_skips_vendored_code(tmp_path):
    from scaffold.reading.search import MAX_SIZE, FileSearch

    (tmp_path / "tests" / "qtest").mkdir(parents=True)
    (tmp_path / "tests" / "roms").mkdir()
    (tmp_path / "tests" / "qtest" / "a.c").write_bytes(b'"pc-i440fx-2.0"\n')
    (tmp_path / "tests" / "qtest" / "b.c").write_bytes(b"pc-i440fx-2.0x\n")   # not a word
    (tmp_path / "tests" / "roms" / "c.c").write_bytes(b"pc-i440fx-2.0\n")     # vendored
    (tmp_path / "tests" / "big.bin").write_bytes(b"pc-i440fx-2.0 " * (MAX_SIZE // 10))
    search = FileSearch(tmp_path, ("tests", "docs"), None, [b"pc-i440fx-2.0"])
    assert [rel for rel, _ in search.containing([b"pc-i440fx-2.0"])] == \
        ["tests/qtest/a.c", "tests/qtest/b.c"]
    assert search.naming() == {"pc-i440fx-2.0": ["tests/qtest/a.c"]}
    assert list(search.containing([b"other"])) == []


@pytest.mark.realtree
def test_the_cc_list_is_in_one_order_on_every_run():
    """get_maintainer.pl runs under perl, whose hashes are ordered randomly per process:
    its names of one rank came in another order on each run, and so did a series' Cc
    lines.  Three runs of `checklist` on 10.2 give one Cc line."""
    tree = str(real_tree("10.2"))
    lines = {next(line for line in run_cli("checklist", "--repo", tree).stdout.decode()
                  .splitlines() if "Cc (scripts/get_maintainer.pl)" in line)
             for _ in range(3)}
    assert len(lines) == 1 and "Paolo Bonzini" in next(iter(lines))
