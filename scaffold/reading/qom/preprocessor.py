"""The C preprocessor as far as naming a QOM type needs it, on strings: a function-like
macro's body with its arguments substituted (`#p`, `a ## b`, `__VA_ARGS__`), and an
expression of string literals, macros and macro calls (`"qemu64" "-" TYPE_X86_CPU`,
`ACCEL_CLASS_NAME("tcg")`) resolved to the name(s) it can stand for.  The model
(model.py) asks it; it reads no file."""
from __future__ import annotations

import re

from scaffold.reading import csyntax
from scaffold.reading.qom.facts import Functional


def substitute(macro: Functional, args: list[str] | tuple[str, ...]) -> str:
    """A function-like macro's body with its parameters replaced by the arguments, in one
    pass as the preprocessor does (an argument is never substituted again): `#p` is the
    argument as a string, `a ## b` pastes, `__VA_ARGS__` is what `...` took."""
    values = dict(zip(macro.params, (a.strip() for a in args)))
    if macro.variadic:
        fixed = len(macro.params) - 1
        values.pop("...", None)
        values["__VA_ARGS__"] = ", ".join(a.strip() for a in args[fixed:])
    if not values:
        return macro.body
    names = "|".join(re.escape(p) for p in sorted(values, key=len, reverse=True))
    pattern = re.compile(rf"\s*##\s*|#\s*\b(?P<quoted>{names})\b|\b(?P<plain>{names})\b")

    def one(m: re.Match[str]) -> str:
        if m.group("quoted"):
            return '"' + values[m.group("quoted")].strip('"') + '"'
        if m.group("plain"):
            return values[m.group("plain")]
        return ""   # `##`: the tokens around it become one
    return pattern.sub(one, macro.body)


def resolve_expr(expr: str, defines: dict[str, list[str]], depth: int,
             functional: dict[str, Functional] | None = None) -> list[str] | None:
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
            if macro is None or not macro.takes(len(args)):
                return None
            got = resolve_expr(substitute(macro, args), defines, depth + 1, functional)
        elif token in defines:
            got = []
            for value in defines[token]:
                one = resolve_expr(value, defines, depth + 1, functional)
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
