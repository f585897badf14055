"""What one C file says about QOM types, read with tree-sitter: the model's raw material.

Facts are plain data (lists, dicts, strings), so that they are cached per file by mtime
and size (as the tree index is) and a warm run parses nothing.  Expressions that name a
type (`TYPE_VIRTIO_BLK`, `"qemu64" "-" TYPE_X86_CPU`) are kept as text: the model
resolves them once every file's `#define`s are known.

Top-level items are found through the syntax tree; inside a Property array or a
function body, the DEFINE_PROP_* and object_*property_add*() calls are matched in the
node's text, with the `#if` lines around each one kept as its build condition.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from scaffold.reading import csyntax


Facts = dict[str, Any]   # what one file says (cached by marshal: plain data)
# A file worth parsing says one of these; a file that only #defines names is read with a
# pattern (headers: most of the files, none of the parsing).
MARKERS = (b"TypeInfo", b"DEFINE_PROP", b"property_add", b"OBJECT_DEFINE", b"feat_names",
           b"X86CPUDefinition")
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(?P<name>\w+)(?P<params>\([\w, \t.]*\))?"
                     r"[ \t]+(?P<value>(?:[^\n]*\\\n)*[^\n]*)", re.M)

_STRING = r'"(?:[^"\\\n]|\\.)*"'
_PROP_CALL = re.compile(rf"\bDEFINE_PROP(?:_(?P<kind>\w+))?\s*\(\s*(?P<name>{_STRING}|\w+)"
                        r"(?P<rest>[^;]*?)\)\s*(?:,|$|\n)", re.S)
_MACRO_REF = re.compile(rf"^\s*(?P<macro>[A-Z][A-Z0-9_]+)\s*\(\s*(?P<first>{_STRING}|\w+)?", re.M)
_CLASS_ADD = re.compile(rf"\bobject_class_property_add(?P<kind>_\w+)?\s*\(\s*[^,]+,\s*"
                        rf"(?P<name>{_STRING}|[A-Z][A-Z0-9_]+)\s*(?:,\s*(?P<type>{_STRING}))?")
_OBJ_ADD = re.compile(rf"\bobject_property_add(?P<kind>_\w+)?\s*\(\s*(?P<obj>[^,]+),\s*"
                      rf"(?P<name>{_STRING}|[A-Z][A-Z0-9_]+)\s*(?:,\s*(?P<type>{_STRING}))?")
_ALIAS = re.compile(rf"\bobject_property_add_alias\s*\(\s*(?P<obj>[^,]+),\s*(?P<name>{_STRING}),"
                    rf"\s*(?P<target>[^,]+),\s*(?P<tname>{_STRING})\s*\)")
_ALIAS_ALL = re.compile(r"\bvirtio_instance_init_common\s*\((?:[^;]*?),\s*"
                        rf"(?P<type>TYPE_\w+|{_STRING})\s*\)")
_OBJECT_DEFINE = re.compile(r"\bOBJECT_DEFINE_(?P<variant>\w*?TYPE\w*)\s*\(\s*(?P<args>[^)]*)\)")
_DESIGNATED = re.compile(r"\.(?P<field>\w+)\s*=\s*")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
_COND = re.compile(r"^\s*#\s*(?P<d>if|ifdef|ifndef|elif|else|endif)\b(?P<rest>.*)$")


def extract(data: bytes) -> dict[str, Any] | None:
    """The QOM facts of one file, or None when it has none."""
    has_defines = b"#define" in data or b"# define" in data
    parse = any(m in data for m in MARKERS) or b"GlobalProperty" in data
    if not parse and not has_defines:
        return None
    facts: Facts = {"defines": {}, "functional": {}, "types": [], "virtio": [],
                             "arrays": {}, "macros": {}, "functions": {}, "cpu_models": [],
                             "features": [], "unresolved": [], "strings": [], "entries": []}
    # Code, not comments: a commented-out DEFINE_PROP is no property.  The file is parsed
    # as it is (tree-sitter's recovery from a macro it cannot parse depends on what is
    # there); the text read from each node comes from a copy with comments blanked, whose
    # offsets are the file's.
    global _code
    _code = code = csyntax.blank_comments(data)
    text = csyntax.utf8(code)
    if has_defines:
        _defines(text, facts)
    if parse:
        root = csyntax.parse(data).root_node
        _walk(root, code, [], facts)
        if b"GlobalProperty" in data:   # the compat entries lint checks, cached with the rest
            from scaffold.reading.qom.entries import entries_in

            facts["entries"] = [list(e) for e in entries_in(root)]
        if b"type_register" in data:
            # names a loop registers (e1000's, say): the model cannot tell their types,
            # but knows that such a name exists
            facts["strings"] = _loop_registered_names(root)
    return facts if any(v for k, v in facts.items() if k != "strings") else None


# Arrays of these are not tables a registration loop reads its type names from
_NOT_TYPE_TABLES = {"TypeInfo", "VMStateDescription", "VMStateField", "Property",
                    "VirtioPCIDeviceTypeInfo", "GlobalProperty"}


def _loop_registered_names(root: Node) -> list[str]:
    """The `.name = "..."` strings of the file's tables when a loop registers types
    (`for (...) { type_info.name = info->name; type_register_static(&type_info); }`,
    directly or through a function of the file): names the model knows exist without
    knowing their type.  A VMStateDescription's name or a string passed to virtio_init()
    is no registration."""
    functions = {csyntax.function_name(n): n for n in csyntax.top_level(root)
                 if n.type == "function_definition"}
    registering = {name for name, fn in functions.items()
                   if any(_callee(c).startswith("type_register") for c in _calls(fn))}
    looped = any(loop.type in ("for_statement", "while_statement", "do_statement") and
                 any(_callee(c).startswith("type_register") or _callee(c) in registering
                     for c in _calls(loop))
                 for fn in functions.values() for loop in _descendants(fn))
    if not looped:
        return []
    names = set()
    for item in csyntax.top_level(root):
        kind = item.child_by_field_name("type") if item.type == "declaration" else None
        if kind is None or _text(kind) in _NOT_TYPE_TABLES:
            continue
        for pair in _descendants(item):
            if pair.type != "initializer_pair":
                continue
            designator = pair.child_by_field_name("designator")
            value = pair.child_by_field_name("value")
            if designator is not None and _text(designator) == ".name" and \
                    value is not None and value.type == "string_literal":
                names.add(csyntax.c_string(_text(value)))
    return sorted(names)


def _descendants(node: Node) -> Iterator[Node]:
    return csyntax.descendants(node)   # typed for this module's strict checks


def _calls(node: Node) -> Iterator[Node]:
    return (n for n in _descendants(node) if n.type == "call_expression")


def _callee(call: Node) -> str:
    fn = call.child_by_field_name("function")
    return _text(fn) if fn is not None and fn.type == "identifier" else ""


def _defines(text: str, facts: Facts) -> None:
    for m in _DEFINE.finditer(text):
        name, value = m.group("name"), m.group("value").replace("\\\n", " ").strip()
        value = _COMMENT.sub(" ", value).strip()
        if not value:
            continue
        if m.group("params"):
            if "DEFINE_PROP" in value:
                first = text.count("\n", 0, m.start()) + 1
                props = _props_in(m.group("value").replace("\\\n", "\n"), first, [])
                params = [p.strip() for p in m.group("params")[1:-1].split(",")]
                for p in props:   # VIRTIO_DEFINE_PROP_FEATURE(_name, ...): named by the caller
                    if p.get("expr") in params:
                        p["param"] = params.index(p["expr"])
                if props:
                    facts["macros"][name] = props
            elif '"' in value or value.startswith(("(", "{")) or re.fullmatch(r"[\w\s#]+", value):
                params = [p.strip() for p in m.group("params")[1:-1].split(",") if p.strip()]
                facts["functional"][name] = [params, value]
        elif name.startswith(("TYPE_", "INTERFACE_")) or '"' in value:
            known = facts["defines"].setdefault(name, [])
            if value not in known:
                known.append(value)


_code = b""   # the file being read, comments blanked (set by extract)


def _text(node: Node) -> str:
    """A node's code: its bytes with comments blanked."""
    return csyntax.utf8(_code[node.start_byte:node.end_byte])


