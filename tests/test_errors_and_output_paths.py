"""A maintainer's review (issue 13): commits hold only the tool's lines, every failure is
one line, output paths are safe, families never vanish, one consistent command line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import git, linked_copy, one_line_error, real_tree, run_cli, snapshot

TREE, TARGET = "layout-11.2", "12.0"   # the current layout, bumped to its next release


# --- --allow-dirty commits only the tool's lines ---------------------------------------

def test_allow_dirty_commits_only_the_tools_lines(repo, tmp_path):
    # the reference: the same bump on a clean copy
    clean = tmp_path / "clean"
    shutil.copytree(repo, clean)
    assert run_cli("bump", TARGET, "--repo", str(clean)).returncode == 0
    path = repo / "hw/arm/virt.c"
    user_edit = b"/* x */\n"
    original = path.read_bytes()
    path.write_bytes(user_edit + original)          # the user's own, uncommitted line
    proc = run_cli("bump", TARGET, "--allow-dirty", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    # the commit is byte for byte the clean bump's commit: no /* x */ in it
    assert git(repo, "show", "HEAD:hw/arm/virt.c") == git(clean, "show", "HEAD:hw/arm/virt.c")
    assert "/* x */" not in git(repo, "show", "HEAD")
    # the user's edit is still in the working tree, uncommitted, on top of the bump
    assert path.read_bytes() == user_edit + (clean / "hw/arm/virt.c").read_bytes()
    assert git(repo, "diff", "--name-only").split() == ["hw/arm/virt.c"]
    assert git(repo, "diff").count("\n+/* x */") == 1
    assert git(repo, "diff", "--cached", "--name-only") == ""


def test_allow_dirty_refuses_an_overlapping_edit(repo):
    path = repo / "hw/arm/virt.c"
    data = path.read_bytes()
    # an edit inside the very lines the bump rewrites (the newest registration)
    edited = data.replace(b"DEFINE_VIRT_MACHINE_AS_LATEST(11, 2)",
                          b"DEFINE_VIRT_MACHINE_AS_LATEST(11, 2) /* mine */")
    assert edited != data
    path.write_bytes(edited)
    before = snapshot(repo)
    head = git(repo, "rev-parse", "HEAD")
    proc = run_cli("bump", TARGET, "--allow-dirty", "--repo", str(repo))
    assert proc.returncode == 1
    assert "hw/arm/virt.c" in one_line_error(proc)
    assert snapshot(repo) == before and git(repo, "rev-parse", "HEAD") == head


# --- no tracebacks ----------------------------------------------------------------------

def test_failing_pre_commit_hook_is_one_line_and_rolled_back(repo):
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'style check failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(repo)
    head = git(repo, "rev-parse", "HEAD")
    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 1
    assert "git commit failed: style check failed" in one_line_error(proc)
    assert snapshot(repo) == before and git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("name", ["bad..name", "-x", "a b", "x.lock", "@{u}"])
def test_invalid_branch_name_is_refused_up_front(repo, name):
    before = snapshot(repo)
    proc = run_cli("bump", TARGET, f"--branch={name}", "--repo", str(repo))
    assert proc.returncode == 2 and "not a valid branch name" in one_line_error(proc)
    assert snapshot(repo) == before
    assert git(repo, "branch", "--format=%(refname:short)").split() == ["master"]


def test_output_into_a_missing_directory(repo, tmp_path):
    proc = run_cli("bump", TARGET, "--dry-run", "-o", str(tmp_path / "nonexistent/dir/x.patch"),
                   "--repo", str(repo))
    assert proc.returncode == 2 and "no such directory" in one_line_error(proc)


def test_output_never_overwrites_a_tree_file_nor_an_existing_one(repo, tmp_path):
    before = snapshot(repo)
    proc = run_cli("bump", TARGET, "--dry-run", "-o", str(repo / "VERSION"), "--repo", str(repo))
    assert proc.returncode == 2 and "file of the QEMU tree" in one_line_error(proc)
    proc = run_cli("bump", TARGET, "--dry-run", "-o", str(repo / "VERSION"), "--force",
                   "--repo", str(repo))
    assert proc.returncode == 2 and "file of the QEMU tree" in one_line_error(proc)
    assert snapshot(repo) == before
    existing = tmp_path / "old.patch"
    existing.write_text("keep me\n")
    proc = run_cli("bump", TARGET, "--dry-run", "-o", str(existing), "--repo", str(repo))
    assert proc.returncode == 2 and "--overwrite" in one_line_error(proc)
    assert existing.read_text() == "keep me\n"
    proc = run_cli("bump", TARGET, "--dry-run", "-o", str(existing), "--overwrite",
                   "--repo", str(repo))
    assert proc.returncode == 0 and existing.read_text().startswith("diff --git ")
    existing.write_text("keep me\n")   # bump's old --force still overwrites
    proc = run_cli("bump", TARGET, "--dry-run", "-o", str(existing), "--force", "--repo", str(repo))
    assert proc.returncode == 0 and existing.read_text().startswith("diff --git ")


def test_output_and_format_both_need_dry_run(repo):
    before = snapshot(repo)
    for args in (["--format", "patch"], ["--output", "x.patch"], ["--format", "json"]):
        proc = run_cli("bump", TARGET, *args, "--repo", str(repo))
        assert proc.returncode == 2 and "goes with --dry-run" in one_line_error(proc), args
    assert snapshot(repo) == before


def test_format_lists_its_choices():
    proc = run_cli("bump", "--help")
    assert b"--format diff|patch|json" in proc.stdout
    proc = run_cli("bump", "12.0", "--format", "xml")
    assert proc.returncode == 2 and "'xml' is not one of" in one_line_error(proc)


def test_branch_without_git_says_so(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("bump", TARGET, "--branch", "foo", "--no-commit", "--repo", str(root))
    assert proc.returncode == 1 and "--branch needs a git repository" in one_line_error(proc)


# --- a family never vanishes -----------------------------------------------------------

def _drop_newest_closing_brace(path: Path, function: str) -> None:
    text = path.read_text()
    start = text.index(f"static void {function}(")
    brace = text.index("\n}\n", start)
    path.unlink()       # a hard-linked copy: never write through to the cache
    path.write_text(text[:brace + 1] + text[brace + 3:])


@pytest.mark.realtree
@pytest.mark.parametrize("path,function,family", [
    ("hw/arm/virt.c", "virt_machine_10_2_options", "arm"),
    ("hw/ppc/spapr.c", "spapr_machine_10_2_class_options", "spapr"),
    ("hw/m68k/virt.c", "virt_machine_10_2_options", "m68k"),
])
def test_a_half_finished_edit_never_hides_a_family(tmp_path, path, function, family):
    root = linked_copy(real_tree("10.2"), tmp_path / "qemu")
    _drop_newest_closing_brace(root / path, function)
    before = snapshot_files(root, [path])
    for args in (["machines"], ["check"], ["bump", "11.0", "--no-commit"]):
        proc = run_cli(*args, "--repo", str(root))
        err = one_line_error(proc)
        assert proc.returncode == 1, args
        assert f"{path}:" in err and f": {family}: " in err and "brace is never closed" in err, err
    assert snapshot_files(root, [path]) == before


def snapshot_files(root: Path, paths: list[str]) -> dict:
    return {p: (root / p).read_bytes() for p in paths}


# --- one consistent command line -------------------------------------------------------

def test_help_version_and_completion():
    assert run_cli("-h").returncode == 0 and b"bump" in run_cli("-h").stdout
    assert run_cli("compat", "add", "-h").returncode == 0
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.decode().startswith("qscaffold ")
    assert b"--install-completion" in run_cli("--help").stdout
    text = run_cli("compat", "add", "--help").stdout.decode()
    for word in ("DEVICE", "PROPERTY", "VALUE", "--release"):
        assert word in text
    assert "--no-commit" not in text
    assert "Layouts" in run_cli("machines", "--help").stdout.decode()


def test_family_and_all_exclude_each_other_and_x86_names_both(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("compat", "machine-option", "mc->x = 1;", "--family", "arm", "--all",
                   "--repo", str(root))
    assert proc.returncode == 2 and "exclude each other" in one_line_error(proc)
    proc = run_cli("compat", "machine-option", "m->smp_props.prefer_sockets = true;",
                   "--family", "x86", "--release", "11.1", "--dry-run", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr
    files = {line.split(" b/")[1] for line in proc.stdout.decode().splitlines()
             if line.startswith("diff --git")}
    assert files == {"hw/i386/pc_piix.c", "hw/i386/pc_q35.c"}


def test_bump_on_a_stable_tree_warns_and_proceeds(fixture_tree):
    root = fixture_tree("layout-9.2")          # VERSION 9.2.0
    proc = run_cli("bump", "10.0", "--dry-run", "--repo", str(root))
    assert proc.returncode == 0 and proc.stdout.startswith(b"diff --git")
    assert "VERSION 9.2.0 is a release or stable branch" in proc.stderr.decode()


def test_check_counts_in_plural_forms(fixture_tree):
    root = fixture_tree(TREE)
    data = (root / "hw/arm/virt.c").read_text()
    (root / "hw/arm/virt.c").write_text(data.replace(
        "    compat_props_add(mc->compat_props, hw_compat_11_1, hw_compat_11_1_len);\n", ""))
    out = run_cli("check", "--repo", str(root)).stdout.decode()
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("check: ") and " 1 error," in summary + "," and "1 pending" in summary
    report = json.loads(run_cli("machines", "--json", "--repo", str(root)).stdout)
    assert {f["name"]: f["default"] for f in report["families"]}["i440fx"] is True
