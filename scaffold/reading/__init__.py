"""Reading a QEMU tree: its files, their syntax, the machine families, compat arrays and
the lifecycle policy; the chain rules of `qscaffold check` run over what is read here."""
