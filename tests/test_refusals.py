"""Refusals in one line, with the exit status docs/commands.md gives, never "internal
error" (issue 37: items 9, 12, 13, 14, 16, 17): bad files of the user's, commands aimed
at the wrong tree, output a terminal cannot encode."""
from __future__ import annotations

import os

import pytest

from helpers import init_repo, one_line_error, run_cli, snapshot

DEEP = "a = " + "[" * 20000 + "\n"


def _refused(proc, status: int, *words: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == status, err
    assert "internal error" not in err and err.count("\n") == 1, err
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize("where, args", [
    (".qscaffold/families.toml", ("machines",)),
    (".qscaffold/declined.toml", ("compat", "rebase", "--from", "6.0", "--to", "6.2", "-n")),
    ("baseline.toml", ("lint", "--baseline", "{root}/baseline.toml")),
    (".git/qscaffold-journal.json", ("bump", "rhel8.6.0")),
])
def test_a_file_nested_thousands_deep_is_its_one_line_error(fixture_tree, where, args):
    root = init_repo(fixture_tree("rhel8-shapes"))
    path = root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEEP if where.endswith(".toml") else "[" * 20000)
    before = snapshot(root)
    proc = run_cli(*[a.format(root=root) for a in args], "--repo", str(root))
    _refused(proc, 1 if where.endswith(".json") else 2, where.split("/")[-1])
    assert snapshot(root) == before


def test_a_downstream_checklist_on_an_upstream_tree_is_a_usage_error(fixture_tree):
    proc = run_cli("checklist", "rhel9.4.0", "--repo", str(fixture_tree("layout-9.0")))
    _refused(proc, 2, "registers no rhel machine types")


def test_a_downstream_bump_older_than_the_newest_exits_2_as_upstreams_does(fixture_tree):
    root = fixture_tree("rhel8-shapes")
    _refused(run_cli("bump", "rhel8.4.0", "--repo", str(root)), 2,
             "rhel8.4.0 is not newer than the newest type")
    _refused(run_cli("bump", "8.2", "--repo", str(fixture_tree("layout-9.0"))), 2,
             "is not newer than the newest machine types")


