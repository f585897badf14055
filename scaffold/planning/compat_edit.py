"""`qscaffold compat add` and `compat machine-option`: changes made during a cycle go to
the last release's compat array or compat machines (the seed article's second half)."""
from __future__ import annotations


import difflib
import itertools
import re
import shlex
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.cmatch import class_cast
from scaffold.reading.includes import visible_names
from scaffold.reading.compat_arrays import ArrayPair, entry_nodes
from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading.machines import Family, OptionsFn
from scaffold.reading.reader import read_families
from scaffold.planning.plan import Edit, Plan
from scaffold.rules.entries import corrected_type, judge_entry
from scaffold.reading.qom import model as qom_model
from scaffold.reading.qom.model import QomModel
from scaffold.reading.qom.entries import Entry, read_entries
from scaffold.planning.templates import render
from scaffold.version import current_release, in_development, Version
from scaffold.reading.tree import QemuTree
from scaffold.rules import advice
from scaffold.rules.registry import Finding, errors

if TYPE_CHECKING:
    from tree_sitter import Node, Tree


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'



def _style(entries: list[Node]) -> dict[str, bool]:
    """The dominant spacing of existing entries: `{ "a", "b", "c" }` or `{"a", "b", "c"}`..."""
    votes = {"space_open": 0, "space_close": 0, "inner_comma": 0}
    for node in entries:
        text = csyntax.utf8(node.text or b"")
        votes["space_open"] += 1 if text.startswith("{ ") else -1
        votes["space_close"] += 1 if text.endswith(" }") else -1
        votes["inner_comma"] += 1 if re.search(r",\s*\}$", text) else -1
    if not entries:
        return {"space_open": True, "space_close": True, "inner_comma": False}
    last = csyntax.utf8(entries[-1].text or b"")   # a tie follows the newest entry
    tie = {"space_open": last.startswith("{ "), "space_close": last.endswith(" }"),
           "inner_comma": bool(re.search(r",\s*\}$", last))}
    return {k: v > 0 if v else tie[k] for k, v in votes.items()}


def newest_release(families: list[Family]) -> tuple[Version, Version]:
    newest: Version = max(f.newest_block.version for f in families)
    return newest, newest.prev()


PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*\Z")


def target_release(tree: QemuTree, families: list[Family], release: Version | None,
                   plan: Plan) -> tuple[Version, Version]:
    """(newest machine version, the release to change), refusing what would silently
    change machine types that have shipped."""
    newest, last = newest_release(families)
    if release is not None and release >= newest:
        raise UsageError(f"--release {release}: the newest machine types ({newest}) have no "
                         "compat array; the newest older release is " + str(last))
    if tree.version:
        major, minor, micro = tree.version
        current = current_release(tree.version)
        if release is None and in_development(tree.version) and newest < current:
            raise ScaffoldError(f"the {current} machine types do not exist yet: run "
                                f"`qscaffold bump {current}` first (VERSION is "
                                f"{major}.{minor}.{micro}; without it the change would alter "
                                f"the released {last} machine types); --release {last} "
                                "names that array on purpose")
        plan.notes += advice.judge_branch(tree.version, release or last)
    return newest, release or last


