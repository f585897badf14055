"""The QOM model of a tree: every type the C source registers, its parent, whether it is
abstract, and its properties (own, inherited, or aliases of a child's), with where each
is defined, its kind, its literal default and its build condition.

Built from every file's facts (facts.py), cached per file by mtime and size.  What the
model cannot resolve (a type name built by code it does not understand) it counts and
names; it never guesses, and a question about it gets "cannot tell" (None).
"""
from __future__ import annotations

import marshal
import os
import pickle
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from scaffold import notices
from scaffold.cache import cache_dir
from scaffold.reading import csyntax
from scaffold.reading.qom import facts as facts_module
from scaffold.reading.qom.facts import Facts

SKIP_DIRS = {".git", "tests", "roms", "subprojects", "linux-headers", "python", "build",
             "docs", "scripts", "pc-bios", "contrib", "tools", "pythondeps", "rust"}
RACY_NS = 2_000_000_000
_TRANSPORT = re.compile(r"(virtio-[a-z0-9-]+?)-(pci|ccw|mmio)(?:-base|-transitional|-non-transitional)?")
# Facts cached by an older extractor are read again: the key is the extractor's source.
_MODEL_VERSION = zlib.crc32(Path(__file__).read_bytes())
_CACHE_VERSION = zlib.crc32(Path(facts_module.__file__).read_bytes() +
                            Path(facts_module.__file__).with_name("entries.py").read_bytes())


FnOf = Callable[[str | None, str], tuple[str, Facts] | None]
ArrayOf = Callable[[str, str], tuple[str, list[Any]] | None]


class Alias(NamedTuple):
    """What a property forwards to: a child's property (`virtio-blk-device num-queues`
    for virtio-blk-pci's num-queues); `type` None when the child's type is not known
    (an object_property_add_alias() whose target the model cannot tell)."""

    type: str | None
    prop: str

    def __str__(self) -> str:
        return f"{self.type or '?'} {self.prop}"

@dataclass(eq=False, repr=False)
class Prop:
    name: str
    kind: str
    where: str                 # file:line
    default: str | None = None
    cond: tuple[str, ...] = ()
    alias_of: "Alias | None" = None   # when this is an alias of a child's property


@dataclass(eq=False, repr=False)
class QomType:
    name: str
    parent: str | None
    where: str
    abstract: bool = False
    interfaces: list[str] = field(default_factory=list)
    props: dict[str, Prop] = field(default_factory=dict)
    alias_all: list[str] = field(default_factory=list)   # every property of these types
    cond: tuple[str, ...] = ()
    variants: list[str] = field(default_factory=list)    # virtio-pci: the generated types


