"""The caches that make commands fast must never make them wrong (issue 12)."""
from __future__ import annotations

import json
import time

import pytest

from conftest import real_tree, run_cli
from scaffold.planning import retire as retire_module
from scaffold.planning.retire import plan_retire
from scaffold.reading.tree import QemuTree


def test_the_file_index_sees_an_edited_file(fixture_tree, tmp_path):
    root = fixture_tree("layout-11.2")
    env = {"QSCAFFOLD_CACHE": str(tmp_path / "cache")}
    first = json.loads(run_cli("machines", "--json", "--repo", str(root), env=env).stdout)
    assert [f["name"] for f in first["families"]] == ["arm", "i440fx", "loongarch", "q35"]
    assert list((tmp_path / "cache" / "index").glob("*.json"))
    # a file the index knows as irrelevant becomes relevant: an edit changes its stamp
    other = root / "hw/virtio/virtio-iommu.c"
    time.sleep(0.01)
    other.write_text(other.read_text() + "\nGlobalProperty hw_compat_9_9[] = {};\n"
                     "const size_t hw_compat_9_9_len = G_N_ELEMENTS(hw_compat_9_9);\n")
    found = json.loads(run_cli("check", "--json", "--repo", str(root), env=env).stdout)["findings"]
    assert any(f["kind"] == "extern-missing" and f["path"] == "hw/virtio/virtio-iommu.c"
               for f in found), found
    # and with the index off, the same
    found_off = json.loads(run_cli("check", "--json", "--repo", str(root),
                                   env={**env, "QSCAFFOLD_NO_INDEX": "1"}).stdout)["findings"]
    assert found_off == found


def test_templates_render_the_same_from_the_bytecode_cache(fixture_tree, tmp_path):
    root = fixture_tree("layout-11.2")
    outs = [run_cli("bump", "12.0", "--dry-run", "--repo", str(root),
                    env={"QSCAFFOLD_CACHE": str(tmp_path / "c")}).stdout for _ in range(2)]
    assert outs[0] == outs[1] and outs[0].startswith(b"diff --git")
    assert list((tmp_path / "c" / "jinja").iterdir())


@pytest.mark.realtree
def test_follow_ups_without_grep_are_the_same(monkeypatch):
    tree = QemuTree.open(real_tree("10.2"))
    with_grep = [str(f) for f in plan_retire(tree).followups]
    monkeypatch.setattr(retire_module.shutil, "which", lambda name: None)
    without = [str(f) for f in plan_retire(QemuTree.open(real_tree("10.2"))).followups]
    assert with_grep == without and len(with_grep) > 5

