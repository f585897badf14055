"""A maintainer's repository is never damaged (issue 21): operations in progress, detached
HEAD, symlinks, arrays used but defined nowhere, JSON that always comes, version typos,
and bytes that are not UTF-8."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, git, linked_copy, one_line_error, real_tree, run_cli, snapshot
from scaffold.errors import ScaffoldError
from scaffold.planning.bump import plan_bump
from scaffold.planning.compat_edit import plan_compat_add
from scaffold.planning.retire import plan_retire
from scaffold.rules.chain import check_tree
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

TARGET = "12.0"


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


# --- 1. an operation in progress --------------------------------------------------------

def _other_branch(repo: Path, conflict: bool) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "notes.txt").write_text("theirs\n")
    if conflict:
        (repo / "VERSION").write_text("11.2.60\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "other work")
    git(repo, "checkout", "-q", "master")
    if conflict:
        (repo / "VERSION").write_text("11.2.70\n")
        git(repo, "commit", "-q", "-am", "ours")


@pytest.mark.parametrize("command", [("bump", TARGET), ("retire", "11.0", "--force")])
def test_an_unfinished_merge_is_refused(repo, command):
    _other_branch(repo, conflict=False)
    git(repo, "merge", "--no-commit", "--no-ff", "-q", "other")
    before, state = head(repo), git(repo, "status", "--porcelain")
    proc = run_cli(*command, "--repo", str(repo))
    assert proc.returncode == 1 and "a merge is in progress (.git/MERGE_HEAD)" in one_line_error(proc)
    assert head(repo) == before and git(repo, "status", "--porcelain") == state
    assert (repo / ".git/MERGE_HEAD").exists()


def test_an_unfinished_cherry_pick_is_refused(repo):
    _other_branch(repo, conflict=True)
    other = git(repo, "rev-parse", "other").strip()
    subprocess.run(["git", "-C", str(repo), "cherry-pick", other], capture_output=True)
    assert (repo / ".git/CHERRY_PICK_HEAD").exists()
    before = head(repo)
    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 1 and "a cherry-pick is in progress" in one_line_error(proc)
    assert head(repo) == before and (repo / ".git/CHERRY_PICK_HEAD").exists()


# --- 9. detached HEAD --------------------------------------------------------------------

def test_detached_head_is_said(repo):
    git(repo, "checkout", "-q", "--detach")
    proc = run_cli("bump", TARGET, "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "warning: HEAD is detached" in proc.stderr.decode()
    assert git(repo, "log", "-1", "--format=%s").strip() == f"hw: add compat machines for {TARGET}"
    attached = run_cli("bump", "12.1", "--dry-run", "--repo", str(repo))
    assert "detached" not in attached.stderr.decode()   # a dry run commits nothing


# --- 8. a tracked symlink among the edited files ----------------------------------------

def test_a_symlinked_file_is_refused(repo):
    real = repo / "hw/i386/pc_q35.real.c"
    (repo / "hw/i386/pc_q35.c").rename(real)
    os.symlink("pc_q35.real.c", repo / "hw/i386/pc_q35.c")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "q35 through a link")
    before, files = head(repo), snapshot(repo)
    for args in (("bump", TARGET), ("bump", TARGET, "--no-commit")):
        proc = run_cli(*args, "--repo", str(repo))
        err = one_line_error(proc)
        assert proc.returncode == 1 and "hw/i386/pc_q35.c: file is a symbolic link" in err
        assert head(repo) == before and snapshot(repo) == files
        assert (repo / "hw/i386/pc_q35.c").is_symlink()


# --- 4. arrays used but defined nowhere --------------------------------------------------

def _without(root: Path, rel: str, pattern: bytes) -> None:
    path = root / rel
    data, n = re.subn(pattern, b"", path.read_bytes(), flags=re.S)
    assert n == 1, (rel, pattern)
    path.unlink()   # possibly a hard link into the cache
    path.write_bytes(data)


def test_an_array_added_but_defined_and_declared_nowhere_is_an_error(fixture_tree):
    root = fixture_tree("layout-11.2")
    _without(root, "hw/i386/pc.c", rb"\nGlobalProperty pc_compat_11_0\[\] = .*?_len = [^\n]*\n")
    _without(root, "include/hw/i386/pc.h", rb"extern GlobalProperty pc_compat_11_0\[\];\n"
                                           rb"extern const size_t pc_compat_11_0_len;\n\n?")
    findings = [f for f in check_tree(QemuTree.open(root)) if f.kind == "array-undefined"]
    assert [(f.severity, f.path, f.family) for f in findings] == [
        ("error", "hw/i386/pc_piix.c", "i440fx"), ("error", "hw/i386/pc_q35.c", "q35")]
    assert "adds pc_compat_11_0, which is defined and declared nowhere" in findings[0].message
    proc = run_cli("check", "--repo", str(root))
    assert proc.returncode == 1


@pytest.mark.realtree
def test_a_deleted_array_line_is_an_error_and_retire_keeps_used_externs(tmp_path):
    root = linked_copy(real_tree("10.2"), tmp_path / "qemu")
    pc = root / "hw/i386/pc.c"
    text = pc.read_bytes()
    pc.unlink()
    pc.write_bytes(text.replace(b"GlobalProperty pc_compat_4_2[] = {\n", b""))
    before = snapshot_of(root, ["hw/i386/pc.c", "include/hw/i386/pc.h"])
    proc = run_cli("retire", "--no-commit", "--repo", str(root))
    assert proc.returncode == 1 and "hw/i386/pc.c:" in one_line_error(proc)
    assert "this brace closes nothing" in proc.stderr.decode()   # the line its `{` was on
    assert snapshot_of(root, ["hw/i386/pc.c", "include/hw/i386/pc.h"]) == before
    # the whole definition gone, its externs kept: they are used, so never "stale"
    pc.write_bytes(re.sub(rb"GlobalProperty pc_compat_4_2\[\] = .*?_len = [^\n]*\n\n", b"",
                          text, flags=re.S))
    tree = QemuTree.open(root)
    assert any(f.kind == "definition-missing" and f.severity == "error"
               for f in check_tree(tree))
    series = plan_retire(tree, Version(4, 1))
    for step in series.steps:
        old, new = step.contents.get("include/hw/i386/pc.h", (b"", b""))
        assert old.count(b"pc_compat_4_2") == new.count(b"pc_compat_4_2"), step.subject


def snapshot_of(root: Path, paths: list[str]) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p in paths}


# --- 5. check --json always prints JSON -------------------------------------------------

def test_check_json_carries_the_error(fixture_tree):
    root = fixture_tree("layout-11.2")
    virt = root / "hw/arm/virt.c"
    virt.write_text(virt.read_text().replace("}\n", "\n", 1))
    proc = run_cli("check", "--json", "--repo", str(root))
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["failed"] is True and report["findings"] == []
    assert report["error"]["location"]["path"] == "hw/arm/virt.c" and report["error"]["family"] == "arm"
    assert report["error"]["text"] in one_line_error(proc)


# --- 6. a function-name typo invents no release -----------------------------------------

def test_a_typo_in_a_function_name_is_a_finding_not_a_release(fixture_tree):
    root = fixture_tree("layout-9.2")
    ccw = root / "hw/s390x/s390-virtio-ccw.c"
    ccw.write_text(ccw.read_text().replace("ccw_machine_9_1_instance_options(MachineState",
                                           "ccw_machine_19_1_instance_options(MachineState"))
    tree = QemuTree.open(root)
    findings = check_tree(tree)
    typo = [f for f in findings if f.kind == "function-unregistered"]
    assert len(typo) == 1 and typo[0].severity == "error" and typo[0].family == "s390x"
    assert "ccw_machine_19_1_instance_options names a version newer than every" in typo[0].message
    assert not any("19" in f.fix or "19" in f.message for f in findings if f is not typo[0])
    report = run_cli("machines", "--repo", str(root)).stdout.decode()
    s390x = next(line for line in report.splitlines() if line.startswith("s390x"))
    assert " 9.2 " in s390x and "19.1" not in report


# --- 7. bytes that are not UTF-8, anywhere ----------------------------------------------

def test_a_non_utf8_type_name_is_no_traceback(fixture_tree):
    root = fixture_tree("layout-11.2")
    header = root / "include/hw/core/boards.h"
    header.write_bytes(header.read_bytes() + b'#define TYPE_BAD "b\xff"\n')
    proc = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--release", "11.1",
                   "--dry-run", "--repo", str(root))
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr


# fixture -> (the bump's target, an older release with a compat array)
TREES = {"layout-11.2": (Version(12, 0), Version(11, 0)), "layout-9.0": (Version(9, 1), Version(8, 2)),
         "layout-9.2": (Version(10, 0), Version(9, 0))}


def _files(name: str) -> list[str]:
    base = FIXTURES / name / "before"
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


@settings(max_examples=int(os.environ.get("QSCAFFOLD_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=st.sampled_from(sorted(TREES)), data=st.data())
def test_random_bytes_in_any_file_never_raise_anything_but_an_error(tmp_path, tree, data):
    """Property: random bytes (invalid UTF-8 included) put anywhere in any file that
    qscaffold reads give a result or a ScaffoldError, never another exception."""
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "qemu"
    shutil.copytree(FIXTURES / tree / "before", root)
    for _ in range(data.draw(st.integers(1, 3))):
        rel = data.draw(st.sampled_from(_files(tree)))
        path = root / rel
        text = path.read_bytes()
        at = data.draw(st.integers(0, len(text)))
        junk = data.draw(st.binary(min_size=1, max_size=12) | st.sampled_from(
            [b"\xff", b"\xe9", b'"\xff"', b"\x00", b"\xc3("]))
        path.write_bytes(text[:at] + junk + text[at:])
    target, older = TREES[tree]
    for attempt in (lambda t: check_tree(t),
                    lambda t: plan_bump(t, target),
                    lambda t: plan_compat_add(t, "virtio-blk-device", "num-queues", "1",
                                              release=older),
                    lambda t: plan_retire(t, older, force=True)):
        try:
            attempt(QemuTree.open(root))
        except ScaffoldError:
            pass


# --- 2 and 3: Ctrl-C to the process group, kill -9 at several points --------------------

RETIRE = ("retire", "11.1", "--force")


def _hook(repo: Path, name: str, at: int, action: str) -> None:
    """A git hook that does `action` when it runs for the `at`-th time."""
    hook = repo / ".git/hooks" / name
    hook.write_text(f"""#!/bin/sh
