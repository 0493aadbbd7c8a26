"""API keys for machine clients: made by a municipality's administrator (secret shown once, never
listed), taken on the inbox and submissions for their scopes only, refused at another municipality,
after revocation, on routes that take no key, and managed from the CLI as over the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.services import accounts, desk, tenants
from engine.services.desk import assigned_states
from engine.store.models import ApiKey, Submission, Tenant
from thongthin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_office(platform: Any, client: Any) -> tuple[Tenant, str, str]:
    """A municipality with one waiting application, its administrator's and a clerk's bearer tokens."""
    slug = f"k{uuid.uuid4().hex[:8]}"
    waiting = desk.states_waiting_for(list(platform.catalog), {"clerk"})
    service = sorted(waiting)[0]
    definition = next(d for d in platform.catalog if d.id == service and assigned_states(d, {"clerk"}))
    now = datetime.now(UTC)

    async def seed() -> Tenant:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาล {slug}",
            name_en=slug,
            kind="municipality",
            province="ลำพูน",
            reference_prefix="AK",
        )
        await accounts.create_user(tenant, f"{slug}.admin", DEMO_PASSWORD, "ผู้ดูแล", ["admin"])
        await accounts.create_user(tenant, f"{slug}.clerk", DEMO_PASSWORD, "ธุรการ", ["clerk"])
        await Submission.create(
            tenant=tenant,
            reference="AK-2569-000001",
            service_id=service,
            service_version=definition.version,
            state=sorted(assigned_states(definition, {"clerk"}))[0],
            due_at=now + timedelta(days=3),
            submitted_at=now - timedelta(days=1),
            state_entered_at=now - timedelta(days=1),
            data={"applicant": {"first_name": "สมหญิง"}},
            tracking_token_hash="0" * 64,
        )
        return tenant

    tenant = platform.db(seed())
    tokens = []
    for who in ("admin", "clerk"):
        answer = client.post(
            "/api/v1/auth/token",
            json={"tenant": slug, "username": f"{slug}.{who}", "password": DEMO_PASSWORD},
        )
        assert answer.status_code == 200, answer.json
        tokens.append(answer.json["token"])
    return tenant, tokens[0], tokens[1]


@pytest.fixture(scope="module")
def office(app: Any, platform: Any) -> tuple[Tenant, str, str]:
    return make_office(platform, app.test_client())


def create_key(client: Any, slug: str, admin: str, scopes: list[str], name: str = "ระบบสารบรรณจังหวัด") -> Any:
    answer = client.post(
        f"/api/v1/tenants/{slug}/api-keys", json={"name": name, "scopes": scopes}, headers=bearer(admin)
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_key_is_shown_once_and_reads_the_inbox(client: Any, office: Any, platform: Any) -> None:
    tenant, admin, _ = office
    made = create_key(client, tenant.slug, admin, ["inbox:read"])
    assert made["secret"].startswith("ttk_") and made["scopes"] == ["inbox:read"]
    assert made["last_used_at"] is None

    listed = client.get(f"/api/v1/tenants/{tenant.slug}/api-keys", headers=bearer(admin)).json["api_keys"]
    mine = next(key for key in listed if key["id"] == made["id"])
    assert "secret" not in mine and made["secret"] not in str(listed)
    assert made["secret"].startswith(mine["prefix"])

    inbox = client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(made["secret"]))
    assert inbox.status_code == 200, inbox.json
    assert [item["reference"] for item in inbox.json["items"]] == ["AK-2569-000001"]
    used = platform.db(ApiKey.get(id=made["id"]))
    assert used.last_used_at is not None


def test_a_key_without_the_scope_is_refused(client: Any, office: Any) -> None:
    tenant, admin, _ = office
    reader = create_key(client, tenant.slug, admin, ["submissions:read"])["secret"]
    refused = client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(reader))
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"

    seen = client.get(f"/api/v1/tenants/{tenant.slug}/submissions/AK-2569-000001", headers=bearer(reader))
    assert seen.status_code == 200, seen.json
    assert seen.json["reference"] == "AK-2569-000001"

    moved = client.post(
        f"/api/v1/tenants/{tenant.slug}/submissions/AK-2569-000001/transitions",
        json={"action": "anything"},
        headers=bearer(reader),
    )
    assert moved.status_code == 403 and moved.json["code"] == "insufficient_scope"

    # Routes that take no key refuse a valid one, managing keys included.
    log = client.get(
        f"/api/v1/tenants/{tenant.slug}/submissions/AK-2569-000001/messages", headers=bearer(reader)
    )
    assert log.status_code == 403 and log.json["code"] == "insufficient_scope"
    keys = client.get(f"/api/v1/tenants/{tenant.slug}/api-keys", headers=bearer(reader))
    assert keys.status_code == 403 and keys.json["code"] == "insufficient_scope"


def test_documents_read_lists_an_applications_documents(client: Any, office: Any) -> None:
    tenant, admin, _ = office
    documents = f"/api/v1/tenants/{tenant.slug}/submissions/AK-2569-000001/documents"
    reader = create_key(client, tenant.slug, admin, ["documents:read"])["secret"]
    listed = client.get(documents, headers=bearer(reader))
    assert listed.status_code == 200, listed.json
    assert listed.json["documents"] == []  # nothing issued yet: the application is still open
    missing = client.get(f"{documents}/DOC-0000.pdf", headers=bearer(reader))
    assert missing.status_code == 404
    other = create_key(client, tenant.slug, admin, ["inbox:read"])["secret"]
    refused = client.get(documents, headers=bearer(other))
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"


def test_another_municipality_refuses_the_key(client: Any, office: Any, platform: Any) -> None:
    tenant, admin, _ = office
    secret = create_key(client, tenant.slug, admin, ["inbox:read"])["secret"]
    other, _, _ = make_office(platform, client)
    refused = client.get(f"/api/v1/tenants/{other.slug}/inbox", headers=bearer(secret))
    assert refused.status_code == 403 and refused.json["code"] == "wrong_tenant"


def test_a_key_with_submissions_write_reaches_the_workflow(client: Any, office: Any) -> None:
    tenant, admin, _ = office
    writer = create_key(client, tenant.slug, admin, ["submissions:write"])["secret"]
    moved = client.post(
        f"/api/v1/tenants/{tenant.slug}/submissions/AK-2569-000001/transitions",
        json={"action": "no-such-action"},
        headers=bearer(writer),
    )
    # Let through by the key, then refused by the workflow for the action it names.
    assert moved.status_code not in (401, 403), moved.json
    assert moved.status_code >= 400 and moved.json["code"] not in ("insufficient_scope", "unauthorized")


def test_a_revoked_or_unknown_key_is_unauthorized(client: Any, office: Any) -> None:
    tenant, admin, _ = office
    made = create_key(client, tenant.slug, admin, ["inbox:read"])
    url = f"/api/v1/tenants/{tenant.slug}/inbox"
    assert client.get(url, headers=bearer(made["secret"])).status_code == 200

    revoked = client.delete(f"/api/v1/tenants/{tenant.slug}/api-keys/{made['id']}", headers=bearer(admin))
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    after = client.get(url, headers=bearer(made["secret"]))
    assert after.status_code == 401 and after.json["code"] == "unauthorized"
    unknown = client.get(url, headers=bearer("ttk_" + "x" * 40))
    assert unknown.status_code == 401


def test_only_administrators_manage_keys(client: Any, office: Any) -> None:
    tenant, admin, clerk = office
    url = f"/api/v1/tenants/{tenant.slug}/api-keys"
    refused = client.post(url, json={"name": "x", "scopes": ["inbox:read"]}, headers=bearer(clerk))
    assert refused.status_code == 403
    assert client.get(url).status_code == 401
    bad = client.post(url, json={"name": "x", "scopes": ["everything"]}, headers=bearer(admin))
    assert bad.status_code == 400 and bad.json["code"] == "unknown_scope"
    missing = client.delete(f"{url}/999999", headers=bearer(admin))
    assert missing.status_code == 404 and missing.json["code"] == "api_key_not_found"


def test_officers_tokens_still_work_where_keys_are_taken(client: Any, office: Any) -> None:
    tenant, _, clerk = office
    inbox = client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(clerk))
    assert inbox.status_code == 200 and inbox.json["total"] == 1


def run_cli(platform: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": platform.settings.database_url,
        "THONGTHIN_DATA": str(platform.settings.data_dir),
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "thongthin"), "api-keys", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cli_creates_lists_and_revokes_keys(client: Any, office: Any, platform: Any) -> None:
    tenant, _, _ = office
    made = run_cli(platform, "create", "--tenant", tenant.slug, "--name", "cli key", "--scope", "inbox:read")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("ttk_")
    assert client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(secret)).status_code == 200

    listed = run_cli(platform, "list", "--tenant", tenant.slug)
    assert listed.returncode == 0 and "cli key" in listed.stdout and secret not in listed.stdout
    key_id = platform.db(ApiKey.get(tenant_id=tenant.id, name="cli key")).id

    revoked = run_cli(platform, "revoke", "--tenant", tenant.slug, str(key_id))
    assert revoked.returncode == 0, revoked.stderr
    assert client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(secret)).status_code == 401


def test_the_console_makes_and_revokes_keys(app: Any, platform: Any) -> None:
    from tests.integration.test_admin import csrf_token, make_town, officer_client

    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True  # the real check of every form post
    try:
        town = make_town(platform, roles=["admin"], prefix="AC")
        browser = officer_client(app, town, "admin")
        url = f"/{town.slug}/admin/console/api-keys"
        assert "คีย์ API" in browser.get(url).get_data(as_text=True)

        refused = browser.post(url, data={"csrf_token": csrf_token(browser, url), "name": "ระบบจังหวัด"})
        assert refused.status_code == 422

        made = browser.post(
            url, data={"csrf_token": csrf_token(browser, url), "name": "ระบบจังหวัด", "scopes": ["inbox:read"]}
        )
        assert made.status_code == 200
        secret = re.search(r'id="api-key-secret">(ttk_[^<]+)<', made.get_data(as_text=True))
        assert secret
        api = app.test_client()
        assert (
            api.get(f"/api/v1/tenants/{town.slug}/inbox", headers=bearer(secret.group(1))).status_code == 200
        )
        listed = browser.get(url).get_data(as_text=True)
        assert "ระบบจังหวัด" in listed and secret.group(1) not in listed

        key = platform.db(ApiKey.get(tenant_id=town.tenant.id))
        revoked = browser.post(
            f"{url}/{key.id}/revoke", data={"csrf_token": csrf_token(browser, url)}, follow_redirects=True
        )
        assert revoked.status_code == 200 and "ยกเลิกแล้ว" in revoked.get_data(as_text=True)
        assert (
            api.get(f"/api/v1/tenants/{town.slug}/inbox", headers=bearer(secret.group(1))).status_code == 401
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = before