@dataclass(eq=False, repr=False)
class QomModel:
    types: dict[str, QomType] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)   # what the model could not tell
    defines: dict[str, list[str]] = field(default_factory=dict)
    functional: dict[str, list[Any]] = field(default_factory=dict)   # NAME(x) -> [params, body]
    entries: list[tuple[Any, ...]] = field(default_factory=list)   # every GlobalProperty entry (entries.py)
    # properties of Property arrays no type the model knows binds: where one of them is
    # asked about, the model cannot tell (the binding is code it does not follow)
    unplaced: dict[str, str] = field(default_factory=dict)
    define_where: dict[str, str] = field(default_factory=dict)   # macro -> the file defining it
    macro_props: set[str] = field(default_factory=set)   # names DEFINE_PROP macros define
    _bound: set[tuple[str, str]] = field(default_factory=set)   # (file, array) bound to a type

    def files_defining(self, prop: str) -> list[str]:
        """The files where a property of that name is defined (for any type), or where a
        macro defining it lives: where its history is."""
        files = {p.where.rsplit(":", 1)[0] for t in self.types.values()
                 for name, p in t.props.items() if name == prop and not p.alias_of}
        return sorted(f for f in files if f)
    _resolved: dict[str, list[str] | None] = field(default_factory=dict)
    _resolved_sets: dict[str, set[str]] = field(default_factory=dict)
    files: int = 0
    names: set[str] = field(default_factory=set)   # name-like literals of registering files

    # -- questions ------------------------------------------------------------------------

    def resolve(self, expr: str) -> list[str] | None:
        """The type name(s) a C expression names; None when the model cannot tell."""
        if expr not in self._resolved:
            self._resolved[expr] = _resolve(expr.strip(), self.defines, 0, self.functional)
        return self._resolved[expr]

    def ancestors(self, name: str) -> list[str]:
        out, seen = [], set()
        while name in self.types and name not in seen:
            seen.add(name)
            out.append(name)
            parent = self.types[name].parent
            if parent is None:
                break
            name = parent
        return out

    def subtypes(self, name: str) -> list[str]:
        return sorted(t for t in self.types if name in self.ancestors(t)[1:])

    def concrete(self, name: str) -> list[str]:
        return [t for t in [name, *self.subtypes(name)] if t in self.types
                and not self.types[t].abstract]

    def property(self, type_name: str, prop: str, depth: int = 0) -> tuple[str, Prop] | None:
        """(owning type, Prop) of `prop` on `type_name` or an ancestor; aliases of all of
        a child's properties (virtio proxies) give an alias Prop."""
        for t in self.ancestors(type_name):
            found = self.types[t].props.get(prop)
            if found is not None:
                return t, found
            for child in self.types[t].alias_all:
                if depth < 3:
                    inner = self.property(child, prop, depth + 1)
                    if inner is not None:
                        owner, p = inner
                        return t, Prop(prop, p.kind, p.where, p.default, p.cond,
                                       alias_of=Alias(owner, prop))
        return None

    def all_properties(self, type_name: str) -> dict[str, tuple[str, Prop]]:
        out: dict[str, tuple[str, Prop]] = {}
        for t in reversed(self.ancestors(type_name)):
            for child in self.types[t].alias_all:
                for name, (owner, p) in self.all_properties(child).items():
                    out[name] = (t, Prop(name, p.kind, p.where, p.default, p.cond,
                                         alias_of=Alias(owner, name)))
            for name, p in self.types[t].props.items():
                out[name] = (t, p)
        return out

    # -- what compat add asks before writing an entry -----------------------------------

    def device_name(self, device: str) -> str | None:
        """A device as written in C (`"virtio-net-device"`, `TYPE_VIRTIO_NET`) -> its name,
        when the tree declares it (a type, a name a registering file writes, a #define)."""
        device = device.strip()
        if device.startswith('"') and device.endswith('"'):
            return device[1:-1]
        names = self.resolve(device) if re.fullmatch(r"[A-Z][A-Z0-9_]*", device) else None
        if names:
            return names[0]
        return device if self.declares(device) else None

    def declares(self, name: str) -> bool:
        if name in self.types or name in self.names:
            return True
        if "declared" not in self._resolved_sets:
            self._resolved_sets["declared"] = {n for macro in self.defines
                                               if macro.startswith("TYPE_")
                                               for n in self.resolve(macro) or []}
        return name in self._resolved_sets["declared"]

    def property_names(self) -> set[str]:
        """Every property name the tree defines anywhere (types, unbound arrays, macros)."""
        if "props" not in self._resolved_sets:
            self._resolved_sets["props"] = {p for t in self.types.values() for p in t.props} \
                | set(self.unplaced) | self.macro_props
        return self._resolved_sets["props"]

    def advice(self, name: str) -> list[str]:
        """Why another type may be the better target (the seed article's two cases), by
        name, for a type whose properties the model cannot tell."""
        out = []
        m = _TRANSPORT.fullmatch(name)
        if m:
            stem, transport = m.group(1), m.group(2)
            general = next((n for n in (f"{stem}-device", stem) if self.declares(n)), None)
            if general:
                out.append(f"{name} applies to the {transport} transport only; {general} covers "
                           "every transport (pci, ccw, mmio): use it unless the change is "
                           f"{transport}-specific")
        parent = self.types[name].parent if name in self.types else None
        if parent in self.types and self.types[parent].variants and parent != name:
            out.append(f"{name} does not cover its transitional variants; {parent} is the parent "
                       "of all of them")
        return out

    def owners(self, prop: str) -> list[str]:
        """Types that define `prop` themselves (not inherited, not aliased)."""
        return sorted(t for t, qt in self.types.items() if prop in qt.props
                      and qt.props[prop].alias_of is None)


