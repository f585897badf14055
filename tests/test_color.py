"""Colour and paging by convention (issue 29, item 2): `--color auto` colours a diff and
the severities on a terminal only, and not with NO_COLOR, TERM=dumb or git's
`color.ui = never`; `--color always|never` decide alone; a diff longer than the screen
goes through git's pager on a terminal."""
from __future__ import annotations

from helpers import git, init_repo, on_terminal, run_cli

ESC = b"\x1b["


def _bump(root, *options, env=None, **kw):
    return on_terminal([*options, "bump", "9.1", "-n", "--repo", str(root)], seconds=60,
                       env=dict({"GIT_PAGER": "cat"}, **(env or {})), stdout_too=True, **kw)


def test_a_diff_is_coloured_on_a_terminal_and_not_when_told(fixture_tree):
    root = init_repo(fixture_tree("layout-9.0"))
    got, _, code = _bump(root)
    assert code == 0 and ESC + b"32m+" in got, got[:500]     # git's green for added lines
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        got, _, code = _bump(root, env=env)
        assert code == 0 and b"+DEFINE" in got and ESC not in got, env
    got, _, _ = _bump(root, "--color", "never")
    assert b"+DEFINE" in got and ESC not in got
    git(root, "config", "color.ui", "never")
    got, _, _ = _bump(root)
    assert b"+DEFINE" in got and ESC not in got
    got, _, _ = _bump(root, "--color", "always")
    assert ESC in got
    piped = run_cli("--color", "always", "bump", "9.1", "-n", "--repo", str(root))
    assert ESC in piped.stdout
    assert ESC not in run_cli("bump", "9.1", "-n", "--repo", str(root)).stdout


def test_severities_are_coloured_on_a_terminal(fixture_tree):
    root = fixture_tree("layout-9.0")
    ccw = root / "hw/s390x/s390-virtio-ccw.c"
    ccw.write_text(ccw.read_text().replace("    ccw_machine_9_0_class_options(mc);\n", "", 1))
    got, _, code = on_terminal(["check", "--repo", str(root)], stdout_too=True)
    assert code == 1 and ESC + b"1;31merror" + ESC + b"m[C" in got, got
    assert ESC not in run_cli("check", "--repo", str(root)).stdout


def test_a_long_diff_goes_through_gits_pager(fixture_tree, tmp_path):
    root = init_repo(fixture_tree("layout-9.0"))
    paged = tmp_path / "paged"
    got, _, code = _bump(root, env={"GIT_PAGER": f"cat > {paged}", "LINES": "10"})
    assert code == 0 and b"diff --git" not in got
    assert b"diff --git a/hw/arm/virt.c" in paged.read_bytes() and ESC in paged.read_bytes()
    short = tmp_path / "short"
    got, _, _ = _bump(root, env={"GIT_PAGER": f"cat > {short}", "LINES": "10000"})
    assert b"diff --git" in got and not short.exists()
