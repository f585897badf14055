"""Property: whatever a fixture file is mutated into, `bump` either makes a complete bump
or refuses with an error and leaves the tree as it was; it never crashes."""
from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, snapshot
from scaffold.planning.bump import plan_bump
from scaffold.commands.bump import BumpOptions, run
from scaffold.errors import ScaffoldError
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

TREES = {"layout-11.2": "12.0", "layout-9.0": "9.1", "layout-9.2": "10.0"}
FILES = ["hw/arm/virt.c", "hw/i386/pc_piix.c", "hw/i386/pc_q35.c", "hw/core/machine.c",
         "include/hw/i386/pc.h", "hw/s390x/s390-virtio-ccw.c", "hw/ppc/spapr.c",
         "hw/loongarch/virt.c", "hw/m68k/virt.c"]

mutation = st.tuples(st.sampled_from(["delete", "duplicate", "swap", "macro-args", "digits"]),
                     st.integers(min_value=0, max_value=10_000),
                     st.sampled_from(["", "x", "11", "11_2", "true", "(", ", 1", "\n"]))


def mutate(text: str, kind: str, where: int, junk: str) -> str:
    lines = text.splitlines(keepends=True)
    i = where % len(lines)
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif kind == "macro-args":
        calls = [n for n, line in enumerate(lines) if re.match(r"DEFINE_\w+\(", line)]
        if calls:
            n = calls[where % len(calls)]
            lines[n] = re.sub(r"\(([^)]*)\)", lambda m: "(" + m.group(1)[: where % 7] + junk + ")",
                              lines[n], count=1)
    elif kind == "digits":
        lines[i] = re.sub(r"\d", junk[:1] or "9", lines[i])
    return "".join(lines)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.sampled_from(sorted(TREES)), path=st.sampled_from(FILES),
       mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_trees_bump_correctly_or_stay_untouched(tree, path, mutations):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / tree
        shutil.copytree(FIXTURES / tree / "before", root)
        target = root / path
        if not target.exists():
            return
        text = target.read_text()
        for kind, where, junk in mutations:
            text = mutate(text, kind, where, junk)
        target.write_text(text)
        before = snapshot(root)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run(BumpOptions(version=TREES[tree], repo=root, commit=False))
        except ScaffoldError as exc:
            assert "\n" not in str(exc)
            assert snapshot(root) == before
            return
        assert code == 0
        # A correct bump is a complete one: asking again finds nothing left to do.
        assert plan_bump(QemuTree.open(root), Version.parse(TREES[tree])).edits == []


@settings(max_examples=500)
@given(st.text(alphabet=" ,\n\tab1_\\\"'()[]{}", max_size=40))
def test_macro_arguments_split_the_same_on_the_fast_path(text):
    """split_args splits plain argument lists with str.split: the same as the one
    splitter of C arguments, comma_spans, does."""
    from scaffold.reading.csyntax import comma_spans, split_args

    assert split_args(text) == ([text[s:e] for s, e in comma_spans(text)] if text else [])
