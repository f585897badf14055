"""Planning edits: every command computes a Plan (edits as data) here; nothing writes."""
