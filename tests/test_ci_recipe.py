"""docs/ci.md's recipe for a fork's CI, run as written on a real tree (issue 29, item 3):
the baseline is written, its reasons filled in, the job's and the hook's commands pass;
an entry naming a type the tree lacks makes them fail, naming it."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from helpers import git, init_repo, linked_copy, real_tree, run_cli

pytestmark = pytest.mark.realtree
DOC = Path(__file__).resolve().parent.parent / "docs" / "ci.md"


def _commands() -> list[list[str]]:
    """The qscaffold commands of the page's GitLab job and hook, in order."""
    text = DOC.read_text()
    out = []
    for block in re.findall(r"```(?:yaml|sh)\n(.*?)```", text, re.S)[1:]:   # not the set-up
        for line in block.splitlines():
            m = re.search(r"\bqscaffold (.*?)(?: \|\| exit 1)?$", line.strip())
            if m and not line.strip().startswith("#"):
                out.append(shlex.split(m.group(1)))
    return out


def test_the_recipe_passes_on_the_tree_and_fails_on_a_new_wrong_entry(tmp_path):
    commands = _commands()
    assert [c[0] for c in commands] == ["check", "lint", "lint", "check", "lint"]
    root = init_repo(linked_copy(real_tree("10.2"), tmp_path / "qemu"))
    baseline = root / ".qscaffold" / "lint-baseline.toml"
    baseline.parent.mkdir()
    wrote = run_cli("lint", "--write-baseline", str(baseline.relative_to(root)), cwd=root)
    assert wrote.returncode == 0, wrote.stderr.decode()
    text = baseline.read_text()
    assert text.count("[[known]]") == 18   # 10.2's 4 errors and 14 warnings
    refused = run_cli(*commands[2], cwd=root)
    assert refused.returncode == 2 and b"has no reason" in refused.stderr
    baseline.write_text(text.replace('reason = ""', 'reason = "upstream\'s, see docs/lint.md"'))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "qscaffold: lint baseline")
    for command in commands:
        proc = run_cli(*command, cwd=root)
        assert proc.returncode == 0, (command, proc.stdout.decode()[-2000:], proc.stderr.decode())
    assert b"known: " in run_cli(*commands[2], cwd=root).stdout
    machine = root / "hw/core/machine.c"
    text = machine.read_text()
    machine.unlink()   # a hard link to the cached tree: write a new file, never through it
    machine.write_text(text.replace(
        "GlobalProperty hw_compat_10_1[] = {\n",
        'GlobalProperty hw_compat_10_1[] = {\n    { "no-such-device", "x-prop", "on" },\n', 1))
    git(root, "commit", "-q", "-am", "hw: an entry for a device this tree lacks")
    for command in commands[2:3] + commands[4:]:
        proc = run_cli(*command, cwd=root)
        out = proc.stdout.decode()
        assert proc.returncode == 1, (command, out[-2000:])
        new = [l for l in out.splitlines() if "error[" in l and not l.startswith("known:")]
        assert len(new) == 1 and "no-such-device" in new[0], out