def _const(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for re.sub that is `text` as it is (no backslash escapes)."""
    return lambda _: text


def _resolve(expr: str, defines: dict[str, list[str]], depth: int,
             functional: dict[str, list[Any]] | None = None) -> list[str] | None:
    """Strings, macros and function-like macros (`ACCEL_CLASS_NAME("tcg")`) concatenated."""
    if depth > 8:
        return None
    functional = functional or {}
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")") and _balanced(expr[1:-1]):
        expr = expr[1:-1].strip()
    out = [""]
    for token, args in _tokens(expr):
        if token.startswith('"'):
            out = [o + csyntax.c_string(token) for o in out]
            continue
        if args is not None:
            macro = functional.get(token)
            if macro is None or len(macro[0]) != len(args):
                return None
            body = macro[1]
            for param, arg in zip(macro[0], args):
                body = re.sub(rf"#\s*{param}\b", _const('"' + arg.strip().strip('"') + '"'), body)
                body = re.sub(rf"\b{param}\b", _const(arg), body)
            got = _resolve(body.replace("##", ""), defines, depth + 1, functional)
        elif token in defines:
            got = []
            for value in defines[token]:
                one = _resolve(value, defines, depth + 1, functional)
                if one is None:
                    return None
                got += [g for g in one if g not in got]
        else:
            return None
        if got is None:
            return None
        out = [o + g for o in out for g in got]
    return out


def _tokens(expr: str) -> list[tuple[str, list[str] | None]]:
    """`"a" TYPE_X F("b", c)` -> [('"a"', None), ('TYPE_X', None), ('F', ['"b"', 'c'])]."""
    out: list[tuple[str, list[str] | None]] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            m = re.match(r'"(?:[^"\\\n]|\\.)*"', expr[i:])
            if not m:
                return [("?", None)]
            out.append((m.group(0), None))
            i += m.end()
        elif ch.isalpha() or ch == "_":
            m = re.match(r"\w+", expr[i:])
            assert m is not None
            i += m.end()
            j = i
            while j < len(expr) and expr[j].isspace():
                j += 1
            if j < len(expr) and expr[j] == "(":
                depth, k = 0, j
                while k < len(expr):
                    depth += expr[k] == "("
                    depth -= expr[k] == ")"
                    if depth == 0:
                        break
                    k += 1
                out.append((m.group(0), csyntax.split_args(expr[j + 1:k])))
                i = k + 1
            else:
                out.append((m.group(0), None))
        else:
            return [("?", None)]
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


# -- building ------------------------------------------------------------------------------

def load(root: Path) -> QomModel:
    """The model of the tree at `root`.  Facts are cached per file by mtime and size; the
    finished model too, for a tree none of whose files changed (a warm run only stats)."""
    files = list(_c_files(root))
    racy = time.time_ns() - RACY_NS
    # the finished model also depends on how it is built: this module's source is in the key
    key = zlib.crc32(repr((_CACHE_VERSION, _MODEL_VERSION, [(rel, st.st_mtime_ns, st.st_size)
                                                            for rel, st in files])).encode())
    whole = _cache_file(root).with_suffix(".model")
    try:
        data = whole.read_bytes()
        if int.from_bytes(data[:4], "little") == key:
            cached = pickle.loads(data[4:])
            if isinstance(cached, QomModel) and isinstance(cached.types, dict):
                return cached
    except Exception:   # a cache that does not load (cut short, damaged) is rebuilt
        pass
    model = build(_all_facts(root, files))
    if all(st.st_mtime_ns < racy for _, st in files):
        _write(whole, key.to_bytes(4, "little") + pickle.dumps(model, protocol=5))
    return model


def _cache_file(root: Path) -> Path:
    key = zlib.crc32(str(root.resolve()).encode())
    return cache_dir() / f"qom-{key:08x}.marshal"


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:   # a read-only cache only costs time
        pass


_FACT_KEYS = frozenset({"defines", "functional", "types", "virtio", "arrays", "macros",
                        "functions", "cpu_models", "features", "unresolved", "strings",
                        "entries"})


def _valid(hit: Any) -> bool:
    """A cached file's entry of the right shape: ((mtime, size), facts or None)."""
    return isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], tuple) and \
        (hit[1] is None or (isinstance(hit[1], dict) and _FACT_KEYS <= hit[1].keys()))


