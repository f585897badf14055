"""qscaffold: scaffold QEMU's versioned machine types at the start of a release cycle."""
__version__ = "0.1.0"
