"""commands/bump.py: `run(BumpOptions)`."""
from __future__ import annotations

import json

from helpers import snapshot
from scaffold.commands.bump import BumpOptions, run


def test_a_dry_runs_plan_as_json(fixture_tree, capfd):
    root = fixture_tree("layout-11.2")
    before = snapshot(root)
    assert run(BumpOptions(version="12.0", repo=root, dry_run=True, format="json")) == 0
    plan = json.loads(capfd.readouterr().out)
    # every family of the fixture is at 11.2; the bump adds 11.2's arrays (hw, pc)
    assert plan["version"] == "12.0" and sorted(plan["families"]) == ["arm", "i440fx",
                                                                       "loongarch", "q35"]
    assert any(e["what"] == "add hw_compat_11_2 (definition)" for e in plan["edits"])
    assert snapshot(root) == before


def test_no_commit_writes_the_files(fixture_tree):
    root = fixture_tree("layout-11.2")
    assert run(BumpOptions(version="12.0", repo=root, commit=False)) == 0
    assert "DEFINE_VIRT_MACHINE_AS_LATEST(12, 0)" in (root / "hw/arm/virt.c").read_text()
