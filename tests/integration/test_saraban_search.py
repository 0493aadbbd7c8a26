"""Full-text search over letters: Thai words found inside unspaced text, สระอำ however a PDF writes
it, Thai and ASCII digits alike, only the tenant's own letters the officer may open, and hostile
queries answered without an error.

Runs on both databases (``make test`` runs the suite once per backend).
"""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from engine.services import accounts, tenants
from engine.services.saraban import organisation, search
from engine.services.saraban.organisation import Actor
from engine.store.models import Letter, LetterAccess, OrgUnit, Tenant, UnitMember
from thongthin.demo import DEMO_PASSWORD

FONT = Path(__file__).resolve().parents[2] / "renderers" / "fonts" / "Sarabun-Regular.ttf"


@dataclass
class Office:
    """A municipality with a registry clerk, an engineer in กองช่าง and an officer named on secrets."""

    tenant: Tenant
    clerk: Actor
    engineer: Actor
    named: Actor
    unit: OrgUnit


def make_office(platform: Any) -> Office:
    slug = f"q{uuid.uuid4().hex[:8]}"

    async def setup() -> Office:
        tenant = await tenants.ensure_tenant(
            slug, name_th=f"เทศบาลตำบลทดสอบ {slug}", name_en=slug, kind="municipality",
            province="เชียงใหม่", reference_prefix="SQ",
        )  # fmt: skip
        clerk = await accounts.create_user(
            tenant, f"{slug}.clerk", DEMO_PASSWORD, "นางสาวสารบรรณ ทดสอบ", ["saraban_clerk"]
        )
        engineer = await accounts.create_user(
            tenant, f"{slug}.eng", DEMO_PASSWORD, "นายช่าง ทดสอบ", ["engineer"]
        )
        named = await accounts.create_user(
            tenant, f"{slug}.named", DEMO_PASSWORD, "นายลับ ทดสอบ", ["engineer"]
        )
        unit = await OrgUnit.create(tenant_id=tenant.id, code="works", name_th="กองช่าง")
        await UnitMember.create(tenant_id=tenant.id, unit_id=unit.id, user_id=engineer.id)
        return Office(
            tenant,
            await organisation.actor(tenant, clerk),
            await organisation.actor(tenant, engineer),
            await organisation.actor(tenant, named),
            unit,
        )

    return platform.db(setup())


def add_letter(
    platform: Any,
    office: Office,
    subject: str,
    *,
    number: str = "",
    body: tuple[str, ...] = (),
    pdf: bytes = b"",
    secrecy: str = "normal",
    named: tuple[int, ...] = (),
    owner_unit: OrgUnit | None = None,
) -> Letter:
    """A received letter inserted as a row and indexed, as registering does."""

    async def insert() -> Letter:
        text = search.pdf_text(pdf) if pdf else ""
        async with in_transaction() as connection:
            letter = await Letter.create(
                public_id="L" + uuid.uuid4().hex[:16],
                tenant_id=office.tenant.id,
                direction="in",
                kind="external",
                status="received",
                subject=subject,
                sender="ที่ว่าการอำเภอเมืองเชียงใหม่",
                recipient="นายกเทศมนตรี",
                letter_number=number,
                secrecy=secrecy,
                body=list(body),
                holder_kind="role",
                holder="saraban_clerk",
                owner_unit_id=owner_unit.id if owner_unit else None,
                search_text=search.text_of(subject, number, *body),
                using_db=connection,
            )
            for user_id in named:
                await LetterAccess.create(
                    tenant_id=office.tenant.id,
                    letter_id=letter.id,
                    user_id=user_id,
                    reason="named",
                    using_db=connection,
                )
            await search.index_letter(connection, letter, pdf_text=text)
        return letter

    return platform.db(insert())


def found(platform: Any, office: Office, actor: Actor, text: str) -> list[str]:
    return [letter.public_id for letter in platform.db(search.search(office.tenant, actor, text))]


def test_thai_words_are_found_inside_unspaced_text(platform: Any) -> None:
    office = make_office(platform)
    letter = add_letter(platform, office, "ขอเชิญประชุมคณะกรรมการชุมชนตำบลแม่เหียะ")
    add_letter(platform, office, "รายงานผลการจัดซื้อจัดจ้างประจำเดือน")
    assert found(platform, office, office.clerk, "ตำบล") == [letter.public_id]
    assert found(platform, office, office.clerk, "แม่เหียะ") == [letter.public_id]
    assert found(platform, office, office.clerk, "ประชุม แม่เหียะ") == [letter.public_id]
    assert found(platform, office, office.clerk, "ประชุม จัดซื้อ") == []  # every word must be there


def test_body_paragraphs_are_searched_and_the_better_match_comes_first(platform: Any) -> None:
    office = make_office(platform)
    once = add_letter(platform, office, "แจ้งกำหนดการ", body=("การซ่อมถนนสายหลัก",))
    often = add_letter(
        platform, office, "ซ่อมถนน", body=("การซ่อมถนนในหมู่บ้าน", "งบประมาณซ่อมถนน", "ผู้รับจ้างซ่อมถนน")
    )
    assert found(platform, office, office.clerk, "ซ่อมถนน") == [often.public_id, once.public_id]


def test_newest_first_among_equal_matches(platform: Any) -> None:
    office = make_office(platform)
    older = add_letter(platform, office, "ขอรับการสนับสนุนงบประมาณ")
    newer = add_letter(platform, office, "ขอรับการสนับสนุนงบประมาณ")
    assert found(platform, office, office.clerk, "งบประมาณ") == [newer.public_id, older.public_id]


