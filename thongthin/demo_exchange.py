"""The demo's neighbour, เทศบาลตำบลสุเทพ, and the letters it has exchanged with แม่เหียะ.

:func:`seed_town` makes the municipality and its officers (``suthep.<role>``) before the
development PKI starts, so their certificates are issued with the others; :func:`seed` then
exchanges letters both ways through the same service calls the registry uses, with the delivery
jobs run in between, so each delivery shows one state of the exchange:

- แม่เหียะ → สุเทพ registered there, the เลขรับ back in แม่เหียะ's delivery;
- สุเทพ → แม่เหียะ waiting in แม่เหียะ's arrivals to be registered;
- แม่เหียะ → สุเทพ refused with a reason; สุเทพ → แม่เหียะ reported as wrongly delivered;
- แม่เหียะ → สุเทพ withdrawn and sent again, the second round waiting in สุเทพ's arrivals;
- สุเทพ → the district office, whose own system is down: queued, tried again by the worker.

Seeded once (when สุเทพ has no letter yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.definitions import Catalog
from engine.services import accounts, tenants
from engine.services.saraban import agencies, exchange, letters, organisation
from engine.services.saraban.exchange import Exchange
from engine.services.saraban.letters import Files, Outgoing
from engine.store.models import Agency, Letter, Tenant, User

NEIGHBOUR = {
    "slug": "suthep",
    "name_th": "เทศบาลตำบลสุเทพ",
    "name_en": "Suthep Subdistrict Municipality",
    "kind": "municipality",
    "province": "เชียงใหม่",
    "reference_prefix": "ST",
    "address_th": "เลขที่ 99 ถนนสุเทพ ตำบลสุเทพ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50200",
}
NEIGHBOUR_CODE = "ชม 52112"
# role, name, position: the officers the exchange needs (registry, drafting, signing).
NEIGHBOUR_OFFICERS = (
    ("saraban_clerk", "นางสาวดวงใจ คำมูล", "เจ้าพนักงานธุรการ"),
    ("chief_administrator", "นายไพโรจน์ สิทธิวงศ์", "ปลัดเทศบาลตำบลสุเทพ"),
    ("department_head", "นางวิไลวรรณ อินต๊ะ", "ผู้อำนวยการกองช่าง"),
    ("mayor", "นายสมบูรณ์ ธรรมวงศ์", "นายกเทศมนตรีตำบลสุเทพ"),
)
NEIGHBOUR_ROLES = tuple(role for role, _name, _position in NEIGHBOUR_OFFICERS)
NEIGHBOUR_UNITS = (
    ("palad", "สำนักปลัดเทศบาล", "Office of the Municipal Clerk", ".1", ("chief_administrator", "saraban_clerk")),
    ("finance", "กองคลัง", "Finance Division", ".2", ()),
    ("engineering", "กองช่าง", "Engineering Division", ".3", ("department_head",)),
)  # fmt: skip
# The district office takes letters on its own node; in the demo nothing listens there, so a letter
# to it stays queued and the worker tries it again, as it would while that system is down.
DISTRICT = {
    "name_th": "ที่ทำการปกครองอำเภอเมืองเชียงใหม่",
    "name_en": "Mueang Chiang Mai District Office",
    "letter_code": "ชม 0318",
    "endpoint_url": "http://127.0.0.1:9/api/v1/saraban/inbound",
}


async def seed_town(catalog: Catalog) -> list[str]:
    """Create (idempotently) สุเทพ and its officers; returns their usernames."""
    from thongthin.demo import DEMO_PASSWORD

    fields = dict(NEIGHBOUR)
    slug = fields.pop("slug")
    tenant = await tenants.ensure_tenant(slug, **fields)
    made = []
    for role, name, position in NEIGHBOUR_OFFICERS:
        if role not in catalog.roles:
            continue
        username = f"{slug}.{role}"
        if not await User.exists(tenant=tenant, username=username):
            await accounts.create_user(tenant, username, DEMO_PASSWORD, name, (role,), position_th=position)
        made.append(username)
    return made


async def seed_organisation(tenant: Tenant) -> None:
    """สุเทพ's units, letter code and directory entry (idempotent)."""
    saraban = dict((tenant.settings or {}).get("saraban") or {})
    if not saraban.get("letter_code"):
        settings = {**(tenant.settings or {}), "saraban": {**saraban, "letter_code": NEIGHBOUR_CODE}}
        await Tenant.filter(id=tenant.id).update(settings=settings)
        tenant.settings = settings
    for code, name_th, name_en, suffix, members in NEIGHBOUR_UNITS:
        await organisation.put_unit(
            tenant, code, name_th, name_en=name_en, letter_suffix=suffix, phone="053-211-000"
        )
        for i, role in enumerate(members):
            user = await User.get_or_none(tenant_id=tenant.id, username=f"{tenant.slug}.{role}")
            if user is not None:
                await organisation.add_member(tenant, code, user.id, head=i == 0)
    await agencies.ensure_for_tenant(tenant)


