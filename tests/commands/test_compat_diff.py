"""commands/compat_diff.py: `run(CompatDiffOptions)`."""
from __future__ import annotations

import json

from scaffold.commands.compat_diff import CompatDiffOptions, run


def test_the_older_type_applies_what_the_newer_does_not(fixture_tree, capsys):
    root = fixture_tree("layout-11.2")   # pc-q35-11.2 adds no array; 11.1 hw_compat_11_1
    assert run(CompatDiffOptions("pc-q35-11.1", "pc-q35-11.2", repo=root, json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(e["property"] for e in doc["only_a"]) == ["granule", "zero-page-detection"]
    assert doc["only_b"] == [] and doc["differ"] == []
    assert run(CompatDiffOptions("pc-q35-11.2", "pc-q35-11.2", repo=root)) == 0
    assert capsys.readouterr().out == "pc-q35-11.2 and pc-q35-11.2 apply the same compat properties\n"