def _all_facts(root: Path, files: list[tuple[str, os.stat_result]]) -> dict[str, Facts]:
    path = _cache_file(root)
    try:
        cached = marshal.loads(path.read_bytes())
        if not isinstance(cached, dict) or cached.get("version") != _CACHE_VERSION or \
                not isinstance(cached.get("files"), dict):
            cached = {}
    except (OSError, ValueError, EOFError, TypeError):   # marshal's ways of refusing
        cached = {}
    old: dict[str, Any] = {rel: hit for rel, hit in cached.get("files", {}).items() if _valid(hit)}
    new: dict[str, Any] = {}
    out: dict[str, Facts] = {}
    racy = time.time_ns() - RACY_NS
    changed = False
    for rel, st in files:
        stamp = (st.st_mtime_ns, st.st_size)
        hit = old.get(rel)
        if hit is not None and hit[0] == stamp:
            facts = hit[1]
        else:
            changed = True
            try:
                data = (root / rel).read_bytes()
            except OSError:   # unreadable: it names nothing the model can use
                continue
            facts = facts_module.extract(data)
        if st.st_mtime_ns < racy:
            new[rel] = (stamp, facts)
        if facts:
            out[rel] = facts
    if changed or len(new) != len(old):
        _write(path, marshal.dumps({"version": _CACHE_VERSION, "files": new}))
    return out


def _c_files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    base = len(str(root).rstrip(os.sep)) + 1
    skipped: list[str] = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if not entry.is_dir() or entry.name in SKIP_DIRS or entry.name.startswith("."):
            continue
        stack = [entry.path]
        while stack:
            folder = stack.pop()
            try:
                items = list(os.scandir(folder))
            except OSError:
                continue
            for item in items:
                if item.is_dir(follow_symlinks=False):
                    if item.name not in SKIP_DIRS:
                        stack.append(item.path)
                elif item.name.endswith((".c", ".h", ".c.inc", ".h.inc")):
                    if not item.is_file():   # a FIFO, a dangling editor link: never read
                        skipped.append(item.path[base:])
                        continue
                    yield item.path[base:], item.stat()
    notices.skipped(skipped)


