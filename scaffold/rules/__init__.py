"""The rules room: every kind of finding qscaffold reports, each a unit beside its judge.

C (rules/chain.py): `check`, the compat chain of versioned machine types.
A (rules/advice.py): `compat add`'s and `machine-option`'s advice.
L (rules/entries.py): `lint`, each compat entry against the QOM model of the tree.
rules/registry.py holds what a rule and a finding are; rules/catalogue.py lists them all
in the catalogue's order (docs/rules.md is its table).  Importing one judge does not
import the others (a bump needs no QOM model).
"""
