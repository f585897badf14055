"""The command line and each command's glue between reading, planning and applying."""
