"""The caches that make commands fast must never make them wrong (issue 12)."""
from __future__ import annotations

import json
import marshal
import os
import re
import time

import pytest

from helpers import run_cli
from scaffold.reading.tree import QemuTree


def test_the_file_index_sees_an_edited_file(fixture_tree, tmp_path):
    root = fixture_tree("layout-11.2")
    env = {"QSCAFFOLD_CACHE": str(tmp_path / "cache")}
    first = json.loads(run_cli("machines", "--json", "--repo", str(root), env=env).stdout)
    assert [f["name"] for f in first["families"]] == ["arm", "i440fx", "loongarch", "q35"]
    assert list((tmp_path / "cache" / "index").glob("*.idx"))
    # a file the index knows as irrelevant becomes relevant: an edit changes its stamp
    other = root / "hw/virtio/virtio-iommu.c"
    time.sleep(0.01)
    other.write_text(other.read_text() + "\nGlobalProperty hw_compat_9_9[] = {};\n"
                     "const size_t hw_compat_9_9_len = G_N_ELEMENTS(hw_compat_9_9);\n")
    found = json.loads(run_cli("check", "--json", "--repo", str(root), env=env).stdout)["findings"]
    assert any(f["kind"] == "extern-missing" and f["location"]["path"] == "hw/virtio/virtio-iommu.c"
               for f in found), found
    # and with the index off, the same
    found_off = json.loads(run_cli("check", "--json", "--repo", str(root),
                                   env={**env, "QSCAFFOLD_NO_INDEX": "1"}).stdout)["findings"]
    assert found_off == found


def _age(root, seconds: int = 3600) -> None:
    """Date every file back, out of the index's racy window."""
    past = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (past, past))


def test_the_index_remembers_roles_and_forgets_them_on_an_edit(fixture_tree, tmp_path, monkeypatch):
    root = fixture_tree("layout-11.2")
    monkeypatch.setenv("QSCAFFOLD_CACHE", str(tmp_path / "cache"))
    _age(root)
    first = QemuTree.open(root)
    index = marshal.loads(next((tmp_path / "cache" / "index").glob("*.roles.*.idx")).read_bytes())
    # after the stamp (mtime, size, inode, ctime): the roles, then no content digest
    assert index["include/hw/core/boards.h"][4:] == ((False, True, []), None)
    assert index["hw/block/virtio-blk.c"][4:] == (None, None)   # read once: no role
    second = QemuTree.open(root)   # from the index: the same files, the same roles
    assert (second.array_defs, second.array_externs, second.machine_files) == \
        (first.array_defs, first.array_externs, first.machine_files)
    assert {rel: f.data for rel, f in second.files.items()} == \
        {rel: f.data for rel, f in first.files.items()}
    # an edited file is searched again: boards.h without its externs declares nothing
    boards = root / "include/hw/core/boards.h"
    boards.write_text(re.sub(r"extern GlobalProperty hw_compat_\w+\[\];\n", "",
                             boards.read_text()))
    assert "include/hw/core/boards.h" not in QemuTree.open(root).array_externs
    # and a file changed within the racy window is not remembered
    index = marshal.loads(next((tmp_path / "cache" / "index").glob("*.roles.*.idx")).read_bytes())
    assert "include/hw/core/boards.h" not in index and "hw/arm/virt.c" in index


def test_templates_render_the_same_from_the_bytecode_cache(fixture_tree, tmp_path):
    root = fixture_tree("layout-11.2")
    outs = [run_cli("bump", "12.0", "--dry-run", "--repo", str(root),
                    env={"QSCAFFOLD_CACHE": str(tmp_path / "c")}).stdout for _ in range(2)]
    assert outs[0] == outs[1] and outs[0].startswith(b"diff --git")
    assert list((tmp_path / "c" / "jinja").iterdir())


