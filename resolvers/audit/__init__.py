"""The audit log: who called which mutation or read which PII, and when (never values)."""
