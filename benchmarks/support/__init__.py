"""Helpers shared by the benchmark scripts (kept in a folder so `make bench` does not run them)."""
