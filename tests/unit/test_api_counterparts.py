"""Every page of the portal, the officers' desk, the console and the studio has its JSON API counterpart.

A program built on the platform (a municipality's own app, a LINE mini-app, a national portal)
must be able to do what a person does on the pages. Each page's endpoint is listed below with the
API operations that do the same thing, or with the reason it has none (signing in through a
browser, static files, pages that only lead to others). The test fails when a page is added
without a decision here, when an entry names an API operation that does not exist, and when an
API counterpart is never called by any test.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE_BLUEPRINTS = ("portal.", "admin.", "studio.")

# The page's endpoint → the API endpoints that do what it does.
COUNTERPARTS: dict[str, tuple[str, ...]] = {
    # The citizens' portal: finding a service and applying, step by step.
    "portal.index": ("api.services",),
    "portal.service": ("api.service_definition",),
    "portal.start": ("api.create_draft",),
    "portal.step": ("api.save_draft_step", "api.upload_attachment"),
    "portal.check": ("api.read_draft",),
    "portal.saved": ("api.read_draft",),
    "portal.resume": ("api.read_draft",),
    "portal.discard": ("api.discard_draft",),
    "portal.submit": ("api.submit_draft", "api.submit"),
    "portal.done": ("api.submission",),
    # Tracking an application.
    "portal.track": ("api.submission",),
    "portal.status": ("api.submission",),
    "portal.track_link": ("api.submission", "api.tracking_link"),
    "portal.bill_pdf": ("api.account_bill_pdf",),
    "portal.status_action": ("api.transition",),
    "portal.status_correct": ("api.correction_form", "api.correct"),
    "portal.status_messages": (
        "api.message_subscription",
        "api.resume_messages",
        "api.stop_channel_messages",
    ),
    "portal.stop_messages": ("api.stop_messages",),
    "portal.status_document": ("api.submission_documents", "api.submission_document"),
    # Bills and receipts.
    "portal.bills_lookup": ("api.account_bills",),
    "portal.bill_qr": ("api.account_bill_qr",),
    "portal.prove_account": ("api.account_receipt",),
    "portal.bill_receipt": ("api.account_receipt",),
    # Checking a document the platform issued.
    "portal.verify_upload_page": ("api.verify",),
    "portal.verify_document": ("api.document",),
    "portal.verified_document": ("api.document",),
    # The officers' desk.
    "admin.inbox": ("api.inbox",),
    "admin.submission": ("api.submission",),
    "admin.act": ("api.transition",),
    "admin.attachment_file": ("api.submission_attachments", "api.submission_attachment"),
    "admin.issued_document": ("api.submission_document",),
    "admin.comment": ("api.submission_comments", "api.add_submission_comment"),
    # The console.
    "admin.console_dashboard": ("api.dashboard_report",),
    "admin.console_api_keys": ("api.list_api_keys", "api.create_api_key"),
    "admin.revoke_api_key": ("api.revoke_api_key",),
    "admin.console_webhooks": ("api.list_webhooks",),
    "admin.console_webhook_create": ("api.create_webhook",),
    "admin.console_webhook": ("api.get_webhook", "api.webhook_deliveries"),
    "admin.console_webhook_delete": ("api.delete_webhook",),
    "admin.console_webhook_test": ("api.test_webhook",),
    "admin.console_webhook_pause": ("api.pause_webhook",),
    "admin.console_webhook_resume": ("api.resume_webhook",),
    "admin.console_webhook_rotate": ("api.rotate_webhook_secret",),
    "admin.console_signing": ("api.signing_keys_list",),
    "admin.console_signing_p12": ("api.signing_key_p12",),
    "admin.console_signing_pkcs11": ("api.signing_key_pkcs11",),
    "admin.console_signing_remove": ("api.signing_key_remove",),
    "admin.console_line": ("api.line_settings", "api.line_connect"),
    "admin.console_line_disconnect": ("api.line_disconnect",),
    "admin.who_looked": ("api.privacy_access_log",),
    "admin.export_subject": ("api.privacy_export",),
    "admin.erase_subject": ("api.privacy_erase",),
    "admin.saraban_put_unit": ("api.saraban_put_unit",),
    "admin.saraban_add_member": ("api.saraban_add_member",),
    # The municipality's details, services, officers, and an officer's own notice settings.
    "admin.account_notifications": ("api.my_notifications", "api.update_my_notifications"),
    "admin.console_details": ("api.console_details", "api.update_console_details"),
    "admin.console_seal": ("api.update_console_seal",),
    "admin.console_services": ("api.console_services",),
    "admin.service_parameters": ("api.console_service_parameters", "api.update_console_service_parameters"),
    "admin.enable_service": ("api.enable_console_service",),
    "admin.disable_service": ("api.disable_console_service",),
    "admin.upgrade_service": ("api.console_service_upgrade", "api.upgrade_console_service"),
    "admin.console_officers": ("api.console_officers", "api.create_console_officer"),
    "admin.officer_roles": ("api.console_officer_roles", "api.update_console_officer_roles"),
    "admin.officer_account": ("api.console_officer_account",),
    # The console's fees and payments.
    "admin.billing_runs": ("api.billing_runs_list", "api.start_billing_run"),
    "admin.billing_run": ("api.billing_run_detail",),
    "admin.payment_settings": ("api.payment_settings", "api.update_payment_settings"),
    "admin.rotate_payment_secret": ("api.rotate_payment_secret",),
    "admin.payments_review": ("api.payments_to_review",),
    "admin.payment_review": ("api.payment_review", "api.payment_decision"),
    "admin.statement_import": ("api.statement_imports", "api.import_statement"),
    "admin.statement_result": ("api.statement_result",),
    "admin.billing_report": ("api.billing_report",),
    # Correspondence (e-Saraban).
    "admin.saraban_inbox": ("api.saraban_inbox",),
    "admin.saraban_agencies": ("api.agency_directory",),
    "admin.saraban_arrivals": ("api.saraban_messages",),
    "admin.saraban_arrival": ("api.saraban_message",),
    "admin.saraban_arrival_file": ("api.saraban_message",),
    "admin.saraban_arrival_register": ("api.saraban_register_message",),
    "admin.saraban_arrival_reject": ("api.saraban_reject_message",),
    "admin.saraban_arrival_wrong_delivery": ("api.saraban_wrong_delivery",),
    "admin.saraban_compose_form": ("api.saraban_draft",),
    "admin.saraban_compose": ("api.saraban_draft",),
    "admin.saraban_letter": ("api.saraban_letter", "api.saraban_deliveries"),
    "admin.saraban_grant": ("api.saraban_grant",),
    "admin.saraban_close": ("api.saraban_close",),
    "admin.saraban_hold": ("api.saraban_hold",),
    "admin.saraban_letter_pdf": ("api.saraban_letter_pdf",),
    "admin.saraban_resend": ("api.saraban_resend",),
    "admin.saraban_route": ("api.saraban_route",),
    "admin.saraban_send": ("api.saraban_send",),
    "admin.saraban_sign": ("api.saraban_sign",),
    "admin.saraban_withdraw": ("api.saraban_withdraw",),
    "admin.saraban_wrong_accept_id": ("api.saraban_wrong_delivery",),
    "admin.saraban_receive_form": ("api.saraban_receive",),
    "admin.saraban_receive": ("api.saraban_receive",),
    "admin.saraban_registers": ("api.saraban_register",),
    "admin.saraban_register_csv": ("api.saraban_register",),
    "admin.saraban_register_pdf": ("api.saraban_register",),
    "admin.saraban_cancel": ("api.saraban_cancel",),
    "admin.saraban_reserve": ("api.saraban_reserve",),
    "admin.saraban_retention": ("api.saraban_retention_lists",),
    "admin.saraban_retention_list": ("api.saraban_retention_list",),
    "admin.saraban_approve": ("api.saraban_retention_approve",),
    "admin.saraban_archives_sent": ("api.saraban_retention_archives",),
    "admin.saraban_appoint": ("api.saraban_retention_committee",),
    "admin.saraban_destroy_confirm": ("api.saraban_retention_list",),
    "admin.saraban_destroy": ("api.saraban_retention_destroy",),
    "admin.saraban_retention_pdf": ("api.saraban_retention_list_pdf",),
    "admin.saraban_archives_reply": ("api.saraban_retention_archives_reply",),
    "admin.saraban_handover_form": ("api.saraban_retention_handover",),
    "admin.saraban_handover_pdf": ("api.saraban_retention_handover",),
    "admin.saraban_survey": ("api.saraban_retention_survey",),
    "admin.saraban_search": ("api.saraban_search",),
    "admin.saraban_put_settings": ("api.saraban_put_settings",),
    "admin.saraban_units": ("api.saraban_units",),
    # The analysts' studio: the API edits a draft as one document, the pages one part at a time.
    "studio.index": ("api.studio_catalog",),
    "studio.create_draft": ("api.studio_create_draft",),
    "studio.draft": ("api.studio_draft",),
    "studio.delete": ("api.studio_delete_draft",),
    "studio.export": ("api.studio_export",),
    "studio.import_zip": ("api.studio_import",),
    "studio.publish": ("api.studio_publish",),
    "studio.tenants_page": ("api.studio_tenants",),
    "studio.create_tenant": ("api.studio_create_tenant",),
    "studio.import_tenants": ("api.studio_import_tenants",),
    "studio.enable_for_tenants": ("api.studio_enable_for_tenants",),
    **{
        f"studio.{edit}": ("api.studio_save_draft",)
        for edit in (
            "add_attachment",
            "add_document",
            "add_fee",
            "remove_fee",
            "field",
            "move_field",
            "remove_field",
            "edit_roles",
            "edit_service",
            "add_state",
            "state",
            "remove_state",
            "add_step",
            "order_fields",
            "move_step",
            "remove_step",
            "order_steps",
            "add_transition",
            "transition",
            "remove_transition",
        )
    },
}

# The page's endpoint → why a program needs no counterpart of its own.
NO_COUNTERPART: dict[str, str] = {
    "portal.static": "static files (styles, scripts, images) of the pages",
    "admin_assets.static": "static files of the desk's pages",
    "studio.static": "static files of the studio's pages",
    "renderers.static": "static files shared by every page",
    "portal.address_provinces": "already JSON: the address picker's data, fetched by the page itself",
    "portal.address_province": "already JSON: the address picker's data, fetched by the page itself",
    "admin.login": "a program signs in with POST /api/v1/auth/token or an API key",
    "admin.logout": "a program ends its session with DELETE /api/v1/auth/token",
    "studio.login": "a program signs in with POST /api/v1/auth/token",
    "studio.logout": "a program ends its session with DELETE /api/v1/auth/token",
    "admin.setup": "an officer sets the first password and second factor in a browser, from the link sent to them",
    "admin.change_password": "passwords change in a browser, where the officer's second factor is at hand",
    "admin.two_factor": "a second factor is enrolled in a browser, with the authenticator app beside it",
    "studio.preview": "the page renders a draft step as a citizen would see it; the API gives the draft itself",
    "studio.play": "a dry run of the workflow in the page; programs check a draft with PUT, which answers its problems",
    "studio.diagram": "a picture of the workflow for people; the API gives the states and transitions",
    "studio.document_preview": "a sample PDF for people; programs publish and issue real documents",
    "studio.versions_diff": "a side-by-side for people; programs compare the versions the catalog API gives",
}


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every endpoint of the application → its URL rule."""
    from thongthin.app import create_app
    from thongthin.settings import Settings

    folder = tmp_path_factory.mktemp("counterparts")
    settings = Settings(
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'never-opened.sqlite3'}",
        secret_key="counterparts",
        secure_cookies=False,
    )
    return {rule.endpoint: rule.rule for rule in create_app(settings).url_map.iter_rules()}


