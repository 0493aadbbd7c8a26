"""The citizens' portal: the services of a municipality, forms, tracking."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint(
    "portal", __name__, template_folder="templates", static_folder="static", static_url_path="/static/portal"
)

BLUEPRINTS = (blueprint,)
