"""The package's layers hold: a lower layer never imports an upper one, and only
applying/scm.py runs git (issue 20), besides reading/history.py's read-only questions
(issue 26).  Imports inside functions count too."""
from __future__ import annotations

import ast
import re

from helpers import REPO

PACKAGE = REPO / "scaffold"
# What each layer may import besides itself and the shared modules at the top.
MAY_IMPORT = {
    "shared": set(),
    "reading": set(),          # reads; never judges (issue 27)
    "rules": {"reading"},      # judges what reading/ read: check's, lint's, compat's rules
    "planning": {"reading", "rules"},
    "applying": {"reading"},
    "running": set(),          # QEMU processes and QMP: never reads or edits a tree
    "commands": {"reading", "rules", "planning", "applying", "running"},
}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in MAY_IMPORT else "shared"


def imports(path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scaffold"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            out += [(node.lineno, n if layer(n) != "shared" or node.module == "scaffold"
                     else node.module) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("scaffold")]
    return out


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        yield path, ".".join(rel.parts)


def test_lower_layers_never_import_upper_ones():
    wrong = []
    for path, module in modules():
        own = layer(module)
        if module == "scaffold.__main__":
            continue
        for line, target in imports(path):
            other = layer(target)
            if other not in (own, "shared") and other not in MAY_IMPORT[own]:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {own} imports {target} ({other})")
            if own == "shared" and other != "shared":
                wrong.append(f"{path.relative_to(REPO)}:{line}: a shared module imports {target}")
    assert wrong == []


def test_only_scm_runs_git():
    """scm.py writes with git; reading/history.py only reads the history lint asks about."""
    runs_git = re.compile(r"""\[\s*["']git["']|^\s*import git\b|^\s*from git\b""", re.M)
    found = [str(path.relative_to(REPO)) for path, _ in modules()
             if runs_git.search(path.read_text())]
    assert found == ["scaffold/applying/scm.py", "scaffold/reading/history.py"]


def test_history_only_reads():
    """No git command of reading/history.py writes: only these read-only ones."""
    text = (PACKAGE / "reading" / "history.py").read_text()
    commands = set(re.findall(r'_(?:git|run)\(root, "([a-z-]+)"', text)) | \
        set(re.findall(r'"-C", str\(root\), "([a-z-]+)"', text))
    assert commands and commands <= {"rev-parse", "ls-tree", "blame", "cat-file", "show", "log",
                                     "rev-list", "ls-files", "status"}, commands
    # status refreshes the index unless told not to: every command runs without that lock
    assert '"git", "--no-optional-locks"' in text


def test_the_check_is_able_to_fail(tmp_path):
    """The scan sees an upward import inside a function, and git run by hand."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from scaffold.commands.cli import app\n"
                      "    subprocess.run([\"git\", \"status\"])\n")
    assert [t for _, t in imports(sample)] == ["scaffold.commands.cli.app"]
    assert layer("scaffold.commands.cli.app") == "commands"
    assert re.search(r"""\[\s*["']git["']""", sample.read_text())


# The modules that run regular expressions over C bytes, and why (scaffold/reading/
# cmatch.py's docstring): preprocessor lines, pre-parse filters, lexical scans.  A new one
# reads a statement the syntax tree should give, or belongs here with its reason.
BYTE_PATTERNS = {
    "reading/csyntax.py": "comments, literals, `#if` lines, braces",
    "reading/tree.py": "which files define arrays or register types (pre-parse roles)",
    "reading/registrations.py": "where registrations are, before any parse",
    "reading/machines.py": "a family's first version, `#if 0`'d registrations counted",
    "reading/compat_arrays.py": "the arrays' stretch to parse, and counted against the tree",
    "reading/search.py": "a word in the tree's files",
    "reading/effective.py": "`#define` bodies",
    "reading/lifecycle.py": "`#define MACHINE_VER_*` lines",
    "planning/compat_edit.py": "`#include` lines, a word in a file",
    "planning/fields.py": "a field's name, identifiers of folded text",
    "planning/plan.py": "line ends",
    "planning/rebase_statements.py": "the stretch of upstream's options to parse",
    "planning/removal.py": "identifiers, blank lines",
    "planning/retire.py": "a word in the tree's files",
}


def test_regexes_over_c_bytes_stay_in_their_modules():
    """No module reads C with a regular expression over its bytes but those that say why."""
    over_bytes = re.compile(r"""\bre\.\w+\(\s*(?:rb|br|b)["']""")   # re.search(rb"...", data)
    found = sorted(str(path.relative_to(PACKAGE)) for path, _ in modules()
                   if over_bytes.search(path.read_text()))
    assert found == sorted(BYTE_PATTERNS), set(found) ^ set(BYTE_PATTERNS)
    assert over_bytes.search('m = re.match(rb"\\s*=", after)')   # the scan sees one
