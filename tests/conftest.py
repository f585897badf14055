"""pytest's fixtures and hooks; what the tests share otherwise is in helpers.py."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import FIXTURES, _missing, default_sigint, init_repo

default_sigint()   # the tests that send Ctrl-C need it honoured by their children


@pytest.fixture(scope="session", autouse=True)
def _private_tool_cache(tmp_path_factory):
    os.environ["QSCAFFOLD_CACHE"] = str(tmp_path_factory.mktemp("qscaffold-cache"))


def pytest_terminal_summary(terminalreporter):
    for release, count in sorted(_missing.items()):
        line = f"MISSING COVERAGE: {release}: the tests that need it were skipped" \
            if "RHEL" in release \
            else (f"MISSING COVERAGE: the Debian mirror does not serve QEMU {release} any more; "
                  f"{count} test(s) of that series were skipped")
        terminalreporter.write_line(line, red=True, bold=True)


@pytest.fixture
def fixture_tree(tmp_path):
    """Copy one of tests/fixtures/<name>/before into a scratch folder (a fresh copy on
    every call: a test may compare two)."""
    def make(name: str) -> Path:
        dest, n = tmp_path / name, 1
        while dest.exists():
            n += 1
            dest = tmp_path / f"{name}-{n}"
        shutil.copytree(FIXTURES / name / "before", dest)
        return dest
    return make


@pytest.fixture
def repo(fixture_tree) -> Path:
    """The current-layout fixture (11.2) as a git repository with one commit."""
    root = fixture_tree("layout-11.2")
    return init_repo(root)
