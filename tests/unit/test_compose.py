"""docker-compose.yml cannot run here (no Docker engine): check it against the settings."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from graphcdp.settings import PREFIX, Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_services_of_the_stack_and_the_service() -> None:
    services = _compose()["services"]
    assert {"neo4j", "kafka", "opensearch", "redis", "api", "worker"} <= set(services)
    assert services["neo4j"]["image"].startswith("neo4j:5.26")
    assert services["kafka"]["image"].startswith("apache/kafka:3.9")
    assert services["opensearch"]["image"].startswith("opensearchproject/opensearch:2.19")
    assert services["redis"]["image"].startswith("redis:7")


def test_published_ports_are_the_settings_defaults() -> None:
    services = _compose()["services"]
    defaults = Settings()
    expected = {
        "neo4j": defaults.address("neo4j")[1],
        "kafka": defaults.address("kafka")[1],
        "redis": defaults.address("redis")[1],
        "opensearch": defaults.address("opensearch")[1],
        "api": defaults.api_port,
    }
    for name, port in expected.items():
        published = {int(p.split(":")[0]) for p in services[name]["ports"]}
        assert port in published, f"{name} should publish {port}"


def test_environment_uses_only_real_settings_with_valid_values() -> None:
    services = _compose()["services"]
    known = {PREFIX + f.name.upper() for f in fields(Settings) if f.name != "topics"}
    for name in ("api", "worker"):
        env = {k: str(v) for k, v in services[name]["environment"].items()}
        assert {k for k in env if k.startswith(PREFIX)} <= known, name
        settings = Settings.from_env(env)  # every value parses
        assert settings.address("neo4j") == ("neo4j", 7687)
        assert settings.address("kafka") == ("kafka", 9092)
        assert settings.address("redis") == ("redis", 6379)
        assert settings.address("opensearch") == ("opensearch", 9200)


def test_topics_created_are_the_settings_topics() -> None:
    command = " ".join(_compose()["services"]["kafka-topics"]["command"])
    for topic in Settings().topics.all():
        assert topic in command