def _walk(node: Node, data: bytes, conds: list[str], facts: Facts) -> None:
    for child in node.children:
        kind = child.type
        if kind in ("preproc_if", "preproc_ifdef", "preproc_elif", "preproc_else",
                    "preproc_elifdef"):
            _walk(child, data, conds + [_condition(child)], facts)
        elif kind == "ERROR" and child.end_point[0] - child.start_point[0] > 20:
            # a macro tree-sitter cannot parse swallowed the rest of the file: what it
            # recovered inside is still declarations and functions; say where it began
            facts["unresolved"].append(f"line {child.start_point[0] + 1}: a C syntax error "
                                       f"(or a macro) hides {child.end_point[0] - child.start_point[0]} "
                                       "lines from the parser; what it recovered was read")
            _walk(child, data, conds, facts)
        elif kind == "declaration":
            _declaration(child, conds, facts)
        elif kind == "function_definition":
            _function(child, conds, facts)
        elif kind in ("expression_statement", "ERROR") or "OBJECT_DEFINE" in _text(child):
            for m in _OBJECT_DEFINE.finditer(_text(child)):
                _object_define(m, child, conds, facts)


def _condition(node: Node) -> str:
    first = _text(node).split("\n", 1)[0].strip()
    if node.type in ("preproc_else",):
        return "#else"
    return first


