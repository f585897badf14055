"""A QOM model of the tree, from C source alone: types, their parents and properties."""
