"""`qscaffold lint` and `qscaffold qom` (issue 17) on the real trees: every error is a
real mistake, checked by hand against QEMU's source and history (docs/lint.md), and bad
input is one line, never a traceback."""
from __future__ import annotations

import json
import os

import pytest

from helpers import FIXTURES, one_line_error, real_tree, run_cli

# release -> the errors lint must report there, each verified by hand:
# - pc_compat_3_1 still names Icelake-Client-x86_64-cpu: the model was removed in 7.1
#   (docs/about/removed-features.rst), the entry was left behind and does nothing;
# - vmapple's { TYPE_VIRTIO_PCI, "disable-legacy", "on" }: only the generic virtio-*-pci
#   types have disable-legacy (virtio_pci_generic_class_init); a transitional device on
#   vmapple aborts QEMU (the x86_64 binary lists no disable-legacy on them either);
# - hw_compat_2_8's "pflash_cfi01" is the VMStateDescription's name: the type is
#   cfi.pflash01 (TYPE_PFLASH_CFI01); hw_compat_4_2's "vhost-blk-device" names no type at
#   all.  Both entries do nothing: Debian's 7.2 binary and a 10.2 build list neither type
#   (qom-list-types).  Before issue 26 the model took any string of a file for a type
#   name a loop might register, and called both "cannot tell".
WORDS = ("Icelake-Client", "disable-legacy", "pflash_cfi01", "vhost-blk-device")
BOTH_SINCE_5_2 = {("hw/core/machine.c", "L101", "pflash_cfi01"),
                  ("hw/core/machine.c", "L101", "vhost-blk-device")}
ERRORS = {
    "5.2": BOTH_SINCE_5_2,   # Icelake-Client still existed
    "7.2": BOTH_SINCE_5_2 | {("hw/i386/pc.c", "L101", "Icelake-Client")},
    "10.0": BOTH_SINCE_5_2 | {("hw/i386/pc.c", "L101", "Icelake-Client"),
                              ("hw/vmapple/vmapple.c", "L102", "disable-legacy")},
    "10.2": BOTH_SINCE_5_2 | {("hw/i386/pc.c", "L101", "Icelake-Client"),
                              ("hw/vmapple/vmapple.c", "L102", "disable-legacy")},
}


@pytest.mark.realtree
@pytest.mark.parametrize("release", sorted(ERRORS))
def test_lint_reports_only_real_mistakes(release):
    proc = run_cli("lint", "--repo", str(real_tree(release)), "--json")
    report = json.loads(proc.stdout)
    errors = {(f["location"]["path"], f["code"], word) for f in report["findings"] if f["severity"] == "error"
              for word in WORDS if word in f["message"]}
    assert errors == ERRORS[release]
    assert len([f for f in report["findings"] if f["severity"] == "error"]) == len(ERRORS[release])
    assert proc.returncode == (1 if ERRORS[release] else 0) and report["failed"] == bool(ERRORS[release])
    assert report["types"] > 1500


@pytest.mark.realtree
def test_qom_answers_the_question_before_an_entry():
    root = str(real_tree("10.2"))
    proc = run_cli("qom", "virtio-blk-pci", "--repo", root, "--json")
    report = json.loads(proc.stdout)
    assert report["parents"] == ["virtio-blk-pci-base", "virtio-pci", "pci-device", "device"]
    queues = next(p for p in report["properties"] if p["name"] == "num-queues")
    assert queues["alias_of"] == "virtio-blk-device num-queues" and queues["kind"] == "uint16"
    proc = run_cli("qom", "--property", "num-queues", "--repo", root, "--json")
    owners = {p["defined_in"] for p in json.loads(proc.stdout)["defined_by"]}
    assert {"virtio-blk-device", "vhost-user-blk"} <= owners
    text = run_cli("qom", "TYPE_VIRTIO_BLK", "--repo", root).stdout.decode()
    assert text.startswith("virtio-blk-device  hw/block/virtio-blk.c:")


