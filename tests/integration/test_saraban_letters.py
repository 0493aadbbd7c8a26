"""Letters through the correspondence services, with the real PDF side: WeasyPrint letters, pyHanko
stamps and PAdES signatures from the development PKI served on loopback, checked by poppler's
``pdfsig`` (an independent validator that trusts the development root only).

- the receive stamp is an incremental revision: a letter signed by its sender stays valid, and
  the bytes as received are a prefix of the stamped file (their sha256 is kept);
- a three-step endorsement chain gives three valid signatures, in order; a step on a stale
  version is refused (409) and adds nothing;
- the send number is printed before the final signature, which covers the whole file;
- secrecy: ลับที่สุด is refused electronically with the regulation cited; a classified letter is
  opened only by the named officers, and their copies carry their name; every opening audited;
- another municipality's officers never find a letter.
"""

from __future__ import annotations

import subprocess
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.saraban.errors import LetterFileRefused, LetterNotFound, NotAllowed, SecrecyRefused, StaleLetter
from engine.services import accounts, tenants
from engine.services.saraban import audit, letters, organisation
from engine.services.saraban.letters import Incoming, Outgoing
from engine.store.models import RegisterEntry, SarabanAudit
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from tests.signing_fixtures import need_tool, pdfsig, trusting_nss_db
from thongthin.demo import DEMO_PASSWORD

ROLES = ("saraban_clerk", "chief_administrator", "mayor", "department_head")


@dataclass
class Office:
    tenant: Any
    people: dict[str, organisation.Actor] = field(default_factory=dict)

    def __getitem__(self, role: str) -> organisation.Actor:
        return self.people[role]


def make_office(platform: Any, pki_officers: list[Officer], *, code: str = "ชม 52101") -> Office:
    slug = f"l{uuid.uuid4().hex[:8]}"

    async def setup() -> Office:
        tenant = await tenants.ensure_tenant(
            slug, name_th=f"เทศบาลตำบลทดสอบหนังสือ {slug}", name_en=slug, kind="municipality",
            province="เชียงใหม่", reference_prefix="LT",
        )  # fmt: skip
        tenant.settings = {"saraban": {"letter_code": code}}
        await tenant.save()
        office = Office(tenant)
        for role in (*ROLES, "engineer"):
            user = await accounts.create_user(
                tenant, f"{slug}.{role}", DEMO_PASSWORD, f"สมชาย {role}", [role], position_th=f"ตำแหน่ง {role}"
            )
            office.people[role] = await organisation.actor(tenant, user)
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        await organisation.add_member(tenant, "engineering", office["department_head"].user.id, head=True)
        await organisation.add_member(tenant, "engineering", office["engineer"].user.id)
        for role in ("department_head", "engineer"):
            office.people[role] = await organisation.actor(tenant, office[role].user)
        return office

    office = platform.db(setup())
    pki_officers.extend(Officer(slug, role, f"สมชาย {role}", office.tenant.name_th) for role in ROLES)
    return office


@pytest.fixture(scope="module")
def offices(platform: Any) -> Iterator[tuple[Office, Office, DevPki]]:
    officers: list[Officer] = []
    here = make_office(platform, officers)
    there = make_office(platform, officers, code="ชม 52102")
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield here, there, pki
    server.stop()


@pytest.fixture(scope="module")
def nss(offices: tuple[Office, Office, DevPki], tmp_path_factory: pytest.TempPathFactory) -> str:
    need_tool("pdfsig", "certutil")
    return trusting_nss_db(offices[2].root_cert_path, tmp_path_factory.mktemp("nss-saraban"))


def text_of(pdf: bytes, tmp: Path) -> str:
    need_tool("pdftotext")
    path = tmp / "letter.pdf"
    path.write_bytes(pdf)
    raw = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # pdftotext writes ำ as nikhahit + sara aa; fold it back before comparing.
    return unicodedata.normalize("NFC", raw.replace("\u0e4d\u0e32", "\u0e33"))


def signatures(pdf: bytes, tmp: Path, nss: str) -> str:
    path = tmp / "signed.pdf"
    path.write_bytes(pdf)
    return pdfsig(path, nss)


def a_letter_from_outside(platform: Any, office: Office) -> bytes:
    """A letter drafted and signed by another municipality, as it would arrive."""
    files = platform.saraban_files
    head = office["department_head"]
    draft = platform.db(
        letters.draft(
            office.tenant, head,
            Outgoing("external", "ขอความอนุเคราะห์ใช้รถบรรทุกน้ำ", "นายกเทศมนตรีตำบลปลายทาง", "engineering",
                     body=("ด้วยตำบลประสบภัยแล้ง จึงขอความอนุเคราะห์ใช้รถบรรทุกน้ำ",)),
            files,
        )
    )  # fmt: skip
    signed = platform.db(letters.sign(office.tenant, head, draft.public_id, files, version=draft.version))
    return platform.blobs.get(signed.blob_key)


