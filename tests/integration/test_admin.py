"""The back office through the Flask test client, CSRF on, on SQLite and on PostgreSQL (+ S3).

Officers log in through the login form (the CSRF token read from the rendered page), work
their inbox and move a food-premises notification from its first state to the issued
certificate; the console's admin enables services, sets local fees and grants roles; and
officers of a second municipality are refused every admin route with the first's data.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from werkzeug.routing import Rule

from engine.services import accounts, desk, submissions, tenants
from engine.services.roles import NOT_FOR_OFFICERS
from engine.store.models import Attachment, AuditEntry, EnabledService, RoleGrant, Submission, User
from tests.conftest import EXAMPLES, read
from tests.uploads import with_stored_files
from thongthin.demo import DEMO_PASSWORD

FOOD = "food-premises-notification"
PREFIX = "/<tenant>/admin"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Town:
    slug: str
    tenant: Any
    users: dict[str, str] = field(default_factory=dict)  # role -> username of an officer with only it
    ids: dict[str, int] = field(default_factory=dict)  # username -> user id


@pytest.fixture(scope="module", autouse=True)
def csrf_on(app: Any) -> Any:
    """The real thing: Flask-WTF checks the token of every form post in these tests."""
    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = before


def make_town(
    platform: Any,
    *,
    roles: list[str] | None = None,
    extra: dict[str, list[str]] | None = None,
    prefix: str = "AD",
) -> Town:
    """A new municipality with every catalog service and one officer per role (``admin`` included).

    ``roles`` limits the officers to those roles (password hashing makes each one cost time).
    """
    slug = f"a{uuid.uuid4().hex[:8]}"

    async def setup() -> Town:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาลทดสอบ {slug}",
            name_en=f"Test town {slug}",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix=prefix,
        )
        for definition in platform.catalog:
            await tenants.enable_service(tenant, definition)
        town = Town(slug, tenant)
        wanted = roles or [r for r in platform.catalog.roles if r not in NOT_FOR_OFFICERS]
        people = {f"{slug}.{role}": [role] for role in wanted} | {
            f"{slug}.{name}": held for name, held in (extra or {}).items()
        }
        for username, held in people.items():
            user = await accounts.create_user(tenant, username, DEMO_PASSWORD, f"เจ้าหน้าที่ {username}", held)
            town.ids[username] = user.id
            if len(held) == 1:
                town.users.setdefault(held[0], username)
        return town

    return platform.db(setup())


def submit_food(
    platform: Any, town: Town, example: str = "valid-noodle-shop-person.json"
) -> tuple[str, list[str]]:
    """A food-premises notification through the service layer, its files stored in the blob store.

    Returns the reference and the attachment ids (fresh ones: attachment ids are global).
    """
    data = copy.deepcopy(read(EXAMPLES / FOOD / example))
    ids = []
    for files in data["attachments"].values():
        for item in files:
            item["id"] = f"att_{uuid.uuid4().hex[:16]}"
            ids.append(item["id"])

    async def store() -> str:
        for files in data["attachments"].values():
            for item in files:
                content = f"file {item['id']} {item['filename']}".encode()
                key = f"tenant/{town.tenant.id}/attachments/{item['id']}"
                await Attachment.create(
                    id=item["id"],
                    tenant=town.tenant,
                    blob_key=key,
                    filename=item["filename"],
                    content_type=item["content_type"],
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                )
        receipt = await submissions.submit(town.tenant, platform.catalog.get(FOOD), data)
        return receipt.reference

    for files in data["attachments"].values():
        for item in files:
            content = f"file {item['id']} {item['filename']}".encode()
            platform.blobs.put(
                f"tenant/{town.tenant.id}/attachments/{item['id']}", content, item["content_type"]
            )
    return platform.db(store()), ids


def submit_example(platform: Any, town: Town, service_id: str, example: str | None = None) -> str:
    """An example submission, its files uploaded first as a citizen would."""
    path = (
        EXAMPLES / service_id / example
        if example
        else sorted((EXAMPLES / service_id).glob("valid-*.json"))[0]
    )
    definition = platform.catalog.get(service_id)

    async def store() -> Any:
        data = await with_stored_files(platform, town.tenant, definition, read(path))
        return await submissions.submit(town.tenant, definition, data)

    receipt = platform.db(store())
    return receipt.reference


def csrf_token(client: Any, url: str) -> str:
    page = client.get(url)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {url} ({page.status_code})"
    return found.group(1)


def login(
    client: Any, town: Town, username: str, password: str = DEMO_PASSWORD, code: str | None = None
) -> Any:
    url = f"/{town.slug}/admin/login"
    form = {"csrf_token": csrf_token(client, url), "username": username, "password": password}
    if code is not None:
        form["code"] = code
    return client.post(url, data=form)


def officer_client(app: Any, town: Town, role: str) -> Any:
    client = app.test_client()
    response = login(client, town, town.users[role])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_form(client: Any, url: str, data: dict[str, Any], *, page: str | None = None) -> Any:
    """POST ``data`` with the CSRF token of ``page`` (default: the same URL)."""
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def version_of(platform: Any, town: Town, reference: str) -> int:
    return platform.db(submissions.find(town.tenant, reference)).version


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    return make_town(platform)


@pytest.fixture(scope="module")
def other_town(platform: Any) -> Town:
    roles = [r for r in platform.catalog.roles if r not in NOT_FOR_OFFICERS]
    # Its own reference prefix: a reference of the first town must not happen to exist here too.
    return make_town(platform, extra={"everything": roles}, prefix="BD")


# --- login ------------------------------------------------------------------------------------


def test_login_success_and_failure(app: Any, town: Town):
    client = app.test_client()
    page = client.get(f"/{town.slug}/admin/login")
    assert page.status_code == 200
    html = text_of(page)
    assert 'name="username"' in html and 'name="password"' in html and 'name="code"' in html
    assert 'autocomplete="current-password"' in html

    wrong = login(client, town, town.users["clerk"], "not-the-password")
    assert wrong.status_code == 401
    assert "ชื่อผู้ใช้ รหัสผ่าน หรือรหัสยืนยันไม่ถูกต้อง" in text_of(wrong)
    assert 'value="' + town.users["clerk"] + '"' in text_of(wrong), "the username is kept"
    nobody = login(client, town, "nobody-at-all", "whatever-it-is")
    assert nobody.status_code == 401 and "ชื่อผู้ใช้ รหัสผ่าน หรือรหัสยืนยันไม่ถูกต้อง" in text_of(nobody)
    empty = login(client, town, "", "")
    assert empty.status_code == 401
    assert "กรุณากรอกชื่อผู้ใช้" in text_of(empty) and 'href="#password"' in text_of(empty)

    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    done = login(client, town, town.users["clerk"])
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/{town.slug}/admin/")
    with client.session_transaction() as session:
        assert "planted" not in session, "login starts a new session"
    inbox = client.get(f"/{town.slug}/admin/")
    assert inbox.status_code == 200 and town.users["clerk"] in text_of(inbox)


def test_login_needs_a_csrf_token(client: Any, town: Town):
    response = client.post(
        f"/{town.slug}/admin/login", data={"username": town.users["clerk"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 400


def test_login_to_another_municipality_is_refused_with_the_same_message(
    app: Any, town: Town, other_town: Town
):
    client = app.test_client()
    response = login(client, town, other_town.users["clerk"])
    assert response.status_code == 401
    assert "ชื่อผู้ใช้ รหัสผ่าน หรือรหัสยืนยันไม่ถูกต้อง" in text_of(response)
    assert client.get(f"/{town.slug}/admin/").status_code == 302


def test_pages_need_login_and_logout_ends_the_session(app: Any, town: Town):
    client = app.test_client()
    response = client.get(f"/{town.slug}/admin/console/services")
    assert response.status_code == 302
    assert f"/{town.slug}/admin/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
    back = login(client, town, town.users["admin"])
    assert back.status_code == 302  # no next here: the form was fetched without it

    client = app.test_client()
    url = f"/{town.slug}/admin/login?next=/{town.slug}/admin/console/services"
    token = csrf_token(client, url)
    done = client.post(
        url,
        data={"csrf_token": token, "username": town.users["admin"], "password": DEMO_PASSWORD},
    )
    assert done.headers["Location"].endswith(f"/{town.slug}/admin/console/services")
    evil = client.get(f"/{town.slug}/admin/login?next=https://evil.example/")
    assert 'name="next"' not in text_of(evil), "only paths of this back office are followed"

    out = post_form(client, f"/{town.slug}/admin/logout", {}, page=f"/{town.slug}/admin/")
    assert out.status_code == 302
    assert client.get(f"/{town.slug}/admin/").status_code == 302
    assert client.get(f"/{town.slug}/admin/logout").status_code == 405, "logout is a POST"


def test_unknown_municipality_is_404(client: Any):
    assert client.get("/no-such-town/admin/login").status_code == 404


# --- inbox ------------------------------------------------------------------------------------


def test_inbox_shows_only_my_roles_work_with_counts_and_sla_filters(app: Any, platform: Any):
    town = make_town(platform, roles=["clerk", "revenue_officer", "sanitarian"])
    food_overdue, _ = submit_food(platform, town)
    food_soon, _ = submit_food(platform, town, "valid-frozen-food-store-company.json")
    petition = submit_example(platform, town, "general-petition")  # the clerk's too
    garbage = submit_example(platform, town, "garbage-fee")  # the revenue officer's
    now = datetime.now(UTC)

    async def set_due(reference: str, due: datetime | None) -> None:
        await Submission.filter(tenant_id=town.tenant.id, reference=reference).update(due_at=due)

    platform.db(set_due(food_overdue, now - timedelta(hours=3)))
    platform.db(set_due(food_soon, now + timedelta(days=1)))
    platform.db(set_due(petition, now + timedelta(days=10)))

    clerk = officer_client(app, town, "clerk")
    html = text_of(clerk.get(f"/{town.slug}/admin/"))
    for reference in (food_overdue, food_soon, petition):
        assert f'data-reference="{reference}"' in html
    assert garbage not in html
    assert (
        'data-sla="overdue">1<' in html and 'data-sla="soon">1<' in html and 'data-sla="on_time">1<' in html
    )
    assert html.index(food_overdue) < html.index(food_soon) < html.index(petition), "most urgent first"
    assert "เกินกำหนด" in html and "ใกล้ครบกำหนด" in html

    overdue = text_of(clerk.get(f"/{town.slug}/admin/?sla=overdue"))
    assert food_overdue in overdue and food_soon not in overdue and petition not in overdue
    soon = text_of(clerk.get(f"/{town.slug}/admin/?sla=soon"))
    assert food_soon in soon and food_overdue not in soon
    only_food = text_of(clerk.get(f"/{town.slug}/admin/?service={FOOD}"))
    assert food_overdue in only_food and food_soon in only_food and petition not in only_food
    assert 'data-sla="on_time">0<' in only_food, "SLA counts apply the service filter"
    by_state = text_of(clerk.get(f"/{town.slug}/admin/?service={FOOD}&state=submitted&sla=on_time"))
    assert 'data-reference="' not in by_state and "ไม่มีคำขอที่ตรงกับตัวกรอง" in by_state

    revenue = officer_client(app, town, "revenue_officer")
    theirs = text_of(revenue.get(f"/{town.slug}/admin/"))
    assert garbage in theirs and food_overdue not in theirs and petition not in theirs
    sanitarian = officer_client(app, town, "sanitarian")
    assert 'data-reference="' not in text_of(sanitarian.get(f"/{town.slug}/admin/"))

    # The same through the service layer: counts per filter apply the other two filters.
    inbox = platform.db(
        desk.inbox(town.tenant, list(platform.catalog), {"clerk"}, desk.InboxFilter(sla=desk.Sla.OVERDUE))
    )
    assert [i.reference for i in inbox.items] == [food_overdue]
    assert inbox.waiting == 3 and inbox.total == 1
    assert inbox.by_service == {FOOD: 1}
    assert inbox.by_sla == {desk.Sla.OVERDUE: 1, desk.Sla.SOON: 1, desk.Sla.ON_TIME: 1}


def test_english_pages(app: Any, town: Town):
    clerk = officer_client(app, town, "clerk")
    html = text_of(clerk.get(f"/{town.slug}/admin/?lang=en"))
    assert "Inbox" in html and "Sign out" in html and 'lang="en"' in html


# --- processing a submission ------------------------------------------------------------------


def act(client: Any, town: Town, reference: str, action: str, version: int, **fields: Any) -> Any:
    url = f"/{town.slug}/admin/submissions/{reference}"
    data = {"action": action, "version": str(version), **{f"input-{k}": v for k, v in fields.items()}}
    return post_form(client, url, data)


def test_food_premises_notification_from_submission_to_certificate(app: Any, platform: Any, town: Town):
    reference, attachment_ids = submit_food(platform, town)
    url = f"/{town.slug}/admin/submissions/{reference}"

    clerk = officer_client(app, town, "clerk")
    page = text_of(clerk.get(url))
    assert "ก๋วยเตี๋ยวเรือป้านีย์" in page, "the data, read-only"
    assert "หน้าร้าน.jpg" in page and f"/{town.slug}/admin/attachments/{attachment_ids[0]}" in page
    assert 'id="action-accept_documents"' in page and 'id="action-request_info"' in page
    assert 'id="action-record_inspection"' not in page, "only the actions my roles may take now"
    assert "ยื่นคำขอ" in page and re.search(r"25\d\d", page), "history with a Buddhist-Era date"

    download = clerk.get(f"/{town.slug}/admin/attachments/{attachment_ids[0]}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == f"file {attachment_ids[0]} บัตรประชาชน-สุนีย์.jpg".encode()

    done = act(clerk, town, reference, "accept_documents", 1)
    assert done.status_code == 302
    after = text_of(clerk.get(url))
    assert "นักวิชาการสุขาภิบาลตรวจสถานที่" in after and "บันทึกแล้ว" in after

    sanitarian = officer_client(app, town, "sanitarian")
    assert reference in text_of(sanitarian.get(f"/{town.slug}/admin/"))
    invalid = act(
        sanitarian, town, reference, "record_inspection", 2, result="pass", inspected_on="", findings="สั้น"
    )
    assert invalid.status_code == 422
    html = text_of(invalid)
    assert "error-summary" in html and 'href="#record_inspection-findings"' in html
    assert "กรุณาบันทึกผลการตรวจอย่างน้อย 10 ตัวอักษร" in html
    assert "กรุณากรอกข้อมูลนี้" in html, "the missing date is named"
    assert ">สั้น</textarea>" in html, "the officer's input is kept"
    assert 'value="pass" checked' in html
    assert version_of(platform, town, reference) == 2

    findings = "สถานที่สะอาด มีอ่างล้างภาชนะ 2 ขั้นตอน แนะนำให้ยกชั้นวางภาชนะสูงจากพื้น"
    today = datetime.now(UTC).date()
    be_date = f"{today.day}/{today.month}/{today.year + 543}"
    ok = act(
        sanitarian, town, reference, "record_inspection", 2,
        result="pass_with_advice", inspected_on=be_date, findings=findings,
    )  # fmt: skip
    assert ok.status_code == 302, text_of(ok)

    director = officer_client(app, town, "health_director")
    assert act(director, town, reference, "approve", 3).status_code == 302
    finance = officer_client(app, town, "finance_officer")
    page = text_of(finance.get(url))
    assert 'id="action-confirm_payment"' in page
    assert act(finance, town, reference, "confirm_payment", 4, receipt_no="112/2568-0457").status_code == 302

    final = platform.db(submissions.find(town.tenant, reference))
    assert final.state == "issued" and final.closed and final.version == 5
    history = text_of(finance.get(url))
    assert "ออกหนังสือรับรองการแจ้งแล้ว" in history
    assert "112/2568-0457" in history and findings in history
    assert "ผ่านเกณฑ์ มีข้อแนะนำให้ปรับปรุง" in history, "inputs shown with their labels"
    assert "ไม่มีการดำเนินการที่คุณทำได้ในขั้นตอนนี้" in history


def test_stale_version_conflict_keeps_the_input(app: Any, platform: Any, town: Town):
    reference, _ = submit_food(platform, town)
    first = officer_client(app, town, "clerk")
    second = officer_client(app, town, "clerk")
    assert act(second, town, reference, "accept_documents", 1).status_code == 302
    message = "กรุณาแนบภาพถ่ายบริเวณที่ล้างภาชนะเพิ่มเติม"
    stale = act(first, town, reference, "request_info", 1, message=message)
    assert stale.status_code == 409
    html = text_of(stale)
    assert "มีผู้อื่นเปลี่ยนแปลงคำขอนี้ก่อนคุณ" in html
    assert f">{message}</textarea>" in html, "the officer's words survive the conflict"
    assert 'name="version" value="2"' in html, "the page now carries the current version"
    assert version_of(platform, town, reference) == 2


def test_refusals_are_shown(app: Any, platform: Any, town: Town):
    reference, _ = submit_food(platform, town)
    sanitarian = officer_client(app, town, "sanitarian")
    refused = act(sanitarian, town, reference, "accept_documents", 1)
    assert refused.status_code == 403 and "บทบาทของคุณไม่มีสิทธิ์ดำเนินการนี้" in text_of(refused)
    clerk = officer_client(app, town, "clerk")
    unknown = act(clerk, town, reference, "fly_to_the_moon", 1)
    assert unknown.status_code == 422 and "ไม่มีการดำเนินการนี้" in text_of(unknown)
    wrong_state = act(clerk, town, reference, "approve", 1)
    assert wrong_state.status_code == 409

    # A guard: complaints of corruption go to the mayor, not to a department.
    complaint = submit_example(platform, town, "complaint", "valid-corruption-named.json")
    officer = officer_client(app, town, "complaint_officer")
    assign = next(t for t in platform.catalog.get("complaint").workflow.transitions if t.action == "assign")
    department = assign.input["properties"]["department"]["enum"][0]
    page = text_of(officer.get(f"/{town.slug}/admin/submissions/{complaint}"))
    assert 'id="action-assign"' not in page and 'id="action-refer_to_mayor"' in page
    guarded = act(officer, town, complaint, "assign", 1, department=department)
    assert guarded.status_code == 409
    assert "เรื่องร้องเรียนการทุจริตหรือประพฤติมิชอบต้องเสนอผู้บริหารท้องถิ่น" in text_of(guarded)
    sanitarian.get(f"/{town.slug}/admin/?lang=en")
    english = act(sanitarian, town, reference, "accept_documents", 1)
    assert english.status_code == 403 and "Your roles may not take this action" in text_of(english)


def test_attachments_of_another_municipality_or_a_draft_are_not_found(
    app: Any, platform: Any, town: Town, other_town: Town
):
    _, theirs = submit_food(platform, other_town)
    clerk = officer_client(app, town, "clerk")
    assert clerk.get(f"/{town.slug}/admin/attachments/{theirs[0]}").status_code == 404
    draft_file = f"att_{uuid.uuid4().hex[:16]}"
    platform.db(
        Attachment.create(
            id=draft_file, tenant=town.tenant, blob_key="tenant/x/y", filename="x.pdf",
            content_type="application/pdf", size=1, sha256="0" * 64,
        )
    )  # fmt: skip
    assert clerk.get(f"/{town.slug}/admin/attachments/{draft_file}").status_code == 404


# --- console ----------------------------------------------------------------------------------


def test_console_is_for_admins_only(app: Any, town: Town):
    clerk = officer_client(app, town, "clerk")
    for page in ("services", "officers", "dashboard", f"services/{FOOD}"):
        assert clerk.get(f"/{town.slug}/admin/console/{page}").status_code == 403
    assert "/console/" not in text_of(clerk.get(f"/{town.slug}/admin/")), "no console links for officers"


def test_console_enables_and_disables_services(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    page = f"/{town.slug}/admin/console/services"
    html = text_of(admin.get(page))
    assert "แจ้งสถานที่จำหน่ายอาหาร" in html or FOOD in html
    # Closing asks first, saying what it means; nothing changes until confirmed.
    asked = post_form(admin, f"{page}/complaint/disable", {}, page=page)
    assert asked.status_code == 200 and "ปิดบริการ" in text_of(asked) and "ใช่หรือไม่" in text_of(asked)
    assert "ไม่มีคำขอของบริการนี้ที่ยังไม่เสร็จสิ้น" in text_of(asked)
    assert platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id="complaint")).enabled is True
    assert post_form(admin, f"{page}/complaint/disable", {"confirm": "yes"}, page=page).status_code == 302
    row = platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id="complaint"))
    assert row.enabled is False
    assert "ไม่เปิดให้บริการ" in text_of(admin.get(page))
    assert post_form(admin, f"{page}/complaint/enable", {}, page=page).status_code == 302
    row = platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id="complaint"))
    assert row.enabled is True and row.version == platform.catalog.get("complaint").version
    assert post_form(admin, f"{page}/no-such-service/enable", {}, page=page).status_code == 404


def test_console_sets_local_fees(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    url = f"/{town.slug}/admin/console/services/{FOOD}"
    html = text_of(admin.get(url))
    assert 'name="fee.certificate_fee.tiers.0.amount" value="50"' in html
    assert 'name="fee.certificate_fee.tiers.3.up_to"' not in html, "the last tier stays open-ended"
    fee = platform.catalog.get(FOOD).service.fee("certificate_fee")
    posted = {f"fee.certificate_fee.tiers.{i}.amount": str(t.amount) for i, t in enumerate(fee.tiers)}
    posted |= {
        f"fee.certificate_fee.tiers.{i}.up_to": str(t.up_to) for i, t in enumerate(fee.tiers) if t.up_to
    }

    bad = post_form(admin, url, {**posted, "fee.certificate_fee.tiers.0.amount": "ห้าสิบ"})
    assert bad.status_code == 422
    assert "กรุณากรอกเป็นตัวเลข" in text_of(bad) and 'href="#fee.certificate_fee.tiers.0.amount"' in text_of(bad)
    unordered = post_form(admin, url, {**posted, "fee.certificate_fee.tiers.1.up_to": "10"})
    assert unordered.status_code == 422 and "เพดานของแต่ละขั้น" in text_of(unordered)

    saved = post_form(admin, url, {**posted, "fee.certificate_fee.tiers.0.amount": "40"})
    assert saved.status_code == 302
    row = platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id=FOOD))
    assert row.parameters["fees"]["certificate_fee"]["tiers"][0] == {"up_to": 25, "amount": 40}
    assert 'value="40"' in text_of(admin.get(url))
    assert post_form(admin, url, posted).status_code == 302
    row = platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id=FOOD))
    assert row.parameters["fees"] == {}, "back at the national default, nothing stored"

    building = text_of(admin.get(f"/{town.slug}/admin/console/services/building-permit"))
    assert 'name="fee.' not in building, "fees fixed by national law are not offered"
    garbage = text_of(admin.get(f"/{town.slug}/admin/console/services/garbage-fee"))
    assert "บ้านพักอาศัย" in garbage, "rate classes by the names citizens see"


def test_console_creates_officers_and_grants_roles(app: Any, platform: Any):
    town = make_town(platform, roles=["admin", "clerk"])
    admin = officer_client(app, town, "admin")
    url = f"/{town.slug}/admin/console/officers"
    html = text_of(admin.get(url))
    assert town.users["clerk"] in html
    assert 'value="sanitarian"' in html and 'value="admin"' in html
    assert 'value="applicant"' not in html and 'value="system"' not in html

    invalid = post_form(admin, url, {"username": "X", "display_name": "", "password": "short"})
    assert invalid.status_code == 422
    for message in ("ชื่อผู้ใช้ต้องเป็น", "กรุณากรอกชื่อ-นามสกุล", "รหัสผ่านต้องมีอย่างน้อย"):
        assert message in text_of(invalid)
    taken = post_form(
        admin, url, {"username": town.users["clerk"], "display_name": "ซ้ำ", "password": "x" * 12}
    )
    assert taken.status_code == 422 and "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว" in text_of(taken)

    username = f"{town.slug}.somchai"
    created = post_form(
        admin,
        url,
        {
            "username": username,
            "display_name": "นายสมชาย ใจดี",
            "password": "a-long-password",
            "roles": ["clerk", "system"],
        },
    )
    assert created.status_code == 302
    user = platform.db(User.get(username=username))
    assert user.tenant_id == town.tenant.id
    assert platform.db(accounts.roles_of(user)) == {"clerk"}, "roles nobody logs in with are not granted"
    newcomer = app.test_client()
    assert login(newcomer, town, username, "a-long-password").status_code == 302

    roles_url = f"{url}/{user.id}"
    assert 'value="clerk" checked' in text_of(admin.get(roles_url))
    assert post_form(admin, roles_url, {"roles": ["sanitarian", "health_director"]}).status_code == 302
    assert platform.db(accounts.roles_of(user)) == {"sanitarian", "health_director"}
    assert post_form(admin, roles_url, {}).status_code == 302
    assert platform.db(accounts.roles_of(user)) == set()

    me = f"{url}/{town.ids[town.users['admin']]}"
    own = post_form(admin, me, {"roles": ["clerk"]})
    assert own.status_code == 422 and "ผู้ดูแลระบบของตนเอง" in text_of(own)
    assert "admin" in platform.db(accounts.roles_of(platform.db(User.get(username=town.users["admin"]))))


def test_dashboard_draws_an_svg_chart(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    submit_food(platform, town)
    submit_food(platform, town)
    submit_example(platform, town, "general-petition")
    closed, _ = submit_food(platform, town)
    for role, action, given in (
        ("clerk", "accept_documents", None),
        (
            "sanitarian",
            "record_inspection",
            {"result": "fail", "inspected_on": "2025-01-08", "findings": "ไม่มีที่ล้างภาชนะและไม่มีการระบายน้ำเสีย"},
        ),
        ("health_director", "reject", {"reason": "สถานที่ไม่เป็นไปตามเทศบัญญัติว่าด้วยสถานที่จำหน่ายอาหาร"}),
    ):
        platform.db(
            submissions.transition(
                town.tenant, platform.catalog.get(FOOD), closed, action, {role}, input=given
            )
        )
    platform.db(
        Submission.filter(tenant_id=town.tenant.id, closed=False, service_id="general-petition").update(
            due_at=datetime.now(UTC) - timedelta(days=1)
        )
    )
    admin = officer_client(app, town, "admin")
    response = admin.get(f"/{town.slug}/admin/console/dashboard")
    assert response.status_code == 200
    html = text_of(response)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'class="bar"' in svg
    assert f'data-key="{FOOD}"' in svg and 'data-key="general-petition"' in svg
    assert ">3</text>" in svg and ">1</text>" in svg
    assert 'id="stat-total">4<' in html and 'id="stat-overdue">1<' in html
    assert 'id="stat-compliance">100%<' in html
    assert "chart.js" in html

    from engine.services import dashboard

    report = platform.db(dashboard.dashboard(town.tenant, list(platform.catalog)))
    food = next(s for s in report.services if s.service_id == FOOD)
    assert food.by_state == {"submitted": 2, "rejected": 1} and food.closed == 1 and food.closed_in_time == 1
    assert report.open_overdue == 1 and report.compliance == 1.0
    verdicts = platform.db(
        Submission.filter(tenant_id=town.tenant.id, closed=True).values_list("sla_verdict", flat=True)
    )
    assert list(verdicts) == [dashboard.IN_TIME], "the verdict is kept when the application closes"

    # Applications that closed before verdicts were kept are judged once, from their history.
    async def forget_and_make_late() -> None:
        await Submission.filter(tenant_id=town.tenant.id, closed=True).update(sla_verdict=None)
        await AuditEntry.filter(tenant_id=town.tenant.id, to_state="rejected").update(
            at=datetime.now(UTC) + timedelta(days=400)
        )

    platform.db(forget_and_make_late())
    again = platform.db(dashboard.dashboard(town.tenant, list(platform.catalog)))
    food = next(s for s in again.services if s.service_id == FOOD)
    assert food.closed == 1 and food.closed_in_time == 0 and again.compliance == 0.0
    assert platform.db(dashboard.judge_closed(town.tenant, list(platform.catalog))) == 0


def test_two_factor_login(app: Any, platform: Any):
    town = make_town(platform, roles=["clerk"])
    client = officer_client(app, town, "clerk")
    url = f"/{town.slug}/admin/account/two-factor"
    page = text_of(client.get(url))
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert "otpauth://totp/" in page and f"secret={secret}" in page
    assert 'src="data:image/svg+xml' in page, "a QR code to scan"
    wrong = post_form(client, url, {"code": "000000"})
    assert wrong.status_code == 422 and "รหัสไม่ถูกต้อง" in text_of(wrong)
    assert platform.db(User.get(username=town.users["clerk"])).totp_secret is None
    assert post_form(client, url, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert platform.db(User.get(username=town.users["clerk"])).totp_secret == secret
    assert "เปิดใช้อยู่" in text_of(client.get(url))

    fresh = app.test_client()
    without = login(fresh, town, town.users["clerk"])
    assert without.status_code == 401, "the code is now required"
    assert login(fresh, town, town.users["clerk"], code="123456").status_code in (401, 302)
    code = pyotp.TOTP(secret).now()
    assert login(fresh, town, town.users["clerk"], code=code).status_code == 302
    # A code works once: someone who saw it over the officer's shoulder cannot use it again.
    replay = login(app.test_client(), town, town.users["clerk"], code=code)
    assert replay.status_code == 401
    # One message for every failure: a wrong password with a right code says the same.
    wrong_password = login(app.test_client(), town, town.users["clerk"], "not-the-password", code=code)
    message = "ชื่อผู้ใช้ รหัสผ่าน หรือรหัสยืนยันไม่ถูกต้อง"
    assert message in text_of(replay) and message in text_of(wrong_password) and message in text_of(without)


# --- pages are safe under the Content-Security-Policy -----------------------------------------


def test_pages_have_no_inline_script_or_style(app: Any, platform: Any, town: Town):
    reference, _ = submit_food(platform, town)
    admin_client = officer_client(app, town, "admin")
    clerk = officer_client(app, town, "clerk")
    pages = [
        (clerk, f"/{town.slug}/admin/"),
        (clerk, f"/{town.slug}/admin/submissions/{reference}"),
        (clerk, f"/{town.slug}/admin/account/two-factor"),
        (admin_client, f"/{town.slug}/admin/console/services"),
        (admin_client, f"/{town.slug}/admin/console/services/{FOOD}"),
        (admin_client, f"/{town.slug}/admin/console/officers"),
        (admin_client, f"/{town.slug}/admin/console/dashboard"),
        (app.test_client(), f"/{town.slug}/admin/login"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = text_of(response)
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), url
        assert "<form" not in html or 'name="csrf_token"' in html or 'method="get"' in html, url
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert 'name="csrf_token"' in form, (url, form[:80])


# --- tenant isolation -------------------------------------------------------------------------


def admin_rules(app: Any) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX)]
    assert len(rules) >= 10, "the admin routes are registered"
    return rules


def fill(rule: Rule, tenant: str, reference: str, attachment_id: str, user_id: int) -> str:
    values: dict[str, Any] = {"tenant": tenant}
    for name in rule.arguments - {"tenant"}:
        values[name] = {
            "reference": reference,
            "attachment_id": attachment_id,
            "user_id": user_id,
            "service_id": FOOD,
            "public_id": "any-document-id",
            "token": "no-such-set-up-link",
            "book": "receive",
            "year": 2569,
            "list_id": 999999,
            "receipt": "no-such-receipt",
            "index": 0,
            "webhook_id": 999999,
            "key_id": 999999,
        }[name]  # a new kind of route parameter must be added here
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    return url


@pytest.mark.parametrize("who", ["everything", "admin"])
def test_officers_of_another_municipality_get_nothing_from_any_admin_route(
    app: Any, platform: Any, town: Town, other_town: Town, who: str
):
    reference, attachment_ids = submit_food(platform, town)
    victim_user = town.ids[town.users["clerk"]]
    before = (
        version_of(platform, town, reference),
        platform.db(RoleGrant.filter(tenant_id=town.tenant.id).count()),
        platform.db(EnabledService.filter(tenant_id=town.tenant.id, enabled=True).count()),
        platform.db(User.filter(tenant_id=town.tenant.id).count()),
    )
    username = f"{other_town.slug}.everything" if who == "everything" else other_town.users["admin"]
    intruder = app.test_client()
    assert login(intruder, other_town, username).status_code == 302
    token = csrf_token(intruder, f"/{other_town.slug}/admin/")
    secrets = [
        reference, *attachment_ids, town.users["clerk"], "ก๋วยเตี๋ยวเรือป้านีย์", "บัตรประชาชน-สุนีย์", "3100601234565"
    ]  # fmt: skip
    checked = 0
    for rule in admin_rules(app):
        for tenant in (town.slug, other_town.slug):
            url = fill(rule, tenant, reference, attachment_ids[0], victim_user)
            # A register's book and year name no one's data: the intruder's own registers are theirs.
            own_pages = tenant == other_town.slug and not (
                rule.arguments - {"tenant", "service_id", "book", "year"}
            )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if own_pages and method == "POST":
                    continue  # the intruder's own municipality: changing it is their business
                form = {
                    "csrf_token": token,
                    "action": "accept_documents",
                    "version": "1",
                    "roles": ["admin", "clerk"],
                    "username": f"{town.slug}.planted",
                    "display_name": "x",
                    "password": "x" * 12,
                    "code": "000000",
                }
                response = intruder.get(url) if method == "GET" else intruder.post(url, data=form)
                # The pages echo the address asked for (language switch); nothing else may show.
                body = text_of(response).replace(url, "") if response.mimetype.startswith("text") else ""
                assert not any(s in body for s in secrets), (method, url)
                if rule.endpoint in ("admin.login", "admin.logout"):
                    continue  # public form / ends the intruder's own session: checked below
                if own_pages:
                    continue  # the intruder's own municipality: their pages, none of the victim's data
                assert response.status_code in (403, 404), (method, url, response.status_code)
                checked += 1
    assert checked >= 10
    assert login(intruder, town, username).status_code == 401
    assert intruder.get(f"/{town.slug}/admin/").status_code == 403
    after = (
        version_of(platform, town, reference),
        platform.db(RoleGrant.filter(tenant_id=town.tenant.id).count()),
        platform.db(EnabledService.filter(tenant_id=town.tenant.id, enabled=True).count()),
        platform.db(User.filter(tenant_id=town.tenant.id).count()),
    )
    assert after == before, "nothing of the first municipality changed"
    assert not platform.db(User.exists(username=f"{town.slug}.planted"))


def test_without_login_every_admin_route_sends_to_the_login_page(app: Any, platform: Any, town: Town):
    reference, attachment_ids = submit_food(platform, town)
    client = app.test_client()
    for rule in admin_rules(app):
        if rule.endpoint in ("admin.login", "admin.setup"):
            continue  # public: the login form, and the set-up page a one-time link opens
        url = fill(rule, town.slug, reference, attachment_ids[0], town.ids[town.users["clerk"]])
        if "GET" in rule.methods:
            response = client.get(url)
            assert response.status_code == 302, url
            assert f"/{town.slug}/admin/login" in response.headers["Location"]
            assert reference not in text_of(response).replace(url, "")


# --- the forms behind the pages ---------------------------------------------------------------


def test_action_inputs_are_parsed_back_to_their_schema_types(catalog: Any):
    from renderers import inputs

    complaint = catalog.get("complaint").workflow
    confirm = next(t for t in complaint.transitions if t.action == "confirm")
    satisfaction, comment = inputs.fields(confirm, "th")
    assert comment.kind == "textarea"
    assert satisfaction.kind == "radio" and satisfaction.options
    assert not satisfaction.mark_optional, "the label already says it is optional"
    value = satisfaction.options[0][0]
    parsed = inputs.parse(confirm, {"input-satisfaction": value})
    assert isinstance(parsed["satisfaction"], int), "an integer enum comes back as an integer"
    assert inputs.parse(confirm, {"input-satisfaction": "9999"}) == {"satisfaction": "9999"}

    resolve = next(t for t in complaint.transitions if t.action == "resolve")
    kinds = {f.pointer: f.kind for f in inputs.fields(resolve, "en")}
    assert kinds["/completed_on"] == "date"
    assert inputs.parse_date("15/1/2568") == "2025-01-15"
    assert inputs.parse_date("15/1/2025") == "2025-01-15"
    assert inputs.parse_date("2025-01-15") == "2025-01-15"
    assert inputs.parse_date("31/2/2568") == "31/2/2568", "an impossible date is left for the validator"

    food = catalog.get(FOOD).workflow
    request_info = next(t for t in food.transitions if t.action == "request_info")
    [message] = inputs.fields(request_info, "en", {"message": "a b"}, {"/message": "Too short"})
    assert message.kind == "textarea" and message.value == "a b" and message.error == "Too short"
    assert message.described_by == f"{message.error_id}"
    assert inputs.parse(request_info, {"input-message": "  line one\r\nline two  "}) == {
        "message": "line one\nline two"
    }
    assert inputs.kind_of({"type": "boolean"}, None) == "checkbox"
    assert inputs.kind_of({"type": "integer"}, None) == "number"
    assert inputs.kind_of({"type": "string", "maxLength": 30}, None) == "text"


def test_local_fee_forms_keep_only_what_differs_from_the_national_default(catalog: Any):
    from admin import parameters

    garbage = catalog.get("garbage-fee")
    [fee] = parameters.local_fees(garbage)
    form = {f"fee.{fee.id}.rates.{name}": str(amount) for name, amount in fee.rates.items()}
    assert parameters.parse(garbage, form) == ({}, {})
    changed, errors = parameters.parse(garbage, {**form, f"fee.{fee.id}.rates.household": "25"})
    assert errors == {} and changed[fee.id]["rates"]["household"] == 25
    _, errors = parameters.parse(garbage, {**form, f"fee.{fee.id}.rates.shop": "-1"})
    assert errors == {f"fee.{fee.id}.rates.shop": "admin.params.error.negative"}

    wastewater = catalog.get("wastewater-fee")
    per_unit = next(f for f in parameters.local_fees(wastewater) if f.kind == "per_unit")
    boxes = {b.name: b for b in parameters.forms(wastewater, {}, "th")[0].fields}
    assert boxes[f"fee.{per_unit.id}.rate"].label_values["unit"] == "ลูกบาศก์เมตร"
    posted = {name: box.value for form in parameters.forms(wastewater, {}, "th") for name, box in
              ((b.name, b) for b in form.fields)}  # fmt: skip
    posted |= {f"fee.{per_unit.id}.minimum": "100", f"fee.{per_unit.id}.maximum": "50"}
    _, errors = parameters.parse(wastewater, posted)
    assert errors == {f"fee.{per_unit.id}.maximum": "admin.params.error.min_max"}


def test_an_application_page_is_read_in_one_call_after_the_officer_is_known(
    app: Any, platform: Any, town: Town, monkeypatch: pytest.MonkeyPatch
):
    """Each trip to the database thread waits its turn behind every other request of the process:
    the page of an application asks for the officer once and for everything it shows once."""
    reference, _ = submit_food(platform, town)
    clerk = officer_client(app, town, "clerk")
    url = f"/{town.slug}/admin/submissions/{reference}"
    assert clerk.get(url).status_code == 200
    trips: list[str] = []
    run = platform.runtime.run

    def counted(awaitable: Any) -> Any:
        trips.append(getattr(awaitable, "__qualname__", repr(awaitable)))
        return run(awaitable)

    monkeypatch.setattr(platform.runtime, "run", counted)
    page = clerk.get(url)
    assert page.status_code == 200 and 'id="action-accept_documents"' in text_of(page)
    # The server-side session, who is asking, and the page (it was eleven trips).
    assert trips == ["load", "on_duty", "submission_page"], trips