def _props_in(text: str, first_line: int, conds: list[str]) -> list[dict[str, Any]]:
    """DEFINE_PROP_* calls in `text`, with their line and the #if lines around them."""
    out = []
    stack: list[str] = []
    offsets = [0]
    for line in text.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    line_conds: list[list[str]] = []
    for line in text.split("\n"):
        m = _COND.match(line)
        if m:
            d = m.group("d")
            if d in ("if", "ifdef", "ifndef"):
                stack.append(line.strip())
            elif d in ("elif", "else") and stack:
                stack[-1] = line.strip()
            elif d == "endif" and stack:
                stack.pop()
        line_conds.append(list(stack))
    for m in _PROP_CALL.finditer(text):
        row = _row(offsets, m.start())
        kind = (m.group("kind") or "").lower()
        rest = csyntax.split_args(m.group("rest"))[1:]   # the arguments after the name
        raw = m.group("name")
        out.append({"name": csyntax.c_string(raw) if raw.startswith('"') else None,
                    "expr": raw, "kind": _kind(kind, rest),
                    "default": _default(kind, rest), "line": first_line + row,
                    "cond": conds + line_conds[row]})
    for m in _MACRO_REF.finditer(text):
        if not m.group("macro").startswith("DEFINE_PROP"):
            row = _row(offsets, m.start("macro"))
            out.append({"macro": m.group("macro"), "first": m.group("first"),
                        "line": first_line + row, "cond": conds + line_conds[row]})
    return out


def _row(offsets: list[int], at: int) -> int:
    lo, hi = 0, len(offsets) - 1
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if offsets[mid] <= at:
            lo = mid
        else:
            hi = mid
    return lo


_KINDS = {"bool": "bool", "bit": "bool", "bit64": "bool", "uint8": "uint8", "uint16": "uint16",
          "uint32": "uint32", "uint64": "uint64", "int32": "int32", "int64": "int64",
          "int": "int32", "size": "size", "size32": "size32", "string": "str",
          "on_off_auto": "OnOffAuto", "on_off_auto_bit64": "OnOffAuto", "link": "link",
          "uuid": "str", "uuid_nodefault": "str", "macaddr": "str", "chr": "str",
          "drive": "str", "drive_iothread": "str", "netdev": "str", "array": "array",
          "pci_devfn": "int32", "usize": "size"}


def _kind(kind: str, rest: list[str]) -> str:
    if kind in _KINDS:
        return _KINDS[kind]
    if kind in ("signed", "unsigned", "") and len(rest) >= 3:   # (..., field, default, info, type)
        info = next((a for a in rest if a.startswith("qdev_prop_")), "")
        return info or f"DEFINE_PROP_{kind.upper()}" if kind else info or "DEFINE_PROP"
    return f"DEFINE_PROP_{kind.upper()}"


def _default(kind: str, rest: list[str]) -> str | None:
    index = {"bit": 3, "bit64": 3, "on_off_auto_bit64": 4}.get(kind, 2)
    if kind in ("string", "link", "chr", "drive", "netdev", "macaddr", "array", "uuid"):
        return None
    if len(rest) > index:
        value = rest[index].strip()
        if re.fullmatch(r"-?(?:0x[0-9a-fA-F]+|\d+)[uUlL]*|true|false|ON_OFF_AUTO_\w+", value):
            return value
    return None