def test_lint_is_quiet_on_right_entries_and_fails_on_wrong_ones(fixture_tree):
    root = fixture_tree("qom-entries")
    proc = run_cli("lint", "--repo", str(root))
    assert proc.returncode == 0, proc.stdout.decode()
    machine = root / "hw/core/machine.c"
    machine.write_text(machine.read_text().replace(
        '"num-queues", "1" },', '"num-queues", "1" },\n    { "virtio-blk-device", "nope", "1" },'))
    proc = run_cli("lint", "--repo", str(root))
    assert proc.returncode == 1
    assert b"hw/core/machine.c:19: error[L102]: hw_compat_11_0" in proc.stdout


def test_bad_input_is_one_line(fixture_tree, tmp_path):
    root = fixture_tree("qom-entries")
    assert run_cli("qom", "no-such-type", "--repo", str(root)).returncode == 2
    err = one_line_error(run_cli("qom", "no-such-type", "--repo", str(root)))
    assert "no type no-such-type in the model" in err
    one_line_error(run_cli("qom", "--repo", str(root)))    # neither TYPE nor --property
    # a file the model cannot read is skipped, not a crash
    blk = root / "hw/block/virtio-blk.c"
    blk.write_bytes(b"static const TypeInfo x = { .name = \xff\xfe {{{ ;\n")
    proc = run_cli("lint", "--repo", str(root))
    assert b"Traceback" not in proc.stderr and proc.returncode in (0, 1)
    if os.geteuid() != 0:   # root reads anything
        blk.chmod(0)
        proc = run_cli("lint", "--repo", str(root))
        assert b"Traceback" not in proc.stderr


def test_the_fixture_model_knows_its_types():
    from scaffold.reading.qom import model

    m = model.load(FIXTURES / "qom-entries" / "before")
    assert m.ancestors("virtio-blk-pci-transitional") == [
        "virtio-blk-pci-transitional", "virtio-blk-pci-base", "virtio-pci", "pci-device", "device"]
    assert m.property("virtio-blk-pci-transitional", "disable-legacy") is None
    owner, prop = m.property("virtio-blk-pci", "num-queues")
    assert (owner, prop.alias_of, prop.default) == ("virtio-blk-pci-base",
                                                     ("virtio-blk-device", "num-queues"), "1")
    assert [str(c) for c in m.property("virtio-blk-device", "scsi")[1].cond] == ["#ifdef __linux__"]
    assert "e1000" in m.names and "e1000" not in m.types    # registered by a loop


def _commit(root, message: str) -> str:
    from helpers import git

    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def test_since_names_an_entry_in_the_wrong_release_and_explains_a_late_fix(fixture_tree):
    """The 11.2 cycle (VERSION 11.1.50) adds three entries: one to hw_compat_11_1 (right),
    one to hw_compat_11_0 for a property that changed in the 11.1 cycle (a late fix:
    right), one to hw_compat_11_0 for a property unchanged since 11.0 (wrong)."""
    from helpers import init_repo

    root = fixture_tree("qom-entries")
    init_repo(root, commit=False)
    (root / "VERSION").write_text("10.2.50\n")
    _commit(root, "the 11.0 cycle")
    blk = root / "hw/block/virtio-blk.c"
    (root / "VERSION").write_text("11.0.50\n")
    blk.write_text(blk.read_text().replace(
        '    DEFINE_PROP_UINT16("queue-size"',
        '    DEFINE_PROP_BOOL("x-late", VirtIOBlock, late, true),\n    DEFINE_PROP_UINT16("queue-size"'))
    _commit(root, "the 11.1 cycle adds x-late")
    (root / "VERSION").write_text("11.1.50\n")
    base = _commit(root, "the 11.2 cycle starts")
    machine = root / "hw/core/machine.c"
    text = machine.read_text()
    text = text.replace('    { "virtio-device", "use-started", "false" },\n',
                        '    { "virtio-device", "use-started", "false" },\n'
                        '    { "virtio-blk-device", "x-enable-wce-if-config-wce", "off" },\n')
    text = text.replace('    { "virtio-blk-device", "num-queues", "1" },\n',
                        '    { "virtio-blk-device", "num-queues", "1" },\n'
                        '    { "virtio-blk-device", "x-late", "false" },\n'
                        '    { "virtio-blk-device", "request-merging", "off" },\n')
    machine.write_text(text)
    blk.write_text(blk.read_text().replace(
        '    DEFINE_PROP_BOOL("x-late"',
        '    DEFINE_PROP_BOOL("request-merging", VirtIOBlock, merging, true),\n'
        '    DEFINE_PROP_BOOL("x-late"'))
    _commit(root, "entries of the 11.2 cycle")
    proc = run_cli("lint", "--repo", str(root), "--since", base, "--json")
    found = {(f["code"], f["message"].split(": ")[1]) for f in json.loads(proc.stdout)["findings"]
             if f["code"] in ("L206", "L902")}
    assert found == {("L902", '{ "virtio-blk-device", "x-late", "false" }'),
                     ("L206", '{ "virtio-blk-device", "request-merging", "off" }')}, found
    assert run_cli("lint", "--repo", str(root), "--since", "newest").returncode == 0
    bad = run_cli("lint", "--repo", str(root), "--since", "no-such-rev")
    assert bad.returncode == 2 and "--since no-such-rev: not a commit" in one_line_error(bad)