def test_the_receive_stamp_keeps_the_senders_signature_valid(
    platform: Any, offices: tuple[Office, Office, DevPki], nss: str, tmp_path: Path
) -> None:
    here, there, _ = offices
    arrived = a_letter_from_outside(platform, there)
    assert signatures(arrived, tmp_path, nss).count("Signature is Valid.") == 1
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/1", date(2026, 12, 1), there.tenant.name_th, "นายกเทศมนตรี", "ขอความอนุเคราะห์ใช้รถบรรทุกน้ำ"),
            arrived, platform.saraban_files,
        )
    )  # fmt: skip
    stamped = platform.blobs.get(letter.blob_key)
    assert stamped.startswith(arrived), "the letter as received is a prefix of the stamped file"
    import hashlib

    assert letter.original_sha256 == hashlib.sha256(arrived).hexdigest()
    checked = signatures(stamped, tmp_path, nss)
    assert checked.count("Signature is Valid.") == 1, checked
    entry = platform.db(RegisterEntry.get(letter_id=letter.id))
    assert (entry.book, entry.state, entry.letter_number) == ("receive", "issued", "ชม 52102/1")
    words = text_of(stamped, tmp_path)
    assert f"เลขรับ {entry.number_text}" in " ".join(words.split()), words[:400]
    # Found by a word of its text layer only, as the clerk; not by the other municipality.
    from engine.services.saraban import search

    found = platform.db(search.search(here.tenant, here["saraban_clerk"], "ประสบภัยแล้ง"))
    assert letter.public_id in [x.public_id for x in found]
    theirs = platform.db(search.search(there.tenant, there["saraban_clerk"], "ประสบภัยแล้ง"))
    assert letter.public_id not in [x.public_id for x in theirs]


def test_a_three_step_chain_is_three_valid_signatures_in_order(
    platform: Any, offices: tuple[Office, Office, DevPki], nss: str, tmp_path: Path
) -> None:
    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/2", date(2026, 12, 2), there.tenant.name_th, "นายกเทศมนตรี", "ขอข้อมูลถนนในตำบล",
                     urgency="very_urgent"),
            arrived, files,
        )
    )  # fmt: skip
    platform.db(
        letters.route(here.tenant, here["saraban_clerk"], letter.public_id, files, version=1,
                      action="for_consideration", target_kind="role", target="chief_administrator")
    )  # fmt: skip
    platform.db(
        letters.route(here.tenant, here["chief_administrator"], letter.public_id, files, version=2,
                      action="assign", target_kind="unit", target="engineering", text="รวบรวมข้อมูลและเสนอภายใน 3 วัน")
    )  # fmt: skip
    # The engineer holds it (their unit does) and sees it in the inbox; a step on the old version is refused.
    inbox = platform.db(letters.inbox(here.tenant, here["engineer"]))
    assert letter.public_id in [item.letter.public_id for item in inbox]
    with pytest.raises(StaleLetter):
        platform.db(
            letters.route(
                here.tenant, here["department_head"], letter.public_id, files, version=2, action="acknowledge"
            )
        )
    platform.db(
        letters.route(here.tenant, here["department_head"], letter.public_id, files, version=3, action="acknowledge",
                      text="มอบนายช่างดำเนินการ")
    )  # fmt: skip
    page = platform.db(letters.page(here.tenant, here["department_head"], letter.public_id))
    assert [s.seq for s in page.steps] == [1, 2, 3]
    assert [s.signing_method for s in page.steps] == ["pades"] * 3
    final = platform.blobs.get(page.letter.blob_key)
    checked = signatures(final, tmp_path, nss)
    # The sender's signature, then one per step, each valid, in order.
    assert checked.count("Signature is Valid.") == 4, checked
    fields = [
        line.split(":", 1)[1].strip() for line in checked.splitlines() if "Signature Field Name" in line
    ]
    assert fields[-3:] == ["Step1", "Step2", "Step3"], checked
    words = " ".join(text_of(final, tmp_path).split())
    assert "รวบรวมข้อมูลและเสนอภายใน 3 วัน" in words