def _declaration(node: Node, conds: list[str], facts: Facts) -> None:
    text = _text(node)
    head = text.split("=", 1)[0]
    if "VirtioPCIDeviceTypeInfo" in head:
        fields = designated_fields(text.split("=", 1)[1] if "=" in text else "")
        facts["virtio"].append({**fields, "line": node.start_point[0] + 1, "cond": conds})
    elif re.search(r"\bTypeInfo\b", head):
        body = text.split("=", 1)[1] if "=" in text else ""
        if "[]" in head.replace(" ", ""):   # DEFINE_SPAPR_CPU_CORE_TYPE("970_v2.2") items
            for m in re.finditer(r"(?:^|[{,])\s*([A-Z][A-Z0-9_]+)\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)",
                                 _COMMENT.sub(" ", body)):
                facts["types"].append({"macro_item": m.group(1), "args": csyntax.split_args(m.group(2)),
                                       "line": node.start_point[0] + 1, "cond": conds})
        for item in _initializers(body, "[]" in head.replace(" ", "")):
            fields = designated_fields(item)
            if "name" in fields:
                facts["types"].append({**fields, "line": node.start_point[0] + 1 +
                                       text[:text.find(item)].count("\n") if item in text
                                       else node.start_point[0] + 1, "cond": conds})
    elif re.search(r"\bProperty\b", head) and "[" in head:
        name = re.search(r"(\w+)\s*\[", head)
        if name:
            facts["arrays"][name.group(1)] = _props_in(text, node.start_point[0] + 1, conds)
    elif "X86CPUDefinition" in head and "builtin_x86_defs" in head:
        # models, and the aliases of their versions (EPYC-IBPB is EPYC-v2): both are types
        for m in re.finditer(rf"\.(?:name|alias)\s*=\s*({_STRING})", text):
            facts["cpu_models"].append(csyntax.c_string(m.group(1)))
        # each model is also registered as MODEL-vN, one per version it lists (v1 always)
        chunks = re.split(r"\n    {\s*\n\s*\.name\s*=\s*", text)
        for chunk in chunks[1:]:
            name = re.match(_STRING, chunk)
            if name:
                versions = {1} | {int(v) for v in re.findall(r"\.version\s*=\s*(\d+)", chunk)}
                facts["cpu_models"] += [f"{csyntax.c_string(name.group(0))}-v{v}"
                                        for v in sorted(versions)]
    elif "FeatureWordInfo" in head and "feature_word_info" in head:
        for block in re.finditer(r"\.feat_names\s*=\s*\{(.*?)\}", text, re.S):
            facts["features"] += [csyntax.c_string(s) for s in re.findall(_STRING, block.group(1))]


def _initializers(body: str, array: bool) -> list[str]:
    """The `{ ... }` items of an array initializer (or the one of a single struct)."""
    body = body.strip().rstrip(";").strip()
    if not array:
        return [body]
    inner = body[1:-1] if body.startswith("{") else body
    out, depth, start = [], 0, None
    for i, ch in enumerate(inner):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and start is not None:
                out.append(inner[start:i + 1])
    return out


def designated_fields(item: str) -> dict[str, Any]:
    """`.name = TYPE_X, .parent = ..., .abstract = true, .interfaces = ...` of one initializer."""
    out: dict[str, Any] = {}
    item = _COMMENT.sub(" ", item)
    item = re.sub(r"^[ \t]*#[^\n]*$", "", item, flags=re.M)   # #ifdef lines inside it
    matches = list(_DESIGNATED.finditer(item))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(item)
        value = item[m.end():end].strip()
        field = m.group("field")
        if field != "interfaces":
            value = re.sub(r"[\s,;}]+$", "", value)
        if field in ("name", "parent", "base_name", "generic_name", "transitional_name",
                     "non_transitional_name"):
            out[field] = value
        elif field in ("class_init", "instance_init"):
            out[field] = value.strip("& ")
        elif field == "abstract":
            out["abstract"] = value == "true"
        elif field == "interfaces":
            out["interfaces"] = re.findall(r"\{\s*([^{}]+?)\s*\}", value)
    return out