def test_every_page_has_a_counterpart_or_a_reason(endpoints: dict[str, str]) -> None:
    pages = {e for e in endpoints if e.startswith(PAGE_BLUEPRINTS) or e.endswith(".static")}
    decided = set(COUNTERPARTS) | set(NO_COUNTERPART)
    undecided = sorted(pages - decided)
    assert not undecided, f"pages without a counterpart or a reason: {undecided}"
    assert not set(COUNTERPARTS) & set(NO_COUNTERPART)


def test_no_entry_names_a_page_or_an_operation_that_does_not_exist(endpoints: dict[str, str]) -> None:
    stale = sorted((set(COUNTERPARTS) | set(NO_COUNTERPART)) - set(endpoints))
    assert not stale, f"entries for pages that are gone: {stale}"
    unknown = sorted({api for apis in COUNTERPARTS.values() for api in apis} - set(endpoints))
    assert not unknown, f"API endpoints that do not exist: {unknown}"
    assert all(api.startswith("api.") for apis in COUNTERPARTS.values() for api in apis)


@cache
def _test_sources() -> str:
    files = [*(ROOT / "tests").rglob("test_*.py"), *(ROOT / "clients" / "python").rglob("*.py")]
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _path_patterns(rule: str) -> list[re.Pattern[str]]:
    """The ways tests write the rule's path: each ``<parameter>`` is whatever stands in its segment.

    Tests often keep the start of a path in a variable (``f"{letter}/close"``,
    ``office.url("numbers")``), so the path is also looked for from its second segment on, and
    from the last parameter on when a word follows it.
    """
    path = rule.removeprefix("/api/v1").removeprefix("/tenants/<tenant>")
    segments = path.strip("/").split("/")
    tails = {path, "/".join(segments[1:])}
    if len(segments) > 1 and segments[-2].startswith("<") and not segments[-1].startswith("<"):
        tails.add("/".join(segments[-2:]))
    # From a later word on, as a helper's argument: ``api_url(town, ref, "/corrections/resubmit")``.
    tails.update(
        '"/' + "/".join(segments[i:]) for i in range(1, len(segments) - 1) if not segments[i].startswith("<")
    )
    patterns = [
        re.compile(r"[^/\s\"]+".join(re.escape(p) for p in re.split(r"<[^>]+>", tail)) + r"(?![\w-])")
        for tail in tails
        if "/" in tail.strip("/") and re.search(r"[a-z]", re.sub(r"<[^>]+>", "", tail))
    ]
    if not segments[-1].startswith("<"):
        # The last word alone, where a path kept in a variable or a helper's argument ends.
        patterns.append(re.compile(r'["}]/?' + re.escape(segments[-1]) + r'["?]'))
    return patterns


@pytest.mark.parametrize(
    "api", sorted({api for apis in COUNTERPARTS.values() for api in apis}), ids=lambda api: api
)
def test_every_counterpart_is_called_by_a_test(api: str, endpoints: dict[str, str]) -> None:
    rule = endpoints[api]
    assert any(p.search(_test_sources()) for p in _path_patterns(rule)), f"no test calls {rule}"