def plan_compat_add(tree: QemuTree, device: str, prop: str, value: str, x86: bool = False,
                    force: bool = False, model: QomModel | None = None,
                    release: Version | None = None) -> Plan:
    families, _ = read_families(tree)
    plan = Plan("compat add", None)
    newest, release = target_release(tree, families, release, plan)
    plan.target = release
    prefix = "pc" if x86 else "hw"
    if not PROPERTY_NAME.match(prop):
        raise UsageError(f"invalid property name {prop!r}: QOM property names are letters, "
                         "digits and - _ . +")
    for what, text in (("value", value), ("device type", device)):
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise UsageError(f"the {what} {text!r} holds a line break or a control "
                             "character: a compat entry's strings are one line of text")
    pairs = [p for p in compat_arrays.all_pairs(tree, extern=False) if p.prefix == prefix]
    target = next((p for p in pairs if p.version == release), None)
    if target is None:
        if release == newest.prev():
            raise ScaffoldError(f"{prefix}_compat_{release.underscored} does not exist: add the "
                                f"{newest.next()} machine types first (qscaffold bump {newest.next()})")
        raise ScaffoldError(f"{prefix}_compat_{release.underscored} does not exist (the {release} machine "
                            "types were removed, or never had one)")
    model = model or qom_model.load(tree.root)
    is_macro = re.fullmatch(r"TYPE_[A-Z0-9_]+", device) is not None
    name = model.device_name(device) if is_macro else device
    if name is None or (not is_macro and not model.declares(name)):
        if not force:
            raise UsageError(f"unknown device type {device!r} (no #define TYPE_... or type "
                             "registration for it in the tree); --force adds it anyway")
        plan.notes.append(advice.type_unknown(device))
        name = name or device
    if prop not in model.property_names():
        if not force:
            close = difflib.get_close_matches(prop, sorted(model.property_names()), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"unknown property {prop!r}: no DEFINE_PROP_*(\"{prop}\", ...) or "
                             f"object_*property_add*(..., \"{prop}\", ...) in the tree{hint} "
                             "(--force adds it anyway)")
        plan.notes.append(advice.property_unknown(prop))
    if is_macro:
        plan.edits += _include_for(target, device, model)
    judged = _judge(model, target, device if is_macro else _c_string(device), prop, value, name)
    if judged is None:   # a type the QOM model does not know: the name-based advice
        plan.notes += advice.judge_type(model, name)
    else:
        for finding in judged:
            if finding in errors(judged) and not force:
                raise UsageError(f"{finding.message} (fix: {finding.fix}; --force adds it "
                                 "anyway)")
            better = corrected_type(finding)
            if better is not None:   # the exact command that covers every transport
                finding = finding._replace(fix=shlex.join(
                    ["qscaffold", "compat", "add", better, prop, value, "--release",
                     str(release)] + (["--x86"] if x86 else [])))
            plan.notes.append(finding._replace(path=None, line=None))

    init, entries = entry_nodes(target)
    for e, _ in entries:
        if (model.device_name(e.driver) or e.driver) == name and e.property_name == prop:
            raise ScaffoldError(f"{target.name} already sets {name} {prop} (= {e.value})",
                                path=target.file.rel, line=e.line)
    plan.notes += advice.judge_other_arrays(model, pairs, target, newest, name, prop)
    plan.notes.append(advice.affects(families, prefix, release))
    style = _style([node for _, node in entries]) if entries else \
        _style([node for p in pairs for _, node in entry_nodes(p)[1]])
    text = render("compat_entry.c.j2", device=device if is_macro else _c_string(device),
                  property=_c_string(prop), value=_c_string(value), **style)
    data = target.file.data
    indent = _indent(data, [node for _, node in entries])
    if entries:
        last = entries[-1][1]
        end = last.end_byte
        comma = data[end:end + 1] == b","
        at = end + 1 if comma else end
        plan.edits.append(Edit(target.file.rel, at, at,
                               (b"" if comma else b",") + f"\n{indent}{text},".encode(),
                               f"{target.name}: add {name} {prop}"))
    else:  # `= {};` opens into the multi-line form
        plan.edits.append(Edit(target.file.rel, init.start_byte, init.end_byte,
                               f"{{\n{indent}{text},\n}}".encode(), f"{target.name}: add {name} {prop}"))
    return plan.checked(tree, families)


def _judge(model: QomModel, target: ArrayPair, driver: str, prop: str, value: str,
           name: str) -> list[Finding] | None:
    """lint's rules on the entry to be written, with the QOM model of the tree: a type
    without the property is refused, a proxy or a variant gets the owner suggested.
    None when the model does not know the type (it cannot tell)."""
    if name not in model.types:
        return None
    entry = Entry(target.name, target.file.rel, target.line, driver, _c_string(prop),
                  _c_string(value), False, target.line)
    siblings = [e for e in read_entries(model) if e.array == target.name and e.path == entry.path]
    found = judge_entry(model, entry, siblings + [entry])
    return None if any(f.kind == "entry-cannot-tell" for f in found) else found


_INCLUDE = re.compile(rb'^#\s*include\s+"([^"]+)"[^\n]*\n', re.M)


def _include_for(target: ArrayPair, macro: str, model: QomModel) -> list[Edit]:
    """A TYPE_ macro must compile where it is written: the file uses it already or
    includes its header, or the header's #include is added after the file's hw/ ones."""
    data = target.file.data
    if re.search(rb"\b" + macro.encode() + rb"\b", data):
        return []
    if macro not in model.define_where:   # --force: a type the tree does not declare
        raise UsageError(f"{macro} is #defined nowhere in the tree, so {target.file.rel} "
                         "would not compile; write the type name as a string instead")
    header = model.define_where[macro]
    if header == target.file.rel:
        return []
    if not header.startswith("include/"):
        raise UsageError(f"{macro} is defined in {header}, which {target.file.rel} cannot "
                         f"include; write the type name instead (\"{model.device_name(macro)}\")")
    include = header.removeprefix("include/")
    found = list(_INCLUDE.finditer(data))
    if any(m.group(1).decode("utf-8", "replace") == include for m in found):
        return []
    hw = [m for m in found if m.group(1).startswith(b"hw/")] or found
    if not hw:
        raise UsageError(f"{target.file.rel} has no #include block; write the type name instead")
    at = hw[-1].end()
    return [Edit(target.file.rel, at, at, f'#include "{include}"\n'.encode(),
                 f"include {include} for {macro}")]


