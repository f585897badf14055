"""Committing with git, patch output, and never leaving a tree half-done (issue 4)."""
from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from helpers import FIXTURES, USER, git, one_line_error, run_cli, snapshot

TREE = "layout-11.2"      # current layout, four families, header in include/hw/core/
TARGET = "12.0"
BUMPED = {"hw/arm/virt.c", "hw/loongarch/virt.c", "hw/i386/pc_piix.c", "hw/i386/pc_q35.c",
          "hw/core/machine.c", "hw/i386/pc.c", "include/hw/core/boards.h", "include/hw/i386/pc.h"}


@pytest.fixture
def reference(fixture_tree, tmp_path) -> dict[str, bytes]:
    """The tree after an uninterrupted bump, to compare partial and re-run results with."""
    root = fixture_tree(TREE)
    dest = tmp_path / "reference"
    shutil.move(str(root), dest)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(dest))
    assert proc.returncode == 0, proc.stderr
    return snapshot(dest)


# --- commit ---------------------------------------------------------------------------

def test_bump_commits_only_its_files_with_the_qemu_message(repo):
    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    message = git(repo, "log", "-1", "--format=%B")
    assert message == (
        "hw: add compat machines for 12.0\n\n"
        "Add 12.0 machine types for arm/i440fx/loongarch/q35.\n\n"
        "Generated with `qscaffold bump 12.0`.\n\n"
        f"Signed-off-by: {USER[0]} <{USER[1]}>\n\n")
    assert all(len(line) <= 76 for line in message.splitlines())
    assert set(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == BUMPED
    assert git(repo, "status", "--porcelain") == ""


def test_no_signoff_and_no_provenance(repo):
    proc = run_cli("bump", TARGET, "--no-signoff", "--no-provenance", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    message = git(repo, "log", "-1", "--format=%B")
    assert "Signed-off-by" not in message and "qscaffold" not in message
    assert message.startswith("hw: add compat machines for 12.0\n\nAdd 12.0 machine types")


def test_other_staged_and_unstaged_work_stays_as_it_was(repo):
    (repo / "hw/riscv/virt.c").write_text("/* staged work */\n")
    git(repo, "add", "hw/riscv/virt.c")
    (repo / "VERSION").write_text("11.2.51\n")          # unstaged work
    (repo / "notes.txt").write_text("untracked\n")
    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert set(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == BUMPED
    assert git(repo, "diff", "--cached", "--name-only").split() == ["hw/riscv/virt.c"]
    assert git(repo, "diff", "--name-only").split() == ["VERSION"]
    assert (repo / "notes.txt").read_text() == "untracked\n"


def test_dirty_file_is_refused_unless_allowed(repo):
    path = repo / "hw/arm/virt.c"
    path.write_bytes(path.read_bytes() + b"/* local change */\n")
    before = snapshot(repo)
    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 1
    assert "hw/arm/virt.c" in one_line_error(proc) and "--allow-dirty" in proc.stderr.decode()
    assert snapshot(repo) == before
    proc = run_cli("bump", TARGET, "--allow-dirty", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert b"/* local change */" in path.read_bytes()


def test_branch_is_created_and_an_existing_one_refused(repo):
    proc = run_cli("bump", TARGET, "--branch", "compat-12.0", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "compat-12.0"
    assert git(repo, "log", "-1", "--format=%s", "master").strip() == "QEMU"
    git(repo, "checkout", "-q", "master")
    before = snapshot(repo)
    proc = run_cli("bump", TARGET, "--branch", "compat-12.0", "--repo", str(repo))
    assert proc.returncode == 2 and "already exists" in one_line_error(proc)
    assert snapshot(repo) == before


def test_not_a_git_repository(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--repo", str(root))
    assert proc.returncode == 1 and "--no-commit" in one_line_error(proc)
    assert snapshot(root) == before


def test_git_without_identity(repo, tmp_path):
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    before = snapshot(repo)
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": str(tmp_path / "none")}
    proc = run_cli("bump", TARGET, "--repo", str(repo), env=env)
    assert proc.returncode == 1 and "identity" in one_line_error(proc)
    assert snapshot(repo) == before


# --- patch output ---------------------------------------------------------------------

def _split_patch(text: str) -> tuple[str, str]:
    """(message, diffstat and diff) of a format-patch mbox, without From/Date lines."""
    head, _, rest = text.partition("\n\n")
    subject = next(line for line in head.splitlines() if line.startswith("Subject: "))
    body, _, diff = rest.partition("\n---\n")
    return subject + "\n\n" + body, diff.rsplit("\n-- \n", 1)[0]


def test_patch_format_matches_format_patch_and_applies_with_git_am(repo, tmp_path):
    proc = run_cli("bump", TARGET, "--dry-run", "--format", "patch", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    patch = proc.stdout.decode()
    assert patch.startswith("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n")
    assert f"From: {USER[0]} <{USER[1]}>\n" in patch and "\nDate: " in patch
    assert "Subject: [PATCH] hw: add compat machines for 12.0\n" in patch
    assert git(repo, "status", "--porcelain") == ""           # a dry run writes nothing

    applied = tmp_path / "am"
    shutil.copytree(repo, applied)
    (tmp_path / "bump.patch").write_text(patch)
    git(applied, "am", "-q", str(tmp_path / "bump.patch"))

    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    real = git(repo, "format-patch", "-1", "--stdout")
    assert _split_patch(patch) == _split_patch(real)
    assert git(applied, "rev-parse", "HEAD^{tree}") == git(repo, "rev-parse", "HEAD^{tree}")


def test_output_file_json_and_colour(repo, tmp_path):
    out = tmp_path / "bump.diff"
    proc = run_cli("bump", TARGET, "--dry-run", "--output", str(out), "--repo", str(repo))
    assert proc.returncode == 0 and proc.stdout == b""
    text = out.read_text()
    assert text.startswith("diff --git a/") and "\x1b[" not in text   # not a terminal: plain
    proc = run_cli("bump", TARGET, "--dry-run", "--format", "json", "--repo", str(repo))
    plan = json.loads(proc.stdout)
    assert plan["version"] == "12.0" and plan["families"] == ["arm", "i440fx", "loongarch", "q35"]
    assert set(plan["files"]) == BUMPED
    assert {e["path"] for e in plan["edits"]} == BUMPED
    from scaffold.applying.diff import unified_diff
    coloured = unified_diff({"a.c": (b"x\n", b"y\n")}, color=True)
    assert b"\x1b[" in coloured


# --- never half-done --------------------------------------------------------------------

def test_idempotent(fixture_tree, reference):
    root = fixture_tree(TREE)
    assert run_cli("bump", TARGET, "--no-commit", "--repo", str(root)).returncode == 0
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    assert proc.returncode == 0 and b"nothing to do" in proc.stderr
    assert snapshot(root) == reference


@pytest.mark.parametrize("kill_after", [1, 3, 6])
def test_killed_between_writes_then_rerun_completes(fixture_tree, reference, kill_after):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root),
                   env={"QSCAFFOLD_TEST_KILL_AFTER_WRITES": str(kill_after)})
    assert proc.returncode == -9                       # really killed by SIGKILL
    middle = snapshot(root)
    assert sum(middle[p] != before[p] for p in before) == kill_after
    assert not [p for p in middle if ".qscaffold" in p]  # no temporary files left behind
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr
    assert b"completing a partial bump" in proc.stderr
    assert snapshot(root) == reference


def test_partial_manual_start_is_completed(fixture_tree, reference):
    root = fixture_tree(TREE)
    for path in ("hw/core/machine.c", "include/hw/core/boards.h", "hw/i386/pc_q35.c"):
        (root / path).write_bytes(reference[path])     # somebody started by hand
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr
    assert snapshot(root) == reference


def test_half_done_family_is_refused(fixture_tree, reference):
    root = fixture_tree(TREE)
    # 12.0 added to arm by hand, but 11.2 not demoted: not a state to guess about.
    text = (root / "hw/arm/virt.c").read_text()
    (root / "hw/arm/virt.c").write_text(text.replace(
        "static void virt_machine_11_2_options", "static void virt_machine_12_0_options(MachineClass *mc)\n"
        "{\n}\nDEFINE_VIRT_MACHINE_AS_LATEST(12, 0)\n\nstatic void virt_machine_11_2_options", 1))
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    err = one_line_error(proc)
    assert proc.returncode == 1 and "hw/arm/virt.c:" in err and "arm" in err and "incomplete" in err
    assert snapshot(root) == before


def test_failure_during_writes_restores_every_file(fixture_tree):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root),
                   env={"QSCAFFOLD_TEST_FAIL_AFTER_WRITES": "4"})
    assert proc.returncode == 1 and "restored" in one_line_error(proc)
    assert snapshot(root) == before


def test_a_write_failure_names_the_file_that_failed(fixture_tree):
    """Files are written in path order; the third, hw/i386/pc.c, fails.  The message named
    the last file put back (the rollback loop rebound the name) before issue 20."""
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root),
                   env={"QSCAFFOLD_TEST_FAIL_AFTER_WRITES": "2"})
    assert proc.returncode == 1
    assert one_line_error(proc).startswith("qscaffold: error: hw/i386/pc.c: write failed")
    assert snapshot(root) == before


def test_modes_line_endings_and_foreign_bytes_survive(fixture_tree, reference):
    root = fixture_tree(TREE)
    arm = root / "hw/arm/virt.c"
    arm.write_bytes(arm.read_bytes().replace(b"\n", b"\r\n"))
    os.chmod(arm, 0o640)
    machine = root / "hw/core/machine.c"
    latin1 = b"/* Copyright (c) 2009 Andr\xe9 \xff */\n"
    machine.write_bytes(latin1 + machine.read_bytes())
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr
    assert arm.read_bytes() == reference["hw/arm/virt.c"].replace(b"\n", b"\r\n")
    assert stat.S_IMODE(arm.stat().st_mode) == 0o640
    assert machine.read_bytes() == latin1 + reference["hw/core/machine.c"]


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["9", "9.x", "v9.1", "9.1.1", "10.3", "", "-1.0", "12", "12.0.0"])
def test_malformed_versions(fixture_tree, version):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", "--repo", str(root), "--", version)
    assert proc.returncode == 2
    assert repr(version) in one_line_error(proc)
    assert snapshot(root) == before


