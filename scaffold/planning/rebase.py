"""`qscaffold compat rebase --from A.B --to C.D`: a distribution's rebase bits.  Every entry
of upstream's hw_compat_X_Y / pc_compat_X_Y for the releases from the old base up to
before the new one is copied into the vendor's newest array of that prefix
(hw_compat_rhel_9_1), after a comment saying where it came from, as the vendor writes it
(`/* hw_compat_rhel_9_1 from hw_compat_7_1 */`).  An entry any of the vendor's arrays
already has (same type and property) is skipped: a re-run changes nothing."""
from __future__ import annotations

from tree_sitter import Node

from scaffold.errors import UsageError
from scaffold.planning.plan import Edit, Plan
from scaffold.reading import compat_arrays, csyntax
from scaffold.planning import rebase_arrays
from scaffold.planning.rebase_statements import plan_statements
from scaffold.reading.declined import read_declined
from scaffold.reading.family_files import vendor_arrays
from scaffold.reading.reader import read_downstream, read_families
from scaffold.reading.qom.entries import Entry
from scaffold.reading.tree import QemuTree
from scaffold.reading.vendor_copies import VendorArray, copies_by_source, read_vendor_arrays
from scaffold.version import Version


def plan_rebase(tree: QemuTree, old_base: Version, new_base: Version,
                array_release: Version | None = None) -> Plan:
    if not old_base < new_base:
        raise UsageError(f"--from {old_base} --to {new_base}: the old base comes first")
    families, _ = read_downstream(tree)
    if not families:
        raise UsageError("compat rebase: this tree registers no distribution's machine types "
                         "(`qscaffold machines` lists the families it reads)")
    vendor = families[0].spec.vendor
    arrays = vendor_arrays(tree, vendor)
    if arrays is None:
        raise UsageError(f"compat rebase: the families data of {vendor} names no [arrays] "
                         "(docs/families.md)")
    plan = Plan("compat rebase", None)
    declined = read_declined(tree)
    upstream = [p for p in compat_arrays.all_pairs(tree, extern=False)
                if old_base <= p.version < new_base]
    _refuse_a_tree_without_the_new_base(tree, old_base, new_base)
    for prefix in sorted({p.prefix for p in upstream}):
        ours = read_vendor_arrays(tree, arrays, prefix)
        copies = [(p, e, node) for p in sorted(upstream, key=lambda p: p.version)
                  if p.prefix == prefix for e, node in compat_arrays.entry_nodes(p)[1]]
        if not copies:
            continue
        if not ours:
            name = arrays.names.get(prefix, prefix).replace("{major}", "X").replace("{minor}", "Y")
            raise UsageError(f"compat rebase: no {name} array in the tree to copy "
                             f"{prefix}_compat entries into, nor to model a new one on")
        release = (array_release.major, array_release.minor) if array_release else None
        target = rebase_arrays.choose(tree, families, ours, arrays, prefix, release)
        have = {(e.driver, e.property_name): a.name for a in reversed(ours) for e, _ in a.entries}
        sourced = copies_by_source(tree, ours, arrays)
        text = []
        for pair, entry, node in copies:
            no = declined.find(pair.name, f"{entry.driver_name} {entry.property_name}")
            if no is not None:
                plan.skipped.append(f"{pair.file.rel}:{entry.line}: {pair.name}'s {entry.text}: "
                                    f"{no.reason} ({declined.path}:{no.line})")
                continue
            current = {(e.driver, e.prop, e.value) for p, e, _ in copies if p is pair}
            corrected = _corrected(sourced.get(pair.name, []), entry, current)
            if corrected is not None:   # upstream fixed the entry after the vendor copied it
                copy, copy_node, array = corrected
                plan.edits.append(Edit(array.rel, copy_node.start_byte, copy_node.end_byte,
                                       node.text or b"", f"{array.name}: {pair.name}'s "
                                       f"corrected {entry.text}"))
                plan.left.append(f"{array.rel}:{copy.line}: {array.name} had {copy.text}, "
                                 f"copied from {pair.name}, which upstream corrected to "
                                 f"{entry.text}: carried")
                have[(entry.driver, entry.property_name)] = array.name
                continue
            holder = have.get((entry.driver, entry.property_name))
            if holder is not None:   # said of the array that has it, not of the target
                plan.done.append(f"{holder} has {pair.name}'s {entry.text}")
                continue
            have[(entry.driver, entry.property_name)] = target.name
            comment = arrays.comment.format(array=target.name, upstream=pair.name)
            text.append((comment, csyntax.utf8(node.text or b"")))
        if text and isinstance(target, rebase_arrays.NewArray):
            plan.edits += rebase_arrays.create(tree, families, target, text)
        elif text and isinstance(target, VendorArray):
            plan.edits.append(_append(tree, target, text))
        if isinstance(target, VendorArray):   # every newest type of the release adds it
            plan.edits += rebase_arrays.wire_existing(tree, families, target, ours, arrays,
                                                      prefix)
    # statements first: where both insert at one place, the new array's line comes after
    statements = plan_statements(tree, families, old_base, new_base, declined)
    plan.edits[:0] = statements.edits
    plan.done += statements.done
    plan.left += statements.left
    plan.skipped += statements.declined
    plan.left += [f"{declined.path}:{d.line}: declines {d.source}'s `{d.what}`, which this "
                  f"rebase ({old_base} to {new_base}) does not bring" for d in declined.unused()]
    return plan.checked(tree, read_families(tree)[0])


