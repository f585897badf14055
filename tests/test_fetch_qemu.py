"""scripts/fetch-qemu against a fake package index (issue 19): a listed version that the
mirror does not serve is one line, and the next-newest of the series is tried."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from helpers import REPO, TREES_CACHE

APT_CACHE = """#!/bin/sh
# showsrc qemu: the versions the fake index lists
for v in {versions}; do printf 'Package: qemu\\nVersion: %s\\n\\n' "$v"; done
"""
APT_GET = """#!/bin/sh
# `apt-get source --download-only -qq qemu=VERSION`: 404 for the versions in $MISSING
[ "$1" = "source" ] || exit 0
version=${{4#qemu=}}
for gone in {missing}; do
    if [ "$version" = "$gone" ]; then
        echo "W: Download is performed unsandboxed as root" >&2
        echo "E: Failed to fetch http://mirror/pool/main/q/qemu/qemu_$version.dsc  404  Not Found" >&2
        exit 100
    fi
done
upstream=${{version#*:}}; upstream=${{upstream%-*}}
cp "{tarball}" "qemu_$upstream.orig.tar.gz"
"""


def fake_apt(tmp_path: Path, versions: list[str], missing: list[str]) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tree = tmp_path / "qemu-src"
    tree.mkdir()
    (tree / "VERSION").write_text("11.1.1\n")
    tarball = tmp_path / "orig.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tree, arcname="qemu-11.1.1")
    (bin_dir / "apt-cache").write_text(APT_CACHE.format(versions=" ".join(versions)))
    (bin_dir / "apt-get").write_text(APT_GET.format(missing=" ".join(missing), tarball=tarball))
    for tool in ("apt-cache", "apt-get"):
        (bin_dir / tool).chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")


def fetch(env: dict, cache: Path, release: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts/fetch-qemu"), release, "--cache",
                           str(cache)], capture_output=True, text=True, env=env)


@pytest.fixture(autouse=True)
def _deb_src_configured():
    if not Path("/etc/apt/sources.list.d/qscaffold-deb-src.sources").exists():
        pytest.skip("the deb-src entry is not configured yet (scripts/fetch-qemu adds it)")


def test_a_version_the_mirror_does_not_serve_falls_back_to_the_next(tmp_path):
    env = fake_apt(tmp_path, ["1:11.1.3+ds-1", "1:11.1.2+ds-1", "1:11.1.1+ds-2", "1:10.2.2+ds-1"],
                   ["1:11.1.3+ds-1", "1:11.1.2+ds-1"])
    proc = fetch(env, tmp_path / "cache", "11.1")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert Path(proc.stdout.strip()) == tmp_path / "cache/qemu-11.1.1+ds"
    assert (tmp_path / "cache/qemu-11.1.1+ds/VERSION").read_text() == "11.1.1\n"
    said = [line for line in proc.stderr.splitlines() if "could not be downloaded" in line]
    assert said == [
        "fetch-qemu: qemu 1:11.1.3+ds-1 could not be downloaded (E: Failed to fetch "
        "http://mirror/pool/main/q/qemu/qemu_1:11.1.3+ds-1.dsc  404  Not Found); trying the "
        "next listed version",
        "fetch-qemu: qemu 1:11.1.2+ds-1 could not be downloaded (E: Failed to fetch "
        "http://mirror/pool/main/q/qemu/qemu_1:11.1.2+ds-1.dsc  404  Not Found); trying the "
        "next listed version"]


def test_nothing_served_is_one_line(tmp_path):
    env = fake_apt(tmp_path, ["1:11.1.3+ds-1", "1:11.1.2+ds-1"], ["1:11.1.3+ds-1", "1:11.1.2+ds-1"])
    proc = fetch(env, tmp_path / "cache", "11.1")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr   # 3: not served
    assert proc.stderr.splitlines()[-1] == ("fetch-qemu: no qemu 11.1 source package could be "
                                            "downloaded (tried 1:11.1.3+ds-1, 1:11.1.2+ds-1)")


def _pytest_on(tmp_path, name: str, text: str, **env: str) -> subprocess.CompletedProcess:
    """Run pytest with the suite's conftest on one test file written for the occasion."""
    (tmp_path / name).write_text(text)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "conftest", str(tmp_path / name)],
                          capture_output=True, text=True, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(REPO / "tests"), **env))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.realtree
def test_a_series_the_mirror_does_not_serve_is_a_loud_skip(tmp_path):
    """CI on a mirror that dropped a series: that coverage is skipped, said loudly, and
    the run passes (here: a series that never existed)."""
    proc = _pytest_on(tmp_path, "test_gone.py",
                      "from helpers import real_tree\n\n"
                      "def test_needs_a_gone_series():\n    real_tree('1.9')\n\n"
                      "def test_needs_it_too():\n    real_tree('1.9')\n",
                      QSCAFFOLD_CACHE=TREES_CACHE)
    assert "2 skipped" in proc.stdout
    assert ("MISSING COVERAGE: the Debian mirror does not serve QEMU 1.9 any more; 2 test(s) "
            "of that series were skipped") in proc.stdout


def test_a_missing_shared_folder_is_a_loud_skip(tmp_path):
    """Without ../shared (the RHEL patches), the RHEL tests skip and the run says so."""
    proc = _pytest_on(tmp_path, "test_rhel_gone.py",
                      "from helpers import rhel_tree\n\n"
                      "def test_needs_rhel(tmp_path):\n    rhel_tree(tmp_path)\n",
                      QSCAFFOLD_SHARED=str(tmp_path / "no-shared"))
    assert "1 skipped" in proc.stdout
    assert "MISSING COVERAGE: RHEL 9.2 (../shared/downstream is absent): the tests that " \
           "need it were skipped" in proc.stdout


@pytest.mark.parametrize("status, installed", [
    ("install ok installed", True),
    ("unknown ok not-installed", False),     # a package dpkg has heard of, never installed
    ("deinstall ok config-files", False),
    ("install ok half-installed", False),
])
def test_qemu_packaged_reads_dpkgs_status_words_exactly(monkeypatch, status, installed):
    """A machine that never had qemu-system-arm says "unknown ok not-installed", which
    also ends with "installed": .ci/run stopped there on a fresh machine (issue 37)."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("qemu_packaged",
                                                  str(REPO / "scripts" / "qemu-packaged"))
    spec = importlib.util.spec_from_loader("qemu_packaged", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    monkeypatch.setattr(module.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 0, stdout=status, stderr=""))
    assert module.installed("qemu-system-arm") is installed
