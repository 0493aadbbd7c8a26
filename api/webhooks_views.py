"""Webhook subscriptions over the API: a municipality admin's bearer token only."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from api.auth import admin_of
from api.body import json_body
from api.views import blueprint, tenant_or_404
from engine.services import webhooks
from engine.store.models import Tenant, WebhookDelivery, WebhookSubscription
from thongthin.app import platform


def _admin_tenant(slug: str) -> Tenant:
    """The tenant, when the bearer token is one of its administrators (see :func:`api.auth.admin_of`)."""
    found = tenant_or_404(slug)
    admin_of(found, "manage webhooks", "จัดการการแจ้งเหตุการณ์ได้")
    return found


def subscription_json(subscription: WebhookSubscription) -> dict[str, Any]:
    until = webhooks.previous_secret_until(subscription, platform().settings.secret_key)
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": list(subscription.events),
        "services": list(subscription.services),
        "active": subscription.active,
        "created_at": subscription.created_at.isoformat(),
        "previous_secret_until": until.isoformat() if until else None,
    }


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "event_id": delivery.event_id,
        "type": delivery.type,
        "attempt": delivery.attempt,
        "at": delivery.at.isoformat(),
        "status_code": delivery.status_code,
        "error": delivery.error or None,
        "duration_ms": delivery.duration_ms,
        "delivered": delivery.delivered,
    }


@blueprint.post("/tenants/<tenant>/webhooks")
def create_webhook(tenant: str) -> Any:
    """Subscribe a URL; the answer carries the signing secret, which is never shown again."""
    found = _admin_tenant(tenant)
    body = json_body()
    created = platform().db(
        webhooks.subscribe(
            found,
            body.get("url"),
            body.get("events"),
            body.get("services"),
            platform_key=platform().settings.secret_key,
            allow_private=webhooks.allow_private(platform().settings.environ),
        )
    )
    response = jsonify({**subscription_json(created.subscription), "secret": created.secret})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/tenants/<tenant>/webhooks")
def list_webhooks(tenant: str) -> Any:
    found = _admin_tenant(tenant)
    return jsonify({"webhooks": [subscription_json(s) for s in platform().db(webhooks.list_for(found))]})


@blueprint.get("/tenants/<tenant>/webhooks/<webhook_id>")
def get_webhook(tenant: str, webhook_id: str) -> Any:
    found = _admin_tenant(tenant)
    return jsonify(subscription_json(platform().db(webhooks.get(found, webhook_id))))


@blueprint.delete("/tenants/<tenant>/webhooks/<webhook_id>")
def delete_webhook(tenant: str, webhook_id: str) -> Any:
    found = _admin_tenant(tenant)
    platform().db(webhooks.remove(found, webhook_id))
    return "", 204


@blueprint.get("/tenants/<tenant>/webhooks/<webhook_id>/deliveries")
def webhook_deliveries(tenant: str, webhook_id: str) -> Any:
    found = _admin_tenant(tenant)
    return jsonify(
        {"deliveries": [delivery_json(d) for d in platform().db(webhooks.deliveries(found, webhook_id))]}
    )


@blueprint.post("/tenants/<tenant>/webhooks/<webhook_id>/test")
def test_webhook(tenant: str, webhook_id: str) -> Any:
    """Queue a ``webhook.test`` event for this subscription; the worker delivers it."""
    found = _admin_tenant(tenant)
    event_id = platform().db(webhooks.send_test(found, webhook_id))
    response = jsonify({"event_id": event_id, "type": webhooks.TEST_EVENT})
    response.status_code = 202
    return response


@blueprint.post("/tenants/<tenant>/webhooks/<webhook_id>/pause")
def pause_webhook(tenant: str, webhook_id: str) -> Any:
    """Stop sending to this subscription; events raised meanwhile are not kept for it."""
    found = _admin_tenant(tenant)
    return jsonify(subscription_json(platform().db(webhooks.set_active(found, webhook_id, False))))


@blueprint.post("/tenants/<tenant>/webhooks/<webhook_id>/resume")
def resume_webhook(tenant: str, webhook_id: str) -> Any:
    """Send to this subscription again, from the next event on."""
    found = _admin_tenant(tenant)
    return jsonify(subscription_json(platform().db(webhooks.set_active(found, webhook_id, True))))


@blueprint.post("/tenants/<tenant>/webhooks/<webhook_id>/secret")
def rotate_webhook_secret(tenant: str, webhook_id: str) -> Any:
    """A new signing secret, in this answer only; the old one still signs for a day beside it."""
    found = _admin_tenant(tenant)
    rotated = platform().db(
        webhooks.rotate_secret(found, webhook_id, platform_key=platform().settings.secret_key)
    )
    response = jsonify({**subscription_json(rotated.subscription), "secret": rotated.secret})
    response.headers["Cache-Control"] = "no-store"
    return response
