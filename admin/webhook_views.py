"""The console's webhooks: subscribe another system's URL to events, see its deliveries, send a test."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import admin_only, blueprint
from engine.definitions import UnknownService
from engine.services import tenants, webhooks
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from renderers.web import current_language
from thongthin.app import platform


def _services() -> list[tuple[str, str]]:
    """(id, title) of the services the municipality offers, in the console's language."""
    language = current_language()
    offered = []
    for enabled in platform().db(tenants.enabled_services(g.tenant)):
        try:
            title = platform().catalog.get(enabled.service_id).service.title.get(language)
        except UnknownService:
            title = enabled.service_id
        offered.append((enabled.service_id, title))
    return sorted(offered, key=lambda item: item[1])


def _page(errors: list[ErrorItem], given: dict[str, Any]) -> Any:
    return render_template(
        "admin/console_webhooks.html",
        subscriptions=platform().db(webhooks.list_for(g.tenant)),
        events=webhooks.EVENTS,
        services=_services(),
        given=given,
        errors=errors,
        field_errors=errors_by_field(errors),
    )


@blueprint.get("/console/webhooks")
@admin_only
def console_webhooks() -> Any:
    return _page([], {"url": "", "events": [], "services": []})


@blueprint.post("/console/webhooks")
@admin_only
def console_webhook_create() -> Any:
    """Subscribe; the signing secret is shown on this response only (a reload would post again)."""
    given = {
        "url": request.form.get("url", "").strip(),
        "events": request.form.getlist("events"),
        "services": request.form.getlist("services"),
    }
    try:
        created = platform().db(
            webhooks.subscribe(
                g.tenant,
                given["url"],
                given["events"],
                given["services"],
                platform_key=platform().settings.secret_key,
                allow_private=webhooks.allow_private(platform().settings.environ),
            )
        )
    except webhooks.WebhookError as error:
        text = error.message_th if current_language() == "th" else str(error)
        target = error.field if error.field == "url" else f"{error.field or 'url'}-0"
        return _page([ErrorItem(target, text=text)], given), 422
    page = render_template(
        "admin/console_webhook_secret.html", subscription=created.subscription, secret=created.secret
    )
    return page, 201, {"Cache-Control": "no-store"}


@blueprint.get("/console/webhooks/<int:webhook_id>")
@admin_only
def console_webhook(webhook_id: int) -> Any:
    subscription = platform().db(webhooks.get(g.tenant, webhook_id))
    log = platform().db(webhooks.deliveries(g.tenant, webhook_id))
    titles = dict(_services())
    return render_template(
        "admin/console_webhook.html",
        subscription=subscription,
        log=log,
        titles=titles,
        previous_until=webhooks.previous_secret_until(subscription, platform().settings.secret_key),
    )


@blueprint.post("/console/webhooks/<int:webhook_id>/test")
@admin_only
def console_webhook_test(webhook_id: int) -> Any:
    try:
        platform().db(webhooks.send_test(g.tenant, webhook_id))
    except webhooks.WebhookPaused:
        flash_key("admin.webhooks.test_paused")
    else:
        flash_key("admin.webhooks.test_queued")
    return redirect(url_for("admin.console_webhook", webhook_id=webhook_id))


@blueprint.post("/console/webhooks/<int:webhook_id>/delete")
@admin_only
def console_webhook_delete(webhook_id: int) -> Any:
    platform().db(webhooks.remove(g.tenant, webhook_id))
    flash_key("admin.webhooks.removed")
    return redirect(url_for("admin.console_webhooks"))


@blueprint.post("/console/webhooks/<int:webhook_id>/pause")
@admin_only
def console_webhook_pause(webhook_id: int) -> Any:
    """Stop sending; events raised while paused are not kept for it (the page says so)."""
    platform().db(webhooks.set_active(g.tenant, webhook_id, False))
    flash_key("admin.webhooks.paused_done")
    return redirect(url_for("admin.console_webhook", webhook_id=webhook_id))


@blueprint.post("/console/webhooks/<int:webhook_id>/resume")
@admin_only
def console_webhook_resume(webhook_id: int) -> Any:
    platform().db(webhooks.set_active(g.tenant, webhook_id, True))
    flash_key("admin.webhooks.resumed_done")
    return redirect(url_for("admin.console_webhook", webhook_id=webhook_id))


@blueprint.post("/console/webhooks/<int:webhook_id>/secret")
@admin_only
def console_webhook_rotate(webhook_id: int) -> Any:
    """A new signing secret, shown on this response only (a reload would rotate again)."""
    rotated = platform().db(
        webhooks.rotate_secret(g.tenant, webhook_id, platform_key=platform().settings.secret_key)
    )
    page = render_template(
        "admin/console_webhook_secret.html",
        subscription=rotated.subscription,
        secret=rotated.secret,
        previous_until=rotated.previous_until,
    )
    return page, 200, {"Cache-Control": "no-store"}
