"""commands/qom.py: `run(QomOptions)`."""
from __future__ import annotations

import json

import pytest

from scaffold.commands.qom import QomOptions, run
from scaffold.errors import UsageError


def test_a_types_properties(fixture_tree, capsys):
    root = fixture_tree("qom-entries")   # hw/block/virtio-blk.c:7: num-queues, default 1
    assert run(QomOptions(type_name="virtio-blk-device", repo=root, json=True)) == 0
    report = json.loads(capsys.readouterr().out)
    props = {p["name"]: p for p in report["properties"]}
    assert props["num-queues"]["default"] == "1" and props["num-queues"]["location"]["line"] == 7


def test_one_question_at_a_time(fixture_tree):
    with pytest.raises(UsageError, match="one of them"):
        run(QomOptions(type_name="x", prop="y", repo=fixture_tree("layout-11.2")))
