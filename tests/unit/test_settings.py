from __future__ import annotations

from pathlib import Path

import pytest

from graphcdp.settings import Settings, SettingsError


def test_defaults_point_at_the_local_stack() -> None:
    s = Settings.from_env({})
    assert s.address("neo4j") == ("127.0.0.1", 7687)
    assert s.address("kafka") == ("127.0.0.1", 9092)
    assert s.address("redis") == ("127.0.0.1", 6379)
    assert s.address("opensearch") == ("127.0.0.1", 9200)
    assert s.kafka_partitions == 6
    assert s.state_dir == Path(".stack")
    assert s.parsed_write_keys() == {"graphcdp-demo-write-key": "demo"}


def test_values_are_read_and_typed() -> None:
    s = Settings.from_env(
        {
            "GRAPHCDP_NEO4J_URI": "neo4j://db.internal:7688",
            "GRAPHCDP_KAFKA_PARTITIONS": "12",
            "GRAPHCDP_API_PORT": "9000",
            "GRAPHCDP_STATE_DIR": "/tmp/x",
            "GRAPHCDP_NEO4J_HEAP": "2G",
            "GRAPHCDP_WRITE_KEYS": "web-key-0001:web, crm-key-0002:crm",
        }
    )
    assert s.address("neo4j") == ("db.internal", 7688)
    assert s.kafka_partitions == 12
    assert s.api_port == 9000
    assert s.state_dir == Path("/tmp/x")
    assert s.neo4j_heap == "2g"
    assert s.parsed_write_keys() == {"web-key-0001": "web", "crm-key-0002": "crm"}


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("GRAPHCDP_NEO4J_URI", "http://127.0.0.1:7687", "scheme must be one of"),
        ("GRAPHCDP_NEO4J_URI", "bolt://127.0.0.1", "expected scheme://host:port"),
        ("GRAPHCDP_NEO4J_URI", "bolt://127.0.0.1:99999", "port is not a number"),
        ("GRAPHCDP_KAFKA_BOOTSTRAP", "127.0.0.1", "expected host:port"),
        ("GRAPHCDP_KAFKA_BOOTSTRAP", "a:1,b:x", "expected host:port"),
        ("GRAPHCDP_KAFKA_PARTITIONS", "six", "not an integer"),
        ("GRAPHCDP_KAFKA_PARTITIONS", "0", "between 1 and 256"),
        ("GRAPHCDP_REDIS_URL", "tcp://127.0.0.1:6379", "scheme must be one of"),
        ("GRAPHCDP_OPENSEARCH_URL", "127.0.0.1:9200", "scheme must be one of"),
        ("GRAPHCDP_API_PORT", "70000", "between 1 and 65535"),
        ("GRAPHCDP_NEO4J_HEAP", "lots", "expected a size"),
        ("GRAPHCDP_LOG_LEVEL", "chatty", "expected DEBUG"),
        ("GRAPHCDP_WRITE_KEYS", "short:web", "key:source pairs"),
        ("GRAPHCDP_WRITE_KEYS", "no-source-here", "key:source pairs"),
        ("GRAPHCDP_NEO4J_DATABASE", "", "must not be empty"),
        ("GRAPHCDP_SEARCH_INDEX", "Customers", "expected an index name"),
        ("GRAPHCDP_SEARCH_INDEX", "-x", "expected an index name"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({variable: value})
    assert err.value.variable == variable
    assert str(err.value).startswith(f"{variable}=")
    assert reason in str(err.value)


def test_the_cli_refuses_to_start_with_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from graphcdp.cli import main

    monkeypatch.setenv("GRAPHCDP_KAFKA_PARTITIONS", "-1")
    assert main(["stack", "status"]) == 2
    assert "GRAPHCDP_KAFKA_PARTITIONS" in capsys.readouterr().err


def test_security_settings_are_checked_and_secrets_not_echoed() -> None:
    settings = Settings.from_env({
        "GRAPHCDP_ADMIN_KEY": "k" * 16, "GRAPHCDP_JWT_SECRET": "s" * 32,
        "GRAPHCDP_ENV": "Production", "GRAPHCDP_QUERY_COST_LIMIT": "800",
    })  # fmt: skip
    assert (settings.admin_key, settings.jwt_secret) == ("k" * 16, "s" * 32)
    assert settings.production
    assert settings.query_cost_limit == 800
    assert not Settings().production
    with pytest.raises(SettingsError, match="GRAPHCDP_ADMIN_KEY='<hidden>'") as short:
        Settings.from_env({"GRAPHCDP_ADMIN_KEY": "short-secret"})
    assert "short-secret" not in str(short.value)
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({"GRAPHCDP_JWT_SECRET": "s" * 31})
    with pytest.raises(SettingsError, match="development or production"):
        Settings.from_env({"GRAPHCDP_ENV": "staging"})


@pytest.mark.parametrize("value", ["", "  ", "none", "None"])
def test_an_empty_opensearch_url_means_search_on_neo4j(value: str) -> None:
    s = Settings.from_env({"GRAPHCDP_OPENSEARCH_URL": value})
    assert s.opensearch_url is None
    assert Settings.from_env({}).opensearch_url == "http://127.0.0.1:9200"
    assert Settings.from_env({}).search_index == "graphcdp-customers"
    with pytest.raises(SettingsError, match="no host:port"):
        s.address("opensearch")


async def test_the_consumers_fetch_wait_is_a_setting() -> None:
    from ingest.producer import changes_consumer

    assert Settings.from_env({}).fetch_wait_ms == 50
    consumer = changes_consumer(Settings.from_env({"GRAPHCDP_FETCH_WAIT_MS": "20"}), "g")
    try:
        assert consumer._fetch_max_wait_ms == 20
    finally:
        await consumer.stop()  # never started: only marks it closed
    with pytest.raises(SettingsError):
        Settings.from_env({"GRAPHCDP_FETCH_WAIT_MS": "-1"})
