"""The municipality console in the OpenAPI document: details and seal, services and local fees,
officers and roles (administrators only), and the signed-in officer's own notice settings."""

from __future__ import annotations

from typing import Any

from api.openapi import SERVICE_ID, TENANT, Security, _error, _json, _path_parameter, _ref

USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    "description": "An officer of this municipality, as the list of officers gives it",
    "example": 42,
}
CATALOG_SERVICE = _path_parameter("service_id", 64, "A service of the national catalog", "complaint")
_ADMIN: Security = [{"bearer": []}]
_TEXT = {
    "type": "object",
    "required": ["th", "en"],
    "properties": {"th": {"type": "string"}, "en": {"type": "string"}},
}
_NULLABLE_TEXT = {
    **_TEXT,
    "type": ["object", "null"],
    "description": "null for a role the catalog no longer names",
}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _refusals(what: str, *, not_found: str = "No such municipality") -> dict[str, Any]:
    return {
        "401": _error("No bearer token, or an unknown or expired one"),
        "403": _error(
            f"Not an administrator of this municipality, another municipality's token, or an API key "
            f"(forbidden, wrong_tenant, insufficient_scope): only administrators {what}"
        ),
        "404": _error(not_found),
    }


_INVALID = _json(
    _ref("ConsoleInvalid"), "Some answers are wrong, each listed by field in Thai and English; nothing stored"
)