def build(all_facts: dict[str, Facts]) -> QomModel:
    model = QomModel(files=len(all_facts))
    for rel, facts in all_facts.items():
        for name, values in facts["defines"].items():
            if name not in model.define_where or (rel.startswith("include/") and not
                                                 model.define_where[name].startswith("include/")):
                model.define_where[name] = rel   # a header is where an #include can reach
            known = model.defines.setdefault(name, [])
            known += [v for v in values if v not in known]
        model.functional.update(facts.get("functional", {}))
    functions: dict[str, list[tuple[str, Facts]]] = {}
    arrays: dict[str, list[tuple[str, list[Any]]]] = {}
    macros: dict[str, list[Any]] = {}
    for rel, facts in all_facts.items():
        for name, fn in facts["functions"].items():
            functions.setdefault(name, []).append((rel, fn))
        for name, props in facts["arrays"].items():
            arrays.setdefault(name, []).append((rel, props))
        macros.update(facts["macros"])
        model.macro_props.update(p["name"] for props in facts["macros"].values()
                                 for p in props if p.get("name"))
        model.unresolved += [f"{rel}: {u}" for u in facts["unresolved"]]
        model.names.update(facts.get("strings", ()))
        model.entries += [(e[0], rel, *e[1:]) for e in facts.get("entries", ())]

    def fn_of(name: str | None, rel: str) -> tuple[str, Facts] | None:
        found = functions.get(name or "", [])
        same = [f for f in found if f[0] == rel]
        return (same or found or [None])[0]   # type: ignore[list-item]

    def array_of(name: str, rel: str) -> tuple[str, list[Any]] | None:
        found = arrays.get(name, [])
        same = [a for a in found if a[0] == rel]
        return (same or found or [None])[0]   # type: ignore[list-item]

    def add_type(names: list[str] | None, parent_expr: str | None, rel: str, info: Facts,
                 class_init: str | None, instance_init: str | None) -> list[str]:
        if names is None:
            model.unresolved.append(f"{rel}:{info.get('line')}: a type named {info.get('name')}")
            return []
        parents = model.resolve(parent_expr) if parent_expr else [None]
        parent = parents[0] if parents else None
        for name in names:
            qt = model.types.setdefault(name, QomType(name, parent, f"{rel}:{info.get('line')}"))
            qt.parent = qt.parent or parent
            qt.abstract = qt.abstract or bool(info.get("abstract"))
            qt.cond = tuple(info.get("cond", ()))
            qt.interfaces += [i for e in info.get("interfaces", []) for i in model.resolve(e) or []]
            for init in (class_init, instance_init):
                _apply_calls(model, qt, init, rel, fn_of, array_of, macros, set())
        return names

    for rel, facts in all_facts.items():
        for info in facts["types"]:
            if "macro_item" in info:   # a TypeInfo written by a macro: expand it
                info = _expand_item(model, info)
                if info is None:
                    continue
            add_type(model.resolve(info["name"]), info.get("parent"), rel, info,
                     info.get("class_init"), info.get("instance_init"))
        for info in facts["virtio"]:
            generic = model.resolve(info["generic_name"]) if "generic_name" in info else None
            base = model.resolve(info["base_name"]) if "base_name" in info else None
            if base is None and generic:
                base = [f"{generic[0]}-base-type"]
            if not base:
                model.unresolved.append(f"{rel}:{info['line']}: a virtio-pci type")
                continue
            # virtio_pci_types_register(): the generic type gets disable-legacy/-modern
            # (virtio_pci_generic_class_init); without a base_name its base gets them
            generic_init = "virtio_pci_generic_class_init"
            own = info.get("class_init") if "base_name" in info else generic_init
            add_type(base, info.get("parent") or "TYPE_VIRTIO_PCI", rel,
                     {**info, "abstract": True, "name": info.get("base_name")},
                     own, info.get("instance_init"))
            variants = []
            for key in ("generic_name", "transitional_name", "non_transitional_name"):
                names = model.resolve(info[key]) if key in info else None
                for name in names or []:
                    qt = model.types.setdefault(name, QomType(name, base[0],
                                                              f"{rel}:{info['line']}"))
                    variants.append(name)
                    init = (generic_init if "base_name" in info else info.get("class_init")) \
                        if key == "generic_name" else None
                    _apply_calls(model, qt, init, rel, fn_of, array_of, macros, set())
            model.types[base[0]].variants = variants
        models = facts["cpu_models"]
        if models:
            feature_names = sorted({n for n in facts["features"] if n})
            for suffix in ("x86_64-cpu", "i386-cpu"):
                if suffix not in model.types:
                    model.types[suffix] = QomType(suffix, None, rel)
                for name in models:
                    model.types.setdefault(f"{name}-{suffix}",
                                           QomType(f"{name}-{suffix}", suffix, rel))
                for feat in feature_names:   # QEMU accepts both spellings of a feature
                    for spelling in {feat, feat.replace("_", "-"), feat.replace("-", "_")}:
                        model.types[suffix].props.setdefault(
                            spelling, Prop(spelling, "bool", rel, cond=()))
    for name, found in arrays.items():
        for rel, props in found:
            if (rel, name) not in model._bound:
                for p in _expand(props, macros, 0):
                    for n in ([p["name"]] if p.get("name") else model.resolve(p.get("expr") or "") or []):
                        model.unplaced.setdefault(n, f"{rel}:{p['line']} ({name})")
    return model


