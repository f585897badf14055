"""commands/handling.py: the one error handler, and JSON told by the options."""
from __future__ import annotations

import json

import pytest

from scaffold.commands.handling import Exit, RunInfo, error_handler, run_command
from scaffold.errors import ScaffoldError, UsageError


def test_an_error_is_one_line_and_an_exit_code(capsys):
    with pytest.raises(Exit) as done, error_handler(RunInfo()):
        raise ScaffoldError("no such family", path="hw/arm/virt.c", line=12, family="arm")
    out, err = capsys.readouterr()
    assert done.value.code == 1 and out == ""
    assert err.splitlines() == [f"qscaffold: error: {ScaffoldError('no such family', path='hw/arm/virt.c', line=12, family='arm')}"]
    assert "hw/arm/virt.c:12" in err


def test_with_json_asked_the_error_is_a_document_too(capsys):
    info = RunInfo(json=True, command="lint")
    with pytest.raises(Exit) as done, error_handler(info):
        raise UsageError("--baseline and --write-baseline: one or the other")
    doc = json.loads(capsys.readouterr().out)
    assert done.value.code == 2 and doc["command"] == "lint" and doc["failed"] is True
    assert doc["error"]["message"] == "--baseline and --write-baseline: one or the other"


def test_nothing_is_printed_twice_after_a_document(capsys):
    info = RunInfo(json=True, command="check", printed=True)
    with pytest.raises(Exit), error_handler(info):
        raise UsageError("late")
    assert capsys.readouterr().out == ""


def test_ctrl_c_and_a_file_error_are_lines_too(capsys, tmp_path):
    with pytest.raises(Exit) as done, error_handler(RunInfo()):
        raise KeyboardInterrupt
    assert done.value.code == 130
    with pytest.raises(Exit) as done, error_handler(RunInfo()):
        (tmp_path / "missing").read_text()
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "qscaffold: interrupted; nothing was changed"
    assert err[1].startswith(f"qscaffold: error: {tmp_path / 'missing'}: ") and done.value.code == 1


def test_a_bug_is_not_swallowed():
    with pytest.raises(ZeroDivisionError), error_handler(RunInfo()):
        raise ZeroDivisionError("a bug")


def test_a_command_ends_with_its_runs_code():
    with pytest.raises(Exit) as done:
        run_command("check", lambda options: options, 3)
    assert done.value.code == 3


def test_the_json_option_itself_makes_a_missing_argument_a_document():
    """`--json` says so before the arguments are read: the usage error is JSON too,
    with the command it was meant for (issue 38: no argv sniffing)."""
    from helpers import run_cli

    proc = run_cli("compat", "show", "--json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 2 and doc["command"] == "compat show" and doc["failed"] is True
    assert "Missing argument 'TYPE'" in doc["error"]["message"]
    plain = run_cli("compat", "show")
    assert plain.returncode == 2 and plain.stdout == b"" and b"Missing argument" in plain.stderr
