"""The drafts' unpacked preview folders are removed a day after they were made."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from engine.services.studio import PREVIEW_LIFETIME, preview_cache, prune_previews


def test_old_preview_folders_go_and_recent_ones_stay(tmp_path: Path):
    cache = preview_cache(tmp_path)
    old, recent = cache / "a1b2" / "hall-booking", cache / "c3d4" / "hall-booking"
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "service.json").write_text("{}")
    day_ago = time.time() - PREVIEW_LIFETIME - 60
    os.utime(cache / "a1b2", (day_ago, day_ago))
    assert asyncio.run(prune_previews(cache)) == 1
    assert not old.exists() and recent.exists()
    assert asyncio.run(prune_previews(tmp_path / "nothing-here")) == 0
