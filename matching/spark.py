"""Splink on Spark: the same trained model, predicted by Spark instead of DuckDB.

A model is trained with DuckDB (``matching.train``), and its saved Splink settings hold SQL in
DuckDB's dialect. For Spark the settings are built again from the same comparison and blocking
creators in Spark's dialect (Splink's similarity functions come from the jar it ships), and every
trained number is copied across level by level: the prior, each level's m and u probabilities,
and the term-frequency settings. The two then score every pair alike (a test compares them).

A Spark master is configured with ``GRAPHCDP_SPARK_MASTER`` (``local[2]`` for Spark inside this
process, ``spark://host:7077`` for a cluster); without it batch linking runs on DuckDB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from matching.features import splink_blocking_rules

_TRAINED = ("m_probability", "u_probability", "tf_adjustment_column",
            "tf_adjustment_weight", "tf_minimum_u_value")  # fmt: skip


class ModelMismatch(ValueError):
    """The model was trained with other comparisons than this version of GraphCDP builds."""


def spark_settings(trained: Mapping[str, Any], purged: bool = False) -> dict[str, Any]:
    """The trained DuckDB settings rewritten in Spark's dialect with the same parameters
    (blocking on purged key columns with ``purged``, :func:`splink_blocking_rules`).

    Raises:
        ModelMismatch: the model's comparisons or levels are not the ones
            :func:`matching.train.comparisons` builds now (train the model again).
    """
    from splink import SettingsCreator

    from matching.train import comparisons

    creator = SettingsCreator(
        link_type=trained["link_type"],
        unique_id_column_name=trained["unique_id_column_name"],
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=splink_blocking_rules(purged),
        retain_intermediate_calculation_columns=True,
    )
    settings = creator.create_settings_dict("spark")
    settings["probability_two_random_records_match"] = trained[
        "probability_two_random_records_match"
    ]
    ours = {c["output_column_name"]: c for c in settings["comparisons"]}
    for comparison in trained["comparisons"]:
        name = comparison["output_column_name"]
        target = ours.get(name)
        levels = comparison["comparison_levels"]
        if target is None or len(target["comparison_levels"]) != len(levels):
            raise ModelMismatch(f"comparison {name}: the model has other levels; train it again")
        for source, level in zip(levels, target["comparison_levels"], strict=True):
            if source.get("label_for_charts") != level.get("label_for_charts"):
                raise ModelMismatch(
                    f"comparison {name}: level {source.get('label_for_charts')!r} is "
                    f"{level.get('label_for_charts')!r} now; train the model again"
                )
            for key in _TRAINED:
                if key in source:
                    level[key] = source[key]
    if set(ours) != {c["output_column_name"] for c in trained["comparisons"]}:
        raise ModelMismatch("the model compares other columns; train it again")
    return settings


def spark_session(master: str, checkpoints: str, app: str = "graphcdp-match-link") -> Any:
    """A Spark session with Splink's similarity functions (the jar Splink ships) and a
    checkpoint directory (Splink breaks long lineages with checkpoints)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    jar = similarity_jar_location()
    session = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.jars", jar)
        .config("spark.driver.extraClassPath", jar)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "8")
        # Splink's case expressions outgrow Java's method size in whole-stage code generation;
        # Spark would log the failure and fall back to this anyway.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        # not a spark-warehouse folder in the working directory
        .config("spark.sql.warehouse.dir", os.path.join(checkpoints, "warehouse"))
        .getOrCreate()
    )
    session.sparkContext.setCheckpointDir(checkpoints)
    session.sparkContext.setLogLevel("ERROR")
    return session


def stop_spark(session: Any) -> None:
    """Stop the session and the JVM behind it, closing the Python side's sockets (a later
    session starts a new JVM)."""
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.stdin.close()  # the JVM exits when its standard input closes
        gateway.proc.wait(timeout=30)
    SparkContext._gateway = None
    SparkContext._jvm = None


def collect_spark_garbage() -> None:
    """Collect what a stopped session left: py4j drops its connections to the JVM without
    closing them, and each would warn (ResourceWarning) whenever the collector found it."""
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
