"""Long work shows progress on a terminal, on stderr, from its first seconds; `--quiet`
silences it; a pipe or a log gets no progress line and no carriage return (issue 29,
item 1).  stderr is a pseudo-terminal here (helpers.on_terminal)."""
from __future__ import annotations

import pytest

from helpers import on_terminal, real_tree, run_cli

FIRST = b"reading the tree's QOM types (first run, cached after)"


@pytest.mark.realtree
def test_a_cold_lint_says_what_it_reads_within_three_seconds(tmp_path):
    env = {"QSCAFFOLD_CACHE": str(tmp_path / "cache")}
    got, seen, _ = on_terminal(["lint", "--repo", str(real_tree("10.2"))], until=FIRST,
                               seconds=20, env=env)
    assert seen is not None and seen < 3, got[-500:]
    assert b"\r" in got


@pytest.mark.realtree
def test_quiet_and_a_pipe_get_no_progress(tmp_path):
    tree = str(real_tree("10.2"))
    got, _, _ = on_terminal(["--quiet", "lint", "--repo", tree], seconds=4,
                            env={"QSCAFFOLD_CACHE": str(tmp_path / "a")})
    assert FIRST not in got and b"\r" not in got
    got, _, _ = on_terminal(["lint", "-q", "--repo", tree], seconds=4,
                            env={"QSCAFFOLD_CACHE": str(tmp_path / "b")})
    assert FIRST not in got and b"\r" not in got
    piped = run_cli("lint", "--repo", tree, env={"QSCAFFOLD_CACHE": str(tmp_path / "c")})
    assert piped.returncode == 1 and b"QOM types" not in piped.stderr
    assert b"\r" not in piped.stderr and b"\x1b" not in piped.stderr


def test_retire_shows_each_step_it_plans_and_applies(fixture_tree, tmp_path):
    """On a terminal: `[1/N] planning ...` while planning, `[i/N] subject` while it
    commits; the last line is cleared, and what it says for good stays."""
    from helpers import init_repo

    root = init_repo(fixture_tree("layout-9.2"))
    got, _, code = on_terminal(["retire", "9.1", "--force", "--repo", str(root)], seconds=120)
    assert code == 0, got.decode(errors="replace")[-1500:]
    text = got.decode(errors="replace")
    assert "planning the series" in text and "] planning hw/" in text
    steps = [part for part in text.split("\r") if part.startswith("[")]
    assert any(s.startswith("[1/10] hw/arm/virt: Remove deprecated virt-9.0 machine") for s in steps)
    assert all("\n" not in s for s in steps)   # one line each, rewritten in place
    assert text.split("\x1b[K")[-1].startswith("qscaffold: retired virt-9.0")   # cleared first
    piped = run_cli("retire", "9.0", "--force", "--dry-run", "--repo", str(root))
    assert b"\r" not in piped.stderr and b"planning the series" not in piped.stderr
