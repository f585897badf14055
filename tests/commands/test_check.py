"""commands/check.py: `run(CheckOptions)`."""
from __future__ import annotations

import json

from scaffold.commands.check import CheckOptions, run


def test_a_pending_bump_fails_with_no_error(fixture_tree, capsys):
    # VERSION says 11.2.50 and the newest types are 11.2: the 12.0 bump is pending (C503)
    assert run(CheckOptions(repo=fixture_tree("layout-11.2"), json=True)) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] is True and not [f for f in report["findings"]
                                             if f["severity"] == "error"]
    assert [f["code"] for f in report["findings"] if f["severity"] == "pending"] == ["C503"]


def test_a_missing_chain_call_fails(fixture_tree, capsys):
    root = fixture_tree("layout-11.2")
    virt = root / "hw/arm/virt.c"
    # virt_machine_11_1_options no longer calls the 11.2 options: C101, an error
    virt.write_text(virt.read_text().replace("    virt_machine_11_2_options(mc);\n", "", 1))
    assert run(CheckOptions(repo=root, json=True)) == 1
    report = json.loads(capsys.readouterr().out)
    assert any(f["code"] == "C101" and f["family"] == "arm" for f in report["findings"])


def test_explain_goes_to_the_explain_command(capsys):
    assert run(CheckOptions(explain="C101", json=True)) == 0
    assert json.loads(capsys.readouterr().out)["command"] == "explain"
