"""Ingest: the Segment-compatible HTTP API, Kafka producer and worker, validation."""
