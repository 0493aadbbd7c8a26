"""The console's security pages in the OpenAPI document: signing keys, LINE, personal data, units."""

from __future__ import annotations

from typing import Any

from api.openapi import MALFORMED, TENANT, TOO_LARGE, Security, _error, _json, _path_parameter, _ref
from api.openapi_saraban import BASE as SARABAN
from api.openapi_saraban import INVALID as SARABAN_INVALID
from api.openapi_saraban import PATHS as SARABAN_PATHS
from api.openapi_saraban import SCHEMAS as SARABAN_SCHEMAS
from engine.services.signing_keys import MAX_LABEL, MAX_P12_BYTES, MAX_PASSWORD

_ADMIN: Security = [{"bearer": []}]
_UNAUTHORIZED = _error("No bearer token, or an unknown or expired one (unauthorized)")
_NOT_ADMIN = _error(
    "Not an administrator of this municipality (forbidden, with message_th), another municipality's "
    "token (wrong_tenant), or an API key (insufficient_scope)"
)
_NO_TENANT = _error("No such municipality")
_NULLABLE_TEXT = {"type": ["string", "null"]}
_FIELD_ERROR = _error(
    "The value is refused; message (English) and message_th (Thai) say why and field names the field"
)

_KEY = {
    "type": ["object", "null"],
    "description": "The municipality's own key: the certificate's facts only, never the file or its password",
    "required": [
        "kind",
        "subject_cn",
        "serial",
        "not_before",
        "not_after",
        "token_label",
        "set_by",
        "set_at",
    ],
    "properties": {
        "kind": {"enum": ["pkcs12", "pkcs11"]},
        "subject_cn": {"type": "string"},
        "serial": {"type": "string", "description": "Hexadecimal, upper case"},
        "not_before": {"type": "string", "format": "date-time"},
        "not_after": {"type": "string", "format": "date-time"},
        "token_label": {**_NULLABLE_TEXT, "description": "The key's label on the token (pkcs11 only)"},
        "set_by": {"type": "string", "description": "Username of who set it"},
        "set_at": {"type": "string", "format": "date-time"},
    },
}

_PRIVACY_OFFICER = _error(
    "Neither an administrator nor a data protection officer (privacy_officer) of this municipality "
    "(forbidden), another municipality's token (wrong_tenant), or an API key (insufficient_scope)"
)
_NATIONAL_ID = _error(
    "Not a valid 13-digit national ID number (invalid_field, field national_id, with message_th)"
)