def _indent(data: bytes, entries: list[Any]) -> str:
    if entries:
        node = entries[-1]
        return csyntax.utf8(data[csyntax.line_start(data, node.start_byte):node.start_byte])
    return "    "


MACHINE_NAMES = ("mc", "m", "machine", "ms")
FAMILY_GROUPS = {"x86": ("i440fx", "q35")}


def expand_families(names: list[str]) -> list[str]:
    """`x86` is i440fx and q35 wherever families are named."""
    out: list[str] = []
    for name in names:
        for one in FAMILY_GROUPS.get(name, (name,)):
            if one not in out:
                out.append(one)
    return out


class Piece(NamedTuple):
    """One piece of a machine-option change: a C statement or a local declaration, its text
    normalised (continuation lines dedented), and its node in a parse of that text."""

    text: str
    node: Node
    declares: tuple[str, ...]   # the names a declaration declares; () for a statement

    @property
    def is_declaration(self) -> bool:
        return self.node.type == "declaration"


_WRAPPER = "void f(void)\n{\n"


def _body_items(snippet: str) -> tuple[Tree, list[Node]]:
    """(tree, the items of `snippet` parsed as a function body: statements, declarations
    and comments)."""
    tree = csyntax.parse(f"{_WRAPPER}{snippet}\n}}\n".encode())
    fn = tree.root_node.named_children[0] if tree.root_node.named_children else None
    body = fn.child_by_field_name("body") if fn is not None else None
    return tree, (body.named_children if body is not None else [])


def _normalise(text: str) -> str:
    """The first line stripped, the others dedented together: indentation is the file's."""
    first, _, rest = text.strip().partition("\n")
    return first + ("\n" + textwrap.dedent(rest) if rest else "")


def parse_piece(text: str) -> Piece:
    """One C statement or declaration (comments may come with it), or a usage error."""
    text = _normalise(text)
    tree, items = _body_items(text)
    code = [c for c in items if c.type != "comment"]
    if tree.root_node.has_error or len(code) != 1 or not (
            code[0].type == "declaration" or code[0].type.endswith("_statement")):
        raise UsageError(f"not one C statement or declaration: {text!r}")
    return Piece(text, code[0], tuple(csyntax.declared_names(code[0])))


def split_snippet(snippet: str) -> list[str]:
    """The pieces of a C snippet (`--from FILE`), in order; a comment goes with the piece
    after it."""
    raw = _WRAPPER.encode() + snippet.encode()
    tree, items = _body_items(snippet)
    if tree.root_node.has_error:
        line = next((row for row, _ in csyntax.syntax_errors(tree)), 2) - 1
        raise UsageError(f"the snippet has a C syntax error at its line {line}")
    pieces, start = [], None
    for item in items:
        start = item.start_byte if start is None else start
        if item.type != "comment":
            pieces.append(raw[start:item.end_byte].decode("utf-8", "replace"))
            start = None
    if not pieces:
        raise UsageError("the snippet holds no C statement or declaration")
    return pieces


