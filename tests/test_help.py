"""Help that teaches (issue 29, item 7): commands in the order of a cycle's work, whole
first sentences, an Examples section in every command's --help, `qscaffold explain`,
no internal types or defaults, and retire's --force meaning one thing."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

COMMANDS = ["checklist", "check", "bump", "compat add", "compat machine-option",
            "compat rebase", "retire", "lint", "qom", "prove", "machines", "explain"]


def help_of(*command: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "scaffold", *command, "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_commands_are_listed_in_workflow_order_with_whole_sentences():
    text = help_of()
    listed = re.findall(r"^  ([a-z]+)  ", text.split("Commands:")[1], re.M)
    assert listed == ["checklist", "check", "bump", "compat", "retire", "lint", "qom", "prove",
                      "machines", "explain"]
    assert "..." not in text.split("Commands:")[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_has_examples_and_no_internal_defaults(command):
    text = help_of(*command.split())
    examples = text.split("Examples:")
    assert len(examples) == 2, command
    assert re.search(rf"^    qscaffold {command.split()[0]}\b", examples[1], re.M), command
    assert "[default:" not in text and not re.search(r"<[a-z |]+>", text), command
    assert "x>=0" not in text and "scripts/qemu-" not in text, command   # a pip user has no scripts/


def test_explain_is_a_command_and_check_explain_stays():
    out = subprocess.run([sys.executable, "-m", "scaffold", "explain", "L202"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("L202 entry-variant-only (warning)")
    kept = subprocess.run([sys.executable, "-m", "scaffold", "check", "--explain", "L202"],
                          capture_output=True, text=True)
    assert kept.stdout == out.stdout
    bad = subprocess.run([sys.executable, "-m", "scaffold", "explain", "Z999"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "explain all" in bad.stderr


def test_retires_force_means_one_thing_and_overwrite_the_other():
    text = " ".join(help_of("retire").split())
    force = re.search(r"--force (.*?) --overwrite", text).group(1)
    assert "not past deletion" in force and "output" not in force
    assert "--overwrite With --output: replace an existing file." in text
