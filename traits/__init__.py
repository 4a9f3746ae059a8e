"""Computed traits: declared aggregates over events (pure logic, see computed.py)."""