SCHEMAS: dict[str, Any] = {
    # One unit as GET …/saraban/units lists it.
    "SarabanUnit": SARABAN_SCHEMAS["Units"]["properties"]["units"]["items"],
    "SigningRole": {
        "type": "object",
        "required": ["role", "title", "signs", "signed_with", "platform_key", "expired", "key"],
        "properties": {
            "role": {"type": "string"},
            "title": {
                "type": ["object", "null"],
                "properties": {"th": {"type": "string"}, "en": {"type": "string"}},
            },
            "signs": {
                "type": "boolean",
                "description": "False: a key kept for a role no service offered now signs with (remove it)",
            },
            "signed_with": {
                "enum": ["own", "platform", "none"],
                "description": "Whose key signs this role's documents now; none: they cannot be issued",
            },
            "platform_key": {"type": "boolean", "description": "The platform holds a key for this role"},
            "expired": {"type": "boolean", "description": "The municipality's certificate has expired"},
            "key": _KEY,
        },
    },
    "SigningKeys": {
        "type": "object",
        "required": ["roles", "token_available", "max_p12_bytes"],
        "properties": {
            "roles": {"type": "array", "items": _ref("SigningRole")},
            "token_available": {
                "type": "boolean",
                "description": "The platform has a hardware token (HSM): keys may be named by label",
            },
            "max_p12_bytes": {"type": "integer", "const": MAX_P12_BYTES},
        },
    },
    "SigningKeyUpload": {
        "type": "object",
        "required": ["role", "password", "p12"],
        "properties": {
            "role": {"type": "string", "maxLength": 64},
            "password": {"type": "string", "maxLength": MAX_PASSWORD, "writeOnly": True},
            "p12": {
                "type": "string",
                "format": "binary",
                "maxLength": MAX_P12_BYTES,
                "description": "The PKCS#12 (.p12/.pfx) file: private key and the signer's certificate",
            },
        },
    },
    "SigningKeyLabel": {
        "type": "object",
        "required": ["role", "label"],
        "properties": {
            "role": {"type": "string", "maxLength": 64},
            "label": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL},
        },
    },
    "LineAccount": {
        "type": "object",
        "required": ["connected", "basic_id", "add_friend_url", "phone", "webhook_url"],
        "description": "The channel secret and access token are never given back",
        "properties": {
            "connected": {"type": "boolean"},
            "basic_id": _NULLABLE_TEXT,
            "add_friend_url": _NULLABLE_TEXT,
            "phone": {"type": "string", "description": "Offered when the account has no answer"},
            "webhook_url": {
                "type": "string",
                "description": "Paste as the Webhook URL of the Messaging API channel",
            },
        },
    },
    "LineConnection": {
        "type": "object",
        "required": ["secret", "token", "basic_id"],
        "properties": {
            "secret": {"type": "string", "minLength": 1, "maxLength": 500, "writeOnly": True},
            "token": {"type": "string", "minLength": 1, "maxLength": 500, "writeOnly": True},
            "basic_id": {"type": "string", "pattern": "^@[a-z0-9._-]{1,20}$", "example": "@maehia"},
            "phone": {"type": "string", "example": "053-123-456"},
        },
    },
    "LineSettingsError": {
        "type": "object",
        "required": ["code", "message", "message_th", "errors"],
        "properties": {
            "code": {"const": "invalid_line_settings"},
            "message": {"type": "string"},
            "message_th": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message", "message_th"],
                    "properties": {
                        "field": {"enum": ["secret", "token", "basic_id", "phone"]},
                        "message": {"type": "string"},
                        "message_th": {"type": "string"},
                    },
                },
            },
        },
    },
    "DataSubject": {
        "type": "object",
        "required": ["national_id"],
        "description": "The person, by national ID: in the body, never in a URL",
        "properties": {"national_id": {"type": "string", "maxLength": 40, "example": "1101700230708"}},
    },
    "AccessLog": {
        "type": "object",
        "required": ["references", "looks"],
        "properties": {
            "references": {"type": "array", "items": {"type": "string"}},
            "looks": {
                "type": "array",
                "description": "Newest first, at most 1000",
                "items": {
                    "type": "object",
                    "required": ["at", "who", "action", "reference", "channel"],
                    "properties": {
                        "at": {"type": "string", "format": "date-time"},
                        "who": {"type": "string"},
                        "action": {"enum": ["view", "attachment", "document", "export"]},
                        "reference": {"type": "string"},
                        "channel": {"type": "string", "description": "web or api"},
                    },
                },
            },
        },
    },
    "ErasureRequest": {
        "type": "object",
        "required": ["national_id"],
        "description": "The person, by national ID; with preview true nothing is erased",
        "properties": {
            "national_id": {"type": "string", "maxLength": 40, "example": "1101700230708"},
            "preview": {
                "type": "boolean",
                "default": False,
                "description": "Only list what would be erased (an erasure cannot be undone)",
            },
        },
    },
    "Erasure": {
        "type": "object",
        "required": ["done", "erased", "kept_open", "kept_until"],
        "properties": {
            "done": {"type": "boolean", "description": "false for a preview: nothing was changed"},
            "erased": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Anonymised (or, in a preview, to be anonymised)",
            },
            "kept_open": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Still being processed",
            },
            "kept_until": {
                "type": "array",
                "description": "Kept by law until the date",
                "items": {
                    "type": "object",
                    "required": ["reference", "until"],
                    "properties": {
                        "reference": {"type": "string"},
                        "until": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    },
    "UnitChange": {
        "type": "object",
        "required": ["code", "name_th"],
        "properties": {
            "code": {"type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9_-]+$"},
            "name_th": {"type": "string", "maxLength": 200},
            "name_en": {"type": "string", "maxLength": 300},
            "letter_suffix": {"type": "string", "maxLength": 300},
            "parent": {"type": ["string", "null"], "description": "The code of the unit it is part of"},
            "phone": {"type": "string", "maxLength": 300},
        },
    },
    "UnitMemberAdd": {
        "type": "object",
        "required": ["user"],
        "properties": {
            "user": {"type": ["integer", "string"], "description": "The officer's id or username"},
            "head": {"type": "boolean", "default": False},
        },
    },
    "UnitMember": {
        "type": "object",
        "required": ["unit", "user", "head"],
        "properties": {
            "unit": {"type": "string"},
            "user": {
                "type": "object",
                "required": ["id", "username", "display_name"],
                "properties": {
                    "id": {"type": "integer"},
                    "username": {"type": "string"},
                    "display_name": {"type": "string"},
                },
            },
            "head": {"type": "boolean"},
        },
    },
}


def _body(schema: str, media: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": _ref(schema)}}}


_ROLE_QUERY = {
    "name": "role",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": "The role whose key to stop using",
    "example": "public_health_officer",
}
UNIT = _path_parameter("unit", 40, "The unit's code", "treasury")

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/signing": {
        "parameters": [TENANT],
        "get": {
            "summary": "Every role that signs the municipality's documents and the key that signs for it now",
            "operationId": "signingKeys",
            "security": _ADMIN,
            "responses": {
                "200": _json(_ref("SigningKeys"), "As Console → Signing keys shows them"),
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _NO_TENANT,
            },
        },
        "delete": {
            "summary": "Stop using the municipality's key of a role: the platform's key signs again",
            "operationId": "removeSigningKey",
            "security": _ADMIN,
            "parameters": [_ROLE_QUERY],
            "responses": {
                "204": {"description": "Removed"},
                "400": _error("No role named (invalid_request)"),
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _error(
                    "No such municipality, or no key of its own for this role (signing_key_not_found)"
                ),
            },
        },
    },
    "/api/v1/tenants/{tenant}/signing/p12": {
        "post": {
            "summary": "Check a PKCS#12 key file with its password and use it as a role's key",
            "description": (
                "The file opens with the password, holds the private key of its certificate, the "
                "certificate is valid today, is for signing and chains to the platform's trust roots, and "
                "the role signs a document of a service offered here. Stored encrypted; neither the file "
                "nor the password is ever given back."
            ),
            "operationId": "uploadSigningKey",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body("SigningKeyUpload", "multipart/form-data"),
            "responses": {
                "200": _json(_ref("SigningRole"), "The role, now signed with this key"),
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _NO_TENANT,
                "413": _error("The body is larger than a key file and its fields (request_entity_too_large)"),
                "415": _error("Not multipart/form-data (unsupported_media_type)"),
                "422": _error(
                    "The key is refused, nothing stored: p12_size, p12_unreadable (wrong password or not "
                    "PKCS#12), p12_incomplete, p12_key_mismatch, certificate_not_valid_now, "
                    "certificate_not_trusted, certificate_not_for_signing, role_not_signing; message_th "
                    "says why in Thai and field names the field"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/signing/pkcs11": {
        "post": {
            "summary": "Use a key on the platform's hardware token (HSM), by its label, as a role's key",
            "operationId": "useTokenSigningKey",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body("SigningKeyLabel"),
            "responses": {
                "200": _json(_ref("SigningRole"), "The role, now signed with this key"),
                "400": MALFORMED,
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _NO_TENANT,
                "413": TOO_LARGE,
                "422": _error(
                    "Refused, nothing stored: token_not_configured, token_key_not_found, the certificate's "
                    "refusals, role_not_signing, invalid_field; message_th says why in Thai"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/line": {
        "parameters": [TENANT],
        "get": {
            "summary": "The municipality's LINE Official Account: connected or not, its ID and webhook URL",
            "operationId": "lineAccount",
            "security": _ADMIN,
            "responses": {
                "200": _json(_ref("LineAccount"), "As the console page shows it"),
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _NO_TENANT,
            },
        },
        "put": {
            "summary": "Connect (or reconnect) the LINE Official Account and set the office's phone",
            "operationId": "connectLine",
            "security": _ADMIN,
            "requestBody": _body("LineConnection"),
            "responses": {
                "200": _json(_ref("LineAccount"), "Connected; the secret and token are never given back"),
                "400": MALFORMED,
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _NO_TENANT,
                "413": TOO_LARGE,
                "422": _json(_ref("LineSettingsError"), "Fields missing or wrong; nothing stored"),
            },
        },
        "delete": {
            "summary": "Disconnect the LINE Official Account: no more LINE messages are sent",
            "operationId": "disconnectLine",
            "security": _ADMIN,
            "responses": {
                "204": {"description": "Disconnected (also when none was connected)"},
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _NO_TENANT,
            },
        },
    },
    "/api/v1/tenants/{tenant}/privacy/access-log": {
        "post": {
            "summary": "A person's applications and every officer's look at them (PDPA section 30)",
            "operationId": "personalDataAccessLog",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body("DataSubject"),
            "responses": {
                "200": _json(_ref("AccessLog"), "As the console's personal data page shows it"),
                "400": MALFORMED,
                "401": _UNAUTHORIZED,
                "403": _PRIVACY_OFFICER,
                "404": _NO_TENANT,
                "413": TOO_LARGE,
                "422": _NATIONAL_ID,
            },
        }
    },
    "/api/v1/tenants/{tenant}/privacy/export": {
        "post": {
            "summary": "Everything held about a person as a zip (each application's export is logged)",
            "operationId": "exportPersonalData",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body("DataSubject"),
            "responses": {
                "200": {
                    "description": "applications.json and the attached files, as the console's download",
                    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                },
                "400": MALFORMED,
                "401": _UNAUTHORIZED,
                "403": _PRIVACY_OFFICER,
                "404": _NO_TENANT,
                "413": TOO_LARGE,
                "422": _NATIONAL_ID,
            },
        }
    },
    "/api/v1/tenants/{tenant}/privacy/erase": {
        "post": {
            "summary": "Erase a person's data past its retention, or preview it; say why the rest is kept (PDPA section 33)",
            "operationId": "erasePersonalData",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _body("ErasureRequest"),
            "responses": {
                "200": _json(_ref("Erasure"), "What was anonymised, and what is kept and why"),
                "400": MALFORMED,
                "401": _UNAUTHORIZED,
                "403": _PRIVACY_OFFICER,
                "404": _NO_TENANT,
                "413": TOO_LARGE,
                "422": _NATIONAL_ID,
            },
        }
    },
    f"{SARABAN}/units/{{unit}}/members": {
        "post": {
            "summary": "Put an officer in a unit (as its head with head: true)",
            "operationId": "addUnitMember",
            "security": _ADMIN,
            "parameters": [TENANT, UNIT],
            "requestBody": _body("UnitMemberAdd"),
            "responses": {
                "200": _json(_ref("UnitMember"), "The officer is in the unit"),
                "400": MALFORMED,
                "401": _UNAUTHORIZED,
                "403": _NOT_ADMIN,
                "404": _error("No such municipality or unit (unit_not_found, with message_th)"),
                "413": TOO_LARGE,
                "422": SARABAN_INVALID,
            },
        }
    },
}

# GET …/saraban/units is documented by the correspondence area; its POST is added to that entry
# (an area may not document a path twice).
SARABAN_PATHS[f"{SARABAN}/units"]["post"] = {
    "summary": "Create a unit, or change the one with this code (the municipality's administrator only)",
    "operationId": "putUnit",
    "security": _ADMIN,
    "requestBody": _body("UnitChange"),
    "responses": {
        "200": _json(_ref("SarabanUnit"), "Changed"),
        "201": _json(_ref("SarabanUnit"), "Created"),
        "400": MALFORMED,
        "401": _UNAUTHORIZED,
        "403": _NOT_ADMIN,
        "404": _NO_TENANT,
        "413": TOO_LARGE,
        "422": SARABAN_INVALID,
    },
}
