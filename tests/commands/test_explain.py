"""commands/explain.py: `run(ExplainOptions)`."""
from __future__ import annotations

import json

import pytest

from scaffold.commands.explain import ExplainOptions, run
from scaffold.errors import UsageError


def test_a_code_and_its_name_explain_the_same_rule(capsys):
    run(ExplainOptions("C101", json=True))
    by_code = json.loads(capsys.readouterr().out)["rules"]
    run(ExplainOptions(by_code[0]["name"], json=True))
    assert json.loads(capsys.readouterr().out)["rules"] == by_code and len(by_code) == 1


def test_an_unknown_code_is_a_usage_error():
    with pytest.raises(UsageError, match="no rule 'Z999'"):
        run(ExplainOptions("Z999"))