def plan_machine_option(tree: QemuTree, pieces: str | list[str], names: list[str], every: bool,
                        param_name: str | None = None, release: Version | None = None,
                        instance: bool = False) -> Plan:
    """Add statements and local declarations to a release's compat machine of each chosen
    family: declarations with the function's leading ones, statements after its chain call,
    all in one edit so that a declaration lands with the statement that uses it."""
    families, notes = read_families(tree)
    if not names and not every:
        raise UsageError("name the families with --family NAME (repeatable) or use --all")
    if names and every:
        raise UsageError("--family and --all exclude each other")
    asked = names
    names = expand_families(names)
    known = {f.name: f for f in families}
    unknown = [n for n in names if n not in known]
    if unknown:
        off = next((n for n in notes if n.kind == "family-disabled" and n.family == unknown[0]),
                   None)
        if off is not None:   # a distribution's tree keeps upstream's types compiled out
            raise UsageError(f"{unknown[0]}: its upstream machine types are compiled out by "
                             "`#if 0` in this tree; a distribution's own types take upstream's "
                             "settings with `qscaffold compat rebase`", path=off.path,
                             line=off.line)
        groups = [g for g, members in FAMILY_GROUPS.items() if all(m in known for m in members)]
        word = f"{asked[0]!r} ({', '.join(names)})" if asked and asked[0] in FAMILY_GROUPS \
            else repr(unknown[0])
        raise UsageError(f"unknown family {word}; this tree has: "
                         f"{', '.join([*known, *groups])}")
    chosen = families if every else [known[n] for n in names]
    if instance:
        lacking = [f.name for f in chosen if not any(not k.adds_compat for k in f.spec.kinds)]
        if every:
            chosen = [f for f in chosen if f.name not in lacking]
        elif lacking:
            raise UsageError(f"--instance: {lacking[0]} has no instance options (only s390x has)")
    parsed = [parse_piece(p) for p in ([pieces] if isinstance(pieces, str) else pieces)]
    if not parsed:
        raise UsageError("give a C statement or declaration (or --from FILE)")
    _refuse_unused_declarations(parsed)
    plan = Plan("compat machine-option", None)
    newest, release = target_release(tree, families, release, plan)
    plan.target = release
    for family in chosen:
        block = family.block(release)
        if block is None or family.newest_block.version <= release:
            raise ScaffoldError(f"has no {release} compat machine below {family.newest_block.version}",
                                path=family.file.rel, family=family.name)
        fn = next((f for f in block.functions.values() if f.kind.adds_compat != instance), None)
        if fn is None:
            raise ScaffoldError(f"machine version {release} has no "
                                f"{'instance' if instance else 'class'} options function",
                                path=family.file.rel, line=family.file.line(block.start),
                                family=family.name)
        have = {" ".join(csyntax.utf8(s.text or b"").split()) for s in fn.statements}
        texts = [(p, _rewrite(p, param_name, fn.param)) for p in parsed]
        new = [(p, t) for p, t in texts if " ".join(t.split()) not in have]
        if not new:
            plan.notes.append(advice.already_present(
                fn.name, _quoted(t for _, t in texts), family.file.rel,
                family.file.line(fn.start), family.name))
            continue
        _refuse_unseen_names(tree.root, family, fn, new)
        indent = family.indent()
        statements = [t for p, t in new if not p.is_declaration]
        plan.edits += _declarations(family, fn, [(t, p.declares) for p, t in new
                                                 if p.is_declaration],
                                    " ".join(t for _, t in new), indent)
        if statements:
            compat = [c.stmt for c in fn.calls if c.name == "compat_props_add"]
            anchor = compat[0].start_byte if compat else fn.body.end - 1
            at = csyntax.line_start(family.file.data, anchor)
            plan.edits.append(Edit(family.file.rel, at, at, _lines(statements, indent),
                                   f"{fn.name} ({family.file.rel}:{fn.line}): add "
                                   f"{_quoted(statements)}", family.name))
        plan.families.append(family.name)
    return plan.checked(tree, families)


def _quoted(texts: Iterable[str]) -> str:
    return " ".join(f"`{t}`" for t in texts)


def _lines(texts: list[str], indent: str) -> bytes:
    """Each piece on its own lines, every line indented as the function's body is."""
    return "".join(indent + t.replace("\n", "\n" + indent) + "\n" for t in texts).encode()


def _refuse_unused_declarations(pieces: list[Piece]) -> None:
    """A declaration comes with the statement that uses it (an unused local does not
    build with -Werror)."""
    used = {csyntax.utf8(n.text or b"") for p in pieces if not p.is_declaration
            for n in csyntax.identifiers(p.node)}
    for p in pieces:
        unused = [name for name in p.declares if name not in used]
        if p.is_declaration and unused:
            raise UsageError(f"`{p.text}` declares {unused[0]}, which no statement uses: give "
                             "the statement as another piece")


_MACRO_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")


