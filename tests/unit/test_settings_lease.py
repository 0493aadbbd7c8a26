"""The lease of queued effects: the engine's default unless the environment sets one."""

from __future__ import annotations

from pathlib import Path

import pytest

from thongthin.settings import Settings


def test_the_effect_lease_comes_from_the_environment_or_stays_the_engines(tmp_path: Path) -> None:
    assert Settings.from_env({}, data_dir=tmp_path).effect_lease_seconds is None
    given = Settings.from_env({"THONGTHIN_EFFECT_LEASE_SECONDS": "20"}, data_dir=tmp_path)
    assert given.effect_lease_seconds == 20
    assert (
        Settings.from_env({"THONGTHIN_EFFECT_LEASE_SECONDS": "0"}, data_dir=tmp_path).effect_lease_seconds
        is None
    )
    with pytest.raises(ValueError, match="THONGTHIN_EFFECT_LEASE_SECONDS"):
        Settings.from_env({"THONGTHIN_EFFECT_LEASE_SECONDS": "five"}, data_dir=tmp_path)