@pytest.mark.parametrize("version,says", [
    ("11.1", "not newer than the newest machine types (11.2)"),
    ("12.1", "skips a release: the newest machine types are 11.2, so the next bump is 12.0"),
    ("13.0", "the next bump is 12.0"),
])
def test_versions_that_are_not_next(fixture_tree, version, says):
    root = fixture_tree(TREE)
    before = snapshot(root)
    proc = run_cli("bump", version, "--repo", str(root))
    assert proc.returncode == 2 and says in one_line_error(proc)
    assert snapshot(root) == before


def test_repo_that_does_not_exist_or_is_not_qemu(tmp_path):
    proc = run_cli("bump", TARGET, "--repo", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "no such directory" in one_line_error(proc)
    (tmp_path / "hw").mkdir()
    (tmp_path / "include").mkdir()
    proc = run_cli("bump", TARGET, "--repo", str(tmp_path))
    assert proc.returncode == 2 and "not a QEMU source tree" in one_line_error(proc)


def test_repo_defaults_to_the_tree_containing_the_current_directory(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("bump", TARGET, "--dry-run", cwd=root / "hw" / "i386")
    assert proc.returncode == 0 and proc.stdout.startswith(b"diff --git a/hw/arm/virt.c")


@pytest.mark.parametrize("path,old,new,says", [
    ("hw/arm/virt.c", "DEFINE_VIRT_MACHINE_AS_LATEST(11, 2)", "DEFINE_VIRT_MACHINE_AS_LATEST(11, 2, 3)",
     "arm: machine version 11.2: no DEFINE_VIRT_MACHINE() registration"),
    ("hw/arm/virt.c", "static void virt_machine_11_2_options(MachineClass *mc)",
     "static void virt_machine_11_2_options(void)", "does not take one named parameter"),
    ("hw/loongarch/virt.c", "DEFINE_VIRT_MACHINE_AS_LATEST(11, 2)", "DEFINE_VIRT_MACHINE(11, 2)",
     "loongarch: machine version 11.2: is not marked as the latest version"),
])
def test_block_of_unexpected_shape(fixture_tree, path, old, new, says):
    root = fixture_tree(TREE)
    text = (root / path).read_text()
    assert old in text
    (root / path).write_text(text.replace(old, new, 1))
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    err = one_line_error(proc)
    assert proc.returncode == 1 and f"{path}:" in err and says in err, err
    assert snapshot(root) == before


def test_families_that_disagree(fixture_tree):
    root = fixture_tree(TREE)
    shutil.copy(FIXTURES / "layout-9.2" / "before" / "hw/s390x/s390-virtio-ccw.c",
                root / "hw/s390x-virtio.c")
    (root / "hw/s390x").mkdir()
    shutil.move(root / "hw/s390x-virtio.c", root / "hw/s390x/s390-virtio-ccw.c")
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    err = one_line_error(proc)
    assert proc.returncode == 1 and "hw/s390x/s390-virtio-ccw.c:" in err and "s390x" in err
    assert "newest machine version is 9.2" in err
    assert snapshot(root) == before


def test_read_only_file(fixture_tree):
    root = fixture_tree(TREE)
    os.chmod(root / "include/hw/i386/pc.h", 0o444)
    before = snapshot(root)
    proc = run_cli("bump", TARGET, "--no-commit", "--repo", str(root))
    assert proc.returncode == 1 and "include/hw/i386/pc.h" in one_line_error(proc)
    assert "read-only" in proc.stderr.decode()
    assert snapshot(root) == before