def _refuse_a_tree_without_the_new_base(tree: QemuTree, old_base: Version,
                                        new_base: Version) -> None:
    """Upstream's arrays of every release from the old base up to before the new one
    must be in the tree: `--from 7.2 --to 8.2` on a 7.2 tree said "nothing to do"."""
    have = {p.name for p in compat_arrays.all_pairs(tree, extern=False)}
    missing, release = [], old_base
    while release < new_base:
        if f"hw_compat_{release.underscored}" not in have:
            missing.append(f"hw_compat_{release.underscored}")
        release = release.next()
    if missing:
        version = ".".join(map(str, tree.version)) if tree.version else "unknown"
        raise UsageError(f"compat rebase --from {old_base} --to {new_base}: upstream's "
                         f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in "
                         f"this tree (VERSION {version}): the rebase bits are copied from the "
                         f"new base's own arrays, so rebase the tree onto QEMU {new_base} first")


def _corrected(copies: list[tuple[Entry, Node, VendorArray]], entry: Entry,
               current: set[tuple[str, str, str]]) -> tuple[Entry, Node, VendorArray] | None:
    """The vendor's copy of `entry` that upstream has corrected since: a copy from the
    same source array that none of that array's entries is any more (`current`), of the
    same property, and with the same type or the same value."""
    for copy, node, array in copies:
        if (copy.driver, copy.prop, copy.value) in current or \
                copy.property_name != entry.property_name:
            continue
        if copy.driver == entry.driver or copy.value == entry.value:
            return copy, node, array
    return None


def _append(tree: QemuTree, target: VendorArray, copies: list[tuple[str, str]]) -> Edit:
    """The copies after the array's last entry, at its entries' indentation."""
    data = tree.file(target.rel).data
    if target.entries:
        last = target.entries[-1][1]
        indent = csyntax.utf8(data[csyntax.line_start(data, last.start_byte):last.start_byte])
        end = last.end_byte
        comma = data[end:end + 1] == b","
        at = end + 1 if comma else end
        lead = "" if comma else ","
        body = "".join(f"\n{indent}{c}\n{indent}{e}," for c, e in copies)
        return Edit(target.rel, at, at, (lead + body).encode(),
                    f"{target.name}: {len(copies)} rebase entries")
    close = target.init.end_byte - 1   # `{}` or `{ }`: the entries go on lines of their own
    body = "".join(f"\n    {c}\n    {e}," for c, e in copies) + "\n"
    return Edit(target.rel, target.init.start_byte + 1, close, body.encode(),
                f"{target.name}: {len(copies)} rebase entries")
