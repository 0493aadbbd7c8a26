"""The OpenAPI document and the API's routes describe the same operations, and the document is valid.

A route missing from the document is one other programs (and the generated clients) never learn of;
a documented operation without a route promises what answers 404 or 405.
"""

from __future__ import annotations

import re

from flask import Flask

import admin  # noqa: F401  (every module that adds routes to the API's blueprint is imported)
import api
import portal  # noqa: F401
import studio  # noqa: F401
from api.openapi import SPEC

PREFIX = "/api/v1"
METHODS = {"get", "put", "post", "delete", "patch"}


def routes() -> dict[str, set[str]]:
    """Each /api/v1 URL rule (as an OpenAPI path) with its methods."""
    app = Flask(__name__)
    app.register_blueprint(api.blueprint)
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found.setdefault(path, set()).update(m.lower() for m in (rule.methods or set()) - {"HEAD", "OPTIONS"})
    return found


def documented() -> dict[str, set[str]]:
    return {path: {m for m in operations if m in METHODS} for path, operations in SPEC["paths"].items()}


def test_every_route_is_documented_with_its_methods():
    served, described = routes(), documented()
    assert len(served) > 10
    missing = {
        f"{m.upper()} {path}"
        for path, methods in served.items()
        for m in methods - described.get(path, set())
    }
    assert not missing, f"routes the OpenAPI document does not describe: {sorted(missing)}"


def test_every_documented_operation_is_a_route():
    served, described = routes(), documented()
    phantom = {
        f"{m.upper()} {path}"
        for path, methods in described.items()
        for m in methods - served.get(path, set())
    }
    assert not phantom, f"operations documented without a route: {sorted(phantom)}"


def test_the_document_validates():
    from openapi_spec_validator import validate

    validate(SPEC)
    assert SPEC["openapi"].startswith("3.1")