def thai_pdf(text: str) -> bytes:
    weasyprint = pytest.importorskip("weasyprint")
    html = (
        f"<html><head><style>@font-face {{ font-family: Sarabun; src: url('{FONT.as_uri()}'); }}"
        f"body {{ font-family: Sarabun; }}</style></head><body><p>{text}</p></body></html>"
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())


def test_a_pdf_writing_sara_am_as_two_characters_is_found_by_the_word_typed_normally(platform: Any) -> None:
    if subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0:
        pytest.skip("poppler's pdftotext is not installed (make system installs it)")
    office = make_office(platform)
    pdf = thai_pdf("ขอความอนุเคราะห์ข้อมูลต\u0e4d\u0e32บลสันผีเสื้อ")
    raw = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True).stdout
    assert search.NIKHAHIT_AA in raw.decode()  # the text layer really writes ำ as ํ + า
    letter = add_letter(platform, office, "ขอความอนุเคราะห์ข้อมูล", pdf=pdf)
    assert found(platform, office, office.clerk, "ตำบล") == [letter.public_id]
    assert found(platform, office, office.clerk, "สันผีเสื้อ") == [letter.public_id]


def test_numbers_match_in_thai_or_ascii_digits(platform: Any) -> None:
    office = make_office(platform)
    ascii_number = add_letter(platform, office, "ส่งรายงาน", number="ชม 52101/1234")
    thai_number = add_letter(platform, office, "ส่งแบบสำรวจ", number="มท ๐๘๐๘.๒/ว๕๖๗๘")
    assert found(platform, office, office.clerk, "๕๒๑๐๑/๑๒๓๔") == [ascii_number.public_id]
    assert found(platform, office, office.clerk, "52101/1234") == [ascii_number.public_id]
    assert found(platform, office, office.clerk, "0808.2/ว5678") == [thai_number.public_id]
    assert found(platform, office, office.clerk, "๕๖๗๘") == [thai_number.public_id]
    assert found(platform, office, office.clerk, "5210") == [ascii_number.public_id]  # a number's beginning


def test_another_tenants_letters_are_never_found(platform: Any) -> None:
    mine, theirs = make_office(platform), make_office(platform)
    add_letter(platform, theirs, "โครงการปรับปรุงระบบประปาหมู่บ้าน")
    assert found(platform, mine, mine.clerk, "ประปา") == []
    # Not even when an officer of one is asked about the other's letters.
    assert platform.db(search.search(theirs.tenant, mine.clerk, "ประปา")) == []
    assert found(platform, theirs, theirs.clerk, "ประปา") != []


def test_classified_letters_only_for_their_named_list(platform: Any) -> None:
    office = make_office(platform)
    secret = add_letter(
        platform, office, "การสอบสวนข้อเท็จจริงเรื่องร้องเรียน", secrecy="secret", named=(office.named.user.id,)
    )
    open_ = add_letter(platform, office, "ประชาสัมพันธ์เรื่องร้องเรียน", owner_unit=office.unit)
    assert found(platform, office, office.named, "ร้องเรียน") == [secret.public_id]
    # The registry is not named on it either; the owner unit's member sees the open one.
    assert found(platform, office, office.clerk, "ร้องเรียน") == [open_.public_id]
    assert found(platform, office, office.engineer, "ร้องเรียน") == [open_.public_id]


def test_an_officer_sees_only_what_they_may_open(platform: Any) -> None:
    office = make_office(platform)
    add_letter(platform, office, "ขออนุมัติเบิกจ่ายเงิน")  # with the registry, not routed to anyone
    assert found(platform, office, office.engineer, "เบิกจ่าย") == []
    assert len(found(platform, office, office.clerk, "เบิกจ่าย")) == 1


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        '"ตำบล',
        "*",
        "ตำบล*",
        "NEAR(ตำบล แม่เหียะ, 2)",
        "'; DROP TABLE saraban_search; --",
        "ตำบล' OR '1'='1",
        "ตำบล AND OR NOT",
        "^ตำบล",
        "words:ตำบล",
        "!!! ??? ...",
        "",
        "   ",
        "ก" * 5000,
        " ".join(["ตำบล"] * 100),
        "52101/%_\\",
        "ตำบล & | ! <-> :*",
    ],
)
def test_a_hostile_query_finds_or_not_but_never_fails(platform: Any, hostile: str) -> None:
    office = make_office(platform)
    letter = add_letter(platform, office, "ตำบลแม่เหียะ", number="52101/7")
    got = found(platform, office, office.clerk, hostile)
    assert set(got) <= {letter.public_id}
    assert found(platform, office, office.clerk, "ตำบล") == [letter.public_id]  # the index is still there


def test_punctuation_only_finds_nothing(platform: Any) -> None:
    office = make_office(platform)
    add_letter(platform, office, "ตำบลแม่เหียะ")
    assert found(platform, office, office.clerk, " .,;:/-()[]\"' ") == []


def test_reindexing_replaces_the_words(platform: Any) -> None:
    office = make_office(platform)
    letter = add_letter(platform, office, "ขอเชิญประชุม")

    async def change() -> None:
        letter.subject = "ยกเลิกการประชุม"
        await letter.save()
        async with in_transaction() as connection:
            await search.index_letter(connection, letter)

    platform.db(change())
    assert found(platform, office, office.clerk, "ยกเลิก") == [letter.public_id]
    assert found(platform, office, office.clerk, "เชิญ") == []
