"""Keeping and destroying letters through the officers' pages, CSRF on, with the development PKI.

The registry clerk surveys a year whose letters' retention has ended, appoints a committee (two
people are refused at the field in Thai with the answers kept; three are recorded), each member
signs the list on its page (one keeps a letter), the list goes to the National Archives, whose
reply keeps another, and the clerk destroys the rest through a confirmation page: the destroyed
letter's PDF is then gone (404) and the register reads ทำลายแล้ว. Officers without the registry's
role get 403. A letter is put on legal hold and released with a reason; the units' workload shows
on the console dashboard and on the registers page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.saraban.numbering import calendar_year
from engine.services.saraban import letters, organisation
from engine.services.saraban.letters import Incoming
from engine.store.models import DestructionList, Letter, RegisterEntry, Tenant, User
from engine.workflow.sla import BANGKOK
from signing.errors import TimestampUnavailable
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF check, module-wide)
    make_town,
    officer_client,
    post_form,
    text_of,
)
from tests.signing_fixtures import make_pdf

pytestmark = pytest.mark.db

ROLES = ["saraban_clerk", "chief_administrator", "department_head", "mayor", "engineer", "admin"]
SIGNING = ("saraban_clerk", "chief_administrator", "department_head", "mayor")
LIST_ID = re.compile(r"/saraban/retention/(\d+)")


@dataclass
class Office:
    town: Town
    clerk: organisation.Actor

    def id(self, role: str) -> int:
        return self.town.ids[self.town.users[role]]


@pytest.fixture(scope="module")
def office(platform: Any) -> Iterator[Office]:
    town = make_town(platform, roles=ROLES, prefix="RP")

    async def organise() -> Office:
        tenant = await Tenant.get(id=town.tenant.id)
        tenant.settings = {
            **(tenant.settings or {}),
            "saraban": {"letter_code": "ชม 52188", "typed_name_signing": True},
        }
        await tenant.save()
        town.tenant = tenant
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        await organisation.add_member(tenant, "engineering", town.ids[town.users["engineer"]])
        clerk = await User.get(id=town.ids[town.users["saraban_clerk"]])
        return Office(town, await organisation.actor(tenant, clerk))

    made = platform.db(organise())
    officers = [Officer(town.slug, role, f"เจ้าหน้าที่ {role}", town.tenant.name_th) for role in SIGNING]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made
    server.stop()


def url(town: Town, path: str = "") -> str:
    return f"/{town.slug}/admin/saraban/{path}"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=BANGKOK)


def clean(html: str) -> str:
    """The page, after checking it is safe under the Content-Security-Policy and every form has CSRF."""
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.S):
        assert 'name="csrf_token"' in form, form[:80]
    return html


def closed_letter(platform: Any, office: Office, subject: str, closed: datetime) -> Letter:
    """A letter received the day before ``closed`` and closed then, kept one year (routine)."""
    received = closed - timedelta(days=1)
    tenant = office.town.tenant
    letter = platform.db(
        letters.receive(
            tenant, office.clerk,
            Incoming("มท 0808.2/ว 77", received.date(), "กรมส่งเสริมการปกครองท้องถิ่น", "นายกเทศมนตรี", subject),
            make_pdf(), platform.saraban_files, now=received,
        )
    )  # fmt: skip
    return platform.db(
        letters.close(
            tenant,
            office.clerk,
            letter.public_id,
            version=letter.version,
            retention_class="routine",
            now=closed,
        )
    )


def test_a_year_is_surveyed_approved_and_destroyed_through_the_pages(
    app: Any, platform: Any, office: Office
) -> None:
    town = office.town
    doomed = closed_letter(platform, office, "ขอเชิญร่วมงานวันเทศบาล", at(2024, 6, 3))
    kept = closed_letter(platform, office, "สัญญาจ้างก่อสร้างรางระบายน้ำ", at(2024, 6, 3))
    objected = closed_letter(platform, office, "บันทึกประวัติชุมชนบ้านป่าแดด", at(2024, 6, 3))
    clerk = officer_client(app, town, "saraban_clerk")
    retention = url(town, "retention")

    # The form refuses a year it cannot read, and one that has not ended, at the field.
    bad = post_form(clerk, f"{retention}/survey", {"year": "68"}, page=retention)
    assert bad.status_code == 422 and 'href="#survey-year"' in text_of(bad)
    assert "กรุณากรอกปี พ.ศ. 4 หลัก" in text_of(bad) and 'value="68"' in text_of(bad)
    this_year = str(calendar_year(datetime.now(UTC)))
    early = post_form(clerk, f"{retention}/survey", {"year": this_year}, page=retention)
    assert early.status_code == 409 and 'id="survey-year-error"' in text_of(early)
    assert "ยังไม่สิ้นปี" in text_of(early)

    made = post_form(clerk, f"{retention}/survey", {"year": "๒๕๖๘"}, page=retention)
    assert made.status_code == 302, text_of(made)
    found = LIST_ID.search(made.headers["Location"])
    assert found
    list_url = url(town, f"retention/{found.group(1)}")
    page = clean(text_of(clerk.get(list_url)))
    assert "จัดทำบัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2568 แล้ว มีหนังสือ 3 เรื่อง" in page
    assert all(x.public_id in page for x in (doomed, kept, objected))
    assert 'data-list-status="draft"' in page and ">ร่าง<" in page
    assert "2 มิถุนายน 2567" in page, "the letters' dates in the Buddhist Era"
    assert "ครบกำหนดเก็บ 31 ธันวาคม 2568" in page
    index = clean(text_of(clerk.get(retention)))
    assert 'data-list="' in index and "บัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2568" in index

    # The committee: a chair and one member is refused next to the members, the answers kept.
    chair, head, mayor = office.id("chief_administrator"), office.id("department_head"), office.id("mayor")
    small = post_form(
        clerk, f"{list_url}/committee", {"chair": str(chair), "members": [str(head)]}, page=list_url
    )
    html = text_of(small)
    assert small.status_code == 409
    assert 'id="committee-members-error"' in html and 'href="#committee-members"' in html
    assert "ประธานกรรมการและกรรมการอย่างน้อย 2 คน" in html
    assert f'<option value="{chair}" selected>' in html
    assert f'id="member-{head}" name="members" value="{head}" checked' in html
    appointed = post_form(
        clerk,
        f"{list_url}/committee",
        {"chair": str(chair), "members": [str(head), str(mayor)]},
        page=list_url,
    )
    assert appointed.status_code == 302, text_of(appointed)
    assert "ลงนามแล้ว 0 จาก 3 คน" in text_of(clerk.get(list_url))

    # Officers without the registry's role: no retention pages; a list they do not sit on is not
    # found (a member reaches their own list only).
    engineer = officer_client(app, town, "engineer")
    for path in ("retention", "retention/handover/2569.pdf"):
        assert engineer.get(url(town, path)).status_code == 403, path
    for path in (f"retention/{found.group(1)}", f"retention/{found.group(1)}/pdf"):
        assert engineer.get(url(town, path)).status_code == 404, path

    # The timestamp service down: the same Thai message as the letter's signing, and no 500.
    chair_client = officer_client(app, town, "chief_administrator")

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise TimestampUnavailable("the timestamp service does not answer")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(platform.saraban_files.tools), "sign", unavailable)
        down = post_form(chair_client, f"{list_url}/approve", {"keep": []}, page=list_url)
    assert down.status_code == 503 and 'href="#approve"' in text_of(down)
    assert "ลงนามไม่ได้ในขณะนี้" in text_of(down) and 'id="approve"' in text_of(down)

    for role, keep in (("chief_administrator", []), ("department_head", [kept.public_id]), ("mayor", [])):
        member = officer_client(app, town, role)
        assert "บัญชีหนังสือขอทำลายที่รอท่านพิจารณา" in text_of(member.get(url(town)))
        assert member.get(retention).status_code == 403
        mine = clean(text_of(member.get(list_url)))
        assert 'id="approve"' in mine and 'id="committee"' not in mine
        signed = post_form(member, f"{list_url}/approve", {"keep": keep}, page=list_url)
        assert signed.status_code == 302, text_of(signed)
        after = text_of(member.get(signed.headers["Location"]))
        assert "ลงนามในบัญชีหนังสือขอทำลายแล้ว" in after and 'id="approve"' not in after
    page = text_of(clerk.get(list_url))
    assert 'data-list-status="approved"' in page and "คณะกรรมการพิจารณาแล้ว" in page
    assert "กรรมการให้เก็บไว้" in page
    pdf = clerk.get(f"{list_url}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    # The National Archives: sent, then its reply (refused without its content) keeps a letter.
    sent = post_form(clerk, f"{list_url}/archives", {}, page=list_url)
    assert sent.status_code == 302
    assert "ส่งกองจดหมายเหตุแห่งชาติแล้ว" in text_of(clerk.get(list_url))
    empty = post_form(
        clerk, f"{list_url}/reply", {"text": "", "objected": [objected.public_id]}, page=list_url
    )
    assert empty.status_code == 422 and 'href="#reply-text"' in text_of(empty)
    assert f'value="{objected.public_id}" checked' in text_of(empty)
    reply = "หนังสือกองจดหมายเหตุแห่งชาติ ที่ วธ 0405/123 ขอให้เก็บหนังสือลำดับที่ 3"
    replied = post_form(
        clerk, f"{list_url}/reply", {"text": reply, "objected": [objected.public_id]}, page=list_url
    )
    assert replied.status_code == 302

    # Destruction: a page that says what will happen, then the button.
    confirm_url = f"{list_url}/destroy"
    confirm = clerk.get(confirm_url)
    html = clean(text_of(confirm))
    assert confirm.status_code == 200 and "ยืนยันการทำลายหนังสือ" in html
    assert 'data-doomed="1"' in html and 'name="confirm" value="yes"' in html
    assert post_form(clerk, confirm_url, {}, page=confirm_url).status_code == 302  # no confirmation: back
    assert platform.db(DestructionList.get(id=int(found.group(1)))).status == "archives"
    done = post_form(clerk, confirm_url, {"confirm": "yes"}, page=confirm_url)
    assert done.status_code == 302, text_of(done)
    page = text_of(clerk.get(done.headers["Location"]))
    assert "ทำลายหนังสือตามบัญชีแล้ว 1 เรื่อง" in page and 'data-list-status="destroyed"' in page
    assert f'data-item="{doomed.public_id}" data-outcome="destroyed"' in page

    assert clerk.get(url(town, f"letters/{doomed.public_id}/pdf")).status_code == 404
    letter_page = text_of(clerk.get(url(town, f"letters/{doomed.public_id}")))
    assert "หนังสือนี้ถูกทำลายแล้ว ตามบัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2568" in letter_page
    assert clerk.get(url(town, f"letters/{kept.public_id}/pdf")).status_code == 200
    entry = platform.db(RegisterEntry.filter(letter_id=doomed.id).order_by("-revision").first())
    assert entry is not None
    register = text_of(clerk.get(url(town, f"registers?book={entry.book}&year={entry.year}")))
    assert "ทำลายแล้ว ตามบัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2568" in register
    assert "ทำลายแล้ว" in text_of(clerk.get(retention))

    # The 20-year handover list, by its form and its address.
    handover = clerk.get(f"{retention}/handover?year=2569")
    assert handover.status_code == 302
    assert handover.headers["Location"].endswith("/retention/handover/2569.pdf")
    download = clerk.get(handover.headers["Location"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    wrong = clerk.get(f"{retention}/handover?year=abc")
    assert wrong.status_code == 422 and 'href="#handover-year"' in text_of(wrong)


def test_a_letter_is_held_with_a_reason_and_released(app: Any, platform: Any, office: Office) -> None:
    town = office.town
    letter = closed_letter(platform, office, "เอกสารประกอบคดีพิพาทที่ดิน", at(2025, 8, 1))
    clerk = officer_client(app, town, "saraban_clerk")
    letter_url = url(town, f"letters/{letter.public_id}")
    before = clean(text_of(clerk.get(letter_url)))
    assert 'id="hold"' in before and 'data-hold="off"' in before

    missing = post_form(clerk, f"{letter_url}/hold", {"hold": "true", "reason": ""}, page=letter_url)
    assert missing.status_code == 422 and 'href="#hold-reason"' in text_of(missing)
    assert "กรุณาระบุเหตุผล" in text_of(missing)
    held = post_form(
        clerk,
        f"{letter_url}/hold",
        {"hold": "true", "reason": "ใช้เป็นพยานหลักฐานในคดีที่ศาลปกครอง"},
        page=letter_url,
    )
    assert held.status_code == 302
    page = text_of(clerk.get(letter_url))
    assert "ระงับการทำลายหนังสือนี้แล้ว" in page and 'data-hold="on"' in page
    assert "ใช้เป็นพยานหลักฐานในคดีที่ศาลปกครอง" in page
    assert platform.db(Letter.get(id=letter.id)).legal_hold

    released = post_form(
        clerk, f"{letter_url}/hold", {"hold": "false", "reason": "ศาลพิพากษาถึงที่สุดแล้ว"}, page=letter_url
    )
    assert released.status_code == 302
    assert 'data-hold="off"' in text_of(clerk.get(letter_url))
    assert not platform.db(Letter.get(id=letter.id)).legal_hold
    # Only the registry holds letters.
    assert officer_client(app, town, "engineer").post(f"{letter_url}/hold").status_code in (400, 403)


def test_the_units_workload_shows_on_the_dashboard_and_the_registers(
    app: Any, platform: Any, office: Office
) -> None:
    town = office.town
    now = datetime.now(UTC)

    def routed(subject: str, due_at: datetime) -> None:
        letter = platform.db(
            letters.receive(
                town.tenant, office.clerk,
                Incoming("ชม 0023.3/ว 9", None, "จังหวัดเชียงใหม่", "นายกเทศมนตรี", subject, due_at=due_at),
                make_pdf(), platform.saraban_files, now=now - timedelta(days=3),
            )
        )  # fmt: skip
        platform.db(
            letters.route(
                town.tenant, office.clerk, letter.public_id, platform.saraban_files, version=letter.version,
                action="assign", target_kind="unit", target="engineering", typed_name=True,
                now=now - timedelta(days=3),
            )
        )  # fmt: skip

    routed("ขอให้ซ่อมไฟฟ้าสาธารณะ", now - timedelta(days=1))
    routed("ขอให้ตรวจสอบอาคาร", now + timedelta(hours=2))
    routed("ขอข้อมูลถนนในเขตเทศบาล", now + timedelta(days=30))

    admin = officer_client(app, town, "admin")
    dashboard = text_of(admin.get(f"/{town.slug}/admin/console/dashboard"))
    row = re.search(r'<tr data-unit="engineering">.*?</tr>', dashboard, re.S)
    assert row and "กองช่าง" in row.group(0), dashboard
    assert 'data-held="3"' in row.group(0) and 'data-overdue="1"' in row.group(0)
    assert 'data-due-soon="1"' in row.group(0)
    assert "หนังสือที่ถืออยู่" in dashboard and "ใกล้ครบกำหนด" in dashboard

    clerk = officer_client(app, town, "saraban_clerk")
    registers = text_of(clerk.get(url(town, "registers")))
    assert "data-workload" in registers and 'data-held="3"' in registers