def test_a_path_the_terminal_cannot_encode_is_escaped_not_a_traceback(fixture_tree, tmp_path):
    root = fixture_tree("layout-9.0")
    odd = tmp_path / "qemu-ünïcode"
    root.rename(odd)
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    proc = run_cli("machines", "--repo", str(odd), env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"qemu-\\xfcn\\xefcode" in proc.stdout
    bad = run_cli("bump", "8.2", "--repo", str(odd), env=env)
    assert bad.returncode == 2 and "internal error" not in one_line_error(bad)


FAMILY = '''vendor = "acme"
[[family]]
name = "acme-virt"
upstream = "arm"
file = "{file}"
macro = "DEFINE_ACME_VIRT"
machine = "virt-{{1}}"
options = ["acme_virt_{{0}}_options"]
latest = "arg:2"
alias = "virt-acme"
'''


@pytest.mark.parametrize("file, words", [
    ("hw/arm/acme.c", "its file hw/arm/acme.c is not in the tree"),
    ("/etc/passwd", "`file` is a path inside the tree"),
    ("../../hw/arm/virt.c", "`file` is a path inside the tree"),
])
def test_a_family_whose_file_is_not_in_the_tree_is_said(fixture_tree, file, words):
    root = fixture_tree("vendor-acme")
    (root / ".qscaffold/families.toml").write_text(FAMILY.format(file=file))
    _refused(run_cli("machines", "--repo", str(root)), 2, words)


@pytest.mark.parametrize("make, words", [
    (lambda p: p.mkdir(), "a directory"),
    (lambda p: p.symlink_to(p.parent / "nowhere.toml"), "a link to nothing"),
    (lambda p: os.mkfifo(p), "not a regular file"),
])
@pytest.mark.parametrize("name", ["families.toml", "declined.toml"])
def test_a_kept_file_that_is_no_regular_file_is_refused(fixture_tree, make, words, name):
    root = fixture_tree("rhel8-shapes")
    (root / ".qscaffold").mkdir()
    make(root / ".qscaffold" / name)
    args = ("machines",) if name == "families.toml" else \
        ("compat", "rebase", "--from", "6.0", "--to", "6.2", "-n")
    _refused(run_cli(*args, "--repo", str(root)), 2, f".qscaffold/{name}: {words}")


def test_two_families_claiming_one_registration_are_refused(fixture_tree):
    root = fixture_tree("vendor-acme")
    data = (root / ".qscaffold/families.toml").read_text()
    first = data.index("[[family]]")
    second = data.index("[[family]]", first + 1) if "[[family]]" in data[first + 1:] else len(data)
    twin = data[first:second].replace('name = "acme-virt"', 'name = "acme-virt-twin"')
    (root / ".qscaffold/families.toml").write_text(data + "\n" + twin)
    _refused(run_cli("bump", "acme3.2.0", "-n", "--repo", str(root)), 2,
             "families acme-virt and acme-virt-twin both claim this registration")


def test_a_frozen_family_continued_by_data_is_bumped(fixture_tree):
    """`continued = true`, the documented override, ended in "internal error: the result
    would fail check": the newest-only call it carries is now read from the code."""
    root = fixture_tree("vendor-acme")
    data = (root / ".qscaffold/families.toml").read_text()
    assert 'name = "acme-s390x"' in data
    data = data.replace('name = "acme-s390x"', 'name = "acme-s390x"\ncontinued = true')
    (root / ".qscaffold/families.toml").write_text(data)
    proc = run_cli("bump", "acme3.2.0", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"s390-ccw-virtio-acme3.2.0" in run_cli("machines", "--repo", str(root)).stdout


@pytest.mark.parametrize("body, words", [
    ('[[declined]]\nfrom = "hw_compat_6_0"\nwhat = "i8042 extended-state"\nreason = "  "\n',
     ".qscaffold/declined.toml:1: a [[declined]] table has from, what and reason"),
    ('[[declined]]\nfrom = "hw_compat_6_0"\nwhat = "i8042 extended-state"\nreason = "a"\n\n'
     '[[declined]]\nfrom = "hw_compat_6_0"\nwhat = "i8042  extended-state"\nreason = "b"\n',
     ".qscaffold/declined.toml:6: declines hw_compat_6_0's `i8042  extended-state` a second "
     "time (first at line 1)"),
])
def test_declined_reasons_are_real_and_said_once(fixture_tree, body, words):
    root = fixture_tree("rhel8-shapes")
    (root / ".qscaffold").mkdir()
    (root / ".qscaffold/declined.toml").write_text(body)
    _refused(run_cli("compat", "rebase", "--from", "6.0", "--to", "6.2", "-n",
                     "--repo", str(root)), 2, words)


@pytest.mark.parametrize("make, what", [
    (lambda p: p.unlink(), "missing"),
    (lambda p: (p.unlink(), p.mkdir()), "not a regular file"),
    (lambda p: (p.unlink(), os.mkfifo(p)), "not a regular file"),
    (lambda p: p.write_text("nine\n"), "not a version (X.Y.Z)"),
])
def test_a_version_file_that_says_nothing_is_said(fixture_tree, make, what):
    """A garbage, missing or directory VERSION: check exited 0 and skipped the VERSION
    rule silently (issue 37, item 12); a FIFO would have hung it."""
    root = fixture_tree("layout-9.0")
    make(root / "VERSION")
    proc = run_cli("check", "--repo", str(root))
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert f"VERSION: warning[C505]: VERSION is {what}: whether the cycle's bump is due " \
        "cannot be told" in out


def test_a_rebase_onto_a_base_the_tree_does_not_have_is_said(fixture_tree):
    """`compat rebase --from 7.2 --to 8.2` on a 7.2 tree said "nothing to do"; upstream's
    7.2, 8.0 and 8.1 arrays are not in it (issue 37, item 11)."""
    root = fixture_tree("rhel8-shapes")
    _refused(run_cli("compat", "rebase", "--from", "6.0", "--to", "7.0", "-n", "--repo",
                     str(root)), 2, "upstream's hw_compat_6_2 is not in this tree (VERSION "
             "6.2.0)", "rebase the tree onto QEMU 7.0 first")