def _function(node: Node, conds: list[str], facts: Facts) -> None:
    text = _text(node)
    # helpers that only call helpers are followed too (4.x's ich9_lpc_initfn calls
    # ich9_lpc_add_properties, which calls ich9_pm_add_properties)
    if not any(m in text for m in ("property_add", "set_props", "->props",
                                   "virtio_instance_init_common", "_init(", "propert")):
        return
    name = csyntax.function_name(node)
    if name is None or name.startswith("device_class_set_props"):
        return   # the setter itself (hw/core/qdev-properties.c), not a use of it
    if not name:
        return
    line = node.start_point[0] + 1
    fn: dict[str, Any] = {"line": line, "arrays": [], "class": [], "object": [], "aliases": [],
                          "alias_all": [], "cond": conds}
    for at, array in _bound_arrays(node):
        fn["arrays"].append(array)
        guard = _guard(node, at)
        if guard:   # `if (virtio_mem_has_legacy_guests()) device_class_set_props(...)`
            fn.setdefault("array_conds", {})[array] = guard
    for m in _ALIAS.finditer(text):
        fn["aliases"].append({"name": csyntax.c_string(m.group("name")),
                              "target": csyntax.c_string(m.group("tname")),
                              "line": line + text[:m.start()].count("\n")})
    for regex, key in ((_CLASS_ADD, "class"), (_OBJ_ADD, "object")):
        for m in regex.finditer(text):
            suffix = (m.group("kind") or "").lstrip("_")
            if suffix in ("alias", "child", "const_link", "link"):
                continue
            raw = m.group("name")
            kind = _ADD_KINDS.get(suffix) or (csyntax.c_string(m.group("type"))
                                              if m.group("type") else suffix or "other")
            fn[key].append({"name": csyntax.c_string(raw) if raw.startswith('"') else None,
                            "expr": raw, "kind": kind,
                            "line": line + text[:m.start()].count("\n")})
    for m in _ALIAS_ALL.finditer(text):
        fn["alias_all"].append(m.group("type"))
    body = node.child_by_field_name("body")
    fn["calls"] = sorted(set(_CALL.findall(_text(body)))) if body is not None else []
    facts["functions"][name] = fn


def _bound_arrays(function: Node) -> list[tuple[int, str]]:
    """(offset, array) of every Property array the function binds to its class:
    `device_class_set_props(dc, X)` (`_n` too), or before 5.0 `dc->props = X;` with any
    name for the DeviceClass (hw/usb/bus.c: `DeviceClass *k = ...; k->props = usb_props;`)."""
    out = []
    device_classes = {name for n in _descendants(function) if n.type == "declaration"
                      and (kind := n.child_by_field_name("type")) is not None
                      and _text(kind) == "DeviceClass" for name in csyntax.declared_names(n)}
    for n in _descendants(function):
        if n.type == "call_expression" and _callee(n) in ("device_class_set_props",
                                                           "device_class_set_props_n"):
            arguments = n.child_by_field_name("arguments")
            args = arguments.named_children if arguments is not None else []
            if len(args) >= 2 and args[1].type == "identifier":
                out.append((n.start_byte, _text(args[1])))
        elif n.type == "assignment_expression":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is None or right is None or left.type != "field_expression":
                continue
            field = left.child_by_field_name("field")
            owner = left.child_by_field_name("argument")
            if field is not None and _text(field) in ("props", "props_") and \
                    right.type == "identifier" and owner is not None and \
                    _text(owner) in device_classes:   # not AspeedGPIOClass's `agc->props`
                out.append((n.start_byte, _text(right)))
    return sorted(out)


def _guard(function: Node, at: int) -> str | None:
    """The `if (...)` conditions around the byte `at` inside a function, as text."""
    node = function.descendant_for_byte_range(at, at)
    conds = []
    while node is not None and node != function:
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            if cond is not None and not (cond.start_byte <= at < cond.end_byte):
                conds.append("if " + " ".join(_text(cond).split()))
        node = node.parent
    return " / ".join(reversed(conds)) or None


_ADD_KINDS = {"bool": "bool", "str": "str", "uint8_ptr": "uint8", "uint16_ptr": "uint16",
              "uint32_ptr": "uint32", "uint64_ptr": "uint64", "enum": "enum", "tm": "tm"}


def _object_define(m: re.Match[str], node: Node, conds: list[str], facts: Facts) -> None:
    """OBJECT_DEFINE_TYPE(ModuleObjName, module_obj_name, MODULE_OBJ_NAME, PARENT_MODULE_OBJ_NAME, ...)"""
    args = [a.strip() for a in m.group("args").split(",")]
    if len(args) < 4 or not all(re.fullmatch(r"\w+", a) for a in args[:4]):
        return   # the macro's own definition (include/qom/object.h), not a use
    variant = m.group("variant")
    prefix, upper, parent = args[1], args[2], args[3]
    facts["types"].append({"name": f"TYPE_{upper}", "parent": f"TYPE_{parent}",
                           "abstract": "ABSTRACT" in variant,
                           "class_init": f"{prefix}_class_init",
                           "instance_init": f"{prefix}_init",
                           "line": node.start_point[0] + 1, "cond": conds})
