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


def test_a_folded_code_names_the_rules_that_judge_it_now():
    """C106 and C108 were a vendor's chain and latest mark; one judge serves every family
    now, with upstream's rules (issue 35)."""
    with pytest.raises(UsageError, match=r"C106 \(downstream-chain\) is judged by C101, C102, "
                                         r"C103, C104"):
        run(ExplainOptions("c106"))
    with pytest.raises(UsageError, match=r"C108 \(downstream-latest\) is judged by C303, C304"):
        run(ExplainOptions("downstream-latest"))