def test_since_on_a_shallow_clone_says_its_history_is_too_short(fixture_tree, tmp_path):
    """At depth 1 `lint --since` said nothing; at depth 2 or 3 it reported a wrong L206
    ("no change in the cycle"): the history was missing, not unchanged (issue 37, item
    10).  What a shallow clone cannot tell is said; a whole clone answers as the tree."""
    from helpers import git

    test_since_names_an_entry_in_the_wrong_release_and_explains_a_late_fix(fixture_tree)
    root = next(p for p in sorted(tmp_path.iterdir()) if p.name.startswith("qom-entries"))
    base = git(root, "rev-parse", "HEAD~1").strip()
    whole = json.loads(run_cli("lint", "--repo", str(root), "--since", base, "--json").stdout)
    for depth in (1, 2, 3):
        clone = tmp_path / f"depth-{depth}"
        git(tmp_path, "clone", "-q", "--depth", str(depth), f"file://{root}", str(clone))
        for rev in (base, "newest"):
            proc = run_cli("lint", "--repo", str(clone), "--since", rev)
            err = one_line_error(proc)
            assert proc.returncode == 2 and "this clone is shallow" in err, (depth, rev, err)
    full = tmp_path / "whole"
    git(tmp_path, "clone", "-q", f"file://{root}", str(full))
    again = json.loads(run_cli("lint", "--repo", str(full), "--since", base, "--json").stdout)
    assert [f["message"] for f in again["findings"]] == [f["message"] for f in whole["findings"]]


def test_since_names_a_machine_option_in_an_older_version(fixture_tree):
    """In the 11.2 cycle (VERSION 11.1.50) a statement belongs in 11.1's options."""
    from helpers import init_repo

    root = fixture_tree("layout-11.2")
    init_repo(root, commit=False)
    (root / "VERSION").write_text("11.1.50\n")
    base = _commit(root, "the 11.2 cycle")
    virt = root / "hw/arm/virt.c"
    text = virt.read_text()
    for version in ("11_1", "11_0"):
        head = f"    compat_props_add(mc->compat_props, hw_compat_{version}, hw_compat_{version}_len);\n"
        assert text.count(head) == 1
        text = text.replace(head, head + "    mc->smp_props.prefer_sockets = true;\n")
    virt.write_text(text)
    _commit(root, "a machine option of the 11.2 cycle, twice")
    proc = run_cli("lint", "--repo", str(root), "--since", base, "--json")
    found = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "L207"]
    assert [(f["location"]["path"], f["family"], f["version"]) for f in found] == [("hw/arm/virt.c", "arm", "11.0")]
    assert "qscaffold compat machine-option --release 11.1" in found[0]["fix"]
    assert text.split("\n")[found[0]["location"]["line"] - 1].strip() == "mc->smp_props.prefer_sockets = true;"


@pytest.mark.realtree
def test_one_of_a_few_subtypes_is_a_warning_unless_the_array_names_the_others():
    report = json.loads(run_cli("lint", "--repo", str(real_tree("10.2")), "--json").stdout)
    variant = {f["message"].split(": ")[1] for f in report["findings"] if f["code"] == "L202"}
    # qxl-vga's global-vmstate sits on pci-qxl, which qxl shares: qxl is left out
    assert '{ "qxl-vga", "global-vmstate", "true" }' in variant
    # hw_compat_4_2 names both qxl and qxl-vga for revision: quiet
    assert not any('"revision"' in v for v in variant)
    # pci-device has hundreds of concrete subtypes: naming one of them is the norm
    assert not any('"e1000e"' in v for v in variant)


