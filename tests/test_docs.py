"""The documented synopses say what `--help` says (issue 20): every option of a command is
in its synopsis in docs/commands.md, and nothing else is."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpers import REPO

DOC = (REPO / "docs" / "commands.md").read_text()
COMMANDS = ["bump", "retire", "compat add", "compat machine-option", "machines", "check",
            "checklist", "prove", "lint", "qom", "compat rebase"]


def synopsis(command: str) -> str:
    """The synopsis: a code block right after the command's heading, or the command's
    bullet in backticks."""
    block = re.search(rf"## `qscaffold {command}[^\n]*\n\n```\n(.*?)```", DOC, re.S)
    if block:
        return block.group(1)
    bullet = re.search(rf"^- `(qscaffold {command} [^`]*)`", DOC, re.S | re.M)
    assert bullet, command
    return bullet.group(1)


def options(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text)) - {"--help"}


@pytest.mark.parametrize("command", COMMANDS)
def test_synopsis_lists_exactly_the_options_of_help(command):
    shown = subprocess.run([sys.executable, "-m", "scaffold", *command.split(), "--help"],
                           capture_output=True, text=True).stdout
    assert options(synopsis(command)) == options(shown), command


def test_the_readme_names_only_options_that_exist():
    readme = (REPO / "README.md").read_text()
    for command, rest in re.findall(r"^qscaffold ([a-z-]+(?: [a-z][a-z-]*)?)([^\n#]*)", readme, re.M):
        shown = subprocess.run([sys.executable, "-m", "scaffold", *command.split(), "--help"],
                               capture_output=True, text=True).stdout
        for option in re.findall(r"(?<![\w-])-{1,2}[a-z][a-z-]*", rest):
            assert option in shown, (command, option)


@pytest.mark.realtree
def test_the_readme_machine_option_example_runs_as_written(tmp_path):
    """Issue 29, item 9: the README's machine-option example carries the --release it
    needs; run as written (plus -n) on Debian's 10.2 tree, it is a diff."""
    import shlex

    from helpers import linked_copy, real_tree, run_cli

    readme = (REPO / "README.md").read_text().replace("\\\n", " ")
    line = next(l for l in readme.splitlines() if l.startswith("qscaffold compat machine-option"))
    args = shlex.split(line.split("  #")[0])[1:]
    assert "--release" in args
    root = linked_copy(real_tree("10.2"), tmp_path / "qemu")
    proc = run_cli(*args, "-n", "--repo", str(root))
    assert proc.returncode == 0 and proc.stdout.startswith(b"diff --git"), proc.stderr.decode()
