"""The back office: officers' desk and the municipality console."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("admin", __name__, url_prefix="/<tenant>/admin", template_folder="templates")

BLUEPRINTS = (blueprint,)