@dataclass
class LocalExchange:
    """The exchange of an installation's letter files without the rest of the platform: what
    :class:`thongthin.saraban_exchange.Deliverer` reads from it."""

    saraban_files: Files
    saraban_exchange: Exchange = field(init=False)

    def __post_init__(self) -> None:
        from thongthin.saraban_exchange import exchange_for

        self.saraban_exchange = exchange_for(self)


async def pump(installation: LocalExchange, *, batch: int = 50) -> int:
    """Run the due delivery jobs until none is left (each notice answered queues another);
    returns how many ran. A delivery that failed waits for its retry and is not run again here."""
    from engine.effects.builtin import SARABAN_DELIVER
    from engine.services.effects import Runners, run_pending
    from thongthin.saraban_exchange import Deliverer

    runners = Runners({SARABAN_DELIVER.name: (Deliverer(installation), SARABAN_DELIVER.retry)})
    ran = 0
    while done := (await run_pending(runners, limit=batch)).done:
        ran += done
    return ran


@dataclass(frozen=True)
class _Town:
    tenant: Tenant
    mayor_position: str

    async def actor(self, role: str) -> organisation.Actor:
        user = await User.get(tenant_id=self.tenant.id, username=f"{self.tenant.slug}.{role}")
        return await organisation.actor(self.tenant, user)

    async def signed(
        self, files: Files, subject: str, recipient: str, to: str, body: tuple[str, ...]
    ) -> Letter:
        """Drafted by the engineering head, presented to the mayor, signed by the mayor."""
        head, mayor = await self.actor("department_head"), await self.actor("mayor")
        draft = await letters.draft(
            self.tenant, head,
            Outgoing("external", subject, recipient, "engineering", body=body, addressees=(to,),
                     signer_name=mayor.user.display_name, signer_position=self.mayor_position),
            files,
        )  # fmt: skip
        await letters.route(self.tenant, head, draft.public_id, files, version=draft.version, action="present",
                            target_kind="role", target="mayor", text="เห็นควรลงนาม")  # fmt: skip
        return await letters.sign(self.tenant, mayor, draft.public_id, files, version=draft.version + 1)

    async def send(self, letter: Letter, box: Exchange) -> None:
        await exchange.send(self.tenant, await self.actor("saraban_clerk"), letter.public_id, box)

    async def arrived(self, box: Exchange, number: str) -> str:
        """The receipt id of the letter numbered ``number`` waiting in this town's arrivals."""
        clerk = await self.actor("saraban_clerk")
        waiting = await exchange.incoming(self.tenant, clerk)
        return next(m.receipt_id for m in waiting if m.letter_number == number)