def _expand_item(model: QomModel, info: Facts) -> Facts | None:
    macro = model.functional.get(info["macro_item"])
    if macro is None or not macro[1].startswith("{") or len(macro[0]) != len(info["args"]):
        return None
    body = macro[1]
    for param, arg in zip(macro[0], info["args"]):
        body = re.sub(rf"\b{param}\b", _const(arg), body)
    fields = facts_module.designated_fields(body)
    return {**fields, "line": info["line"], "cond": info["cond"]} if "name" in fields else None


def _apply_calls(model: QomModel, qt: QomType, name: str | None, rel: str, fn_of: FnOf,
                 array_of: ArrayOf, macros: dict[str, list[Any]],
                 seen: set[tuple[str, str | None]]) -> None:
    """A class_init or instance_init, and the helpers it calls that add properties."""
    found = fn_of(name, rel)
    if found is None or (found[0], name) in seen or len(seen) > 12:
        return
    seen.add((found[0], name))
    _apply(model, qt, found, array_of, macros)
    for callee in found[1].get("calls", ()):   # only functions with facts are followed
        if callee != name:
            _apply_calls(model, qt, callee, found[0], fn_of, array_of, macros, seen)


def _apply(model: QomModel, qt: QomType, found: tuple[str, Facts], array_of: ArrayOf,
           macros: dict[str, list[Any]]) -> None:
    rel, fn = found
    for array in fn["arrays"]:
        got = array_of(array, rel)
        if got is None:
            model.unresolved.append(f"{rel}:{fn['line']}: properties {array} (not found)")
            continue
        model._bound.add((got[0], array))
        guard = fn.get("array_conds", {}).get(array)
        for p in _expand(got[1], macros, 0):
            if guard:
                p = dict(p, cond=[*p.get("cond", ()), guard])
            names = [p["name"]] if p.get("name") else model.resolve(p.get("expr") or "")
            if not names:
                model.unresolved.append(f"{got[0]}:{p['line']}: a property named by "
                                        f"{p.get('expr')}")
            for n in names or []:
                qt.props.setdefault(n, Prop(n, p["kind"], f"{got[0]}:{p['line']}",
                                            p.get("default"), tuple(p.get("cond", ()))))
    for key in ("class", "object"):
        for p in fn[key]:
            names = [p["name"]] if p.get("name") else model.resolve(p["expr"])
            if not names:
                model.unresolved.append(f"{rel}:{p['line']}: a property named by {p['expr']}")
            for n in names or []:
                qt.props.setdefault(n, Prop(n, p["kind"], f"{rel}:{p['line']}",
                                            cond=tuple(fn.get("cond", ()))))
    for a in fn["aliases"]:
        qt.props.setdefault(a["name"], Prop(a["name"], "alias", f"{rel}:{a['line']}",
                                            alias_of=Alias(None, a["target"])))
    for expr in fn["alias_all"]:
        names = model.resolve(expr)
        if names:
            qt.alias_all += [n for n in names if n not in qt.alias_all]
        else:
            model.unresolved.append(f"{rel}:{fn['line']}: the child type {expr}")


def _expand(props: list[Facts], macros: dict[str, list[Any]], depth: int) -> list[Facts]:
    out = []
    for p in props:
        if "macro" in p:
            if p["macro"] in macros and depth < 4:
                for q in _expand(macros[p["macro"]], macros, depth + 1):
                    q = dict(q, line=p["line"], cond=list(p.get("cond", [])) +
                             list(q.get("cond", [])))
                    if "param" in q:   # the property's name is the caller's argument
                        first = p.get("first") or ""
                        q["name"] = csyntax.c_string(first) if first.startswith('"') else None
                        q["expr"] = first
                    out.append(q)
        else:
            out.append(p)
    return out
