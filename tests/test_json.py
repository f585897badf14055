"""One JSON schema (issue 29, item 4): every command's `--format json` document is
checked against docs/json.md's JSON Schema for it (prove's in tests/test_prove.py, where
its binaries are); `--json` prints the same document."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest

from helpers import REPO, init_repo, run_cli

DOC = (REPO / "docs" / "json.md").read_text()


def schemas() -> dict[str, dict]:
    """Heading -> its schema, each with the shared definitions."""
    found = {m.group(1).strip(): json.loads(m.group(2))
             for m in re.finditer(r"^## (.+?)\n.*?```json\n(.*?)```", DOC, re.S | re.M)}
    shared = found.pop("Shared definitions")["$defs"]
    for schema in found.values():
        schema["$defs"] = {**shared, **schema.get("$defs", {})}
    return found


SCHEMAS = schemas()


def validate(document: dict, name: str) -> None:
    jsonschema.Draft202012Validator(SCHEMAS[name]).validate(document)


def doc(*args: str, code: int | None = 0) -> dict:
    proc = run_cli(*args)
    assert code is None or proc.returncode == code, (args, proc.stderr.decode())
    data = json.loads(proc.stdout)
    assert isinstance(data, dict) and data["schema"] == 1
    return data


def test_the_doc_has_a_schema_for_every_command():
    assert set(SCHEMAS) >= {"error", "check", "lint", "machines", "checklist", "qom",
                            "bump, retire: the plan (`--dry-run --format json`)", "prove"}
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_command_prints_its_documented_document(fixture_tree):
    root = str(init_repo(fixture_tree("layout-9.0")))
    acme = str(fixture_tree("vendor-acme"))
    plan = "bump, retire: the plan (`--dry-run --format json`)"
    cases = [
        (("check", "--repo", root), "check", 0),
        (("machines", "--repo", root), "machines", 0),
        (("machines", "--repo", acme), "machines", 0),
        (("checklist", "--repo", root), "checklist", 0),
        (("checklist", "--repo", acme), "checklist", 0),
        (("lint", "--repo", root), "lint", 1),
        (("qom", "--property", "num-queues", "--repo", root), "qom", 0),
        (("qom", "--unresolved", "--repo", root), "qom", 0),
        (("bump", "9.1", "-n", "--repo", root), plan, 0),
        (("bump", "acme3.2.0", "-n", "--repo", acme), plan, 0),
        (("retire", "8.1", "--force", "-n", "--repo", root), plan, 0),
        (("explain", "C101"), "explain", 0),
        (("compat", "show", "pc-q35-9.0", "--repo", root), "compat show, compat diff", 0),
        (("compat", "diff", "pc-q35-8.2", "pc-q35-9.0", "--repo", root),
         "compat show, compat diff", 0),
        (("explain", "all"), "explain", 0),
    ]
    for args, name, code in cases:
        data = doc(*args, "--format", "json", code=code)
        validate(data, name)
        assert data["command"] == (" ".join(args[:2]) if args[0] == "compat" else args[0])
        if name != plan:
            assert doc(*args, "--json", code=code) == data   # --json: the same document


def test_findings_carry_their_entry_and_null_where_there_is_nothing(fixture_tree):
    root = str(fixture_tree("layout-9.0"))
    data = doc("lint", "--repo", root, "--format", "json", code=1)
    first = data["findings"][0]
    assert first["entry"] == {"array": "hw_compat_8_2", "type": "migration",
                              "property": "zero-page-detection", "value": "legacy"}
    assert first["location"] == {"path": "hw/core/machine.c", "line": 12}
    assert first["family"] is None and first["version"] is None
    assert all(f["fix"] is None or f["fix"] for f in data["findings"])


def test_an_error_is_a_document_too(tmp_path):
    data = doc("check", "--repo", str(tmp_path), "--format", "json", code=2)
    validate(data, "error")
    assert data["command"] == "check" and data["failed"] is True
    broken = doc("lint", "--json", "--repo", str(tmp_path), code=2)
    validate(broken, "error")
    assert broken["command"] == "lint"


@pytest.mark.realtree
def test_qom_of_a_type_on_a_real_tree():
    from helpers import real_tree

    data = doc("qom", "virtio-blk-pci", "--repo", str(real_tree("10.2")), "--format", "json")
    validate(data, "qom")
    assert data["location"] == {"path": "hw/virtio/virtio-blk-pci.c", "line": 91}


def test_check_explain_with_json_prints_the_explain_document():
    """`check --json --explain C101` printed plain text (issue 37, item 18)."""
    data = doc("check", "--json", "--explain", "C101")
    validate(data, "explain")
    assert [r["code"] for r in data["rules"]] == ["C101"] and data["command"] == "explain"


def test_write_baseline_with_json_prints_the_lint_document_and_makes_the_folder(fixture_tree):
    """`lint --write-baseline F --json` printed nothing; docs/ci.md's first step failed on
    a fresh tree, which has no .qscaffold/ (issue 37, item 18)."""
    root = fixture_tree("layout-9.0")
    target = root / ".qscaffold" / "lint-baseline.toml"
    data = doc("lint", "--write-baseline", str(target), "--json", "--repo", str(root), code=0)
    validate(data, "lint")
    assert data["findings"] and target.is_file()
    assert "[[known]]" in target.read_text()
