"""Benchmarks: reproducible commands that print their numbers as JSON (never CI gates)."""
