"""Test control, which no vendor has: the runtime and its reset, the request journal, fault rules,
coverage, and the admin API under /_mock/ that exposes them (and the clock and state)."""
