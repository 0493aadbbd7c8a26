"""The officers' correspondence pages through the Flask test client, CSRF on, on the suite's backend.

A registry clerk registers a letter through the form (the real PDF side stamps it) and sees its
เลขทะเบียนรับ; a form refused keeps every answer with a Thai message per field; the letter is
endorsed to a unit, whose member finds it in the inbox, while another municipality's officer
gets 403 on this one's pages and 404 for the letter on their own; the registers show the
official headers and their downloads; a reserved number cancelled reads ยกเลิก; units are the
administrator's. Endorsements use the typed-name option (the tenant allows it) so no signing
key or timestamp service is needed here; PAdES steps are covered by test_saraban_letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine.saraban.numbering import calendar_year
from engine.saraban.vocabulary import RECEIVE_COLUMNS, SEND_COLUMNS
from engine.services.saraban import organisation
from engine.store.models import Letter, Tenant
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF check, module-wide)
    csrf_token,
    make_town,
    officer_client,
    post_form,
    text_of,
)

ROLES = ["saraban_clerk", "chief_administrator", "department_head", "engineer", "admin", "clerk"]
VERSION = re.compile(r'name="version" value="(\d+)"')


@cache
def a_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<p>หนังสือจากจังหวัด</p>").write_pdf()


@dataclass
class Towns:
    here: Town
    there: Town


@pytest.fixture(scope="module")
def towns(platform: Any) -> Towns:
    here = make_town(platform, roles=ROLES, prefix="SP")
    there = make_town(platform, roles=["saraban_clerk", "engineer"], prefix="SQ")

    async def organise(town: Town) -> None:
        tenant = await Tenant.get(id=town.tenant.id)
        tenant.settings = {
            **(tenant.settings or {}),
            "saraban": {"letter_code": "ชม 52101", "typed_name_signing": True},
        }
        await tenant.save()
        town.tenant = tenant
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        for role, head in (("department_head", True), ("engineer", False)):
            if role in town.users:
                await organisation.add_member(tenant, "engineering", town.ids[town.users[role]], head=head)

    for town in (here, there):
        platform.db(organise(town))
    return Towns(here, there)


def url(town: Town, path: str = "") -> str:
    return f"/{town.slug}/admin/saraban/{path}"


def receive_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "letter_number": "ชม 0023.3/ว 1234",
        "letter_date": "15/01/2569",
        "sender": "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่",
        "recipient": "นายกเทศมนตรี",
        "subject": "การเตรียมความพร้อมรับมือสถานการณ์ภัยแล้ง",
        "urgency": "most_urgent",
        "secrecy": "normal",
        "due_date": "",
        "due_time": "",
        "remark": "",
    }
    return form | changes


def register_letter(app: Any, town: Town, **changes: Any) -> tuple[Any, str]:
    """A letter registered through the clerk's form; the client and the letter's public id."""
    clerk = officer_client(app, town, "saraban_clerk")
    data = receive_form(**changes)
    data["file"] = (_stream(a_pdf()), "letter.pdf", "application/pdf")
    done = post_form(clerk, url(town, "receive"), data)
    assert done.status_code == 302, text_of(done)
    public_id = done.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    return clerk, public_id


def _stream(data: bytes) -> Any:
    from io import BytesIO

    return BytesIO(data)


def version_on(page: str) -> str:
    found = VERSION.search(page)
    assert found, "the page has a form with the letter's version"
    return found.group(1)


# --- ลงรับ -------------------------------------------------------------------------------------


def test_a_clerk_registers_a_letter_and_sees_its_receive_number(app: Any, towns: Towns):
    pytest.importorskip("signing.saraban", reason="the receive stamp needs signing.saraban")
    town = towns.here
    clerk, public_id = register_letter(app, town)
    page = clerk.get(url(town, f"letters/{public_id}"))
    html = text_of(page)
    assert page.status_code == 200
    assert re.search(r"ลงรับหนังสือเรื่อง การเตรียมความพร้อมรับมือสถานการณ์ภัยแล้ง แล้ว เลขทะเบียนรับ \d+", html)
    assert 'data-urgency="most_urgent"' in html and "ด่วนที่สุด" in html
    assert "15 มกราคม 2569" in html, "the letter's date is shown in the Buddhist Era"
    assert "ลงรับแล้ว" in html and "ทะเบียนหนังสือรับ" in html

    pdf = clerk.get(url(town, f"letters/{public_id}/pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline")
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) > len(a_pdf()), "stamped as a new revision"

    inbox = text_of(clerk.get(url(town)))
    assert public_id in inbox and "ด่วนที่สุด" in inbox, "the registry holds it until it routes it"


def test_a_refused_form_names_each_field_in_thai_and_keeps_the_answers(app: Any, towns: Towns):
    town = towns.here
    clerk = officer_client(app, town, "saraban_clerk")
    form = receive_form(
        sender="", subject="", letter_date="32/13/2569", due_time="25.00", due_date="1/2/2569"
    )
    refused = post_form(clerk, url(town, "receive"), form)
    html = text_of(refused)
    assert refused.status_code == 422
    assert "กรุณากรอกวันที่เป็น วัน/เดือน/ปี พ.ศ." in html and 'href="#letter_date"' in html
    assert "กรุณาระบุผู้ส่ง (จาก)" in html and 'href="#sender"' in html
    assert "กรุณาระบุเรื่อง" in html and 'href="#subject"' in html
    assert "กรุณากรอกเวลาเป็น ชั่วโมง.นาที" in html
    assert 'value="32/13/2569"' in html and 'value="นายกเทศมนตรี"' in html, "answers are kept"
    assert 'value="ชม 0023.3/ว 1234"' in html
    assert '<option value="most_urgent" selected>' in html

    # Without a file the letter cannot be registered (unless it is ลับที่สุด, paper only).
    no_file = post_form(clerk, url(town, "receive"), receive_form())
    assert no_file.status_code == 422 and "กรุณาแนบไฟล์หนังสือ" in text_of(no_file)


def test_a_top_secret_letter_with_a_file_is_refused_next_to_the_file(app: Any, towns: Towns):
    town = towns.here
    clerk = officer_client(app, town, "saraban_clerk")
    data = receive_form(secrecy="top_secret")
    data["file"] = (_stream(a_pdf()), "letter.pdf", "application/pdf")
    refused = post_form(clerk, url(town, "receive"), data)
    html = text_of(refused)
    assert refused.status_code == 422
    assert 'id="file-error"' in html and "หนังสือชั้นลับที่สุดส่งหรือเก็บในระบบสารบรรณอิเล็กทรอนิกส์ไม่ได้" in html
    assert '<option value="top_secret" selected>' in html

    # As paper (no file) it is registered in the classified book.
    paper = post_form(clerk, url(town, "receive"), receive_form(secrecy="top_secret", subject="เรื่องลับที่สุด"))
    assert paper.status_code == 302
    page = text_of(clerk.get(paper.headers["Location"]))
    assert "หนังสือนี้เป็นหนังสือกระดาษ" in page and "ทะเบียนหนังสือรับ (ลับ)" in page


def test_only_the_registry_registers_letters(app: Any, towns: Towns):
    engineer = officer_client(app, towns.here, "engineer")
    assert engineer.get(url(towns.here, "receive")).status_code == 403
    assert engineer.get(url(towns.here, "registers")).status_code == 403


# --- endorsing, the inbox, and who may open -------------------------------------------------------


def test_a_letter_endorsed_to_a_unit_reaches_its_members_and_no_one_else(app: Any, towns: Towns):
    pytest.importorskip("signing.saraban", reason="stamps and endorsements need signing.saraban")
    town, there = towns.here, towns.there
    clerk, public_id = register_letter(app, town, subject="ขอความร่วมมือสำรวจถนนชำรุด", urgency="very_urgent")
    letter_url = url(town, f"letters/{public_id}")
    page = text_of(clerk.get(letter_url))
    version = version_on(page)
    assert 'value="unit:engineering"' in page and "ลงชื่อโดยการพิมพ์ชื่อ" in page

    form = {
        "version": version,
        "action": "assign",
        "target": "unit:engineering",
        "text": "โปรดดำเนินการ",
        "typed_name": "true",
    }
    routed = post_form(clerk, f"{letter_url}/route", form, page=letter_url)
    assert routed.status_code == 302, text_of(routed)
    after = text_of(clerk.get(letter_url))
    assert "เกษียนหนังสือแล้ว" in after and "มอบ … ดำเนินการ" in after and "กองช่าง" in after
    assert "พิมพ์ชื่อแทนการลงลายมือชื่อ" in after and "โปรดดำเนินการ" in after

    # The same form again, on the version it was read at: someone acted meanwhile (409), kept.
    stale = post_form(clerk, f"{letter_url}/route", form | {"text": "ข้อความที่ยังไม่หาย"}, page=letter_url)
    assert stale.status_code == 409
    assert "มีผู้ดำเนินการกับหนังสือนี้ไปแล้ว" in text_of(stale) and "ข้อความที่ยังไม่หาย" in text_of(stale)

    engineer = officer_client(app, town, "engineer")
    inbox = text_of(engineer.get(url(town)))
    assert "ขอความร่วมมือสำรวจถนนชำรุด" in inbox and 'data-urgency="very_urgent"' in inbox
    assert engineer.get(letter_url).status_code == 200
    assert engineer.get(f"{letter_url}/pdf").status_code == 200
    english = text_of(engineer.get(url(town) + "?lang=en"))
    assert "Letters to act on" in english and "Very urgent" in english
    engineer.get(url(town) + "?lang=th")

    # An officer of the same town outside the unit and the registry: not found, as if it did not exist.
    outsider = officer_client(app, town, "clerk")
    assert outsider.get(letter_url).status_code == 404
    assert outsider.get(f"{letter_url}/pdf").status_code == 404

    # Another municipality: refused on this one's pages, and no such letter on its own.
    stranger = officer_client(app, there, "engineer")
    assert stranger.get(letter_url).status_code == 403
    assert stranger.get(url(town)).status_code == 403
    assert stranger.get(url(there, f"letters/{public_id}")).status_code == 404
    assert stranger.get(url(there, f"letters/{public_id}/pdf")).status_code == 404


def test_a_draft_is_composed_with_field_messages_first(app: Any, towns: Towns, platform: Any):
    town = towns.here
    head = officer_client(app, town, "department_head")
    compose = url(town, "compose")
    form = {
        "kind": "external", "unit": "engineering", "subject": "", "recipient": "ผู้ว่าราชการจังหวัดเชียงใหม่",
        "references": "", "enclosures": "แผนที่ 1 ฉบับ\n\nรายงาน 1 ฉบับ", "body": "", "urgency": "urgent",
        "due_date": "", "due_time": "", "secrecy": "normal", "signer_name": "", "signer_position": "",
    }  # fmt: skip
    refused = post_form(head, compose, form)
    html = text_of(refused)
    assert refused.status_code == 422
    assert "กรุณาระบุเรื่อง" in html and "กรุณาระบุเนื้อความ" in html
    assert "แผนที่ 1 ฉบับ\n\nรายงาน 1 ฉบับ" in html and 'value="ผู้ว่าราชการจังหวัดเชียงใหม่"' in html

    top = post_form(head, compose, form | {"subject": "ก", "body": "ข", "secrecy": "top_secret"})
    assert top.status_code == 422 and 'id="secrecy-error"' in text_of(top)

    pytest.importorskip("renderers.saraban", reason="drafting renders the letter with renderers.saraban")
    body = "ด้วยเทศบาลมีความประสงค์ขอรับการสนับสนุน\nงบประมาณซ่อมถนน\n\nจึงเรียนมาเพื่อโปรดพิจารณา"
    done = post_form(head, compose, form | {"subject": "ขอรับการสนับสนุนงบประมาณ", "body": body})
    assert done.status_code == 302, text_of(done)
    public_id = done.headers["Location"].rsplit("/", 1)[1]
    letter = platform.db(Letter.get(public_id=public_id))
    assert letter.body == ["ด้วยเทศบาลมีความประสงค์ขอรับการสนับสนุน งบประมาณซ่อมถนน", "จึงเรียนมาเพื่อโปรดพิจารณา"]
    assert letter.enclosures == ["แผนที่ 1 ฉบับ", "รายงาน 1 ฉบับ"]
    page = text_of(head.get(done.headers["Location"]))
    assert "บันทึกร่างหนังสือเรื่อง ขอรับการสนับสนุนงบประมาณ แล้ว" in page and 'id="sign"' in page
    assert public_id in text_of(head.get(url(town))), "listed among the officer's drafts"

    # Signing with a key no one set up: a clear Thai message, the letter as it was.
    letter_url = url(town, f"letters/{public_id}")
    version = version_on(page)
    keyless = post_form(head, f"{letter_url}/sign", {"version": version}, page=letter_url)
    assert keyless.status_code in (409, 503), text_of(keyless)
    assert "ลงนามไม่ได้" in text_of(keyless) and 'id="sign"' in text_of(keyless)
    signed = post_form(
        head, f"{letter_url}/sign", {"version": version, "typed_name": "true"}, page=letter_url
    )
    assert signed.status_code == 302, text_of(signed)
    after = text_of(head.get(letter_url))
    assert re.search(r"ลงนามในหนังสือแล้ว เลขที่หนังสือ ชม 52101\.3/\d+", after)
    assert "ลงนามแล้ว" in after and 'id="sign"' not in after

    # Drafting is for one's own units: an officer in none has no page.
    assert officer_client(app, town, "clerk").get(compose).status_code == 403


# --- registers and จองเลข ------------------------------------------------------------------------


def test_the_registers_show_the_official_columns_and_download(app: Any, towns: Towns):
    town = towns.here
    clerk = officer_client(app, town, "saraban_clerk")
    year = calendar_year(datetime.now(UTC))
    receive = clerk.get(url(town, f"registers?book=receive&year={year}"))
    html = text_of(receive)
    assert receive.status_code == 200
    assert all(f'<th scope="col">{column}</th>' in html for column in RECEIVE_COLUMNS)
    assert f"ทะเบียนหนังสือรับ ประจำปี พ.ศ. {year}" in html
    send = text_of(clerk.get(url(town, f"registers?book=send&year={year}")))
    assert all(f'<th scope="col">{column}</th>' in send for column in SEND_COLUMNS)

    pytest.importorskip("renderers.saraban", reason="the register downloads come from renderers.saraban")
    csv = clerk.get(url(town, f"registers/receive/{year}.csv"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.decode("utf-8-sig").splitlines()[0] == ",".join(RECEIVE_COLUMNS)
    pdf = clerk.get(url(town, f"registers/receive/{year}.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_a_reserved_number_cancelled_reads_cancelled(app: Any, towns: Towns):
    town = towns.here
    clerk = officer_client(app, town, "saraban_clerk")
    registers = url(town, "registers?book=order")
    empty = post_form(clerk, url(town, "registers/reserve"), {"book": "order", "subject": ""}, page=registers)
    assert empty.status_code == 422 and "กรุณาระบุเรื่องที่จองเลขไว้" in text_of(empty)

    reserved = post_form(
        clerk,
        url(town, "registers/reserve"),
        {"book": "order", "subject": "คำสั่งแต่งตั้งคณะกรรมการ"},
        page=registers,
    )
    assert reserved.status_code == 302
    page = text_of(clerk.get(reserved.headers["Location"]))
    found = re.search(r'data-reserved="(\d+)"', page)
    assert found and "คำสั่งแต่งตั้งคณะกรรมการ" in page and re.search(r"จองเลข \d+/\d{4} แล้ว", page)
    entry = found.group(1)

    no_reason = post_form(
        clerk, url(town, "registers/cancel"), {"entry": entry, "reason": "", "book": "order"}, page=registers
    )
    assert no_reason.status_code == 422 and "กรุณาระบุเหตุที่ยกเลิกเลข" in text_of(no_reason)
    assert f'href="#cancel-{entry}"' in text_of(no_reason)

    cancelled = post_form(
        clerk,
        url(town, "registers/cancel"),
        {"entry": entry, "reason": "ไม่ได้ออกคำสั่ง", "book": "order"},
        page=registers,
    )
    assert cancelled.status_code == 302
    book = text_of(clerk.get(cancelled.headers["Location"]))
    assert 'data-state="cancelled"' in book and "ยกเลิก: ไม่ได้ออกคำสั่ง" in book
    assert f'data-reserved="{entry}"' not in book, "no longer offered for cancelling"


# --- units --------------------------------------------------------------------------------------


def test_units_are_the_administrators(app: Any, towns: Towns):
    town = towns.here
    assert officer_client(app, town, "saraban_clerk").get(url(town, "units")).status_code == 403
    admin = officer_client(app, town, "admin")
    units = url(town, "units")
    assert "กองช่าง" in text_of(admin.get(units))

    bad = post_form(
        admin,
        units,
        {"code": "กองคลัง", "name_th": "", "name_en": "", "letter_suffix": "", "parent": "", "phone": ""},
    )
    assert bad.status_code == 422 and "รหัสหน่วยงานต้องเป็นอักษรอังกฤษ" in text_of(bad)
    assert 'value="กองคลัง"' in text_of(bad)

    saved = post_form(
        admin, units,
        {"code": "finance", "name_th": "กองคลัง", "name_en": "Finance", "letter_suffix": ".2", "parent": "", "phone": "053-000-000"},
    )  # fmt: skip
    assert saved.status_code == 302
    listed = text_of(admin.get(units))
    assert 'data-unit="finance"' in listed and "บันทึกหน่วยงาน กองคลัง แล้ว" in listed

    clerk_id = str(town.ids[town.users["clerk"]])
    added = post_form(
        admin, url(town, "units/members"), {"unit": "finance", "user": clerk_id, "head": "true"}, page=units
    )
    assert added.status_code == 302
    assert "หัวหน้า" in text_of(admin.get(units))
    # Now in a unit, the officer has the correspondence link and may draft for it.
    member = officer_client(app, town, "clerk")
    assert f'href="/{town.slug}/admin/saraban/"' in text_of(member.get(f"/{town.slug}/admin/"))
    assert member.get(url(town, "compose")).status_code == 200
    assert csrf_token(member, url(town, "compose"))


# --- search -------------------------------------------------------------------------------------


def test_search_finds_a_letter_by_a_word_of_its_page_for_those_who_may_open_it(app: Any, towns: Towns):
    pytest.importorskip("signing.saraban", reason="the receive stamp needs signing.saraban")
    import weasyprint

    town, there = towns.here, towns.there
    clerk = officer_client(app, town, "saraban_clerk")
    data = receive_form(subject="ขอความร่วมมือรณรงค์ป้องกันโรค", urgency="urgent")
    # The page's words in Sarabun, and none with สระอำ: the subset font of a PDF made this way maps
    # the sara-aa glyph ำ is drawn with back to ำ, so ยุงลาย would be read as ยุงลำย.
    font = Path(__file__).resolve().parents[2] / "renderers" / "fonts" / "Sarabun-Regular.ttf"
    html = (
        f"<style>@font-face {{ font-family: Sarabun; src: url('{font.as_uri()}'); }} p {{ font-family: Sarabun; }}</style>"
        "<p>ยุงลายในชุมชนเพิ่มขึ้นในฤดูฝน</p>"
    )
    page = weasyprint.HTML(string=html).write_pdf()
    data["file"] = (_stream(page), "letter.pdf", "application/pdf")
    done = post_form(clerk, url(town, "receive"), data)
    assert done.status_code == 302, text_of(done)
    public_id = done.headers["Location"].rsplit("/", 1)[1]

    inbox = text_of(clerk.get(url(town)))
    assert 'role="search"' in inbox and 'name="q"' in inbox
    found = clerk.get(url(town, "search?q=ยุงลาย"))
    html = text_of(found)
    assert found.status_code == 200
    assert f'data-letter="{public_id}"' in html and "ขอความร่วมมือรณรงค์ป้องกันโรค" in html
    assert "15 มกราคม 2569" in html and 'data-urgency="urgent"' in html and "ลงรับแล้ว" in html
    assert f'href="/{town.slug}/admin/saraban/letters/{public_id}"' in html

    # An officer of the town who may not open it, and another town's registry: nothing.
    assert public_id not in text_of(officer_client(app, town, "clerk").get(url(town, "search?q=ยุงลาย")))
    stranger = officer_client(app, there, "saraban_clerk")
    theirs = text_of(stranger.get(url(there, "search?q=ยุงลาย")))
    assert public_id not in theirs and "ไม่พบหนังสือที่ตรงกับ “ยุงลาย”" in theirs
    assert stranger.get(url(town, "search?q=ยุงลาย")).status_code == 403

    nothing = text_of(clerk.get(url(town, "search?q=ช้างเผือกสามเศียร")))
    assert "ไม่พบหนังสือที่ตรงกับ “ช้างเผือกสามเศียร”" in nothing and "data-no-results" in nothing
    empty = text_of(clerk.get(url(town, "search?q=+")))
    assert "กรุณาพิมพ์คำที่ต้องการค้นหา" in empty and 'href="#q"' in empty
    assert "กรุณาพิมพ์คำที่ต้องการค้นหา" not in text_of(clerk.get(url(town, "search")))
    long = clerk.get(url(town, "search?q=" + "ก" * 5000))
    assert long.status_code == 200


# --- settings (last: it changes the town's letter code) ------------------------------------------


def test_the_administrator_sets_the_letter_code_and_the_directory_follows(
    app: Any, towns: Towns, platform: Any
):
    import uuid

    from engine.store.models import Agency

    town = towns.here
    units = url(town, "units")
    settings = url(town, "settings")
    assert officer_client(app, town, "saraban_clerk").post(settings).status_code in (400, 403)
    admin = officer_client(app, town, "admin")
    assert 'id="settings-letter_code"' in text_of(admin.get(units))

    form = {"letter_code": "52101 ชม", "typed_name_signing": "true", "reservation_hours": "๔๘"}
    bad = post_form(admin, settings, form, page=units)
    assert bad.status_code == 422 and "เช่น ชม 52101" in text_of(bad)
    assert 'value="52101 ชม"' in text_of(bad) and 'href="#settings-letter_code"' in text_of(bad)

    code = f"ชม {uuid.uuid4().int % 90000 + 10000}"
    saved = post_form(admin, settings, {**form, "letter_code": code}, page=units)
    assert saved.status_code == 302, text_of(saved)
    assert "บันทึกการตั้งค่างานสารบรรณแล้ว" in text_of(admin.get(units))
    tenant = platform.db(Tenant.get(id=town.tenant.id))
    assert tenant.settings["saraban"]["letter_code"] == code
    assert tenant.settings["saraban"]["reservation_hours"] == 48
    entry = platform.db(Agency.get(tenant_id=town.tenant.id))
    assert (entry.kind, entry.letter_code, entry.name_th) == ("tenant", code, tenant.name_th)