def test_the_model_reads_code_as_4x_trees_wrote_it(fixture_tree):
    """Issue 26, item 4, on QEMU 4.x's shapes: properties bound with `k->props = usb_props;`
    (any name for the DeviceClass) and added by a helper of a helper in another file
    (ICH9-LPC's memory-hotplug-support) are found: the 4.1 entries are right, and quiet.
    Text in comments is no property (a commented-out DEFINE_PROP, a commented-out
    object_class_property_add_bool); a VMStateDescription's name and the string given to
    virtio_init() are no types: each of the 4.0 entries is an error."""
    proc = run_cli("lint", "--repo", str(fixture_tree("qom-4x")), "--json")
    findings = {(f["location"]["line"], f["code"]) for f in json.loads(proc.stdout)["findings"]}
    assert findings == {(19, "L101"), (21, "L101"), (23, "L102"), (25, "L102")}, proc.stdout
    assert proc.returncode == 1


def test_since_says_when_git_cannot_answer(fixture_tree):
    """A history git cannot read (here: an object gone) is an error with git's words,
    never an empty answer that makes `lint --since` silently find nothing."""
    from helpers import git, init_repo

    root = fixture_tree("qom-entries")
    init_repo(root, commit=False)
    (root / "VERSION").write_text("11.1.50\n")
    base = _commit(root, "the 11.2 cycle")
    machine = root / "hw/core/machine.c"
    machine.write_text(machine.read_text().replace(
        '    { "virtio-device", "use-started", "false" },\n',
        '    { "virtio-device", "use-started", "false" },\n'
        '    { "virtio-blk-device", "request-merging", "off" },\n'))
    _commit(root, "an entry")
    blob = git(root, "rev-parse", f"{base}:hw/core/machine.c").strip()
    (root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    proc = run_cli("lint", "--repo", str(root), "--since", base)
    err = one_line_error(proc)
    assert proc.returncode == 1 and "git blame failed:" in err, err


def test_entries_of_a_large_array_keep_their_lines():
    """Each entry has its own line, comments between entries and all (issue 30, item 22:
    the reader counts no lines again for each entry)."""
    from scaffold.reading import csyntax
    from scaffold.reading.cmatch import Code
    from scaffold.reading.qom.entries import entries_in

    body = "".join(f'    /* {i} */\n    {{ "dev-{i}", "prop", "on" }},\n' for i in range(300))
    text = f"/* head */\n\nGlobalProperty hw_compat_9_9[] = {{\n{body}}};\n".encode()
    found = entries_in(csyntax.parse(text).root_node, "hw/core/machine.c", Code(text))
    assert len(found) == 300
    lines = text.decode().split("\n")
    for e in found:
        assert e.array == "hw_compat_9_9" and e.driver in lines[e.line - 1]   # driver as written
        assert e.array_line == 3 and e.path == "hw/core/machine.c"


def test_the_entry_reader_reads_an_array_once(monkeypatch):
    """Issue 30, item 22, without a clock: the text the reader takes out of the file
    stays proportional to the array's size (before issue 30, every entry sliced the text
    up to itself to count its line: 30,000 entries took 11 s, 60,000 41 s)."""
    from scaffold.reading import csyntax
    from scaffold.reading.cmatch import Code
    from scaffold.reading.qom.entries import entries_in

    taken = [0]
    original = Code.text

    def counting(self, node):
        part = original(self, node)
        taken[0] += len(part)
        return part

    monkeypatch.setattr(Code, "text", counting)
    body = "".join(f'    {{ "dev-{i}", "prop", "on" }},\n' for i in range(2000))
    text = f"GlobalProperty hw_compat_9_9[] = {{\n{body}}};".encode()
    found = entries_in(csyntax.parse(text).root_node, "hw/core/machine.c", Code(text))
    assert len(found) == 2000 and found[-1].line == 2001
    assert taken[0] <= 3 * len(text), taken[0]
