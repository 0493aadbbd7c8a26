"""Where the definition language and the national catalog live on disk."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def schemas_dir() -> Path:
    """``$THONGTHIN_SCHEMAS`` or the ``schemas/`` folder shipped with the project."""
    return Path(os.environ.get("THONGTHIN_SCHEMAS", PROJECT_ROOT / "schemas"))


def meta_dir() -> Path:
    return schemas_dir() / "meta"


def catalog_dir() -> Path:
    return Path(os.environ.get("THONGTHIN_CATALOG", schemas_dir() / "catalog"))


def examples_dir() -> Path:
    return Path(os.environ.get("THONGTHIN_EXAMPLES", PROJECT_ROOT / "examples"))
