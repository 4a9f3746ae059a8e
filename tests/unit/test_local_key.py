"""The local admin key: the setting when given, else one kept in the state directory."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from graphcdp.local_key import local_admin_key
from graphcdp.settings import Settings

pytestmark = pytest.mark.unit


def test_the_setting_wins(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, admin_key="an-admin-key-from-env")
    assert local_admin_key(settings) == "an-admin-key-from-env"
    assert not (tmp_path / "admin-key").exists()


def test_without_a_setting_one_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    key = local_admin_key(settings)
    assert key.startswith("gcdp_")
    assert len(key) > 40
    assert local_admin_key(settings) == key
    mode = (tmp_path / "state" / "admin-key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