def test_the_send_number_is_printed_before_the_final_signature(
    platform: Any, offices: tuple[Office, Office, DevPki], nss: str, tmp_path: Path
) -> None:
    here, _, _ = offices
    files = platform.saraban_files
    draft = platform.db(
        letters.draft(
            here.tenant, here["department_head"],
            Outgoing("external", "แจ้งกำหนดซ่อมถนน", "นายอำเภอเมืองเชียงใหม่", "engineering",
                     body=("เทศบาลจะซ่อมถนนสายหลักในเดือนมกราคม", "จึงเรียนมาเพื่อโปรดทราบ"),
                     signer_name="นายกเทศมนตรี ทดสอบ", signer_position="นายกเทศมนตรีตำบลทดสอบหนังสือ"),
            files,
        )
    )  # fmt: skip
    assert draft.letter_number == "" and draft.letter_date is None
    platform.db(
        letters.route(here.tenant, here["department_head"], draft.public_id, files, version=1, action="present",
                      target_kind="role", target="mayor", text="เห็นควรลงนาม")
    )  # fmt: skip
    with pytest.raises(NotAllowed):  # not in the engineer's hands
        platform.db(letters.sign(here.tenant, here["engineer"], draft.public_id, files, version=2))
    signed = platform.db(letters.sign(here.tenant, here["mayor"], draft.public_id, files, version=2))
    assert signed.status == "signed" and signed.letter_number.startswith("ชม 52101.3/")
    pdf = platform.blobs.get(signed.blob_key)
    checked = signatures(pdf, tmp_path, nss)
    assert checked.count("Signature is Valid.") == 2, checked
    last = checked.split("Signature #2")[-1]
    assert "Total document signed" in last or "The signature form field is signed" in last, last
    words = "".join(text_of(pdf, tmp_path).split())
    assert signed.letter_number.replace(" ", "") in words  # the number stamped into the draft's blank
    entries = platform.db(RegisterEntry.filter(letter_id=signed.id))
    assert [(e.book, e.number_text) for e in entries] == [("send", signed.letter_number)]


def test_secrecy_is_kept(platform: Any, offices: tuple[Office, Office, DevPki], tmp_path: Path) -> None:
    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    with pytest.raises(SecrecyRefused) as refused:
        platform.db(
            letters.receive(
                here.tenant, here["saraban_clerk"],
                Incoming("ชม 52102/3", date(2026, 12, 2), "สำนักงานจังหวัด", "นายก", "เรื่องลับที่สุด", secrecy="top_secret"),
                arrived, files,
            )
        )  # fmt: skip
    assert "ลับที่สุด" in refused.value.text("th") and "พ.ศ. 2564" in refused.value.text("th")
    paper = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/3", date(2026, 12, 2), "สำนักงานจังหวัด", "นายก", "เรื่องลับที่สุด", secrecy="top_secret"),
            None, files,
        )
    )  # fmt: skip
    assert paper.blob_key == ""  # registered as a paper letter only
    secret = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/4", date(2026, 12, 2), "สำนักงานจังหวัด", "นายก", "ผลการสอบสวน", secrecy="secret",
                     access=(here["mayor"].user.id,)),
            arrived, files,
        )
    )  # fmt: skip
    assert platform.db(RegisterEntry.get(letter_id=secret.id)).book == "secret_receive"
    with pytest.raises(LetterNotFound):  # the palad is not named
        platform.db(letters.page(here.tenant, here["chief_administrator"], secret.public_id))
    _, copy = platform.db(letters.pdf(here.tenant, here["mayor"], secret.public_id, files))
    assert here["mayor"].user.display_name in " ".join(text_of(copy, tmp_path).split())
    events = [e.event for e in platform.db(audit.of_letter(here.tenant.id, secret.public_id))]
    assert events == ["receive", "download"]
    with pytest.raises(LetterFileRefused):
        platform.db(
            letters.receive(
                here.tenant, here["saraban_clerk"],
                Incoming("1", None, "ก", "ข", "ไฟล์ที่ไม่ใช่หนังสือ"), b"MZ\x90\x00 not a letter", files,
            )
        )  # fmt: skip


def test_another_municipality_never_finds_the_letter(
    platform: Any, offices: tuple[Office, Office, DevPki]
) -> None:
    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/9", date(2026, 12, 2), "อำเภอ", "นายก", "เรื่องของเทศบาลนี้"), arrived, files,
        )
    )  # fmt: skip
    for role in ROLES:
        with pytest.raises(LetterNotFound):
            platform.db(letters.page(there.tenant, there[role], letter.public_id))
    assert platform.db(audit.verify(here.tenant.id)).intact
    assert (
        platform.db(SarabanAudit.filter(tenant_id=there.tenant.id, letter_public_id=letter.public_id).count())
        == 0
    )


