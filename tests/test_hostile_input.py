"""Broken or foreign input (issue 30): one line naming what is wrong, a non-zero exit, the
tree left as it was, never a traceback.  Each test fails on the code before issue 30."""
from __future__ import annotations

import json
import os
import time
import subprocess
import sys

import pytest

from helpers import REPO, git, init_repo, one_line_error, run_cli, snapshot

TREE = "layout-11.2"
COMMANDS = (["check"], ["machines"], ["bump", "12.0", "--dry-run"], ["retire", "11.0", "--force",
                                                                      "--dry-run"])


def _cut(root, rel: str, fraction: float) -> None:
    path = root / rel
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])


@pytest.mark.parametrize("fraction", [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("rel", ["hw/arm/virt.c", "hw/i386/pc_q35.c", "hw/i386/pc_piix.c",
                                 "hw/loongarch/virt.c"])
def test_a_family_file_cut_short_is_an_error_for_every_command(fixture_tree, rel, fraction):
    root = fixture_tree(TREE)
    _cut(root, rel, fraction)
    before = snapshot(root)
    for command in COMMANDS:
        proc = run_cli(*command, "--repo", str(root))
        assert proc.returncode == 1, (command, proc.stdout.decode())
        assert one_line_error(proc).startswith(f"qscaffold: error: {rel}:"), command
    assert snapshot(root) == before


def test_a_function_left_open_is_an_error_for_every_command(fixture_tree):
    root = fixture_tree(TREE)
    virt = root / "hw/arm/virt.c"
    text = virt.read_text()
    assert text.endswith("}\nDEFINE_VIRT_MACHINE(11, 0)\n")
    virt.write_text(text.replace("}\nDEFINE_VIRT_MACHINE(11, 0)\n", "DEFINE_VIRT_MACHINE(11, 0)\n"))
    for command in COMMANDS:
        err = one_line_error(run_cli(*command, "--repo", str(root)))
        assert "hw/arm/virt.c:" in err and "brace is never closed" in err, command


def _git_repo(root):
    init_repo(root)


def test_an_untracked_copy_is_never_a_family_nor_committed(fixture_tree):
    root = fixture_tree(TREE)
    _git_repo(root)
    (root / "hw/arm/virt-backup.c").write_bytes((root / "hw/arm/virt.c").read_bytes())
    proc = run_cli("bump", "12.0", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "not tracked by git, so not read: hw/arm/virt-backup.c" in proc.stderr.decode()
    changed = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert "hw/arm/virt.c" in changed and "hw/arm/virt-backup.c" not in changed
    assert git(root, "status", "--porcelain").strip() == "?? hw/arm/virt-backup.c"
    machines = json.loads(run_cli("machines", "--json", "--repo", str(root)).stdout)
    assert [f["file"] for f in machines["families"] if f["name"] == "arm"] == ["hw/arm/virt.c"]


def test_a_symlinked_family_directory_is_refused(fixture_tree, tmp_path):
    root = fixture_tree(TREE)
    (root / "hw/arm").rename(tmp_path / "arm-elsewhere")
    (root / "hw/arm").symlink_to(tmp_path / "arm-elsewhere")
    before = snapshot(tmp_path / "arm-elsewhere")
    for command in COMMANDS:
        err = one_line_error(run_cli(*command, "--repo", str(root)))
        assert err.startswith("qscaffold: error: hw/arm: a symbolic link to a directory"), command
    assert snapshot(tmp_path / "arm-elsewhere") == before


def test_lint_pointed_at_the_wrong_place_fails(tmp_path):
    for name in ("empty", "random"):
        root = tmp_path / name
        (root / "hw").mkdir(parents=True)
        (root / "include").mkdir()
        if name == "random":
            (root / "hw" / "a.c").write_bytes(os.urandom(3000))
            (root / "hw" / "b.c").write_text("int x;\n")
        proc = run_cli("lint", "--repo", str(root))
        assert proc.returncode == 2 and "not a QEMU source tree" in one_line_error(proc)
        assert run_cli("check", "--repo", str(root)).returncode == 2


def test_a_fifo_and_a_dangling_editor_link_are_skipped_and_said_once(fixture_tree):
    root = fixture_tree(TREE)
    os.mkfifo(root / "hw/arm/fifo.c")
    (root / "hw/arm/.#virt.c").symlink_to("/nonexistent/user@host.1234")
    for command in (["check"], ["lint"], ["bump", "12.0", "--dry-run"]):
        proc = subprocess.run([sys.executable, "-m", "scaffold", *command, "--repo", str(root)],
                              capture_output=True, timeout=60)   # a FIFO read would hang
        err = proc.stderr.decode()
        assert err.count("skipped 2 file(s) that are not regular files") == 1, (command, err)
        assert "hw/arm/.#virt.c, hw/arm/fifo.c" in err and "Traceback" not in err


def test_a_damaged_journal_is_one_line_saying_what_to_do(repo):
    journal = repo / ".git/qscaffold-journal.json"
    for damaged in (b"", b'{"base": "abc", "steps": [{"subj', b"\xff\xfe{}",
                    b'{"base": 1, "steps": {}}', b'[1, 2]',
                    b'{"base": "a", "steps": [{"subject": "s", "files": {"x": ["a"]}}]}'):
        journal.write_bytes(damaged)
        proc = run_cli("bump", "12.0", "--repo", str(repo))
        err = one_line_error(proc)
        assert proc.returncode == 1 and ".git/qscaffold-journal.json" in err and \
            "cannot be read" in err and "then remove .git/qscaffold-journal.json" in err, damaged


def test_git_failing_is_one_line(repo):
    (repo / ".gitattributes").write_text("*.c filter=bad\n")
    git(repo, "config", "filter.bad.clean", "false")
    git(repo, "config", "filter.bad.required", "true")
    os.utime(repo / "hw/arm/virt.c")
    before = snapshot(repo)
    proc = run_cli("bump", "12.0", "--repo", str(repo))
    err = one_line_error(proc)
    assert proc.returncode == 1 and "git status failed" in err and "clean filter 'bad' failed" in err
    assert snapshot(repo) == before
    git(repo, "config", "--unset", "filter.bad.required")
    (repo / ".gitattributes").unlink()
    (repo / ".git/index").write_bytes(b"DIRC\0\0\0\2\0\0\0\5garbage")
    err = one_line_error(run_cli("bump", "12.0", "--repo", str(repo)))
    # the first git command to read the index says so: since issue 37 the tree scan's
    # `git ls-files`, which no longer takes a failure for "nothing untracked"
    assert "git status failed: fatal:" in err and ".git/index" in err


def test_arguments_and_files_that_are_not_text(fixture_tree, tmp_path):
    root = fixture_tree(TREE)
    before = snapshot(root)
    for args in (["compat", "add", "virtio-blk-device", "num-queues", "\udcff", "--release", "11.0"],
                 ["compat", "machine-option", "--family", "arm", "mc->x = \udcfe;"]):
        proc = subprocess.run([sys.executable, "-m", "scaffold", *args, "--repo", str(root)],
                              capture_output=True, env=dict(os.environ, PYTHONUTF8="1"))
        err = one_line_error(proc)
        assert proc.returncode == 2 and "an argument is not UTF-8 text:" in err and "\\xf" in err
    devices = tmp_path / "devices.txt"
    devices.write_bytes(b"virtio-blk-pci\n\xff\n")
    fake = tmp_path / "bin" / "qemu-system-x86_64"   # never run: the file is read first
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    proc = run_cli("prove", "--old", str(fake), "--new", str(fake), "--devices", str(devices))
    assert proc.returncode == 2 and f"--devices {devices}:2: not UTF-8 text" in one_line_error(proc)
    snippet = tmp_path / "snippet.c"
    snippet.write_bytes(b"mc->x = 1; /* \xff */\n")
    err = one_line_error(run_cli("compat", "machine-option", "--family", "arm", "--from",
                                 str(snippet), "--repo", str(root)))
    assert f"--from {snippet}:1: not UTF-8 text" in err
    value = run_cli("compat", "add", "virtio-blk-device", "num-queues", "a\nb", "--release", "11.0",
                    "--repo", str(root))
    assert value.returncode == 2 and "holds a line break" in one_line_error(value)
    assert snapshot(root) == before


def test_check_json_on_a_file_is_json(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("check", "--json", "--repo", str(root / "VERSION"))
    report = json.loads(proc.stdout)
    assert proc.returncode == 2 and report["failed"] and "not a QEMU source tree" in \
        report["error"]["message"]


def _drop_line(path, needle: bytes) -> None:
    data = path.read_bytes()
    start = data.index(needle)
    path.write_bytes(data[:start] + data[data.index(b"\n", start) + 1:])


def test_a_missing_array_line_is_named(fixture_tree):
    """Issue 30, item 21: the array and the line, not a count of what could not be read."""
    root = fixture_tree(TREE)
    _drop_line(root / "include/hw/core/boards.h", b"extern GlobalProperty hw_compat_11_0[];")
    err = one_line_error(run_cli("check", "--repo", str(root)))
    assert "include/hw/core/boards.h:" in err and "hw_compat_11_0 is not declared" in err
    root = fixture_tree(TREE)
    pc = root / "hw/i386/pc.c"
    pc.write_bytes(pc.read_bytes().replace(b"GlobalProperty pc_compat_11_0[]",
                                           b"GlobalProperty pc_compat_11_0x[]"))
    err = one_line_error(run_cli("check", "--repo", str(root)))
    assert "hw/i386/pc.c:" in err and \
        "pc_compat_11_0_len counts pc_compat_11_0, which is defined nowhere" in err


def test_scratch_folders_of_dead_runs_are_swept(tmp_path, monkeypatch):
    """Issue 30, item 23: a run killed with kill -9 leaves its scratch folder; the next
    run that makes one removes those whose process is gone, and only those."""
    import tempfile

    from scaffold import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = [tmp_path / f"qscaffold-index-{dead.pid}-abc", tmp_path / "qscaffold-prove-old"]
    live = tmp_path / f"qscaffold-diff-{os.getppid()}-xyz"
    for folder in (*left, live):
        folder.mkdir()
    os.utime(left[1], (0, 0))   # from before names had a pid: old enough to go
    other = tmp_path / "somebody-else"
    other.mkdir()
    monkeypatch.setattr(scratch, "_swept", [])
    with scratch.folder("index") as mine:
        assert f"qscaffold-index-{os.getpid()}-" in mine
    assert not any(f.exists() for f in left) and live.exists() and other.exists()


def test_a_dead_runs_folder_is_kept_while_its_git_lives_on(tmp_path, monkeypatch):
    """Killed with kill -9 in a pre-commit hook, a run leaves its `git commit` running,
    reading the commit's private index from the run's scratch folder: swept then, the
    commit records an empty tree (seen when another qscaffold ran meanwhile). The folder
    stays while a process carries the run's mark, and goes once none does."""
    import tempfile

    from scaffold import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    folder = tmp_path / f"qscaffold-index-{dead.pid}-abc"
    folder.mkdir()
    orphan = subprocess.Popen(["sleep", "30"], env={**os.environ,
                                                    scratch.RUN_MARK: f"{dead.pid}-123"})
    deadline = time.monotonic() + 10   # until its exec: a forked child shows our environment
    while str(orphan.pid) not in scratch.marked(f"{scratch.RUN_MARK}={dead.pid}-") and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        monkeypatch.setattr(scratch, "_swept", [])
        scratch.sweep()
        assert folder.exists()
    finally:
        orphan.kill()
        orphan.wait()
    monkeypatch.setattr(scratch, "_swept", [])
    scratch.sweep()
    assert not folder.exists()


def test_a_repository_git_cannot_read_is_an_error_in_gits_words(fixture_tree):
    """Owned by another user ("dubious ownership"), `git ls-files` fails: every file was
    taken for untracked-free, and an untracked copy of q35 was read as a second family
    (issue 37, item 2)."""
    root = fixture_tree(TREE)
    _git_repo(root)
    (root / "hw/i386/pc_q35.orig.c").write_bytes((root / "hw/i386/pc_q35.c").read_bytes())
    subprocess.run(["chown", "-R", "nobody", str(root)], check=True)
    before = snapshot(root)
    for command in (["check"], ["bump", "12.0", "--no-commit"]):
        proc = run_cli(*command, "--repo", str(root), env={"HOME": str(root.parent)})
        err = one_line_error(proc)
        assert proc.returncode == 1 and "git status failed: fatal: detected dubious " \
            "ownership" in err, err
    assert snapshot(root) == before


@pytest.mark.realtree
def test_what_is_not_read_changes_no_plan(tmp_path):
    """An untracked copy of a family file changed retire's plan from 28 steps to 12 (the
    follow-up search read it); a FIFO anywhere the search looks hung it (issue 37, items
    6 and 7).  The search reads what git tracks, and regular files only."""
    from helpers import linked_copy, real_tree

    root = linked_copy(real_tree("10.2"), tmp_path / "qemu")
    _git_repo(root)
    clean = run_cli("retire", "-n", "--repo", str(root))
    assert clean.returncode == 0, clean.stderr.decode()
    (root / "hw/i386/pc_q35.orig.c").write_bytes((root / "hw/i386/pc_q35.c").read_bytes())
    for fifo in ("docs/fifo.c", "tests/fifo.c", "hw/fifo.c"):
        os.mkfifo(root / fifo)
    messy = subprocess.run([sys.executable, "-m", "scaffold", "retire", "-n", "--repo",
                            str(root)], capture_output=True, timeout=120)
    assert messy.returncode == 0 and messy.stdout == clean.stdout
    assert b"not tracked by git, so not read: hw/i386/pc_q35.orig.c" in messy.stderr


def test_lint_and_qom_refuse_a_symlinked_directory(fixture_tree, tmp_path):
    """check and bump refused a symlinked hw/ppc; lint left its types out without a word
    and `qom spapr-machine` said "no type" (issue 37, item 8)."""
    root = fixture_tree("qom-entries")
    target = next(p for p in sorted((root / "hw").iterdir()) if p.is_dir())
    rel = f"hw/{target.name}"
    target.rename(tmp_path / "elsewhere")
    (root / rel).symlink_to(tmp_path / "elsewhere")
    for command in (["lint"], ["qom", "virtio-blk-pci"]):
        err = one_line_error(run_cli(*command, "--repo", str(root)))
        assert err.startswith(f"qscaffold: error: {rel}: a symbolic link to a directory"), err


def test_a_path_holding_a_dollar_is_a_path_not_a_variable(fixture_tree, tmp_path):
    """GitPython expands environment variables in repository paths: a tree under
    `q$QX/` gave three lines of GitPython's warning, or with QX set, another repository
    (issue 37, item 15)."""
    root = tmp_path / "q$QX" / "tree"
    root.parent.mkdir()
    fixture_tree(TREE).rename(root)
    _git_repo(root)
    (tmp_path / "elsewhere").mkdir()
    elsewhere = init_repo(tmp_path / "elsewhere", commit=False)
    # run from another repository: GitPython, misreading the path, ran git in the working
    # directory and committed the bump there (it did so to this project's own checkout)
    proc = run_cli("bump", "12.0", "--repo", str(root), env={"QX": str(elsewhere)},
                   cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr.decode()
    assert git(elsewhere, "status", "--porcelain") == "" and \
        not (elsewhere / ".git/refs/heads/master").exists()
    assert "environment variable" not in proc.stderr.decode().lower()
    assert git(root, "log", "-1", "--format=%s").strip() == "hw: add compat machines for 12.0"


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
@pytest.mark.parametrize("rel", ["hw/loongarch/virt.c", "hw/arm/virt.c"])
def test_a_family_file_cut_before_its_registrations_is_an_error_in_a_repository(
        fixture_tree, rel, fraction):
    """Cut before the family's macro definition (m68k at 50-74%, s390x at 50-71% of
    10.2's files), the file had no role left: check exited 0, machines left the family
    out and bump committed without it (issue 37, item 5).  A file changed since HEAD that
    registered machine types there and does not now is an error, wherever the cut falls."""
    root = fixture_tree(TREE)
    _git_repo(root)
    _cut(root, rel, fraction)
    before = snapshot(root)
    for command in (["check"], ["machines"], ["bump", "12.0"]):
        proc = run_cli(*command, "--repo", str(root))
        err = one_line_error(proc)
        assert proc.returncode == 1 and f"error: {rel}" in err, (command, err)
    assert snapshot(root) == before


def test_ctrl_c_while_the_program_loads_is_one_line_not_a_traceback(tmp_path):
    """A Ctrl-C that lands while Python imports the program (before any command ran)
    printed a KeyboardInterrupt traceback from whichever import it fell in.  Here the
    console script (a file named `qscaffold`, as pip writes it) gets its SIGINT right
    after importing the program, as a quick Ctrl-C would."""
    script = tmp_path / "qscaffold"
    script.write_text("import os, signal, time\n"
                      "from scaffold.commands.program import run\n"
                      "os.kill(os.getpid(), signal.SIGINT)\n"
                      "time.sleep(5)\n"
                      "print('not interrupted')\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, env=env,
                          timeout=60)
    assert (proc.returncode, proc.stderr, proc.stdout) == (
        130, b"qscaffold: interrupted; nothing was changed\n", b"")
