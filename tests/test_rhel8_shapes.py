"""RHEL 8's shapes (issue 35), on tests/fixtures/rhel8-shapes, a small tree written after
RHEL 8.x's qemu-kvm (QEMU 6.2): upstream's i440fx types compiled out registration by
registration (two stay live, their functions all live), upstream's q35 and spapr types
under `#if 0`, RHEL's spapr newest calling a "RHEL defaults" function no families data
names, a header comment above each RHEL spapr type, and a q35 newest that forgot its
release's hw array.  Every expected text was written by hand from the fixture's code and
from how RHEL writes these (../shared/downstream/rhel-9.2, QEMU-FACTS)."""
from __future__ import annotations

from helpers import run_cli, snapshot

TREE = "rhel8-shapes"


def _codes(out: str, severity: str) -> list[str]:
    return [line.split(f"{severity}[")[1][:4] for line in out.splitlines()
            if f"{severity}[" in line]


def test_a_partly_disabled_upstream_family_gives_no_false_error(fixture_tree):
    proc = run_cli("check", "--repo", str(fixture_tree(TREE)))
    out = proc.stdout.decode()
    # the one error is the fixture's purpose below (C409); no C302 for the versions whose
    # registration alone is compiled out, no chain error through their live functions
    assert _codes(out, "error") == ["C409"], out
    assert _codes(out, "warning") == []
    assert ("hw/i386/pc_piix.c:58: info[C902]: i440fx: 2 DEFINE_I440FX_MACHINE registrations "
            "disabled by `#if 0` (a downstream tree): left alone") in out


NEW_SPAPR = '''/*
 * pseries-rhel8.6.0
 * like pseries-6.2
 */

static void spapr_machine_rhel860_class_options(MachineClass *mc)
{
    spapr_machine_rhel_default_class_options(mc);
}

DEFINE_SPAPR_MACHINE(rhel860, "rhel8.6.0", true);

/*
 * pseries-rhel8.5.0
 * like pseries-6.0
 */

static void spapr_machine_rhel850_class_options(MachineClass *mc)
{
    /* The default machine type must apply the RHEL specific defaults */
    spapr_machine_rhel860_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_rhel_8_5,
                     hw_compat_rhel_8_5_len);
}

DEFINE_SPAPR_MACHINE(rhel850, "rhel8.5.0", false);
'''


def test_bump_moves_a_newest_only_call_no_data_names_and_writes_the_header(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("bump", "rhel8.6.0", "--no-commit", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    spapr = (root / "hw/ppc/spapr.c").read_text()
    assert NEW_SPAPR in spapr
    q35 = (root / "hw/i386/pc_q35.c").read_text()
    assert ("static void pc_q35_machine_rhel860_options(MachineClass *m)\n{\n"
            "    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);\n"
            "    pc_q35_machine_rhel_options(m);\n"
            '    m->desc = "RHEL-8.6.0 PC (Q35 + ICH9, 2009)";\n'
            '    pcmc->smbios_stream_product = "RHEL-AV";\n'
            '    pcmc->smbios_stream_version = "8.6.0";\n}\n') in q35
    assert ("    pc_q35_machine_rhel860_options(m);\n"
            '    m->desc = "RHEL-8.5.0 PC (Q35 + ICH9, 2009)";\n'
            "    m->alias = NULL;\n") in q35


def test_the_shipped_data_names_no_vendor_function():
    from scaffold.reading.families import SHIPPED

    for path in SHIPPED.glob("*.toml"):
        text = path.read_text()
        assert "newest =" not in text, path   # what only the newest does is read from code


DECLARED_ABOVE_THE_COMMENT = '''static void spapr_machine_rhel850_class_options(MachineClass *mc)
{
    SpaprMachineClass *smc = SPAPR_MACHINE_CLASS(mc);

    /* The default machine type must apply the RHEL specific defaults */
    spapr_machine_rhel_default_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_rhel_8_5,
                     hw_compat_rhel_8_5_len);
    smc->pre_6_2_numa_affinity = true;
}
'''
WIRED = '''    pcmc->smbios_stream_version = "8.5.0";
    compat_props_add(m->compat_props, hw_compat_rhel_8_5,
                     hw_compat_rhel_8_5_len);
    compat_props_add(m->compat_props, pc_rhel_8_5_compat,
                     pc_rhel_8_5_compat_len);
}
'''


def test_rebase_declares_above_the_comments_and_wires_the_forgotten_hw_array(fixture_tree):
    root = fixture_tree(TREE)
    proc = run_cli("compat", "rebase", "--from", "6.0", "--to", "6.2", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    assert DECLARED_ABOVE_THE_COMMENT in (root / "hw/ppc/spapr.c").read_text()
    assert WIRED in (root / "hw/i386/pc_q35.c").read_text()
    check = run_cli("check", "--repo", str(root))
    assert _codes(check.stdout.decode(), "error") == [], check.stdout.decode()
    again = snapshot(root)
    assert run_cli("compat", "rebase", "--from", "6.0", "--to", "6.2",
                   "--repo", str(root)).returncode == 0
    assert snapshot(root) == again   # a re-run changes nothing


def test_rebase_carries_an_entry_upstream_corrected_after_the_copy(fixture_tree):
    root = fixture_tree(TREE)
    machine = root / "hw/core/machine.c"
    text = machine.read_text()
    # upstream corrects hw_compat_6_0's entry after RHEL copied it into hw_compat_rhel_8_5
    fixed = text.replace('GlobalProperty hw_compat_6_0[] = {\n'
                         '    { "gpex-pcihost", "allow-unmapped-accesses", "false" },',
                         'GlobalProperty hw_compat_6_0[] = {\n'
                         '    { "gpex-pcihost", "allow-unmapped-accesses", "off" },')
    assert fixed != text
    machine.write_text(fixed)
    proc = run_cli("compat", "rebase", "--from", "6.0", "--to", "6.2", "--repo", str(root))
    assert proc.returncode == 0, proc.stderr.decode()
    assert ('  /* hw_compat_rhel_8_5 from hw_compat_6_0 */\n'
            '  { "gpex-pcihost", "allow-unmapped-accesses", "off" },\n') in machine.read_text()
    assert ('hw/core/machine.c:13: hw_compat_rhel_8_5 had { "gpex-pcihost", '
            '"allow-unmapped-accesses", "false" }, copied from hw_compat_6_0, which upstream '
            'corrected to { "gpex-pcihost", "allow-unmapped-accesses", "off" }: carried') \
        in proc.stderr.decode()
    # two entries of one source array with one property are no correction of each other
    assert machine.read_text().count('"allow-unmapped-accesses"') == 2
