"""The demo town's correspondence: its units and letter code, who works where, and letters in every book.

Seeded once (when the town has no letter yet), through the same service calls officers use,
so every letter has its register rows, stamps, signed steps and audit entries. Signing needs
the development PKI running (``thongthin demo`` starts it first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.saraban.ports import DraftLetter
from engine.services.saraban import letters, numbers, organisation
from engine.services.saraban.letters import Files, Incoming, Outgoing
from engine.store.models import Letter, Tenant, User

LETTER_CODE = "ชม 52101"


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name_th: str
    name_en: str
    suffix: str
    members: tuple[str, ...]  # roles of the demo officers who work there; the first is its head


DEMO_UNITS = (
    DemoUnit("palad", "สำนักปลัดเทศบาล", "Office of the Municipal Clerk", ".1",
             ("chief_administrator", "saraban_clerk", "clerk", "records", "complaint_officer", "admin")),
    DemoUnit("finance", "กองคลัง", "Finance Division", ".2", ("finance_officer", "revenue_officer")),
    DemoUnit("engineering", "กองช่าง", "Engineering Division", ".3",
             ("department_head", "engineer", "planner", "building_official", "department_officer")),
    DemoUnit("health", "กองสาธารณสุขและสิ่งแวดล้อม", "Public Health and Environment Division", ".4",
             ("health_director", "public_health_officer", "sanitarian")),
    DemoUnit("welfare", "กองสวัสดิการสังคม", "Social Welfare Division", ".5", ("social_welfare_head", "social_worker")),
)  # fmt: skip


async def seed_organisation(tenant: Tenant) -> None:
    """Units, the letter code and who works where (idempotent)."""
    settings = dict(tenant.settings or {})
    saraban = dict(settings.get("saraban") or {})
    if not saraban.get("letter_code"):
        saraban["letter_code"] = LETTER_CODE
        settings["saraban"] = saraban
        await Tenant.filter(id=tenant.id).update(settings=settings)
        tenant.settings = settings
    for unit in DEMO_UNITS:
        await organisation.put_unit(
            tenant,
            unit.code,
            unit.name_th,
            name_en=unit.name_en,
            letter_suffix=unit.suffix,
            phone="053-123-456",
        )
        for i, role in enumerate(unit.members):
            user = await User.get_or_none(tenant_id=tenant.id, username=f"{tenant.slug}.{role}")
            if user is not None:
                await organisation.add_member(tenant, unit.code, user.id, head=i == 0)


async def _actor(tenant: Tenant, role: str) -> organisation.Actor:
    user = await User.get(tenant_id=tenant.id, username=f"{tenant.slug}.{role}")
    return await organisation.actor(tenant, user)


def _incoming_pdf(files: Files, sender: str, number: str, day: date, subject: str, body: str) -> bytes:
    """A letter as another agency would have sent it (rendered here; in life it arrives scanned or signed)."""
    rendered = files.tools.render_draft(
        DraftLetter(
            kind="external", agency_name=sender, agency_address="ถนนโชตนา เชียงใหม่ 50300",
            unit_name=sender, letter_code="", circular=False, subject=subject, salutation="เรียน",
            recipient="นายกเทศมนตรีเมืองแม่เหียะ", references=(), enclosures=(), body=(body,),
            signer_name="นายวิชัย สุขใจ", signer_position=f"ผู้อำนวยการ{sender}", contact="",
            urgency="normal", due_at=None, secrecy="normal", thai_numerals=False, number=number, letter_date=day,
        )
    )  # fmt: skip
    return rendered.pdf


async def seed_letters(tenant: Tenant, files: Files) -> int:
    """A few letters in every book, at various steps; returns how many (none when the town has letters)."""
    import asyncio

    if await Letter.exists(tenant_id=tenant.id):
        return 0
    clerk = await _actor(tenant, "saraban_clerk")
    palad = await _actor(tenant, "chief_administrator")
    mayor = await _actor(tenant, "mayor")
    head = await _actor(tenant, "department_head")
    now = datetime.now(UTC)
    today = now.date()
    made = 0

    flood = await asyncio.to_thread(
        _incoming_pdf, files, "สำนักงานป้องกันและบรรเทาสาธารณภัยจังหวัดเชียงใหม่", "ชม 0018/ว 1234",
        today - timedelta(days=2), "ขอให้เตรียมความพร้อมรับมืออุทกภัย",
        "ด้วยกรมอุตุนิยมวิทยาแจ้งว่าจะมีฝนตกหนักในพื้นที่ภาคเหนือ จึงขอให้เทศบาลเตรียมความพร้อมด้านเครื่องมือและกำลังคน",
    )  # fmt: skip
    letter = await letters.receive(
        tenant, clerk,
        Incoming("ชม 0018/ว 1234", today - timedelta(days=2), "สำนักงานป้องกันและบรรเทาสาธารณภัยจังหวัดเชียงใหม่",
                 "นายกเทศมนตรีเมืองแม่เหียะ", "ขอให้เตรียมความพร้อมรับมืออุทกภัย", urgency="very_urgent"),
        flood, files,
    )  # fmt: skip
    await letters.route(tenant, clerk, letter.public_id, files, version=letter.version, action="for_consideration",
                               target_kind="role", target="chief_administrator", text="เรื่องเร่งด่วน")  # fmt: skip
    await letters.route(tenant, palad, letter.public_id, files, version=letter.version + 1, action="assign",
                        target_kind="unit", target="engineering", text="เตรียมเครื่องสูบน้ำและรายงานภายใน 3 วัน")  # fmt: skip
    made += 1

    survey = await asyncio.to_thread(
        _incoming_pdf, files, "ที่ทำการปกครองอำเภอเมืองเชียงใหม่", "ชม 0318/5678", today - timedelta(days=1),
        "ขอความร่วมมือสำรวจข้อมูลผู้สูงอายุ", "ขอความร่วมมือเทศบาลสำรวจข้อมูลผู้สูงอายุในพื้นที่และแจ้งผลภายในสิ้นเดือน",
    )  # fmt: skip
    await letters.receive(
        tenant, clerk,
        Incoming("ชม 0318/5678", today - timedelta(days=1), "ที่ทำการปกครองอำเภอเมืองเชียงใหม่",
                 "นายกเทศมนตรีเมืองแม่เหียะ", "ขอความร่วมมือสำรวจข้อมูลผู้สูงอายุ", urgency="most_urgent"),
        survey, files,
    )  # fmt: skip
    made += 1

    secret = await asyncio.to_thread(
        _incoming_pdf, files, "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่", "ชม 0023.3/999", today,
        "ผลการตรวจสอบข้อร้องเรียน", "ตามที่มีผู้ร้องเรียน บัดนี้การตรวจสอบเสร็จสิ้นแล้ว รายละเอียดตามเอกสารแนบ",
    )  # fmt: skip
    await letters.receive(
        tenant, clerk,
        Incoming("ชม 0023.3/999", today, "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่", "นายกเทศมนตรีเมืองแม่เหียะ",
                 "ผลการตรวจสอบข้อร้องเรียน", secrecy="secret", access=(palad.user.id, mayor.user.id)),
        secret, files,
    )  # fmt: skip
    made += 1

    reply = await letters.draft(
        tenant, head,
        Outgoing("external", "รายงานการเตรียมความพร้อมรับมืออุทกภัย", "ผู้อำนวยการสำนักงานป้องกันและบรรเทาสาธารณภัยจังหวัดเชียงใหม่",
                 "engineering", body=("ตามที่สำนักงานฯ ขอให้เทศบาลเตรียมความพร้อมรับมืออุทกภัย นั้น",
                                      "เทศบาลเมืองแม่เหียะได้เตรียมเครื่องสูบน้ำ 6 เครื่อง และเจ้าหน้าที่ 20 คน พร้อมปฏิบัติงานตลอด 24 ชั่วโมงแล้ว",
                                      "จึงเรียนมาเพื่อโปรดทราบ"),
                 references=("หนังสือสำนักงานป้องกันและบรรเทาสาธารณภัยจังหวัดเชียงใหม่ ที่ ชม 0018/ว 1234",),
                 signer_name=mayor.user.display_name, signer_position="นายกเทศมนตรีเมืองแม่เหียะ"),
        files,
    )  # fmt: skip
    await letters.route(tenant, head, reply.public_id, files, version=reply.version, action="present",
                        target_kind="role", target="chief_administrator", text="เห็นควรลงนาม")  # fmt: skip
    await letters.route(tenant, palad, reply.public_id, files, version=reply.version + 1, action="present",
                        target_kind="role", target="mayor", text="เห็นควรลงนาม")  # fmt: skip
    await letters.sign(tenant, mayor, reply.public_id, files, version=reply.version + 2)
    made += 1

    order = await letters.draft(
        tenant, clerk,
        Outgoing("order", "แต่งตั้งคณะทำงานเฝ้าระวังอุทกภัย", "", "palad",
                 body=("เพื่อให้การเฝ้าระวังและช่วยเหลือผู้ประสบอุทกภัยเป็นไปอย่างมีประสิทธิภาพ",
                       "จึงแต่งตั้งคณะทำงานเฝ้าระวังอุทกภัยเทศบาลเมืองแม่เหียะ โดยมีปลัดเทศบาลเป็นประธาน และผู้อำนวยการกองช่างเป็นเลขานุการ",
                       "ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป"),
                 signer_name=mayor.user.display_name, signer_position="นายกเทศมนตรีเมืองแม่เหียะ"),
        files,
    )  # fmt: skip
    await letters.route(tenant, clerk, order.public_id, files, version=order.version, action="present",
                        target_kind="role", target="mayor")  # fmt: skip
    await letters.sign(tenant, mayor, order.public_id, files, version=order.version + 1)
    made += 1

    notice = await letters.draft(
        tenant, clerk,
        Outgoing("announcement", "กำหนดการรับชำระภาษีที่ดินและสิ่งปลูกสร้าง ประจำปี", "", "palad",
                 body=("ด้วยเทศบาลเมืองแม่เหียะจะรับชำระภาษีที่ดินและสิ่งปลูกสร้าง ตั้งแต่เดือนเมษายนถึงเดือนมิถุนายน",
                       "จึงประกาศให้ทราบโดยทั่วกัน"),
                 signer_name=mayor.user.display_name, signer_position="นายกเทศมนตรีเมืองแม่เหียะ"),
        files,
    )  # fmt: skip
    await letters.route(tenant, clerk, notice.public_id, files, version=notice.version, action="present",
                        target_kind="role", target="mayor")  # fmt: skip
    await letters.sign(tenant, mayor, notice.public_id, files, version=notice.version + 1)
    made += 1

    circular = await letters.draft(
        tenant, clerk,
        Outgoing("external", "ขอเชิญประชุมประจำเดือน", "ประธานชุมชนทุกชุมชน", "palad", circular=True,
                 body=("ด้วยเทศบาลเมืองแม่เหียะกำหนดประชุมประธานชุมชนประจำเดือน ณ ห้องประชุมเทศบาล",
                       "จึงเรียนมาเพื่อโปรดเข้าร่วมประชุมโดยพร้อมเพรียงกัน"),
                 signer_name=palad.user.display_name, signer_position="ปลัดเทศบาลเมืองแม่เหียะ"),
        files,
    )  # fmt: skip
    await letters.route(tenant, clerk, circular.public_id, files, version=circular.version, action="present",
                        target_kind="role", target="chief_administrator")  # fmt: skip
    await letters.sign(tenant, palad, circular.public_id, files, version=circular.version + 1)
    made += 1

    await numbers.reserve(tenant, clerk, "send", subject="หนังสือตอบกรมส่งเสริมการปกครองท้องถิ่น (จองเลขไว้)")
    return made


async def seed(tenant_slug: str, files: Any) -> int:
    tenant = await Tenant.get(slug=tenant_slug)
    await seed_organisation(tenant)
    made = await seed_letters(tenant, files)
    from thongthin import demo_exchange

    return made + await demo_exchange.seed(tenant, files)
