"""The JSON API (OpenAPI 3.1 at /api/v1/openapi.json) for apps, chat bots and other agencies."""

# The modules adding routes to the same blueprint, imported so that they do.
from api import apikeys_views as apikeys_views
from api import citizen_more_views as citizen_more_views
from api import citizen_views as citizen_views
from api import conventions_views as conventions_views
from api import definition_views as definition_views
from api import inbox_views as inbox_views
from api import officer_views as officer_views
from api import saraban_agency_views as saraban_agency_views
from api import saraban_exchange_views as saraban_exchange_views
from api import saraban_views as saraban_views
from api import security_views as security_views
from api import studio_tenants_views as studio_tenants_views
from api import studio_views as studio_views
from api import webhooks_views as webhooks_views
from api.errors import register_error_handlers
from api.views import blueprint

__all__ = ["blueprint", "register_error_handlers"]