count=$(cat "$(git rev-parse --git-dir)/hook-count" 2>/dev/null || echo 0)
count=$((count + 1))
echo $count > "$(git rev-parse --git-dir)/hook-count"
if [ $count -eq {at} ]; then
    {action}
fi
exit 0
""")
    hook.chmod(0o755)


def _start(repo: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """qscaffold as a terminal starts it: its own process group, git's processes in it."""
    return subprocess.Popen([sys.executable, "-m", "scaffold", *args, "--repo", str(repo)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env=dict(os.environ, **(env or {})))


def _state(repo: Path) -> tuple:
    return head(repo), git(repo, "status", "--porcelain"), snapshot(repo)


@pytest.fixture
def retired(tmp_path) -> dict[str, bytes]:
    """The tree after an uninterrupted retire series, to compare re-runs with."""
    dest = tmp_path / "retired"
    shutil.copytree(FIXTURES / "layout-11.2" / "before", dest)
    proc = run_cli(*RETIRE, "--no-commit", "--repo", str(dest))
    assert proc.returncode == 0, proc.stderr
    return snapshot(dest)


@pytest.mark.parametrize("hook, at", [("pre-commit", 1), ("pre-commit", 4), ("post-commit", 2)])
def test_ctrl_c_to_the_process_group_undoes_every_commit(repo, hook, at):
    before = _state(repo)
    # `kill 0`: the hook's own process group, which is qscaffold's and git's
    _hook(repo, hook, at, "kill -INT 0; sleep 5")
    proc = _start(repo, *RETIRE)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert err.decode().strip().splitlines()[-1] == "qscaffold: interrupted; nothing was changed"
    (repo / ".git/hook-count").unlink()
    assert _state(repo) == before
    assert not (repo / ".git/qscaffold-journal.json").exists()


@pytest.mark.parametrize("point", ["written", "committed-1", "committed-3", "before-commit-2",
                                   "during-commit-2"])
def test_after_kill_9_a_plain_rerun_finishes_the_series(repo, retired, point):
    kill = "kill -9 $(cut -d' ' -f4 /proc/$PPID/stat)"   # the hook's grandparent: qscaffold
    env = {}
    if point == "written":
        env["QSCAFFOLD_TEST_KILL_AFTER_WRITES"] = "1"
    elif point.startswith("committed"):        # between the commit and the index update
        _hook(repo, "post-commit", int(point[-1]), kill)
    elif point.startswith("before"):           # files written, commit not made
        _hook(repo, "pre-commit", int(point[-1]), kill + "; exit 1")
    else:                                      # git commits on, an orphan, after the kill
        _hook(repo, "pre-commit", int(point[-1]), kill + "; sleep 1")
    proc = _start(repo, *RETIRE, env=env)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    # no pause: the re-run waits for the orphaned git processes of the killed run
    assert (repo / ".git/qscaffold-journal.json").exists()
    again = run_cli(*RETIRE, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert "an interrupted run was repaired" in again.stderr.decode()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    after = snapshot(repo)
    after.pop(".git/hook-count", None)
    assert {p: d for p, d in after.items() if p in retired} == retired
    assert not (repo / ".git/qscaffold-journal.json").exists()


def test_a_bump_killed_between_its_commit_and_the_index_update(repo):
    _hook(repo, "post-commit", 1, "kill -9 $(cut -d' ' -f4 /proc/$PPID/stat)")
    proc = _start(repo, "bump", TARGET)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)
    assert git(repo, "status", "--porcelain", "--untracked-files=no") != ""   # index behind HEAD
    (repo / ".git/hooks/post-commit").unlink()
    again = run_cli("bump", TARGET, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    err = again.stderr.decode()
    assert "1 of its 1 commits had been made" in err and "nothing to do" in err
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert git(repo, "log", "--format=%s").splitlines()[0] == f"hw: add compat machines for {TARGET}"


def test_the_journal_of_a_linked_worktree_is_found(repo, tmp_path):
    from scaffold.applying import journal

    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    git_dir = Path(git(linked, "rev-parse", "--absolute-git-dir").strip())
    assert journal.pending(linked) is None
    (git_dir / journal.NAME).write_text("{}")
    assert journal.pending(linked) == git_dir / journal.NAME
    assert journal.pending(repo) is None   # the main work tree's own journal is apart


def test_an_interrupt_that_a_failing_git_command_reports_first_is_still_an_interrupt():
    """On a real tree the terminal's Ctrl-C killed `git commit` mid-write and its error
    ("index.lock write error") reached qscaffold before the signal did."""
    from scaffold.applying.executor import execute

    undone = []

    class Interrupted:
        def describe(self):
            return "a git command the terminal's Ctrl-C kills"

        def run(self):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            except KeyboardInterrupt:
                pass   # as if the child's failure surfaced instead
            raise ScaffoldError("git commit failed: write error")

        def undo(self):
            undone.append(self)

    with pytest.raises(KeyboardInterrupt):
        execute([Interrupted()], quiet=True)
    assert len(undone) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- issue 30: two runs at once, and kill -9 in every configuration -------------------------

KILL = "kill -9 $(cut -d' ' -f4 /proc/$PPID/stat)"   # from a hook: qscaffold


def _killed(repo: Path, hook: str | None, at: int, *args: str, action: str = KILL) -> None:
    """Kill qscaffold from a git hook's `at`-th run, or (hook None) right after the
    `at`-th step wrote its files."""
    if hook:
        _hook(repo, hook, at, action)
    env = {"QSCAFFOLD_TEST_KILL_AFTER_WRITES": str(at)} if hook is None else {}
    proc = _start(repo, *args, env=env)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    if hook:
        (repo / ".git/hooks" / hook).unlink()
    assert (repo / ".git/qscaffold-journal.json").exists()


def _uninterrupted(tmp_path: Path, configure, *args: str) -> dict[str, bytes]:
    """The work tree after the same command ran without a kill, on a repository set up
    the same way."""
    other = tmp_path / "uninterrupted"
    shutil.copytree(FIXTURES / "layout-11.2" / "before", other)
    for cmd in (["init", "-q", "-b", "master"], ["config", "user.name", "A U Thor"],
                ["config", "user.email", "author@example.org"]):
        git(other, *cmd)
    configure(other)
    proc = run_cli(*args, "--repo", str(other))
    assert proc.returncode == 0, proc.stderr.decode()
    return {p: d for p, d in snapshot(other).items() if not p.startswith(".git/")}


def _crlf(repo: Path) -> None:
    """core.autocrlf=true, and the work tree checked out as it then is (CRLF)."""
    if not (repo / ".git/HEAD").exists() or \
            subprocess.run(["git", "-C", str(repo), "rev-parse", "-q", "--verify", "HEAD"],
                           capture_output=True).returncode != 0:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "QEMU")
    git(repo, "config", "core.autocrlf", "true")
    for path in git(repo, "ls-files").split():
        (repo / path).unlink()
    git(repo, "checkout", "-q", "--", ".")


@pytest.mark.parametrize("hook, at", [("pre-commit", 2), ("post-commit", 1), ("post-commit", 3)])
def test_kill_9_with_autocrlf_is_recovered(repo, tmp_path, hook, at):
    _crlf(repo)
    assert b"\r\n" in (repo / "hw/arm/virt.c").read_bytes()
    expected = _uninterrupted(tmp_path, _crlf, *RETIRE)
    _killed(repo, hook, at, *RETIRE, action=KILL + ("; exit 1" if hook == "pre-commit" else ""))
    again = run_cli(*RETIRE, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert "an interrupted run was repaired" in again.stderr.decode()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    after = {p: d for p, d in snapshot(repo).items() if not p.startswith(".git/")}
    assert after == expected


@pytest.mark.parametrize("hook, at", [(None, 1), ("pre-commit", 2), ("post-commit", 1),
                                      ("post-commit", 2)])
def test_kill_9_with_allow_dirty_is_recovered(repo, hook, at):
    virt = repo / "hw/arm/virt.c"
    mine = virt.read_text().replace("#include \"qemu/osdep.h\"\n",
                                    "#include \"qemu/osdep.h\"\n/* my own work */\n", 1)
    virt.write_text(mine)
    _killed(repo, hook, at, *RETIRE, "--allow-dirty",
            action=KILL + ("; exit 1" if hook == "pre-commit" else ""))
    again = run_cli(*RETIRE, "--allow-dirty", "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert "/* my own work */" in virt.read_text()
    assert "/* my own work */" not in git(repo, "show", "HEAD:hw/arm/virt.c")
    assert git(repo, "status", "--porcelain", "--untracked-files=no").strip() == "M hw/arm/virt.c"
    git(repo, "stash", "-q")
    report = json.loads(run_cli("check", "--json", "--repo", str(repo)).stdout)
    assert [f for f in report["findings"] if f["severity"] == "error"] == []   # they link


def test_kill_9_with_branch_is_finished_by_the_same_command(repo, retired):
    start = head(repo)
    _killed(repo, "post-commit", 2, *RETIRE, "--branch", "retire-11.1")
    again = run_cli(*RETIRE, "--branch", "retire-11.1", "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "retire-11.1"
    assert git(repo, "rev-parse", "master").strip() == start
    after = snapshot(repo)
    assert {p: d for p, d in after.items() if p in retired} == retired


def test_kill_9_after_a_hook_rewrote_the_subject(repo, retired):
    msg = repo / ".git/hooks/prepare-commit-msg"
    msg.write_text('#!/bin/sh\nsed -i "1s/^/[local] /" "$1"\n')
    msg.chmod(0o755)
    _killed(repo, "post-commit", 2, *RETIRE)
    again = run_cli(*RETIRE, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert "2 of its" in again.stderr.decode()
    after = snapshot(repo)
    assert {p: d for p, d in after.items() if p in retired} == retired
    assert all(s.startswith("[local] ") for s in
               git(repo, "log", "--format=%s", "-3").splitlines())


def test_a_stale_index_lock_is_named_and_the_journal_kept(repo, retired):
    _killed(repo, "pre-commit", 2, *RETIRE, action="touch $(git rev-parse --git-dir)/index.lock; "
            + KILL)
    assert (repo / ".git/index.lock").exists()
    stuck = run_cli(*RETIRE, "--repo", str(repo))
    err = one_line_error(stuck)
    assert stuck.returncode == 1 and err.startswith("qscaffold: error: .git/index.lock:")
    assert (repo / ".git/qscaffold-journal.json").exists()
    (repo / ".git/index.lock").unlink()
    again = run_cli(*RETIRE, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert {p: d for p, d in snapshot(repo).items() if p in retired} == retired


def test_a_pre_existing_index_lock_changes_nothing(repo):
    (repo / ".git/index.lock").write_text("")
    before = _state(repo)
    proc = run_cli(*RETIRE, "--repo", str(repo))
    assert proc.returncode == 1 and ".git/index.lock" in one_line_error(proc)
    assert _state(repo) == before and not (repo / ".git/qscaffold-journal.json").exists()


def test_a_second_run_refuses_at_once_and_never_repairs_a_live_run(repo):
    _hook(repo, "pre-commit", 1, "sleep 4")
    first = _start(repo, *RETIRE)
    deadline = time.monotonic() + 20
    while not (repo / ".git/qscaffold-journal.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run_cli(*RETIRE, "--repo", str(repo))
    err = one_line_error(second)
    assert second.returncode == 1 and f"pid {first.pid}" in err and ".git/qscaffold.lock" in err
    assert "repaired" not in err
    dry = run_cli(*RETIRE, "--dry-run", "--repo", str(repo))
    assert f"another qscaffold run (pid {first.pid})" in dry.stderr.decode()
    first.communicate(timeout=120)
    assert first.returncode == 0
    assert not (repo / ".git/qscaffold-journal.json").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


@pytest.mark.parametrize("command", [
    ("compat", "add", "virtio-blk-device", "num-queues", "1"),
    ("compat", "machine-option", "--family", "arm", "--release", "11.1",
     "mc->no_tcg_lpa2 = true;"),
])
def test_a_writing_compat_command_takes_the_lock_and_never_undoes_a_bump(repo, command):
    """`bump & compat add`: the compat add failed, and its undo put hw/core/machine.c back
    to the bump's before, so the committed bump lost hw_compat_11_2 (issue 37, item 1).
    Every command that writes takes the lock: it refuses at once, touching nothing."""
    _hook(repo, "pre-commit", 1, "sleep 4")
    first = _start(repo, "bump", TARGET)
    deadline = time.monotonic() + 60
    # the hook runs once every file is written: the tree stands still while it sleeps
    while not (repo / ".git/hook-count").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    during = snapshot(repo)
    second = run_cli(*command, "--repo", str(repo))
    err = one_line_error(second)
    assert second.returncode == 1 and f"pid {first.pid}" in err and ".git/qscaffold.lock" in err
    assert snapshot(repo) == during
    first.communicate(timeout=120)
    assert first.returncode == 0
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert not [f for f in check_tree(QemuTree.open(repo)) if f.severity == "error"]


def test_a_compat_command_refuses_while_an_interrupted_run_waits_for_its_rerun(repo):
    before = snapshot(repo)
    proc = run_cli("bump", TARGET, "--repo", str(repo),
                   env={"QSCAFFOLD_TEST_KILL_AFTER_WRITES": "1"})
    assert proc.returncode == -signal.SIGKILL
    killed = snapshot(repo)
    assert killed != before
    add = run_cli("compat", "add", "virtio-blk-device", "num-queues", "1", "--repo", str(repo))
    err = one_line_error(add)
    assert add.returncode == 1 and "an interrupted qscaffold run is recorded here" in err
    assert snapshot(repo) == killed   # decided before touching anything
    again = run_cli("bump", TARGET, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_rerun_decides_before_it_puts_anything_back(repo):
    """A killed bump, then a hand edit of one of its files, then the re-run: it put the
    first file back before refusing on the edited one, leaving half of the interrupted
    step undone (issue 37, item 3).  It checks every file first."""
    proc = run_cli("bump", TARGET, "--repo", str(repo),
                   env={"QSCAFFOLD_TEST_KILL_AFTER_WRITES": "3"})
    assert proc.returncode == -signal.SIGKILL
    record = json.loads((repo / ".git/qscaffold-journal.json").read_text())
    import hashlib

    written = [rel for rel, (old, new) in record["steps"][0]["files"].items()
               if hashlib.sha1((repo / rel).read_bytes()).hexdigest() == new][:3]
    assert len(written) == 3
    edited = repo / written[-1]
    edited.write_bytes(edited.read_bytes() + b"/* mine */\n")
    killed = snapshot(repo)
    again = run_cli("bump", TARGET, "--repo", str(repo))
    err = one_line_error(again)
    assert again.returncode == 1 and err.startswith(f"qscaffold: error: {written[-1]}: changed")
    assert snapshot(repo) == killed


def test_children_get_sigints_default_disposition_under_an_ignoring_scheduler():
    """A scheduler that starts the suite with SIGINT ignored (`nohup ... &`) made two
    Ctrl-C tests fail: their qscaffold inherited the ignored signal (issue 37, item 21)."""
    tests = Path(__file__).parent
    script = ("import signal, subprocess, sys\n"
              "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
              f"sys.path.insert(0, {str(tests)!r})\n"
              "import helpers\n"
              "helpers.default_sigint()\n"
              "child = 'import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)'\n"
              "print(subprocess.run([sys.executable, '-c', child], capture_output=True,"
              " text=True).stdout.strip())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_an_undo_that_fails_too_says_the_state_and_keeps_the_journal():
    """A full disk at the index update: the commit failed, then its undo (`git reset`)
    failed too, and the run said only "git reset failed: ... Out of diskspace" (issue 37,
    item 4).  It says what state the tree is in and what the next run will do, and keeps
    the journal the next run repairs from."""
    from scaffold.applying.executor import execute

    class Fails:
        def __init__(self, run_error=None, undo_error=None):
            self.run_error, self.undo_error = run_error, undo_error

        def describe(self) -> str:
            return "an action"

        def run(self) -> None:
            if self.run_error:
                raise self.run_error

        def undo(self) -> None:
            if self.undo_error:
                raise self.undo_error

    class Journal:
        closed = False

        def close(self) -> None:
            self.closed = True

    journal = Journal()
    disk = OSError(28, "No space left on device")
    actions = [Fails(undo_error=ScaffoldError("git reset failed: fatal: Out of diskspace")),
               Fails(run_error=ScaffoldError("git update-index failed: No space left"))]
    with pytest.raises(ScaffoldError) as raised:
        execute(actions, quiet=True, journal=journal)
    text = str(raised.value)
    assert text.startswith(".git/qscaffold-journal.json: git update-index failed: No space "
                           "left; then undoing it failed too (git reset failed: fatal: Out of "
                           "diskspace): the tree is as the run left it")
    assert "re-run the same command: it repairs what was done and finishes the job" in text
    assert not journal.closed   # kept for the next run
    with pytest.raises(ScaffoldError) as raised:
        execute([Fails(undo_error=disk), Fails(run_error=RuntimeError("boom"))], quiet=True)
    assert "files this run wrote may be left" in str(raised.value)


def test_after_an_undo_that_failed_the_next_run_finishes_the_job(repo):
    """The state said above is the one the next run repairs: a commit fails (a hook), the
    undo fails too (the disk, simulated), the files stay written with the journal; the
    same command, re-run, finishes the bump and leaves nothing behind."""
    _hook(repo, "pre-commit", 1, "exit 1")
    failed = run_cli("bump", TARGET, "--repo", str(repo), env={"QSCAFFOLD_TEST_FAIL_UNDO": "1"})
    err = one_line_error(failed)
    assert failed.returncode == 1 and "then undoing it failed too" in err
    assert (repo / ".git/qscaffold-journal.json").exists()
    (repo / ".git/hooks/pre-commit").unlink()
    again = run_cli("bump", TARGET, "--repo", str(repo))
    assert again.returncode == 0, again.stderr.decode()
    assert "an interrupted run was repaired" in again.stderr.decode()
    assert git(repo, "log", "-1", "--format=%s").strip() == f"hw: add compat machines for {TARGET}"
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert not (repo / ".git/qscaffold-journal.json").exists()
