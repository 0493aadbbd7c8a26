"""The JSON API (OpenAPI 3.1 at /api/v1/openapi.json) for apps, chat bots and other agencies."""

from api import saraban_agency_views, saraban_exchange_views, saraban_views, studio_views  # noqa: F401 (routes of the same blueprint)
from api.errors import register_error_handlers
from api.views import blueprint

__all__ = ["blueprint", "register_error_handlers"]
