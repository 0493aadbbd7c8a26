"""The studio: the national operator's analysts author services without editing JSON by hand.

Through the JSON API (scripted drafts) and through the pages (forms that work without
JavaScript), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import io
import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from engine.definitions.bundle import read_bundle
from engine.services import accounts, catalog, submissions, tenants
from engine.services.effects import run_pending
from engine.services.studio import to_zip
from engine.store.models import IssuedDocument, PublishedService
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from signing.verify import verify_pdf
from tests.integration.test_admin import csrf_token
from tests.integration.test_portal import Page, check_markup
from thongthin.demo import DEMO_PASSWORD
from thongthin.runners import runners_for

pytestmark = pytest.mark.db

SEED = [
    "building-permit",
    "complaint",
    "elderly-allowance",
    "food-premises-notification",
    "garbage-fee",
    "general-petition",
    "wastewater-fee",
]


@pytest.fixture(scope="module")
def town(platform: Any) -> Any:
    slug = f"s{uuid.uuid4().hex[:8]}"

    async def make() -> Any:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาลตำบล {slug}",
            name_en=slug,
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="ST",
        )
        officer = await accounts.create_user(tenant, f"{slug}.clerk", DEMO_PASSWORD, "เจ้าหน้าที่", ["clerk"])
        return tenant, officer

    return platform.db(make())


def test_only_an_operator_reaches_the_studio(app: Any, town: Any):
    client = app.test_client()
    assert client.get("/api/v1/studio/catalog").status_code == 401
    tenant, officer = town
    officer_token = client.post(
        "/api/v1/auth/token",
        json={"tenant": tenant.slug, "username": officer.username, "password": DEMO_PASSWORD},
    ).json["token"]
    refused = client.get("/api/v1/studio/catalog", headers={"Authorization": f"Bearer {officer_token}"})
    # A live officer's token is known, and not enough: 403, with the reason in Thai.
    assert refused.status_code == 403 and refused.json["code"] == "forbidden", refused.json
    assert "ผู้ดูแลระดับประเทศ" in refused.json["message_th"]
    unknown = client.get("/api/v1/studio/catalog", headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and unknown.json["code"] == "unauthorized"
    page = client.get("/studio/drafts/anything")
    assert page.status_code == 302 and "/studio/login" in page.location
    # An officer of a municipality cannot log in to the studio with their own password.
    login = client.post(
        "/studio/login",
        data={
            "csrf_token": csrf_token(client, "/studio/login"),
            "username": officer.username,
            "password": DEMO_PASSWORD,
        },
    )
    assert login.status_code == 401


def test_a_draft_is_scripted_checked_and_published_through_the_api(
    app: Any, platform: Any, token: dict[str, str], analyst: str
):
    client = app.test_client()
    service_id = f"hall-{uuid.uuid4().hex[:6]}"
    created = client.post(
        "/api/v1/studio/drafts", json={"id": service_id, "copy_of": "general-petition"}, headers=token
    )
    assert created.status_code == 201, created.json
    draft = created.json
    assert draft["problems"] == [] and draft["service"]["id"] == service_id
    assert draft["suggested_version"] == "1.0.0" and draft["service"]["version"] == "1.0.0"

    broken = copy.deepcopy({key: draft[key] for key in ("service", "form", "ui", "workflow")})
    broken["ui"]["steps"][0]["fields"][0]["pointer"] = "/nobody/here"
    saved = client.put(
        f"/api/v1/studio/drafts/{service_id}", json={**broken, "revision": draft["revision"]}, headers=token
    )
    assert saved.status_code == 200
    assert {"file": "ui.json", "pointer": "/steps/0/fields/0/pointer"} in [
        {"file": p["file"], "pointer": p["pointer"]} for p in saved.json["problems"]
    ]
    refused = client.post(
        f"/api/v1/studio/drafts/{service_id}/publish", json={"version": "1.0.0"}, headers=token
    )
    assert refused.status_code == 422 and refused.json["code"] == "invalid_definition"
    assert any(p["pointer"] == "/steps/0/fields/0/pointer" for p in refused.json["problems"])
    stale = client.put(
        f"/api/v1/studio/drafts/{service_id}",
        json={
            **{key: draft[key] for key in ("service", "form", "ui", "workflow")},
            "revision": draft["revision"],
        },
        headers=token,
    )
    assert stale.status_code == 409

    fixed = client.put(
        f"/api/v1/studio/drafts/{service_id}",
        json={
            **{key: draft[key] for key in ("service", "form", "ui", "workflow")},
            "revision": saved.json["revision"],
        },
        headers=token,
    )
    assert fixed.status_code == 200 and fixed.json["problems"] == []
    published = client.post(
        f"/api/v1/studio/drafts/{service_id}/publish",
        json={"version": "1.0.0", "changelog": "บริการใหม่"},
        headers=token,
    )
    assert published.status_code == 201, published.json
    assert published.json["version"] == "1.0.0"
    again = client.post(
        f"/api/v1/studio/drafts/{service_id}/publish", json={"version": "1.0.0"}, headers=token
    )
    assert again.status_code == 200
    listed = client.get("/api/v1/studio/catalog", headers=token).json["services"]
    assert [v["version"] for s in listed if s["id"] == service_id for v in s["versions"]] == ["1.0.0"]
    assert platform.definition(service_id, "1.0.0").service.title.th

    # A change after publishing: the next version is suggested from what changed.
    changed = {key: fixed.json[key] for key in ("service", "form", "ui", "workflow")}
    changed["service"]["summary"]["th"] += " (ปรับปรุงถ้อยคำ)"
    patched = client.put(f"/api/v1/studio/drafts/{service_id}", json=changed, headers=token)
    assert patched.json["suggested_version"] == "1.0.1"
    assert [c["area"] for c in patched.json["changes"]] == ["text"]
    assert (
        client.post(
            f"/api/v1/studio/drafts/{service_id}/publish", json={"version": "1.0.1"}, headers=token
        ).status_code
        == 201
    )
    compared = studio_client(app, analyst).get(f"/studio/services/{service_id}/diff?from=1.0.0&to=1.0.1")
    assert compared.status_code == 200
    page = compared.get_data(as_text=True)
    assert 'data-bump="patch"' in page and "สิ่งที่เปลี่ยนจากรุ่น 1.0.0 เป็นรุ่น 1.0.1" in page

    exported = client.get(f"/api/v1/studio/drafts/{service_id}/export", headers=token)
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(exported.data)).namelist()
    assert f"{service_id}/service.json" in names and any(
        n.startswith(f"{service_id}/examples/valid-") for n in names
    )
    assert client.delete(f"/api/v1/studio/drafts/{service_id}", headers=token).status_code == 204
    assert client.get(f"/api/v1/studio/drafts/{service_id}", headers=token).status_code == 404


@pytest.mark.parametrize("service_id", SEED)
def test_every_catalog_service_round_trips_through_the_studio(
    app: Any, platform: Any, token: dict[str, str], service_id: str, tmp_path: Path
):
    """Export → import into the studio → publish → export gives equal documents."""
    client = app.test_client()
    row = platform.db(catalog.find_version(service_id))
    imported = client.post("/api/v1/studio/import", data=to_zip(catalog.bundle_of(row)), headers=token)
    assert imported.status_code == 201, imported.json
    assert imported.json["problems"] == []
    assert imported.json["suggested_version"] == row.version.rsplit(".", 1)[0] + "." + str(
        int(row.version.rsplit(".", 1)[1]) + 1
    )
    published = client.post(
        f"/api/v1/studio/drafts/{service_id}/publish", json={"version": row.version}, headers=token
    )
    assert published.status_code == 200, published.json  # the same content: nothing new to publish
    assert published.json["content_hash"] == row.content_hash
    platform.db(catalog.export(service_id, row.version, tmp_path / "out"))
    problems: list[Any] = []
    exported = read_bundle(tmp_path / "out", problems)
    assert exported is not None and not problems
    assert exported.documents == row.documents and exported.files == row.files
    client.delete(f"/api/v1/studio/drafts/{service_id}", headers=token)


def studio_client(app: Any, analyst: str) -> Any:
    client = app.test_client()
    response = client.post(
        "/studio/login",
        data={
            "csrf_token": csrf_token(client, "/studio/login"),
            "username": analyst,
            "password": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client: Any, url: str, page: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def test_an_analyst_builds_a_hall_booking_in_the_pages_and_a_municipality_issues_its_permit(
    app: Any, platform: Any, analyst: str, town: Any
):
    """The pages alone: a copy of the general petition becomes a hall booking with a date, a condition,
    a fee, a permit signed by the mayor; it is previewed, published, enabled, applied for, approved, issued."""
    client = studio_client(app, analyst)
    service_id = f"hall-{uuid.uuid4().hex[:6]}"
    index = "/studio/"
    assert post(client, "/studio/drafts", index, id=service_id, copy_of="general-petition").status_code == 302
    page = f"/studio/drafts/{service_id}"
    html = client.get(page).get_data(as_text=True)
    assert "data-problems-none" in html

    def ok(response: Any) -> None:
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]

    ok(
        post(
            client,
            f"{page}/service",
            page,
            title_th="ขอใช้อาคารสถานที่สาธารณะ",
            title_en="Book a public hall",
            summary_th="ขอใช้ห้องประชุมหรืออาคารของเทศบาลเพื่อจัดกิจกรรม",
            summary_en="Book a municipal hall for an event.",
            category="permit",
        )
    )
    ok(
        post(
            client, f"{page}/steps", page, step_id="booking", title_th="การขอใช้สถานที่", title_en="Your booking"
        )
    )
    fields_url = f"{page}/fields"
    ok(
        post(
            client,
            fields_url,
            f"{fields_url}?step=booking",
            step="booking",
            name="booking/date",
            widget="date",
            label_th="วันที่ขอใช้สถานที่",
            label_en="Date of use",
            required="yes",
        )
    )
    ok(
        post(
            client,
            fields_url,
            f"{fields_url}?step=booking",
            step="booking",
            name="booking/hall",
            widget="radio",
            label_th="สถานที่ที่ขอใช้",
            label_en="Hall",
            required="yes",
            options="meeting | ห้องประชุมเทศบาล | Council meeting room\ncourt | ลานกีฬาเอนกประสงค์ | Sports court",
        )
    )
    ok(
        post(
            client,
            fields_url,
            f"{fields_url}?step=booking",
            step="booking",
            name="booking/sound",
            widget="checkbox",
            label_th="ขอใช้เครื่องเสียง",
            label_en="Use of the sound system",
            when_pointer="/booking/hall",
            when_equals="court",
        )
    )
    # A refused edit keeps the analyst on the form with a message in the summary.
    refused = post(
        client,
        fields_url,
        f"{fields_url}?step=booking",
        step="booking",
        name="Booking Date!",
        widget="date",
        label_th="วันที่",
        label_en="Date",
    )
    assert refused.status_code == 422 and "error-summary" in refused.get_data(as_text=True)

    ok(
        post(
            client,
            f"{page}/fees",
            page,
            fee_id="hall_fee",
            title_th="ค่าธรรมเนียมการใช้สถานที่",
            title_en="Hall fee",
            amount="500",
        )
    )
    ok(
        post(
            client,
            f"{page}/documents",
            page,
            document_id="permit",
            title_th="หนังสืออนุญาตให้ใช้สถานที่",
            title_en="Hall use permit",
            signer_role="mayor",
            position_th="นายกเทศมนตรี",
        )
    )
    ok(
        post(
            client,
            f"{page}/states",
            page,
            state="awaiting_mayor",
            title_th="รอนายกเทศมนตรีพิจารณา",
            title_en="Awaiting the mayor",
            message_th="เรื่องของท่านอยู่ระหว่างการพิจารณาของนายกเทศมนตรี",
            assignees="mayor",
            sla="P3D",
        )
    )
    ok(
        post(
            client,
            f"{page}/states",
            page,
            state="permitted",
            title_th="อนุญาตแล้ว",
            title_en="Permitted",
            message_th="เทศบาลอนุญาตให้ใช้สถานที่แล้ว ท่านดาวน์โหลดหนังสืออนุญาตได้",
            outcome="approved",
        )
    )
    ok(
        post(
            client,
            f"{page}/transitions",
            page,
            action="propose",
            title_th="เสนอนายกเทศมนตรี",
            title_en="Propose to the mayor",
            **{"from": "submitted"},
            to="awaiting_mayor",
            roles="clerk",
        )
    )
    ok(
        post(
            client,
            f"{page}/transitions",
            page,
            action="permit",
            title_th="อนุญาต",
            title_en="Permit",
            **{"from": "awaiting_mayor"},
            to="permitted",
            roles="mayor",
            effect="issue_document:permit",
        )
    )

    html = client.get(page).get_data(as_text=True)
    assert "data-problems-none" in html, re.findall(r"<li><code>.*?</li>", html)[:10]
    assert "<svg" in html and 'data-state="awaiting_mayor"' in html
    check_markup(Page(html))  # every input labelled, ids unique, one h1, legends for fieldsets

    # Data roles: a phone that is not a phone field is named as a problem at its pointer, then fixed.
    roles = {"applicant_name": "/petitioner/name", "phone": "/petition/subject", "retention": "P2Y"}
    ok(post(client, f"{page}/roles", page, **roles))
    html = client.get(page).get_data(as_text=True)
    assert "service.json:/data_roles/phone" in html and "phone widget" in html
    assert re.search(r'href="[^"]*#data-roles" data-problem-link', html), (
        "the problem links to where it is fixed"
    )
    ok(post(client, f"{page}/roles", page, **{**roles, "phone": "/petitioner/phone"}))
    assert "data-problems-none" in client.get(page).get_data(as_text=True)
    preview = client.get(f"{page}/preview/booking")
    assert preview.status_code == 200 and "วันที่ขอใช้สถานที่" in preview.get_data(as_text=True)
    errors = post(client, f"{page}/preview/booking", f"{page}/preview/booking")
    assert errors.status_code == 422 and "กรุณา" in errors.get_data(as_text=True)

    specimen = client.get(f"{page}/documents/permit.pdf")
    assert specimen.status_code == 200 and specimen.data.startswith(b"%PDF-")
    assert "หนังสืออนุญาตให้ใช้สถานที่" in pdf_text(specimen.data)
    # Played, the mayor's permission issues the permit: the run links to its specimen.
    play = f"{page}/play"
    assert post(client, play, play, role="clerk", action="propose").status_code == 200
    permitted = post(client, play, play, role="mayor", action="permit").get_data(as_text=True)
    link = re.search(r'data-effect="issue_document"><a href="([^"]+)"', permitted)
    assert link and client.get(link.group(1)).data.startswith(b"%PDF-")

    ok(post(client, f"{page}/publish", page, version="1.0.0", changelog="บริการใหม่: ขอใช้อาคารสถานที่สาธารณะ"))
    assert platform.db(PublishedService.filter(service_id=service_id).count()) == 1

    # A municipality offers it; a citizen applies through the API; the officers approve; the permit is issued.
    tenant, officer = town
    definition = platform.definition(service_id, "1.0.0")

    async def offer() -> Any:
        await tenants.enable_version(tenant, definition)
        return await accounts.create_user(
            tenant, f"{tenant.slug}.mayor.{service_id}", DEMO_PASSWORD, "นายกเทศมนตรี", ["mayor"]
        )

    mayor = platform.db(offer())
    example = json.loads(
        platform.db(catalog.find_version(service_id)).files["examples/valid-information-pickup-minimal.json"]
    )
    example["booking"] = {"date": "2027-02-14", "hall": "court", "sound": True}
    response = app.test_client().post(
        f"/api/v1/tenants/{tenant.slug}/services/{service_id}/submissions", json=example
    )
    assert response.status_code == 201, response.json
    reference = response.json["reference"]
    platform.db(submissions.transition(tenant, definition, reference, "propose", {"clerk"}, actor=officer))
    platform.db(submissions.transition(tenant, definition, reference, "permit", {"mayor"}, actor=mayor))
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(
        platform.settings.data_dir / "pki",
        [Officer(tenant.slug, "mayor", mayor.display_name, tenant.name_th)],
        url=server.url,
    )
    server.start(pki)
    try:
        platform.db(run_pending(runners_for(platform), limit=1000))
    finally:
        server.stop()
    issued = platform.db(IssuedDocument.filter(tenant_id=tenant.id, document_id="permit"))
    assert [d.status for d in issued] == ["issued"]
    pdf = platform.blobs.get(issued[0].blob_key)
    report = verify_pdf(pdf, pki.trust_roots())
    assert report.status == "valid", report


def test_the_operator_adds_imports_and_equips_municipalities_in_the_studio(
    app: Any, platform: Any, analyst: str
):
    from tests.integration.test_tenant_onboarding import register, three_rows

    client = studio_client(app, analyst)
    page = "/studio/tenants"
    assert client.get(page).status_code == 200
    slug = f"new{uuid.uuid4().hex[:6]}"
    created = post(
        client,
        page,
        page,
        slug=slug,
        name_th="เทศบาลตำบลทดลอง",
        province="เชียงใหม่",
        kind="เทศบาลตำบล",
        admin=f"{slug}.admin",
    )
    html = created.get_data(as_text=True)
    assert created.status_code == 201 and f'data-created="{slug}"' in html
    link = re.search(r"<code data-setup-link>([^<]+)</code>", html)
    assert link and f"/{slug}/admin/setup/" in link.group(1)
    refused = post(client, page, page, slug=slug, name_th="ซ้ำ", province="เชียงใหม่", kind="เทศบาลตำบล")
    assert refused.status_code == 422 and "error-summary" in refused.get_data(as_text=True)
    assert f"มีหน่วยงานที่ใช้ชื่อย่อ {slug} อยู่แล้ว" in refused.get_data(as_text=True)
    unnamed = post(client, page, page, slug="Bad Slug", province="เชียงใหม่", kind="อบต.").get_data(
        as_text=True
    )
    assert "กรุณาระบุชื่อหน่วยงาน" in unnamed and "ชื่อย่อในที่อยู่เว็บต้องมี 2 ถึง 40 ตัวอักษร" in unnamed

    rows = three_rows()
    imported = client.post(
        f"{page}/import",
        data={
            "csrf_token": csrf_token(client, page),
            "register": (io.BytesIO(register(rows)), "register.csv"),
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    rows[1][1] = "สภาตำบล"  # not a kind of local administration any more
    broken = client.post(
        f"{page}/import",
        data={
            "csrf_token": csrf_token(client, page),
            "register": (io.BytesIO(register(rows)), "register.csv"),
        },
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422 and "บรรทัดที่ 3" in broken.get_data(as_text=True)

    listed = client.get(page).get_data(as_text=True)
    imported_slugs = re.findall(r'data-tenant="(t\d+)"', listed)
    chosen = [slug, *[s for s in imported_slugs if s.removeprefix("t") in {r[0] for r in rows}]]
    assert len(chosen) == 4
    enabled = client.post(
        f"{page}/enable",
        data={"csrf_token": csrf_token(client, page), "service": "complaint", "tenant": chosen},
    )
    assert enabled.status_code == 302
    offered = platform.db(tenants.enabled_services(platform.db(tenants.get_tenant(slug))))
    assert [e.service_id for e in offered] == ["complaint"]
    for other in chosen[1:]:
        assert [
            e.service_id
            for e in platform.db(tenants.enabled_services(platform.db(tenants.get_tenant(other))))
        ] == ["complaint"]


def pdf_text(pdf: bytes) -> str:
    import subprocess

    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, timeout=60, check=True)
    return done.stdout.decode("utf-8")


def test_attachments_are_added_with_their_rules_and_removed_with_their_field(app: Any, analyst: str):
    client = studio_client(app, analyst)
    service_id = f"blank-{uuid.uuid4().hex[:6]}"
    assert post(client, "/studio/drafts", "/studio/", id=service_id).status_code == 302
    page = f"/studio/drafts/{service_id}"
    added = post(
        client,
        f"{page}/attachments",
        page,
        step="request",
        attachment_id="floor_plan",
        name="request/floor_plan",
        title_th="แผนผังการจัดสถานที่",
        title_en="Floor plan",
        accept=["application/pdf"],
        max_megabytes="5",
        max_files="2",
        required="yes",
    )
    assert added.status_code == 302, added.get_data(as_text=True)[-2000:]
    html = client.get(page).get_data(as_text=True)
    assert "data-problems-none" in html, re.findall(r"<li><code>.*?</li>", html)[:5]
    assert "floor_plan" in html and "2 × 5 MB" in html
    refused = post(
        client, f"{page}/attachments", page, step="request", attachment_id="x", name="request/x", title_th="x"
    )
    assert refused.status_code == 422 and "กรุณาเลือกชนิดไฟล์อย่างน้อย 1 ชนิด" in refused.get_data(as_text=True)
    assert post(client, f"{page}/fields/remove", page, pointer="/request/floor_plan").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "data-problems-none" in html and "data-attachments" not in html


def test_the_workflow_is_tried_as_each_role_without_storing_anything(app: Any, platform: Any, analyst: str):
    from engine.store.models import Submission

    client = studio_client(app, analyst)
    service_id = f"try-{uuid.uuid4().hex[:6]}"
    assert (
        post(client, "/studio/drafts", "/studio/", id=service_id, copy_of="general-petition").status_code
        == 302
    )
    play = f"/studio/drafts/{service_id}/play"
    before = platform.db(Submission.all().count())
    page = client.get(play).get_data(as_text=True)
    assert 'data-state="submitted"' in page and 'data-role="clerk"' in page
    # The department officer has nothing to do yet; the applicant may withdraw.
    assert re.search(r'data-role="department_officer">.*?ไม่มีการดำเนินการ', page, re.S)
    routed = post(client, play, play, role="clerk", action="route")
    assert routed.status_code == 200 and 'data-state="in_department"' in routed.get_data(as_text=True)
    refused = post(client, play, play, role="clerk", action="draft_answer")  # not the clerk's to take
    assert refused.status_code == 422 and "error-summary" in refused.get_data(as_text=True)
    drafted = post(client, play, play, role="department_officer", action="draft_answer")
    approved = post(client, play, play, role="department_head", action="approve_answer")
    html = approved.get_data(as_text=True)
    assert drafted.status_code == 200 and 'data-state="answered"' in html and "คำขอสิ้นสุดแล้ว" in html
    assert len(re.findall(r"<li>", html.split("data-log", 1)[1].split("</ol>", 1)[0])) == 3
    assert platform.db(Submission.all().count()) == before, "a test run stores no application"
    again = post(client, play, play, restart="yes")
    assert 'data-state="submitted"' in again.get_data(as_text=True)


def test_actions_and_states_are_changed_with_votes_texts_conditions_and_messages(
    app: Any, platform: Any, analyst: str
):
    client = studio_client(app, analyst)
    service_id = f"vote-{uuid.uuid4().hex[:6]}"
    assert (
        post(client, "/studio/drafts", "/studio/", id=service_id, copy_of="general-petition").status_code
        == 302
    )
    page = f"/studio/drafts/{service_id}"
    workflow = platform.db(_draft_documents(service_id))["workflow.json"]
    index = next(i for i, t in enumerate(workflow["transitions"]) if t["action"] == "approve_answer")
    edit = f"{page}/transitions/{index}"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="approve_answer"' in form and 'option value="awaiting_approval" selected' in form
    check_markup(Page(form))

    def change(**extra: Any) -> Any:
        return post(
            client,
            edit,
            edit,
            action="approve_answer",
            title_th="อนุมัติคำตอบ",
            title_en="Approve the answer",
            **{"from": "awaiting_approval"},
            to="answered",
            roles=["department_head", "clerk"],
            **extra,
        )

    # A vote needs two roles at least; the refusal is shown at its field and nothing changes.
    refused = post(
        client,
        edit,
        edit,
        action="approve_answer",
        title_th="อนุมัติ",
        **{"from": "awaiting_approval"},
        to="answered",
        roles="department_head",
        quorum="all",
    )
    refused_html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'href="#quorum"' in refused_html
    assert 'value="อนุมัติ"' in refused_html, "what the analyst typed is kept"
    saved = change(
        quorum="all",
        ask="required",
        ask_label_th="ความเห็นประกอบการอนุมัติ",
        ask_label_en="Reasons for approval",
        ask_min_length="5",
        ask_to_applicant="when_closed",
        guard_paid="yes",
        guard_message_th="ผู้ยื่นคำขอยังไม่ได้ชำระค่าธรรมเนียม",
        notify_th="เทศบาลตอบคำร้องของท่านแล้ว",
        notify_en="The municipality has answered your petition",
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    changed = platform.db(_draft_documents(service_id))["workflow.json"]["transitions"][index]
    assert changed["quorum"] == {"mode": "all"} and changed["input"]["required"] == ["message"]
    assert changed["input_ui"][0]["to_applicant"] == "when_closed"
    assert changed["guard"]["properties"]["context"]["properties"]["payment"] == {"const": "paid"}
    assert {
        "type": "notify",
        "to": "applicant",
        "message": {"th": "เทศบาลตอบคำร้องของท่านแล้ว", "en": "The municipality has answered your petition"},
    } in changed["effects"]
    assert "data-problems-none" in client.get(page).get_data(as_text=True)
    again = client.get(edit).get_data(as_text=True)
    assert 'option value="all" selected' in again and 'option value="clerk" selected' in again
    assert "ความเห็นประกอบการอนุมัติ" in again and 'name="guard_paid" value="yes" checked' in again

    # The state where the applicant is asked for more no longer counts towards the time limit.
    state = f"{page}/states/needs_info"
    assert "needs_info" in client.get(state).get_data(as_text=True)
    kept = workflow["states"]["needs_info"]
    assert (
        post(
            client,
            state,
            state,
            title_th=kept["title"]["th"],
            title_en=kept["title"]["en"],
            message_th=kept["applicant_message"]["th"],
            assignees=kept["assignees"],
            sla="P15D",
            pauses_sla="yes",
        ).status_code
        == 302
    )
    needs_info = platform.db(_draft_documents(service_id))["workflow.json"]["states"]["needs_info"]
    assert needs_info["pauses_sla"] is True and needs_info["sla"] == "P15D"

    # Played: unpaid, the head is told why; paid, the head's vote waits for the clerk's.
    play = f"{page}/play"
    for role, action in (("clerk", "route"), ("department_officer", "draft_answer")):
        assert post(client, play, play, role=role, action=action).status_code == 200
    unpaid = post(client, play, play, role="department_head", action="approve_answer")
    assert unpaid.status_code == 422 and "ผู้ยื่นคำขอยังไม่ได้ชำระค่าธรรมเนียม" in unpaid.get_data(as_text=True)
    post(client, play, play, paid="yes")
    voted = post(client, play, play, role="department_head", action="approve_answer").get_data(as_text=True)
    assert 'data-state="awaiting_approval"' in voted
    answered = post(client, play, play, role="clerk", action="approve_answer").get_data(as_text=True)
    assert 'data-state="answered"' in answered
    assert "ระบบแจ้งผู้ยื่นคำขอว่า “เทศบาลตอบคำร้องของท่านแล้ว”" in answered


async def _draft_documents(service_id: str) -> dict[str, Any]:
    from engine.store.models import ServiceDraft

    draft = await ServiceDraft.get(service_id=service_id)
    return dict(draft.documents)


def test_a_repeated_group_is_built_question_by_question_and_taken_by_the_api(
    app: Any, platform: Any, analyst: str, town: Any
):
    client = studio_client(app, analyst)
    service_id = f"group-{uuid.uuid4().hex[:6]}"
    assert (
        post(client, "/studio/drafts", "/studio/", id=service_id, copy_of="general-petition").status_code
        == 302
    )
    page = f"/studio/drafts/{service_id}"
    fields = f"{page}/fields"
    assert (
        post(
            client, f"{page}/steps", page, step_id="co", title_th="ผู้ร่วมยื่น", title_en="Co-applicants"
        ).status_code
        == 302
    )

    def group(**extra: Any) -> Any:
        return post(
            client,
            fields,
            f"{fields}?step=co",
            step="co",
            name="co_applicants",
            widget="repeat",
            label_th="ผู้ร่วมยื่นคำร้อง",
            label_en="Co-applicants",
            item_label_th="ผู้ร่วมยื่นคำร้อง",
            item_label_en="Co-applicant",
            required="yes",
            **extra,
        )

    assert group(min_items="1", max_items="5").status_code == 302
    add = f"{fields}?group=/co_applicants"
    assert "ผู้ร่วมยื่นคำร้อง" in client.get(add).get_data(as_text=True)
    refused = post(client, fields, add, group="/co_applicants", name="id_card", widget="file", label_th="บัตร")
    assert refused.status_code == 422 and "error-summary" in refused.get_data(as_text=True)
    for name, widget, label, required in (
        ("name", "text", "ชื่อและนามสกุล", "yes"),
        ("phone", "phone", "หมายเลขโทรศัพท์", ""),
    ):
        response = post(
            client,
            fields,
            add,
            group="/co_applicants",
            name=name,
            widget=widget,
            label_th=label,
            required=required,
        )
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    html = client.get(page).get_data(as_text=True)
    assert "data-problems-none" in html, re.findall(r"<li><code>.*?</li>", html)[:5]
    assert 'data-field="/co_applicants/*/name"' in html
    # Changing the group keeps its questions; removing a question takes it out of the examples too.
    assert group(min_items="1", max_items="3").status_code == 302
    documents = platform.db(_draft_documents(service_id))
    schema = documents["form.json"]["properties"]["co_applicants"]
    assert schema["maxItems"] == 3 and schema["items"]["required"] == ["name"]
    assert (
        post(client, f"{page}/fields/remove", page, group="/co_applicants", pointer="/phone").status_code
        == 302
    )
    documents = platform.db(_draft_documents(service_id))
    assert "phone" not in documents["form.json"]["properties"]["co_applicants"]["items"]["properties"]
    edit = client.get(f"{fields}?group=/co_applicants&pointer=/name").get_data(as_text=True)
    assert 'value="name"' in edit and 'name="required" value="yes" checked' in edit

    preview = f"{page}/preview/co"
    assert "ผู้ร่วมยื่นคำร้อง" in client.get(preview).get_data(as_text=True)
    assert post(client, f"{page}/publish", page, version="1.0.0", changelog="ผู้ร่วมยื่นคำร้อง").status_code == 302

    tenant, _ = town
    definition = platform.definition(service_id, "1.0.0")
    platform.db(tenants.enable_version(tenant, definition))
    example = json.loads(
        platform.db(catalog.find_version(service_id)).files["examples/valid-information-pickup-minimal.json"]
    )
    url = f"/api/v1/tenants/{tenant.slug}/services/{service_id}/submissions"
    example["co_applicants"] = [{"name": f"ผู้ร่วม {i}"} for i in range(4)]
    too_many = app.test_client().post(url, json=example)
    assert too_many.status_code == 422 and "/co_applicants" in json.dumps(too_many.json)
    example["co_applicants"] = [{"name": "นางสาวสมใจ ใจดี"}, {"name": "นายสมชาย ใจดี"}]
    assert app.test_client().post(url, json=example).status_code == 201


def test_check_problems_link_to_the_page_that_fixes_them(app: Any, catalog: Any):
    from studio.views import problem_link

    definition = catalog.get("general-petition")
    documents = {
        "service.json": definition.service.model_dump(mode="json", by_alias=True, exclude_none=True),
        "form.json": definition.form,
        "ui.json": definition.ui.model_dump(mode="json", by_alias=True, exclude_none=True),
        "workflow.json": definition.workflow.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    first = documents["ui.json"]["steps"][0]
    field = first["fields"][1]["pointer"]
    nested = next(
        f["pointer"]
        for s in documents["ui.json"]["steps"]
        for f in s["fields"]
        if f["pointer"].count("/") > 1
    )
    form_pointer = "".join(f"/properties/{p}" for p in nested.strip("/").split("/")) + "/maxLength"
    with app.test_request_context():

        def link(file: str, pointer: str) -> str:
            return problem_link("hall", documents, file, pointer)

        assert link("workflow.json", "/states/needs_info/sla") == "/studio/drafts/hall/states/needs_info"
        assert link("workflow.json", "/transitions/3/guard") == "/studio/drafts/hall/transitions/3"
        assert link("workflow.json", "/initial") == "/studio/drafts/hall#workflow"
        assert link("ui.json", "/steps/0/fields/1/label").endswith("pointer=" + field)
        assert link("ui.json", "/steps/0/title") == f"/studio/drafts/hall#step-{first['id']}"
        assert link("form.json", form_pointer).endswith("pointer=" + nested)
        assert link("service.json", "/fees/0/amount") == "/studio/drafts/hall#fees"
        assert link("service.json", "/title") == ""


def test_a_new_order_names_every_step_or_field_once(app: Any, platform: Any, analyst: str):
    client = studio_client(app, analyst)
    service_id = f"order-{uuid.uuid4().hex[:6]}"
    post(client, "/studio/drafts", "/studio/", id=service_id, copy_of="general-petition")
    page = f"/studio/drafts/{service_id}"
    steps = [s["id"] for s in platform.db(_draft_documents(service_id))["ui.json"]["steps"]]
    refused = post(client, f"{page}/steps/order", page, order=steps[1:])
    assert refused.status_code == 422 and "กรุณาระบุทุกขั้นตอนครั้งละหนึ่งครั้งตามลำดับใหม่" in refused.get_data(
        as_text=True
    )
    assert post(client, f"{page}/steps/order", page, order=[*reversed(steps)]).status_code == 302
    documents = platform.db(_draft_documents(service_id))
    assert [s["id"] for s in documents["ui.json"]["steps"]] == [*reversed(steps)]
    first = documents["ui.json"]["steps"][0]
    pointers = [f["pointer"] for f in first["fields"]]
    url = f"{page}/steps/{first['id']}/fields/order"
    assert post(client, url, page, order=[*pointers, pointers[0]]).status_code == 422
    assert post(client, url, page, order=[*reversed(pointers)]).status_code == 302
    after = platform.db(_draft_documents(service_id))["ui.json"]["steps"][0]["fields"]
    assert [f["pointer"] for f in after] == [*reversed(pointers)]