def _refuse_unseen_names(root: Path, family: Family, fn: OptionsFn,
                         new: list[tuple[Piece, str]]) -> None:
    """Refuse a piece that uses a name the function will not see: declared neither in the
    function (after the edit), nor at file scope, nor anywhere else the file uses it.
    Macros and called functions come from headers: the compile step checks those."""
    declared = {fn.param}
    for stmt in fn.statements:
        declared.update(csyntax.declared_names(stmt))
    redeclared = [n for p, _ in new for n in p.declares if n in declared]
    if redeclared:
        raise ScaffoldError(f"{fn.name} already declares {redeclared[0]}", path=family.file.rel,
                            line=fn.line, family=family.name)
    declared.update(n for p, _ in new for n in p.declares)
    declared.update(_casts(family, fn))
    wanted = []
    for _, text in new:
        _, items = _body_items(text)
        idents = sorted((i for item in items for i in csyntax.identifiers(item)),
                        key=lambda i: i.start_byte)   # named in the order written
        for ident in idents:
            name = csyntax.utf8(ident.text or b"")
            callee = ident.parent is not None and ident.parent.type == "call_expression" \
                and ident.parent.child_by_field_name("function") == ident
            if not (callee or name in declared or _MACRO_NAME.match(name) or name in wanted):
                wanted.append(name)
    if not wanted:
        return
    file_scope = {n for item in csyntax.top_level(family.file.full_tree.root_node)
                  for n in csyntax.declared_names(item)}
    wanted = [n for n in wanted if n not in file_scope]
    if wanted:   # `TiB`: from qemu/units.h, which the file includes (read only if need be)
        headers = visible_names(root, family.file.rel, family.file.data)
        wanted = [n for n in wanted if n not in headers]
    for name in wanted:
        local = next((f for b in family.blocks for f in b.functions.values() for s in f.statements
                      if name in csyntax.declared_names(s)), None)
        if local is not None:
            raise UsageError(f"`{name}` is declared in {local.name} ({family.file.rel}:"
                             f"{local.line}), not in {fn.name}: give its declaration as "
                             "another piece")
        if not re.search(rb"\b" + name.encode() + rb"\b", family.file.data):
            raise UsageError(f"`{name}` is declared nowhere in {fn.name} or "
                             f"{family.file.rel}: give its declaration as another piece")


def _casts(family: Family, fn: OptionsFn) -> dict[str, tuple[str, str]]:
    """var -> (declaration with `fn`'s parameter, where it was seen): the family's class
    casts (`PCMachineClass *pcmc = PC_MACHINE_CLASS(m);`), newest function first."""
    out: dict[str, tuple[str, str]] = {}
    sources = [f for b in family.blocks for f in b.functions.values() if f.kind is fn.kind]
    for other in sources:
        for stmt in other.statements:
            found = class_cast(stmt)
            if found is None or found.var in out or other.param not in found.cast:
                continue
            cast = re.sub(rf"\b{re.escape(other.param)}\b", fn.param, found.cast)
            out[found.var] = (f"{found.type} *{found.var} = {cast};",
                              f"{family.file.rel}:{other.line}")
    return out


def _declarations(family: Family, fn: OptionsFn, given: list[tuple[str, tuple[str, ...]]],
                  text: str, indent: str) -> list[Edit]:
    """The declarations given, after the class casts the new text uses that the function
    does not declare yet: after the declarations the body starts with, or at its top
    followed by a blank line (QEMU style)."""
    used = set(re.findall(r"[A-Za-z_]\w*", text))
    declared = {n for s in fn.statements for n in csyntax.declared_names(s)}
    declared.update(n for _, names in given for n in names)
    needed = [(var, decl) for var, (decl, _) in _casts(family, fn).items()
              if var in used and var not in declared and var != fn.param]
    if not needed and not given:
        return []
    data = family.file.data
    leading = list(itertools.takewhile(lambda s: s.type == "declaration", fn.statements))
    lines = _lines([decl for _, decl in needed] + [t for t, _ in given], indent).decode()
    if leading:   # after the declarations the body starts with
        at = data.index(b"\n", leading[-1].end_byte) + 1
        text_out = lines
    else:
        at = data.index(b"\n", fn.body.start) + 1
        text_out = lines + "\n"
    what = ", ".join([v for v, _ in needed] + [n for _, names in given for n in names])
    return [Edit(family.file.rel, at, at, text_out.encode(), f"{fn.name}: declare {what}",
                 family.name)]


def _rewrite(piece: Piece, param_name: str | None, param: str) -> str:
    """Rename the piece's MachineClass variable to the function's own parameter."""
    offset = len(_WRAPPER.encode())
    idents = list(csyntax.identifiers(piece.node))
    names = [csyntax.utf8(n.text or b"") for n in idents]
    name = param_name or next((n for n in names if n in MACHINE_NAMES), None)
    if name is None:
        return piece.text
    raw = piece.text.encode()
    for n in sorted((n for n, text in zip(idents, names) if text == name),
                    key=lambda n: -n.start_byte):
        s, e = n.start_byte - offset, n.end_byte - offset
        raw = raw[:s] + param.encode() + raw[e:]
    return raw.decode("utf-8", "replace")
