"""Running QEMU: processes, QMP (through qemu.qmp), what a binary reports."""
