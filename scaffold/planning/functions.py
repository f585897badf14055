"""A C function the planners edit statement by statement: its body's statements, its
one parameter, its indentation."""
from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from scaffold.reading import csyntax


@dataclass(eq=False, repr=False)
class Function:
    node: Node
    name: str
    param: str
    new_name: str = ""   # what a planner renames it to, if it does

    @property
    def body(self) -> Node:
        body = self.node.child_by_field_name("body")
        assert body is not None   # only definitions are read
        return body

    def statements(self) -> list[Node]:
        return [n for n in self.body.named_children if n.type != "comment"]

    def declarations(self) -> list[Node]:
        """The declarations the body starts with."""
        out = []
        for s in self.statements():
            if s.type != "declaration":
                break
            out.append(s)
        return out

    def indent(self, data: bytes) -> str:
        """The indentation of its statements (four spaces in an empty function)."""
        for s in self.statements():
            start = csyntax.line_start(data, s.start_byte)
            if data[start:s.start_byte].strip() == b"":
                return csyntax.utf8(data[start:s.start_byte])
        return "    "

    def end_of_body(self, data: bytes) -> int:
        """Where a statement goes last: after the last one, or before the `}` line."""
        statements = self.statements()
        if statements:
            return csyntax.line_end(data, statements[-1].end_byte)
        return csyntax.line_start(data, self.body.end_byte - 1)


def param_type(fn: Node) -> str:
    """The type name of its first parameter (`MachineClass` of `(MachineClass *mc)`)."""
    for n in csyntax.descendants_in_order(fn.child_by_field_name("declarator") or fn):
        if n.type == "parameter_declaration":
            kind = n.child_by_field_name("type")
            return csyntax.utf8(kind.text or b"") if kind is not None else ""
    return ""
