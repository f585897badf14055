"""commands/checklist.py: `run(ChecklistOptions)`: upstream's or a vendor's items."""
from __future__ import annotations

import json

from scaffold.commands.checklist import ChecklistOptions, run


def test_an_upstream_tree_gets_the_next_releases_checklist(fixture_tree, capsys):
    # layout-9.2: upstream's types only, the newest 9.2 (VERSION 9.2.0): next is 10.0
    assert run(ChecklistOptions(repo=fixture_tree("layout-9.2"), json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "checklist" and doc["version"] == "10.0"


def test_a_vendors_tree_gets_the_vendors_checklist(fixture_tree, capsys):
    # layout-11.2's pc_piix.c registers pc-i440fx-resolute (Ubuntu 26.04) too
    assert run(ChecklistOptions(repo=fixture_tree("layout-11.2"))) == 0
    assert capsys.readouterr().out.startswith("## ubuntu-resolute: the distribution's machine types")
