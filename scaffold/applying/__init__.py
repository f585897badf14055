"""Applying or rendering a plan: diffs and patches, atomic writes, git, the executor."""