@pytest.mark.parametrize("name, target", [("layout-11.2", "12.0"), ("layout-9.0", "9.1")])
def test_incremental_parses_equal_fresh_ones(name, target):
    """The result's syntax trees are re-parsed incrementally, counting lines from the
    region's start: they must be the trees (and rows) a fresh parse gives."""
    from helpers import FIXTURES
    from scaffold.planning.bump import plan_bump
    from scaffold.reading import csyntax
    from scaffold.version import Version

    plan = plan_bump(QemuTree.open(FIXTURES / name / "before"), Version.parse(target))
    assert plan.paths
    for path in plan.paths:
        after = plan.result.file(path)
        fresh = csyntax.parse(after.data, region=after.region)

        def rows(tree):
            return [(n.type, n.start_byte, n.start_point, n.end_point)
                    for n in csyntax.top_level(tree.root_node)]
        assert rows(after.tree) == rows(fresh), path
        assert str(after.tree.root_node) == str(fresh.root_node), path


def _damage(folder, how: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            path.write_bytes({"cut": data[:len(data) // 2], "empty": b"",
                              "garbage": os.urandom(200),
                              "shape": marshal.dumps({"version": 1, "files": [1, 2]})}[how])


@pytest.mark.parametrize("how", ["cut", "empty", "garbage", "shape"])
def test_a_damaged_cache_is_rebuilt_never_trusted(fixture_tree, tmp_path, how):
    """Issue 30, item 17: the file index, the QOM model and facts caches and the compiled
    templates, cut short, emptied, overwritten or of another shape."""
    root = fixture_tree("qom-entries")
    layout = fixture_tree("layout-11.2")
    env = {"QSCAFFOLD_CACHE": str(tmp_path / "cache")}
    _age(layout)
    _age(root)
    expected = [run_cli(*args, env=env) for args in (
        ["lint", "--repo", str(root)], ["bump", "12.0", "--dry-run", "--repo", str(layout)])]
    _damage(tmp_path / "cache", how)
    for args, before in zip((["lint", "--repo", str(root)],
                             ["bump", "12.0", "--dry-run", "--repo", str(layout)]), expected):
        again = run_cli(*args, env=env)
        assert (again.returncode, again.stdout) == (before.returncode, before.stdout), how
        assert b"Traceback" not in again.stderr and b"internal error" not in again.stderr


def test_an_index_entry_for_another_file_is_not_trusted(fixture_tree, tmp_path, monkeypatch):
    """A file put back with its old mtime and size (or a copy of the tree) is another file
    to the index: its inode or ctime differs, and the family is read again."""
    monkeypatch.setenv("QSCAFFOLD_CACHE", str(tmp_path / "cache"))
    root = fixture_tree("layout-11.2")
    virt = root / "hw/arm/virt.c"
    original = virt.read_bytes()
    blank = b"/* " + b"x" * (len(original) - 6) + b" */\n"   # same size, no role
    virt.write_bytes(blank)
    _age(root)
    stamp = virt.stat()
    assert "hw/arm/virt.c" not in QemuTree.open(root).machine_files
    virt.write_bytes(original)
    os.utime(virt, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))   # the mtime put back
    assert "hw/arm/virt.c" in QemuTree.open(root).machine_files


def test_a_fresh_clone_is_known_by_its_content(fixture_tree, tmp_path, monkeypatch):
    """Issue 38: a CI job's fresh clone has new paths and stamps for every file; the QOM
    facts are found by content (and path) instead of being extracted again, and a file
    whose bytes differ is extracted, never answered from another file's facts."""
    import shutil

    from scaffold.reading.qom import facts as facts_module, model

    monkeypatch.setenv("QSCAFFOLD_CACHE", str(tmp_path / "cache"))
    root = fixture_tree("qom-entries")
    first = model.load(root)
    extracted: list[str] = []
    real = facts_module.extract

    def counting(data: bytes, rel: str):
        extracted.append(rel)
        return real(data, rel)

    monkeypatch.setattr(facts_module, "extract", counting)
    clone = tmp_path / "clone"
    shutil.copytree(root, clone)   # new inodes and stamps, the same bytes
    again = model.load(clone)
    assert extracted == []
    assert sorted(again.types) == sorted(first.types)
    assert {t: sorted(q.props) for t, q in again.types.items()} == \
        {t: sorted(q.props) for t, q in first.types.items()}
    edited = next(p for p in sorted((clone / "hw").rglob("*.c")))
    edited.write_bytes(edited.read_bytes() + b"\n/* edited */\n")
    other = tmp_path / "other"
    shutil.copytree(clone, other)
    model.load(other)
    assert extracted == [str(edited.relative_to(clone))]
