"""Letters between two municipalities through the officers' pages, CSRF on.

Town A's registry sends a signed letter from its page to town B; after the deliveries run, B's
registry finds it among the letters from other agencies, downloads its PDF and registers it (the
banner names the เลขรับ), and A's letter page shows it registered under that number. A reason left
blank on ปฏิเสธ comes back in the error summary with the letter still waiting; an officer outside the
registry gets 403; another municipality's officer cannot open the arrival. Composing with an unknown
letter code names the field and keeps the answers. Letters are signed with the typed-name option
(the towns allow it), so no signing key or timestamp service is needed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from engine.services.saraban import agencies, exchange, letters, organisation
from engine.services.saraban.letters import Outgoing
from engine.store.models import Letter, Tenant, User
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF check, module-wide)
    make_town,
    officer_client,
    post_form,
    text_of,
)
from tests.integration.test_saraban_exchange import pump

pytestmark = pytest.mark.db
ARRIVAL = re.compile(r'data-arrival="([^"]+)"')


@dataclass
class Towns:
    a: Town
    b: Town
    code_a: str
    code_b: str


def _code() -> str:
    return f"ชม {uuid.uuid4().int % 90000 + 10000}"


@pytest.fixture(scope="module")
def towns(platform: Any) -> Towns:
    a = make_town(platform, roles=["saraban_clerk", "department_head", "engineer"], prefix="XA")
    b = make_town(platform, roles=["saraban_clerk", "engineer"], prefix="XB")
    codes = {a.slug: _code(), b.slug: _code()}

    async def organise(town: Town) -> None:
        tenant = await Tenant.get(id=town.tenant.id)
        tenant.settings = {
            **(tenant.settings or {}),
            "saraban": {"letter_code": codes[town.slug], "typed_name_signing": True},
        }
        await tenant.save()
        town.tenant = tenant
        await agencies.ensure_for_tenant(tenant)
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        if "department_head" in town.users:
            await organisation.add_member(
                tenant, "engineering", town.ids[town.users["department_head"]], head=True
            )

    for town in (a, b):
        platform.db(organise(town))
    return Towns(a, b, codes[a.slug], codes[b.slug])


def url(town: Town, path: str = "") -> str:
    return f"/{town.slug}/admin/saraban/{path}"


def actor(platform: Any, town: Town, role: str) -> organisation.Actor:
    user = platform.db(User.get(id=town.ids[town.users[role]]))
    return platform.db(organisation.actor(town.tenant, user))


def signed_letter(platform: Any, towns: Towns, subject: str) -> Letter:
    """A letter of town A to town B, drafted by the head of its engineering division and signed."""
    pytest.importorskip("renderers.saraban", reason="drafting renders the letter with renderers.saraban")
    head = actor(platform, towns.a, "department_head")
    files = platform.saraban_files
    draft = platform.db(
        letters.draft(
            towns.a.tenant, head,
            Outgoing("external", subject, "นายกเทศมนตรี", "engineering",
                     body=("ด้วยเทศบาลขอความร่วมมือ จึงเรียนมาเพื่อโปรดพิจารณา",), addressees=(towns.code_b,)),
            files,
        )
    )  # fmt: skip
    signed: Letter = platform.db(
        letters.sign(towns.a.tenant, head, draft.public_id, files, version=draft.version, typed_name=True)
    )
    return signed


def arrival_of(clerk: Any, town: Town, subject: str) -> str:
    """The receipt id of the letter ``subject`` on the registry's list of letters awaiting ลงรับ."""
    listed = text_of(clerk.get(url(town, "arrivals")))
    row = next(r for r in listed.split("<tr") if subject in r)
    found = ARRIVAL.search(row)
    assert found, row
    return found.group(1)