async def seed(maehia: Tenant, files: Files) -> int:
    """Letters between แม่เหียะ and สุเทพ in every state of the exchange; returns how many letters
    were signed (none when สุเทพ has letters already)."""
    tenant = await Tenant.get_or_none(slug=NEIGHBOUR["slug"])
    if tenant is None or await Letter.exists(tenant_id=tenant.id):
        return 0
    await seed_organisation(tenant)
    await agencies.ensure_for_tenant(maehia)
    if not await Agency.exists(letter_code=DISTRICT["letter_code"]):
        await agencies.add(agencies.COMMAND_LINE, **DISTRICT)
    installation = LocalExchange(files)
    box = installation.saraban_exchange
    here = _Town(maehia, "นายกเทศมนตรีเมืองแม่เหียะ")
    there = _Town(tenant, "นายกเทศมนตรีตำบลสุเทพ")
    maehia_code = str(maehia.settings["saraban"]["letter_code"])
    to_suthep = "นายกเทศมนตรีตำบลสุเทพ"
    to_maehia = "นายกเทศมนตรีเมืองแม่เหียะ"

    accepted = await here.signed(
        files, "ขอความร่วมมือกำจัดผักตบชวาในลำเหมืองสาธารณะ", to_suthep, NEIGHBOUR_CODE,
        ("ด้วยลำเหมืองสาธารณะที่ไหลผ่านเขตเทศบาลทั้งสองแห่งมีผักตบชวากีดขวางทางน้ำ ซึ่งอาจทำให้น้ำท่วมขังในฤดูฝน",
         "เทศบาลเมืองแม่เหียะจึงขอความร่วมมือเทศบาลตำบลสุเทพกำจัดผักตบชวาในเขตรับผิดชอบภายในเดือนนี้",
         "จึงเรียนมาเพื่อโปรดพิจารณาให้ความร่วมมือ"),
    )  # fmt: skip
    refused = await here.signed(
        files, "ขอยืมเครื่องสูบน้ำเพื่อช่วยเหลือผู้ประสบอุทกภัย", to_suthep, NEIGHBOUR_CODE,
        ("ด้วยเกิดน้ำท่วมขังในหมู่ที่ 3 ตำบลแม่เหียะ เครื่องสูบน้ำของเทศบาลไม่เพียงพอ",
         "จึงขอยืมเครื่องสูบน้ำของเทศบาลตำบลสุเทพ ตามบัญชีรายการที่แนบมาพร้อมนี้",
         "จึงเรียนมาเพื่อโปรดพิจารณาให้ยืม"),
    )  # fmt: skip
    resent = await here.signed(
        files, "ขอเชิญร่วมพิธีเปิดสวนสาธารณะเทศบาลเมืองแม่เหียะ", to_suthep, NEIGHBOUR_CODE,
        ("ด้วยเทศบาลเมืองแม่เหียะจะจัดพิธีเปิดสวนสาธารณะแห่งใหม่ ณ บริเวณหนองน้ำหมู่ที่ 5",
         "จึงขอเรียนเชิญนายกเทศมนตรีตำบลสุเทพหรือผู้แทนร่วมเป็นเกียรติในพิธี",
         "จึงเรียนมาเพื่อโปรดเข้าร่วมพิธีโดยพร้อมเพรียงกัน"),
    )  # fmt: skip
    waiting = await there.signed(
        files, "ขอเชิญประชุมเตรียมการจัดงานประเพณียี่เป็งร่วมกัน", to_maehia, maehia_code,
        ("ด้วยเทศบาลตำบลสุเทพจะจัดงานประเพณียี่เป็งร่วมกับชุมชนในเขตเทศบาลใกล้เคียง",
         "จึงขอเชิญเทศบาลเมืองแม่เหียะส่งผู้แทนเข้าร่วมประชุมเตรียมการ ณ ห้องประชุมเทศบาลตำบลสุเทพ",
         "จึงเรียนมาเพื่อโปรดส่งผู้แทนเข้าร่วมประชุม"),
    )  # fmt: skip
    misdirected = await there.signed(
        files, "ขอข้อมูลผู้สูงอายุที่ย้ายภูมิลำเนาเพื่อรับเบี้ยยังชีพ", to_maehia, maehia_code,
        ("ด้วยมีผู้สูงอายุย้ายภูมิลำเนามาอยู่ในเขตเทศบาลตำบลสุเทพ ตามบัญชีรายชื่อที่แนบมาพร้อมนี้",
         "จึงขอข้อมูลการรับเบี้ยยังชีพผู้สูงอายุของบุคคลดังกล่าวเพื่อประกอบการพิจารณาจ่ายเบี้ยยังชีพต่อไป",
         "จึงเรียนมาเพื่อโปรดแจ้งข้อมูลให้ทราบ"),
    )  # fmt: skip
    for letter in (accepted, refused, resent):
        await here.send(letter, box)
    for letter in (waiting, misdirected):
        await there.send(letter, box)
    await pump(installation)

    suthep_clerk, maehia_clerk = await there.actor("saraban_clerk"), await here.actor("saraban_clerk")
    await exchange.register(tenant, suthep_clerk, await there.arrived(box, accepted.letter_number), box)
    await exchange.reject(
        tenant, suthep_clerk, await there.arrived(box, refused.letter_number), box,
        reason="หนังสือไม่ได้แนบบัญชีรายการเครื่องสูบน้ำที่ขอยืมตามที่อ้างถึง โปรดแนบบัญชีรายการแล้วส่งมาใหม่",
    )  # fmt: skip
    await exchange.report_wrong_delivery(
        maehia, maehia_clerk, await here.arrived(box, misdirected.letter_number), box,
        reason="ผู้สูงอายุตามบัญชีที่แนบมามีภูมิลำเนาเดิมในเขตองค์การบริหารส่วนตำบลหนองควาย โปรดส่งหนังสือถึงหน่วยงานนั้น",
    )  # fmt: skip
    await exchange.withdraw(
        maehia, maehia_clerk, resent.public_id, NEIGHBOUR_CODE, box,
        reason="เทศบาลตำบลสุเทพแจ้งว่าได้รับไฟล์หนังสือไม่สมบูรณ์ จึงขอลบหนังสือเพื่อส่งใหม่",
    )  # fmt: skip
    await pump(installation)
    await exchange.resend(maehia, maehia_clerk, resent.public_id, NEIGHBOUR_CODE, box)
    await pump(installation)

    # Sent last and not pumped: the worker takes it up once the demo serves, and keeps trying.
    survey = await there.signed(
        files, "รายงานผลการสำรวจข้อมูลผู้สูงอายุในเขตเทศบาลตำบลสุเทพ", "นายอำเภอเมืองเชียงใหม่",
        DISTRICT["letter_code"],
        ("ตามที่อำเภอเมืองเชียงใหม่ขอความร่วมมือเทศบาลสำรวจข้อมูลผู้สูงอายุในพื้นที่ นั้น",
         "เทศบาลตำบลสุเทพได้สำรวจแล้วเสร็จ พบผู้สูงอายุในเขตเทศบาล 1,245 คน รายละเอียดตามบัญชีที่แนบมาพร้อมนี้",
         "จึงเรียนมาเพื่อโปรดทราบ"),
    )  # fmt: skip
    await there.send(survey, box)
    return 6


__all__ = ["NEIGHBOUR", "NEIGHBOUR_CODE", "NEIGHBOUR_ROLES", "LocalExchange", "pump", "seed", "seed_town"]
