"""The newest series the mirror serves, proven in QEMU's own build (issue 19): bumped to
its next release, it compiles with -Werror and the binary's default machine is the new
type.  10.2 today (the same cached build as test_build_proof.py); 11.1 once Debian serves
it, with no change here."""
from __future__ import annotations

import subprocess

import pytest

from helpers import build_tree, newest_tree, ninja, run_cli
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

pytestmark = [pytest.mark.qemu_build, pytest.mark.realtree]


def test_the_newest_series_builds_its_next_release():
    major, minor, _ = QemuTree.open(newest_tree()).version
    series, target = Version(major, minor), Version(major, minor).next()
    src, build = build_tree(str(series), "--reset", "qemu-system-x86_64")
    try:
        for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
            subprocess.run(["git", "-C", str(src), "config", key, value], check=True)
        proc = run_cli("bump", str(target), "--build-dir", str(build), "--repo", str(src))
        assert proc.returncode == 0, proc.stderr.decode()
        ninja(build, "qemu-system-x86_64")
        help_text = subprocess.run([str(build / "qemu-system-x86_64"), "-machine", "help"],
                                   capture_output=True, text=True).stdout
        lines = {line.split()[0]: line for line in help_text.splitlines()[1:] if line.strip()}
        assert lines[f"pc-i440fx-{target}"].endswith("(default)")
        assert f"(alias of pc-q35-{target})" in lines["q35"]
        assert f"pc-q35-{series}" in lines and "(default)" not in lines[f"pc-i440fx-{series}"]
        check = run_cli("check", "--repo", str(src))
        assert check.returncode == 0, check.stdout.decode()
    finally:
        build_tree(str(series), "--reset")