def test_a_letter_sent_from_its_page_is_registered_by_the_other_town(
    app: Any, platform: Any, towns: Towns
) -> None:
    pytest.importorskip("signing.saraban", reason="the receive stamp needs signing.saraban")
    subject = "ขอความร่วมมือสำรวจเส้นทางน้ำไหลผ่านระหว่างเขตเทศบาล"
    letter = signed_letter(platform, towns, subject)
    sender = officer_client(app, towns.a, "saraban_clerk")
    letter_url = url(towns.a, f"letters/{letter.public_id}")
    page = text_of(sender.get(letter_url))
    assert "การส่งถึงหน่วยงานอื่น" in page and 'id="send"' in page
    assert re.search(rf'name="to" value="{towns.code_b}" checked', page), "pre-filled from the addressees"

    sent = post_form(sender, f"{letter_url}/send", {"to": towns.code_b, "to_more": ""}, page=letter_url)
    assert sent.status_code == 302, text_of(sent)
    after = text_of(sender.get(letter_url))
    assert "ส่งหนังสือถึงหน่วยงานอื่นแล้ว 1 หน่วยงาน" in after
    assert f'data-delivery="{towns.code_b}"' in after and "รอส่ง" in after

    pump(platform)
    receiver = officer_client(app, towns.b, "saraban_clerk")
    inbox = text_of(receiver.get(url(towns.b)))
    assert "หนังสือจากหน่วยงานอื่น" in inbox and re.search(r"รอลงรับ [1-9]\d* เรื่อง", inbox)
    listed = text_of(receiver.get(url(towns.b, "arrivals")))
    assert subject in listed and letter.letter_number in listed and towns.a.tenant.name_th in listed
    receipt = arrival_of(receiver, towns.b, subject)

    arrival_url = url(towns.b, f"arrivals/{receipt}")
    arrival = text_of(receiver.get(arrival_url))
    assert "รอลงรับ" in arrival and 'id="register"' in arrival and 'id="reject"' in arrival
    pdf = receiver.get(url(towns.b, f"arrivals/{receipt}/files/0"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.data == platform.blobs.get(letter.blob_key), "the file as it was signed"

    registered = post_form(receiver, f"{arrival_url}/register", {"remark": ""}, page=arrival_url)
    assert registered.status_code == 302, text_of(registered)
    banner = text_of(receiver.get(registered.headers["Location"]))
    number = re.search(rf"ลงรับหนังสือเรื่อง {subject} จาก {towns.a.tenant.name_th} แล้ว เลขรับ (\S+)", banner)
    assert number, banner
    assert receipt not in text_of(receiver.get(url(towns.b, "arrivals")))
    twice = post_form(receiver, f"{arrival_url}/register", {"remark": ""}, page=arrival_url)
    assert (
        twice.status_code == 409 and 'href="#answers"' in text_of(twice) and "data-answered" in text_of(twice)
    )
    assert receipt in text_of(receiver.get(url(towns.b, "arrivals?state=accepted")))

    pump(platform)
    final = text_of(sender.get(letter_url))
    assert "ปลายทางลงรับแล้ว" in final
    assert f'data-accept-id="{number.group(1)}"' in final and f"เลขรับ {number.group(1)}" in final
    assert "แจ้งเลขรับผิด" in final, "the one answer an accepted delivery allows"
    english = text_of(sender.get(letter_url + "?lang=en"))
    assert "Registered by the addressee" in english and "Delivery to other agencies" in english
    sender.get(letter_url + "?lang=th")


def test_a_blank_reason_is_refused_and_the_letter_keeps_waiting(
    app: Any, platform: Any, towns: Towns
) -> None:
    subject = "ขอเชิญประชุมคณะกรรมการบริหารจัดการน้ำร่วมกัน"
    letter = signed_letter(platform, towns, subject)
    box = platform.saraban_exchange
    platform.db(
        exchange.send(towns.a.tenant, actor(platform, towns.a, "saraban_clerk"), letter.public_id, box)
    )
    pump(platform)
    receiver = officer_client(app, towns.b, "saraban_clerk")
    receipt = arrival_of(receiver, towns.b, subject)
    arrival_url = url(towns.b, f"arrivals/{receipt}")

    refused = post_form(receiver, f"{arrival_url}/reject", {"reason": "  "}, page=arrival_url)
    html = text_of(refused)
    assert refused.status_code == 422
    assert 'class="error-summary"' in html and 'href="#reject-reason"' in html and "กรุณาระบุเหตุผล" in html
    assert 'id="reject-reason-error"' in html
    assert receipt in text_of(receiver.get(url(towns.b, "arrivals"))), "still awaiting registration"

    rejected = post_form(receiver, f"{arrival_url}/reject", {"reason": "สิ่งที่ส่งมาด้วยไม่ครบ"}, page=arrival_url)
    assert rejected.status_code == 302
    assert "ปฏิเสธหนังสือเรื่อง" in text_of(receiver.get(rejected.headers["Location"]))
    assert receipt in text_of(receiver.get(url(towns.b, "arrivals?state=rejected")))

    # The sender sees the reason, withdraws the letter and sends it again as a new round.
    pump(platform)
    sender = officer_client(app, towns.a, "saraban_clerk")
    letter_url = url(towns.a, f"letters/{letter.public_id}")
    page = text_of(sender.get(letter_url))
    assert "ปลายทางปฏิเสธหนังสือ" in page and "สิ่งที่ส่งมาด้วยไม่ครบ" in page
    row = re.search(r'id="withdraw-(\d+)"', page)
    assert row, page
    withdrawn = post_form(
        sender,
        f"{letter_url}/withdraw",
        {"agency": towns.code_b, "row": row.group(1), "reason": "แนบเอกสารครบแล้ว"},
        page=letter_url,
    )
    assert withdrawn.status_code == 302, text_of(withdrawn)
    assert "ถอนเพื่อส่งใหม่แล้ว" in text_of(sender.get(letter_url))
    again = post_form(
        sender, f"{letter_url}/resend", {"agency": towns.code_b, "row": row.group(1)}, page=letter_url
    )
    assert again.status_code == 302, text_of(again)
    rounds = text_of(sender.get(letter_url))
    assert 'data-round="2" data-state="queued"' in rounds


def test_only_the_registry_of_the_town_opens_its_arrivals(app: Any, platform: Any, towns: Towns) -> None:
    subject = "แจ้งกำหนดการฝึกอบรมการป้องกันและบรรเทาสาธารณภัย"
    letter = signed_letter(platform, towns, subject)
    platform.db(
        exchange.send(
            towns.a.tenant,
            actor(platform, towns.a, "saraban_clerk"),
            letter.public_id,
            platform.saraban_exchange,
        )
    )
    pump(platform)
    receipt = arrival_of(officer_client(app, towns.b, "saraban_clerk"), towns.b, subject)

    engineer = officer_client(app, towns.b, "engineer")
    assert engineer.get(url(towns.b, "arrivals")).status_code == 403
    assert engineer.get(url(towns.b, f"arrivals/{receipt}")).status_code == 403
    assert engineer.get(url(towns.b, f"arrivals/{receipt}/files/0")).status_code == 403

    stranger = officer_client(app, towns.a, "saraban_clerk")
    assert stranger.get(url(towns.b, f"arrivals/{receipt}")).status_code == 403
    assert stranger.get(url(towns.a, f"arrivals/{receipt}")).status_code == 404
    assert stranger.get(url(towns.a, f"arrivals/{receipt}/files/0")).status_code == 404
    assert stranger.get(url(towns.a, "arrivals/" + "x" * 500)).status_code == 404


def test_compose_with_an_unknown_code_names_the_field_and_keeps_the_answers(app: Any, towns: Towns) -> None:
    head = officer_client(app, towns.a, "department_head")
    compose = url(towns.a, "compose")
    assert 'name="to"' in text_of(head.get(compose))
    unknown = "ชม 00000"
    form = {
        "kind": "external", "unit": "engineering", "subject": "ขอข้อมูลผู้ประสบภัยน้ำท่วม",
        "recipient": "นายกเทศมนตรี", "to": f"{towns.code_b}\n{unknown}", "references": "", "enclosures": "",
        "body": "ด้วยเทศบาลขอข้อมูล", "urgency": "normal", "due_date": "", "due_time": "", "secrecy": "normal",
        "signer_name": "", "signer_position": "",
    }  # fmt: skip
    refused = post_form(head, compose, form)
    html = text_of(refused)
    assert refused.status_code == 422
    assert 'href="#to"' in html and 'id="to-error"' in html and f"ไม่พบหน่วยงาน {unknown}" in html
    assert "ขอข้อมูลผู้ประสบภัยน้ำท่วม</textarea>" in html and "ด้วยเทศบาลขอข้อมูล</textarea>" in html
    assert f"{towns.code_b}\n{unknown}</textarea>" in html

    finder = head.get(url(towns.a, f"agencies?q={towns.code_b}"))
    assert finder.status_code == 200 and f'data-agency="{towns.code_b}"' in text_of(finder)
    assert "ไม่พบหน่วยงานที่ตรงกับ" in text_of(head.get(url(towns.a, "agencies?q=ไม่มีหน่วยงานนี้แน่นอน")))