def test_the_console_counts_each_units_overdue_letters(
    platform: Any, offices: tuple[Office, Office, DevPki]
) -> None:
    from datetime import UTC, datetime, timedelta

    from engine.services.saraban import reports

    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    before = {load.unit.code: load for load in platform.db(reports.workload(here.tenant))}
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/20", date(2026, 12, 2), "อำเภอ", "นายก", "ขอข้อมูลด่วนที่สุด", urgency="most_urgent"),
            arrived, files,
        )
    )  # fmt: skip
    platform.db(
        letters.route(here.tenant, here["saraban_clerk"], letter.public_id, files, version=1, action="assign",
                      target_kind="unit", target="engineering")
    )  # fmt: skip
    later = datetime.now(UTC) + timedelta(hours=5)  # ด่วนที่สุด gives the unit four hours by default
    after = {load.unit.code: load for load in platform.db(reports.workload(here.tenant, now=later))}
    assert after["engineering"].held == before["engineering"].held + 1
    assert after["engineering"].overdue >= before["engineering"].overdue + 1


def test_typed_name_signing_only_where_the_municipality_allows_it(
    platform: Any, offices: tuple[Office, Office, DevPki], tmp_path: Path
) -> None:
    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/30", date(2026, 12, 2), "อำเภอ", "นายก", "แจ้งเพื่อทราบ"), arrived, files,
        )
    )  # fmt: skip
    with pytest.raises(NotAllowed) as refused:
        platform.db(
            letters.route(here.tenant, here["saraban_clerk"], letter.public_id, files, version=1,
                          action="for_information", target_kind="role", target="mayor", typed_name=True)
        )  # fmt: skip
    assert "พิมพ์ชื่อ" in refused.value.text("th")

    async def allow() -> None:
        here.tenant.settings = {
            **here.tenant.settings,
            "saraban": {**here.tenant.settings["saraban"], "typed_name_signing": True},
        }
        await here.tenant.save()

    platform.db(allow())
    step = platform.db(
        letters.route(here.tenant, here["saraban_clerk"], letter.public_id, files, version=1,
                      action="for_information", target_kind="role", target="mayor", typed_name=True)
    )  # fmt: skip
    assert step.signing_method == "typed_name"
    pdf = platform.blobs.get(
        platform.db(letters.visible(here.tenant, here["mayor"], letter.public_id)).blob_key
    )
    words = " ".join(text_of(pdf, tmp_path).split())
    assert "ลงชื่อโดยการพิมพ์ชื่อ" in words and here["saraban_clerk"].user.display_name in words
    trail = platform.db(audit.of_letter(here.tenant.id, letter.public_id))
    assert trail[-1].event == "route" and trail[-1].detail["method"] == "typed_name"


def test_where_the_municipality_asks_for_b_lt_the_steps_carry_their_revocation_data(
    platform: Any, offices: tuple[Office, Office, DevPki]
) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    assert "/DSS" not in PdfFileReader(BytesIO(arrived)).root  # B-T, the default

    async def b_lt() -> None:
        saraban = {**here.tenant.settings["saraban"], "pades_level": "B-LT"}
        here.tenant.settings = {**here.tenant.settings, "saraban": saraban}
        await here.tenant.save()

    platform.db(b_lt())
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/40", date(2026, 12, 2), "อำเภอ", "นายก", "ขอข้อมูล"), arrived, files,
        )
    )  # fmt: skip
    platform.db(
        letters.route(here.tenant, here["saraban_clerk"], letter.public_id, files, version=1,
                      action="for_information", target_kind="role", target="mayor")
    )  # fmt: skip
    endorsed = platform.blobs.get(
        platform.db(letters.visible(here.tenant, here["mayor"], letter.public_id)).blob_key
    )
    assert "/DSS" in PdfFileReader(BytesIO(endorsed)).root  # OCSP responses and CRLs embedded


def test_closing_a_letter_stamps_how_long_it_is_kept(
    platform: Any, offices: tuple[Office, Office, DevPki], nss: str, tmp_path: Path
) -> None:
    from engine.thaidate import buddhist_year

    here, there, _ = offices
    files = platform.saraban_files
    arrived = a_letter_from_outside(platform, there)
    letter = platform.db(
        letters.receive(
            here.tenant, here["saraban_clerk"],
            Incoming("ชม 52102/50", date(2026, 12, 2), "อำเภอ", "นายก", "แจ้งผลการประชุม"), arrived, files,
        )
    )  # fmt: skip
    closed = platform.db(
        letters.close(here.tenant, here["saraban_clerk"], letter.public_id, version=1, retention_class="standard", files=files)
    )  # fmt: skip
    assert closed.status == "closed" and closed.retain_until is not None
    pdf = platform.blobs.get(closed.blob_key)
    assert pdf.startswith(platform.blobs.get(letter.blob_key))  # a revision on top of the stamped letter
    words = " ".join(text_of(pdf, tmp_path).split())
    assert f"เก็บถึง พ.ศ. {buddhist_year(closed.retain_until)}" in words
    assert signatures(pdf, tmp_path, nss).count("Signature is Valid.") == 1  # the sender's, still valid
