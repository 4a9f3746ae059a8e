"""Activation: segments sent to destinations (webhooks, Kafka topics, files) as enter/exit
deltas. ``model`` is pure logic, ``delivery`` the senders, ``sync`` one sync's orchestration."""