SCHEMAS: dict[str, Any] = {
    "ConsoleInvalid": {
        "type": "object",
        "required": ["code", "message", "message_th", "errors"],
        "properties": {
            "code": {
                "type": "string",
                "description": "invalid_details, invalid_officer, invalid_parameters, …",
            },
            "message": {"type": "string"},
            "message_th": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message", "message_th"],
                    "properties": {
                        "field": {"type": "string", "description": "The answer (or fee box) that is wrong"},
                        "message": {"type": "string", "description": "English"},
                        "message_th": {"type": "string", "description": "Thai, as the console page says it"},
                    },
                },
            },
        },
    },
    "MunicipalityDetails": {
        "type": "object",
        "required": ["name_th", "name_en", "address_th", "phone", "letter_code", "thai_numerals", "has_seal"],
        "properties": {
            "name_th": {"type": "string", "maxLength": 200},
            "name_en": {"type": "string", "maxLength": 200},
            "address_th": {"type": "string", "maxLength": 1000},
            "phone": {"type": "string", "description": "A Thai phone number, or empty"},
            "letter_code": {
                "type": "string",
                "description": "Province initials and digits (ชม 52101), or empty",
            },
            "thai_numerals": {"type": "boolean", "description": "Documents print Thai digits"},
            "has_seal": {"type": "boolean", "description": "A seal image is kept for documents and bills"},
        },
    },
    "ConsoleServices": {
        "type": "object",
        "required": ["services"],
        "properties": {
            "services": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "service_id",
                        "title",
                        "enabled",
                        "version",
                        "catalog_version",
                        "newer_version",
                        "has_local_fees",
                    ],
                    "properties": {
                        "service_id": {"type": "string"},
                        "title": _TEXT,
                        "enabled": {"type": "boolean", "description": "Citizens can apply"},
                        "version": {"type": ["string", "null"], "description": "The version offered"},
                        "catalog_version": {"type": "string", "description": "The catalog's newest"},
                        "newer_version": {
                            "type": ["string", "null"],
                            "description": "The catalog's newest when it is newer than the one offered",
                        },
                        "has_local_fees": {
                            "type": "boolean",
                            "description": "Has fees the municipality sets",
                        },
                    },
                },
            }
        },
    },
    "ServiceEnabled": {
        "type": "object",
        "required": ["service_id", "enabled"],
        "properties": {
            "service_id": {"type": "string"},
            "enabled": {"type": "boolean"},
            "version": {"type": "string"},
            "open_applications": {
                "type": "integer",
                "minimum": 0,
                "description": "After closing: applications under way, which carry on to their end",
            },
        },
    },
    "ServiceUpgradePreview": {
        "type": "object",
        "required": [
            "service_id",
            "title",
            "current_version",
            "target_version",
            "can_upgrade",
            "bump",
            "bump_text",
            "open_applications",
            "changes",
        ],
        "properties": {
            "service_id": {"type": "string"},
            "title": _TEXT,
            "current_version": {"type": "string"},
            "target_version": {"type": "string"},
            "can_upgrade": {"type": "boolean", "description": "The target differs from the version offered"},
            "bump": {"type": "string", "enum": ["major", "minor", "patch", "none"]},
            "bump_text": _TEXT,
            "open_applications": {
                "type": "integer",
                "minimum": 0,
                "description": "Applications under way on the current version (they finish under it)",
            },
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["area", "kind", "name", "detail", "bump"],
                    "properties": {
                        "area": {"type": "string"},
                        "kind": {"type": "string", "enum": ["added", "removed", "changed"]},
                        "name": {"type": "string"},
                        "detail": {"type": "string"},
                        "bump": {"type": "string", "enum": ["major", "minor", "patch", "none"]},
                    },
                },
            },
        },
    },
    "ServiceUpgraded": {
        "type": "object",
        "required": ["service_id", "version", "previous_version", "open_on_previous"],
        "properties": {
            "service_id": {"type": "string"},
            "version": {"type": "string"},
            "previous_version": {"type": ["string", "null"]},
            "open_on_previous": {"type": "integer", "minimum": 0},
        },
    },
    "LocalFees": {
        "type": "object",
        "required": ["service_id", "version", "fees"],
        "properties": {
            "service_id": {"type": "string"},
            "version": {"type": "string"},
            "fees": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["fee_id", "kind", "title", "changed", "boxes"],
                    "properties": {
                        "fee_id": {"type": "string"},
                        "kind": {"type": "string"},
                        "title": _TEXT,
                        "changed": {"type": "boolean", "description": "Differs from the national default"},
                        "boxes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "label", "value", "required"],
                                "properties": {
                                    "name": {"type": "string", "description": "fee.<fee id>.<key>"},
                                    "label": _TEXT,
                                    "value": {"type": ["number", "null"]},
                                    "required": {"type": "boolean"},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "ConsoleOfficer": {
        "type": "object",
        "required": ["id", "username", "display_name", "active", "two_factor", "roles"],
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "active": {"type": "boolean"},
            "two_factor": {"type": "boolean"},
            "roles": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ConsoleRole": {
        "type": "object",
        "required": ["role", "title"],
        "properties": {
            "role": {"type": "string"},
            "title": _NULLABLE_TEXT,
            "held": {"type": "boolean"},
        },
    },
    "ConsoleOfficers": {
        "type": "object",
        "required": ["officers", "grantable_roles", "next_cursor"],
        "properties": {
            "officers": {"type": "array", "items": _ref("ConsoleOfficer")},
            "grantable_roles": {"type": "array", "items": _ref("ConsoleRole")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "The next page's cursor; null at the end",
            },
        },
    },
    "OfficerRoles": {
        "type": "object",
        "required": ["officer", "roles", "events"],
        "properties": {
            "officer": _ref("ConsoleOfficer"),
            "roles": {"type": "array", "items": _ref("ConsoleRole")},
            "events": {
                "type": "array",
                "description": "What happened to the account, newest first (at most 50)",
                "items": {
                    "type": "object",
                    "required": ["kind", "at", "by", "address"],
                    "properties": {
                        "kind": {"type": "string"},
                        "at": {"type": "string", "format": "date-time"},
                        "by": {"type": ["string", "null"], "description": "The username of who did it"},
                        "address": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
    "OfficerAccountChanged": {
        "type": "object",
        "required": ["officer", "done", "message", "message_th"],
        "properties": {
            "officer": _ref("ConsoleOfficer"),
            "done": {"type": "string"},
            "message": {"type": "string"},
            "message_th": {"type": "string"},
        },
    },
    "MyNotifications": {
        "type": "object",
        "required": ["email", "digest", "digest_choices"],
        "properties": {
            "email": {"type": "string", "description": "Empty: notices only on the desk"},
            "digest": {"type": "string", "enum": ["email", "off"]},
            "digest_choices": {"type": "array", "items": {"type": "string"}},
        },
    },
}

_VERSION_QUERY = {
    "name": "version",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 32},
    "description": "The version to move to; the catalog's newest when left out",
}
_DETAILS = "keep the municipality's details"
_SERVICES = "enable services and set their local fees"
_OFFICERS = "manage officers and their roles"
_NOT_OFFERED = "No such municipality, or it does not offer the service (service_not_enabled)"

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/details": {
        "get": {
            "summary": "The municipality's names, office address and phone, letter code and digits",
            "operationId": "municipalityDetails",
            "security": _ADMIN,
            "parameters": [TENANT],
            "responses": {
                "200": _json(_ref("MunicipalityDetails"), "As the console's details page shows them"),
                **_refusals(_DETAILS),
            },
        },
        "put": {
            "summary": "Change the municipality's details (an answer left out keeps its value)",
            "operationId": "updateMunicipalityDetails",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "name_th": {"type": "string"},
                        "name_en": {"type": "string"},
                        "address_th": {"type": "string"},
                        "phone": {"type": "string"},
                        "letter_code": {"type": "string"},
                        "thai_numerals": {"type": "boolean"},
                    },
                }
            ),
            "responses": {
                "200": _json(_ref("MunicipalityDetails"), "The details as stored"),
                **_refusals(_DETAILS),
                "422": _INVALID,
            },
        },
    },
    "/api/v1/tenants/{tenant}/details/seal": {
        "put": {
            "summary": "The seal printed on documents and bills: PNG or JPEG by content, at most 512 KB",
            "operationId": "updateMunicipalitySeal",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": {
                "required": True,
                "content": {
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["seal"],
                            "properties": {"seal": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            },
            "responses": {
                "200": _json(_ref("MunicipalityDetails"), "Kept: has_seal is true"),
                **_refusals(_DETAILS),
                "422": _json(
                    _ref("ConsoleInvalid"),
                    "Empty, larger than 512 KB, not a PNG or JPEG, or a damaged image (upload_rejected)",
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/console/services": {
        "get": {
            "summary": "Every catalog service: offered or not, at which version, and a newer one",
            "operationId": "consoleServices",
            "security": _ADMIN,
            "parameters": [TENANT],
            "responses": {
                "200": _json(
                    _ref("ConsoleServices"), "As the console's services page lists them (with an ETag)"
                ),
                "304": {"description": "The client's copy (If-None-Match) is still current"},
                **_refusals(_SERVICES),
            },
        }
    },
    "/api/v1/tenants/{tenant}/console/services/{service_id}/enable": {
        "post": {
            "summary": "Offer a service at the catalog's newest version, keeping the local fees",
            "operationId": "enableConsoleService",
            "security": _ADMIN,
            "parameters": [TENANT, CATALOG_SERVICE],
            "responses": {
                "200": _json(_ref("ServiceEnabled"), "Citizens can apply"),
                **_refusals(
                    _SERVICES, not_found="No such municipality or catalog service (service_not_found)"
                ),
                "409": _error(
                    "The local fees do not fit the new version; set them again (parameters_outdated)"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/console/services/{service_id}/disable": {
        "post": {
            "summary": "Close a service: citizens can no longer apply; applications under way carry on",
            "operationId": "disableConsoleService",
            "security": _ADMIN,
            "parameters": [TENANT, CATALOG_SERVICE],
            "responses": {
                "200": _json(_ref("ServiceEnabled"), "Closed, with the count of applications under way"),
                **_refusals(
                    _SERVICES, not_found="No such municipality or catalog service (service_not_found)"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/console/services/{service_id}/upgrade": {
        "get": {
            "summary": "What moving an offered service to a newer version changes",
            "operationId": "consoleServiceUpgrade",
            "security": _ADMIN,
            "parameters": [TENANT, SERVICE_ID, _VERSION_QUERY],
            "responses": {
                "200": _json(_ref("ServiceUpgradePreview"), "As the console's upgrade page shows it"),
                **_refusals(_SERVICES, not_found=_NOT_OFFERED + ", or no such version"),
                "422": _INVALID,
            },
        },
        "post": {
            "summary": "Move an offered service to a version; applications under way keep theirs",
            "operationId": "upgradeConsoleService",
            "security": _ADMIN,
            "parameters": [TENANT, SERVICE_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "version": {
                            "type": ["string", "null"],
                            "maxLength": 32,
                            "description": "null or absent: the newest version the catalog offers",
                        }
                    },
                },
                required=False,
            ),
            "responses": {
                "200": _json(_ref("ServiceUpgraded"), "Offered at the version"),
                **_refusals(_SERVICES, not_found=_NOT_OFFERED + ", or no such version"),
                "409": _error("The local fees do not fit the version; set them again (parameters_outdated)"),
                "422": _INVALID,
            },
        },
    },
    "/api/v1/tenants/{tenant}/console/services/{service_id}/parameters": {
        "get": {
            "summary": "The municipality's own rates of the fees national law leaves to it, box by box",
            "operationId": "consoleServiceParameters",
            "security": _ADMIN,
            "parameters": [TENANT, SERVICE_ID],
            "responses": {
                "200": _json(_ref("LocalFees"), "As the console's fee page shows them"),
                **_refusals(_SERVICES, not_found=_NOT_OFFERED),
            },
        },
        "put": {
            "summary": "Set local rates by box name (a box left out keeps its value)",
            "operationId": "updateConsoleServiceParameters",
            "security": _ADMIN,
            "parameters": [TENANT, SERVICE_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["values"],
                    "properties": {
                        "values": {
                            "type": "object",
                            "maxProperties": 200,
                            "additionalProperties": {"type": ["number", "string", "null"]},
                            "description": "Box name (fee.<fee id>.<key>) to amount; null empties an optional box",
                        }
                    },
                }
            ),
            "responses": {
                "200": _json(_ref("LocalFees"), "The rates as stored"),
                **_refusals(_SERVICES, not_found=_NOT_OFFERED),
                "422": _INVALID,
            },
        },
    },
    "/api/v1/tenants/{tenant}/officers": {
        "get": {
            "summary": "Every officer with their roles, and the roles this municipality can grant",
            "operationId": "consoleOfficers",
            "security": _ADMIN,
            "parameters": [
                TENANT,
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "next_cursor of the page before",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ],
            "responses": {
                "200": _json(
                    _ref("ConsoleOfficers"), "By username, as the console's officers page (with an ETag)"
                ),
                "304": {"description": "The client's copy (If-None-Match) is still current"},
                "400": _error("A cursor this list did not give, or a limit out of range (invalid_request)"),
                **_refusals(_OFFICERS),
            },
        },
        "post": {
            "summary": "Add an officer with the password the administrator chose (never answered back)",
            "operationId": "createConsoleOfficer",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["username", "display_name", "password"],
                    "properties": {
                        "username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{2,79}$"},
                        "display_name": {"type": "string", "maxLength": 200},
                        "password": {"type": "string", "minLength": 10, "maxLength": 1024, "writeOnly": True},
                        "roles": {"type": "array", "maxItems": 50, "items": {"type": "string"}},
                    },
                }
            ),
            "responses": {
                "201": _json(_ref("ConsoleOfficer"), "Added; they log in with the password given"),
                **_refusals(_OFFICERS),
                "422": _INVALID,
            },
        },
    },
    "/api/v1/tenants/{tenant}/officers/{user_id}/roles": {
        "get": {
            "summary": "An officer's roles and their account's history",
            "operationId": "consoleOfficerRoles",
            "security": _ADMIN,
            "parameters": [TENANT, USER_ID],
            "responses": {
                "200": _json(_ref("OfficerRoles"), "As the officer's console page shows them"),
                **_refusals(_OFFICERS, not_found="No such officer in this municipality (not_found)"),
            },
        },
        "put": {
            "summary": "The officer holds exactly these of the grantable roles; nobody drops their own admin",
            "operationId": "updateConsoleOfficerRoles",
            "security": _ADMIN,
            "parameters": [TENANT, USER_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["roles"],
                    "properties": {"roles": {"type": "array", "maxItems": 50, "items": {"type": "string"}}},
                }
            ),
            "responses": {
                "200": _json(_ref("OfficerRoles"), "The roles as now held"),
                **_refusals(_OFFICERS, not_found="No such officer in this municipality (not_found)"),
                "422": _INVALID,
            },
        },
    },
    "/api/v1/tenants/{tenant}/officers/{user_id}/account": {
        "post": {
            "summary": "Deactivate, reactivate, reset the password or turn two-factor login off",
            "operationId": "consoleOfficerAccount",
            "security": _ADMIN,
            "parameters": [TENANT, USER_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["action"],
                    "properties": {
                        "action": {
                            "type": "string",
                            "enum": ["deactivate", "reactivate", "disable_totp", "reset_password"],
                        },
                        "password": {
                            "type": "string",
                            "writeOnly": True,
                            "description": "The new password, for reset_password (never answered back)",
                        },
                    },
                }
            ),
            "responses": {
                "200": _json(_ref("OfficerAccountChanged"), "Done, said as the console page says it"),
                **_refusals(_OFFICERS, not_found="No such officer in this municipality (not_found)"),
                "422": _json(
                    _ref("ConsoleInvalid"),
                    "An unknown action, deactivating one's own account, or a weak password",
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/me/notifications": {
        "get": {
            "summary": "Where the signed-in officer is told of work, and whether they get the daily digest",
            "operationId": "myNotifications",
            "security": _ADMIN,
            "parameters": [TENANT],
            "responses": {
                "200": _json(_ref("MyNotifications"), "As the officer's notification page shows them"),
                "401": _error("No bearer token, or an unknown or expired one"),
                "403": _error(
                    "Another municipality's token, or an API key (wrong_tenant, insufficient_scope)"
                ),
                "404": _error("No such municipality"),
            },
        },
        "put": {
            "summary": "Change them (an answer left out keeps its value; an empty email: the desk only)",
            "operationId": "updateMyNotifications",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "email": {
                            "type": "string",
                            "maxLength": 254,
                            "description": "An e-mail address (name@example.go.th), or empty",
                        },
                        "digest": {"type": "string", "enum": ["email", "off"]},
                    },
                }
            ),
            "responses": {
                "200": _json(_ref("MyNotifications"), "As stored"),
                "401": _error("No bearer token, or an unknown or expired one"),
                "403": _error(
                    "Another municipality's token, or an API key (wrong_tenant, insufficient_scope)"
                ),
                "404": _error("No such municipality"),
                "422": _INVALID,
            },
        },
    },
}
