"""Keeping and destroying letters, through the services with the real PDF side and database.

- the committee is a chair and at least two members (ฉบับที่ 3 พ.ศ. 2560), refused in Thai otherwise;
- the yearly survey lists exactly the letters whose retention ended, never a held, permanent or
  open one, once per year;
- destruction waits for the committee's signatures and for the National Archives; then the files
  are gone from the blob store while the letters and their register rows stay, marked ทำลายแล้ว;
- the hash-chained audit trail stays intact through it all;
- the worker surveys only within the 60 days after 1 January (Bangkok).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest

from engine.saraban.errors import InvalidLetter, LetterNotFound, NotAllowed, RetentionRefused
from engine.services import accounts, tenants
from engine.services.saraban import audit, letters, organisation, registers, retention
from engine.services.saraban.letters import Incoming
from engine.store.models import DestructionList, Letter, RegisterEntry
from engine.workflow.sla import BANGKOK
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from tests.signing_fixtures import make_pdf
from thongthin.demo import DEMO_PASSWORD
from thongthin.runners import housekeeping_for

pytestmark = pytest.mark.db

SIGNING = ("saraban_clerk", "chief_administrator", "department_head", "mayor")
PEOPLE = {
    "clerk": "saraban_clerk",
    "chair": "chief_administrator",
    "member1": "department_head",
    "member2": "department_head",
    "outsider": "mayor",
    "engineer": "engineer",
}


@dataclass
class Office:
    tenant: Any
    people: dict[str, organisation.Actor] = field(default_factory=dict)

    def __getitem__(self, who: str) -> organisation.Actor:
        return self.people[who]

    def id(self, who: str) -> int:
        return self.people[who].user.id


def make_office(platform: Any, officers: list[Officer]) -> Office:
    slug = f"r{uuid.uuid4().hex[:8]}"

    async def setup() -> Office:
        tenant = await tenants.ensure_tenant(
            slug, name_th=f"เทศบาลตำบลทดสอบการทำลายหนังสือ {slug}", name_en=slug, kind="municipality",
            province="เชียงใหม่", reference_prefix="RT",
        )  # fmt: skip
        tenant.settings = {"saraban": {"letter_code": "ชม 52199"}}
        await tenant.save()
        office = Office(tenant)
        for who, role in PEOPLE.items():
            user = await accounts.create_user(
                tenant, f"{slug}.{who}", DEMO_PASSWORD, f"สมศรี {who}", [role], position_th=f"ตำแหน่ง {role}"
            )
            office.people[who] = await organisation.actor(tenant, user)
        return office

    office = platform.db(setup())
    officers.extend(Officer(slug, role, f"สมศรี {role}", office.tenant.name_th) for role in SIGNING)
    return office


@pytest.fixture(scope="module")
def offices(platform: Any) -> Iterator[dict[str, Office]]:
    officers: list[Officer] = []
    made = {name: make_office(platform, officers) for name in ("survey", "committee", "flow", "chore")}
    server = DevPkiServer(port=0)
    pki: DevPki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made
    server.stop()


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BANGKOK)


def a_letter(
    platform: Any, office: Office, subject: str, *, closed: datetime | None, retention_class: str = "routine"
) -> Letter:
    """A letter received the day before ``closed`` and closed then (left open when ``closed`` is None)."""
    received = (closed or at(2025, 3, 1)) - timedelta(days=1)
    letter = platform.db(
        letters.receive(
            office.tenant, office["clerk"],
            Incoming("มท 0808.2/ว 1", received.date(), "กรมส่งเสริมการปกครองท้องถิ่น", "นายกเทศมนตรี", subject),
            make_pdf(), platform.saraban_files, now=received,
        )
    )  # fmt: skip
    if closed is None:
        return letter
    return platform.db(
        letters.close(
            office.tenant, office["clerk"], letter.public_id, version=letter.version,
            retention_class=retention_class, now=closed,
        )
    )  # fmt: skip


def listed(found: DestructionList | None) -> list[str]:
    assert found is not None
    return [item["letter"] for item in found.items]


def test_a_committee_of_a_chair_and_one_member_is_refused(platform: Any, offices: dict[str, Office]) -> None:
    office = offices["committee"]
    files = platform.saraban_files
    a_letter(platform, office, "ขอเชิญประชุมประจำเดือน", closed=at(2024, 6, 1))
    survey = platform.db(retention.survey(office.tenant, office["clerk"], 2568, files, now=at(2026, 1, 10)))
    assert survey is not None
    with pytest.raises(RetentionRefused) as refused:
        platform.db(
            retention.appoint(
                office.tenant,
                office["clerk"],
                survey.id,
                files,
                chair=office.id("chair"),
                members=[office.id("member1")],
            )
        )
    assert "ประธานกรรมการและกรรมการอย่างน้อย 2 คน" in refused.value.text("th")
    assert "(ฉบับที่ 3) พ.ศ. 2560" in refused.value.text("th")
    assert "chair and at least 2" in refused.value.text("en")
    # The chair named again among the members does not count twice.
    with pytest.raises(RetentionRefused):
        platform.db(
            retention.appoint(
                office.tenant, office["clerk"], survey.id, files,
                chair=office.id("chair"), members=[office.id("member1"), office.id("chair")],
            )
        )  # fmt: skip
    # An officer without a role that signs cannot sit on it; nor can anyone but the registry record it.
    with pytest.raises(InvalidLetter):
        platform.db(
            retention.appoint(
                office.tenant, office["clerk"], survey.id, files,
                chair=office.id("chair"), members=[office.id("member1"), office.id("engineer")],
            )
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        platform.db(
            retention.appoint(
                office.tenant, office["chair"], survey.id, files,
                chair=office.id("chair"), members=[office.id("member1"), office.id("member2")],
            )
        )  # fmt: skip
    assert platform.db(retention.get_list(office.tenant, survey.id)).committee == []


def test_the_survey_lists_exactly_the_expired_letters_once(platform: Any, offices: dict[str, Office]) -> None:
    office = offices["survey"]
    files = platform.saraban_files
    ended_2568 = a_letter(
        platform, office, "ขอความร่วมมือสำรวจข้อมูล", closed=at(2024, 6, 1)
    )  # kept to 2025-12-31
    ended_2569 = a_letter(platform, office, "แจ้งกำหนดการประชุม", closed=at(2025, 6, 1))  # kept to 2026-12-31
    ends_later = a_letter(
        platform, office, "โครงการก่อสร้างถนน", closed=at(2025, 6, 1), retention_class="standard"
    )
    permanent = a_letter(
        platform, office, "ประกาศจัดตั้งเทศบาล", closed=at(2015, 6, 1), retention_class="permanent"
    )
    held = a_letter(platform, office, "หนังสือร้องเรียนที่มีคดีความ", closed=at(2024, 6, 1))
    still_open = a_letter(platform, office, "เรื่องที่ยังไม่เสร็จ", closed=None)
    assert ends_later.retain_until == date(2035, 12, 31) and permanent.retain_until is None

    with pytest.raises(NotAllowed):
        platform.db(retention.set_hold(office.tenant, office["chair"], held.public_id, True, "มีคดีฟ้องร้อง"))
    platform.db(
        retention.set_hold(office.tenant, office["clerk"], held.public_id, True, "มีคดีฟ้องร้องที่ศาลปกครอง")
    )

    first = platform.db(retention.survey(office.tenant, office["clerk"], 2568, files, now=at(2026, 1, 10)))
    assert listed(first) == [ended_2568.public_id]
    assert first is not None and first.status == "draft"
    assert first.reference == "บัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2568"
    assert platform.blobs.get(first.blob_key).startswith(b"%PDF")
    # The next year's list takes what ended that year; a letter on an open list is not listed again.
    second = platform.db(retention.survey(office.tenant, None, 2569, files, now=at(2027, 1, 10)))
    assert listed(second) == [ended_2569.public_id]
    assert second is not None and second.items[0]["subject"] == "แจ้งกำหนดการประชุม"
    again = platform.db(retention.survey(office.tenant, office["clerk"], 2569, files, now=at(2027, 2, 1)))
    assert again is not None and again.id == second.id and again.blob_key == second.blob_key
    assert platform.db(DestructionList.filter(tenant_id=office.tenant.id).count()) == 2
    for letter in (ends_later, permanent, held, still_open):
        assert all(letter.public_id not in listed(x) for x in (first, second))
    # A year that has not ended yet cannot be surveyed.
    with pytest.raises(RetentionRefused) as refused:
        platform.db(retention.survey(office.tenant, office["clerk"], 2570, files, now=at(2027, 1, 10)))
    assert "ยังไม่สิ้นปี" in refused.value.text("th")
    # Released from hold, the letter is listed next time.
    platform.db(
        retention.set_hold(office.tenant, office["clerk"], held.public_id, False, "ศาลพิพากษาถึงที่สุดแล้ว")
    )
    third = platform.db(retention.survey(office.tenant, office["clerk"], 2570, files, now=at(2028, 1, 10)))
    assert listed(third) == [held.public_id]
    assert platform.db(audit.verify(office.tenant.id)).intact


def signature_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return len(PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures)


def test_destruction_waits_for_the_committee_and_the_archives(
    platform: Any, offices: dict[str, Office]
) -> None:
    office = offices["flow"]
    tenant, clerk = office.tenant, office["clerk"]
    files = platform.saraban_files
    doomed = a_letter(platform, office, "ขอเชิญร่วมงานวันเด็กแห่งชาติ", closed=at(2025, 2, 1))
    kept = a_letter(platform, office, "สัญญาจ้างเหมาก่อสร้างอาคาร", closed=at(2025, 2, 1))
    objected = a_letter(platform, office, "บันทึกประวัติการก่อตั้งชุมชน", closed=at(2025, 2, 1))
    held = a_letter(platform, office, "เอกสารประกอบคดี", closed=at(2025, 2, 1))
    doomed_keys = retention.blob_keys(tenant, platform.db(Letter.get(id=doomed.id)))
    assert any(platform.blobs.exists(key) for key in doomed_keys)

    made = platform.db(retention.survey(tenant, None, 2569, files, now=at(2027, 1, 5)))
    assert made is not None
    assert sorted(listed(made)) == sorted(x.public_id for x in (doomed, kept, objected, held))
    with pytest.raises(RetentionRefused):
        platform.db(retention.destroy(tenant, clerk, made.id, files, now=at(2027, 1, 6)))
    with pytest.raises(RetentionRefused):  # no committee yet
        platform.db(retention.approve(tenant, office["chair"], made.id, files))

    appointed = platform.db(
        retention.appoint(
            tenant,
            clerk,
            made.id,
            files,
            chair=office.id("chair"),
            members=[office.id("member1"), office.id("member2")],
        )
    )
    assert [m["chair"] for m in appointed.committee] == [True, False, False]
    assert all(m["place"]["box"] for m in appointed.committee)
    with pytest.raises(NotAllowed):
        platform.db(retention.approve(tenant, office["outsider"], made.id, files))

    platform.db(retention.approve(tenant, office["chair"], made.id, files, now=at(2027, 1, 20)))
    with pytest.raises(RetentionRefused):
        platform.db(retention.approve(tenant, office["chair"], made.id, files))
    with pytest.raises(RetentionRefused):  # signing has begun: the committee stays as it is
        platform.db(
            retention.appoint(
                tenant,
                clerk,
                made.id,
                files,
                chair=office.id("chair"),
                members=[office.id("member1"), office.id("outsider")],
            )
        )
    platform.db(
        retention.approve(
            tenant, office["member1"], made.id, files, decisions={kept.public_id: "keep"}, now=at(2027, 1, 21)
        )
    )
    with pytest.raises(RetentionRefused):  # one member has not signed yet
        platform.db(retention.destroy(tenant, clerk, made.id, files, now=at(2027, 1, 22)))
    approved = platform.db(retention.approve(tenant, office["member2"], made.id, files, now=at(2027, 1, 22)))
    assert approved.status == "approved"
    assert signature_count(platform.blobs.get(approved.blob_key)) == 3
    assert [i["keep"] for i in approved.items if i["letter"] == kept.public_id] == [True]

    with pytest.raises(RetentionRefused) as refused:  # not sent to the National Archives yet
        platform.db(retention.destroy(tenant, clerk, made.id, files, now=at(2027, 1, 23)))
    assert "กองจดหมายเหตุแห่งชาติ" in refused.value.text("th")
    sent = platform.db(retention.send_to_archives(tenant, clerk, made.id, now=at(2027, 1, 25)))
    assert sent.status == "archives"
    with pytest.raises(RetentionRefused) as refused:  # the Archives has not answered, and its time runs
        platform.db(retention.destroy(tenant, clerk, made.id, files, now=at(2027, 2, 10)))
    assert "รอคำตอบจากกองจดหมายเหตุแห่งชาติ" in refused.value.text("th")
    platform.db(
        retention.archives_reply(
            tenant, clerk, made.id, "กองจดหมายเหตุแห่งชาติขอให้เก็บหนังสือลำดับที่ 3 ไว้", objected=[objected.public_id]
        )
    )
    platform.db(retention.set_hold(tenant, clerk, held.public_id, True, "ใช้เป็นพยานหลักฐานในคดี"))
    done = platform.db(retention.destroy(tenant, clerk, made.id, files, now=at(2027, 2, 12)))
    assert done.status == "destroyed"
    outcomes = {i["letter"]: i["outcome"] for i in done.items}
    assert outcomes == {
        doomed.public_id: "destroyed",
        kept.public_id: "kept",
        objected.public_id: "objected",
        held.public_id: "held",
    }

    gone = platform.db(Letter.get(id=doomed.id))
    assert gone.status == "destroyed" and gone.blob_key == ""
    assert gone.destroyed_at is not None and gone.destruction_ref == "บัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2569"
    assert not any(platform.blobs.exists(key) for key in doomed_keys)
    with pytest.raises(LetterNotFound):
        platform.db(letters.pdf(tenant, clerk, doomed.public_id, files))
    # The register keeps the row, and its latest revision says it was destroyed.
    rows = platform.db(RegisterEntry.filter(letter_id=doomed.id).order_by("revision"))
    assert [r.revision for r in rows] == [1, 2] and "ทำลายแล้ว" not in rows[0].remark
    book = platform.db(registers.register(tenant, clerk, "receive", 2568))
    remark = book.rows[[e.letter_id for e in book.entries].index(doomed.id)][-1]
    assert remark.startswith("ทำลายแล้ว") and "พ.ศ. 2569" in remark

    for survivor in (kept, objected, held):
        letter = platform.db(Letter.get(id=survivor.id))
        assert letter.status == "closed" and platform.blobs.exists(letter.blob_key)
    assert platform.db(Letter.get(id=kept.id)).retain_until == date(2028, 12, 31)
    assert platform.db(Letter.get(id=objected.id)).retention_class == "permanent"
    with pytest.raises(RetentionRefused):
        platform.db(retention.destroy(tenant, clerk, made.id, files, now=at(2027, 2, 13)))

    trail = platform.db(audit.verify(tenant.id))
    assert trail.intact and trail.entries > 0
    events = platform.db(audit.of_letter(tenant.id, doomed.public_id))
    assert [e.event for e in events][-1] == "destroyed"


def test_without_a_reply_destruction_waits_the_archives_days(
    platform: Any, offices: dict[str, Office]
) -> None:
    office = offices["committee"]
    tenant, clerk, files = office.tenant, office["clerk"], platform.saraban_files
    a_letter(platform, office, "ขอรับการสนับสนุนงบประมาณ", closed=at(2023, 8, 1))  # ends 2024-12-31
    found = platform.db(retention.survey(tenant, clerk, 2567, files, now=at(2025, 1, 15)))
    assert found is not None and len(found.items) == 1
    members = [office.id("member1"), office.id("member2")]
    platform.db(retention.appoint(tenant, clerk, found.id, files, chair=office.id("chair"), members=members))
    for who in ("chair", "member1", "member2"):
        platform.db(retention.approve(tenant, office[who], found.id, files))
    platform.db(retention.send_to_archives(tenant, clerk, found.id, now=at(2025, 2, 1)))
    with pytest.raises(RetentionRefused):
        platform.db(retention.destroy(tenant, clerk, found.id, files, now=at(2025, 3, 31)))
    done = platform.db(retention.destroy(tenant, clerk, found.id, files, now=at(2025, 4, 2)))
    assert done.status == "destroyed" and done.archives_reply == ""
    assert platform.db(audit.verify(tenant.id)).intact


def test_the_worker_surveys_only_within_60_days_of_new_year(
    platform: Any, offices: dict[str, Office]
) -> None:
    office = offices["chore"]
    files = platform.saraban_files
    # Retention ends 2018-12-31 (พ.ศ. 2561): no other office here has a letter that ended so early.
    ended = a_letter(platform, office, "ขอเชิญประชุมสภาเทศบาล", closed=at(2017, 5, 1))
    assert "saraban_survey" in [task.name for task in housekeeping_for(platform).tasks]

    def lists() -> list[DestructionList]:
        return platform.db(DestructionList.filter(tenant_id=office.tenant.id, year=2561))

    platform.db(retention.survey_due(files, now=at(2018, 12, 31)))  # the year is not over
    platform.db(
        retention.survey_due(files, now=datetime(2019, 3, 1, 17, 0, tzinfo=UTC))
    )  # 2 March in Bangkok
    assert lists() == []
    # 1 March 00.30 in Bangkok is still day 60 (though 28 February in UTC).
    platform.db(retention.survey_due(files, now=datetime(2019, 2, 28, 17, 30, tzinfo=UTC)))
    assert [listed(x) for x in lists()] == [[ended.public_id]]
    platform.db(retention.survey_due(files, now=at(2019, 1, 2)))
    assert len(lists()) == 1
