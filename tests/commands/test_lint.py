"""commands/lint.py: `run(LintOptions)`."""
from __future__ import annotations

import json

import pytest

from scaffold.commands.lint import LintOptions, run
from scaffold.errors import UsageError


def test_lint_as_json_and_a_baseline_written(fixture_tree, capsys, tmp_path):
    root = fixture_tree("qom-entries")
    code = run(LintOptions(repo=root, json=True))
    report = json.loads(capsys.readouterr().out)
    assert report["command"] == "lint" and report["failed"] is bool(code) and report["types"] > 0
    baseline = tmp_path / "base" / "lint-baseline.toml"
    assert run(LintOptions(repo=root, write_baseline=baseline)) == 0 and baseline.is_file()
    assert run(LintOptions(repo=root, baseline=baseline)) == 0   # every finding known


def test_baseline_and_write_baseline_are_one_or_the_other(tmp_path):
    with pytest.raises(UsageError, match="one or the other"):
        run(LintOptions(baseline=tmp_path / "a", write_baseline=tmp_path / "b"))
