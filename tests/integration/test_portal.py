"""The citizens' portal through Flask's test client, on SQLite and on PostgreSQL (+ S3).

Every form post carries the real CSRF token of its page (one test proves a post without it
is refused). The walks fill each service step by step from the catalog's example
submissions, the way a citizen types them (dates in the Buddhist Era, real files uploaded),
and check that what gets stored is exactly the example.
"""

from __future__ import annotations

import copy
import io
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import Step, UiField
from engine.forms.validation import validate_submission
from engine.services import drafts, tenants
from engine.store.models import Attachment, Draft, Submission
from engine.thaidate import buddhist_year
from renderers import forms
from tests.conftest import EXAMPLES, SERVICE_IDS, example_files, read
from tests.uploads import TINY_JPEG, TINY_PDF, TINY_PNG

FOOD = "food-premises-notification"
ELDERLY = "elderly-allowance"
COMPLAINT = "complaint"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# A Windows program renamed to look like a scan: the check must look at the bytes.
FAKE_PDF_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 64
    + b"This program cannot be run in DOS mode"
)
SAMPLE_FILES = {
    "application/pdf": ("scan.pdf", TINY_PDF),
    "image/jpeg": ("photo.jpg", TINY_JPEG),
    "image/png": ("photo.png", TINY_PNG),
}


@pytest.fixture(scope="module", autouse=True)
def csrf_on(app: Any) -> Any:
    """The real thing: Flask-WTF checks the token of every form post in these tests."""
    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = before


def make_town(platform: Any, prefix: str = "P") -> Any:
    slug = f"p{uuid.uuid4().hex[:8]}"

    async def setup() -> Any:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาลตำบลทดสอบ {slug}",
            name_en=f"Test town {slug}",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix=prefix,
        )
        for definition in platform.catalog:
            await tenants.enable_service(tenant, definition)
        return tenant

    return platform.db(setup())


@pytest.fixture(scope="module")
def town(platform: Any) -> Any:
    return make_town(platform, "PT")


@pytest.fixture(scope="module")
def other_town(platform: Any) -> Any:
    return make_town(platform, "OT")


# --- a citizen with a browser ----------------------------------------------------------------


class Page(HTMLParser):
    """The bits of a page the tests look at: elements with their attributes, and the text."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def value_of(self, name: str) -> str | None:
        found = self.find("input", name=name)
        return found[0].get("value") if found else None

    def summary_links(self) -> list[str]:
        html_links = [a.get("href", "") for t, a in self.elements if t == "a"]
        return [h for h in html_links if h.startswith("#f-") or h.startswith("#track-")]


@dataclass
class Citizen:
    client: Any
    slug: str
    html: str = ""
    status: int = 0
    location: str = ""
    history: list[str] = field(default_factory=list)

    def get(self, url: str, **kwargs: Any) -> Citizen:
        response = self.client.get(url, **kwargs)
        return self._keep(response, url)

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, token: bool = True, **kwargs: Any
    ) -> Citizen:
        body = dict(data or {})
        if token:
            body["csrf_token"] = self.csrf()
        response = self.client.post(url, data=body, content_type="multipart/form-data", **kwargs)
        return self._keep(response, url)

    def csrf(self) -> str:
        match = CSRF.search(self.html)
        if match is None:
            match = CSRF.search(self.client.get(f"/{self.slug}/track").get_data(as_text=True))
        assert match is not None
        return match.group(1)

    def _keep(self, response: Any, url: str) -> Citizen:
        self.status = response.status_code
        self.location = response.headers.get("Location", "")
        if response.status_code < 300 or response.status_code >= 400:
            self.html = response.get_data(as_text=True)
        self.history.append(url)
        return self

    def follow(self) -> Citizen:
        assert 300 <= self.status < 400, (self.status, self.html[:500])
        return self.get(self.location)

    @property
    def page(self) -> Page:
        return Page(self.html)

    def start(self, service_id: str) -> str:
        """Open the service page and press Start; returns the first step's URL."""
        self.get(f"/{self.slug}/services/{service_id}")
        assert self.status == 200
        self.post(f"/{self.slug}/services/{service_id}/start")
        assert self.status == 302, self.html[:300]
        return urlsplit(self.location).path


def step_id_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


# --- typing the example data into the pages ----------------------------------------------------


def typed(ui_field: UiField, pointer: str, value: Any) -> dict[str, Any]:
    """What a citizen types into a field to give ``value`` (the inverse of the renderer's parsing)."""
    widget = ui_field.widget
    if value is None:
        return {}
    if widget == "checkbox":
        return {pointer: "true"} if value else {}
    if widget == "checkboxes":
        return {pointer: [forms.encode_option(v) for v in value]}
    if widget in ("select", "radio"):
        return {pointer: forms.encode_option(value)}
    if widget == "date":
        year, month, day = value.split("-")
        return {
            forms.part_name(pointer, "day"): str(int(day)),
            forms.part_name(pointer, "month"): str(int(month)),
            forms.part_name(pointer, "year"): str(int(year) + 543),
        }
    if widget == "thai-address":
        return {jsonpointer.child(pointer, k): str(v) for k, v in value.items()}
    if widget == "map-pin":
        lon, lat = value["coordinates"]
        return {forms.part_name(pointer, "lat"): str(lat), forms.part_name(pointer, "lon"): str(lon)}
    if widget == "repeat":
        body: dict[str, Any] = {pointer + forms.COUNT_SUFFIX: str(len(value))}
        for index, item in enumerate(value):
            for sub in ui_field.item_fields:
                body.update(
                    typed(
                        sub, f"{pointer}/{index}{sub.pointer}", jsonpointer.resolve(item, sub.pointer, None)
                    )
                )
        return body
    return {pointer: str(value)}


def files_for(definition: ServiceDefinition, ui_field: UiField, value: Any) -> list[tuple[io.BytesIO, str]]:
    spec = definition.service.attachment(ui_field.attachment or "")
    assert spec is not None
    kind = next(t for t in spec.accept if t in SAMPLE_FILES)
    name, content = SAMPLE_FILES[kind]
    count = min(len(value), spec.max_files) if isinstance(value, list) else 0
    return [(io.BytesIO(content), f"{i + 1}-{name}") for i in range(count)]


def step_form(definition: ServiceDefinition, step: Step, data: Any) -> dict[str, Any]:
    """The whole page of ``step`` filled in from ``data`` (files uploaded with it)."""
    body: dict[str, Any] = {"action": "continue"}
    for ui_field in forms.page_fields(step, data):
        value = jsonpointer.resolve(data, ui_field.pointer, None)
        if ui_field.widget == "file":
            if value:
                body[ui_field.pointer] = files_for(definition, ui_field, value)
            continue
        body.update(typed(ui_field, ui_field.pointer, value))
    return body


def walk(citizen: Citizen, definition: ServiceDefinition, data: Any) -> list[str]:
    """Fill every step from ``data`` until the check-your-answers page; returns the step ids seen."""
    url = citizen.start(definition.id)
    seen = []
    for _ in range(len(definition.ui.steps) + 1):
        step = forms.find_step(definition, step_id_of(url))
        assert step is not None, url
        seen.append(step.id)
        citizen.get(url)
        assert citizen.status == 200
        check_markup(citizen.page)
        citizen.post(url, step_form(definition, step, data))
        assert citizen.status == 302, (step.id, citizen.page.text[:1500])
        url = urlsplit(citizen.location).path
        if url.endswith("/check"):
            return seen
    raise AssertionError(f"never reached the check page: {seen}")


def comparable(definition: ServiceDefinition, data: Any) -> Any:
    """``data`` with each attachment list reduced to its length (the files differ, their number
    not), and unticked checkboxes as unanswered (a browser cannot tell the two apart)."""
    result = copy.deepcopy(data)
    for ui_field in definition.ui.fields():
        if ui_field.widget == "checkbox" and jsonpointer.resolve(result, ui_field.pointer, None) is False:
            parent, _, last = ui_field.pointer.rpartition("/")
            del jsonpointer.resolve(result, parent)[last]
    for spec in definition.service.form_attachments():
        files = jsonpointer.resolve(result, spec.field, None)
        if isinstance(files, list):
            parent, _, last = spec.field.rpartition("/")
            jsonpointer.resolve(result, parent)[last] = min(len(files), spec.max_files)
    return result


def check_markup(page: Page) -> None:
    """Every input has a label, ids are unique, one h1, groups have legends."""
    ids = [a["id"] for _t, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    labelled = {a.get("for") for a in page.find("label")}
    for tag, attrs in page.elements:
        if tag in ("select", "textarea") or (
            tag == "input" and attrs.get("type", "text") not in ("hidden", "submit", "button")
        ):
            assert attrs.get("id") in labelled, (tag, attrs)
    assert len(page.find("h1")) == 1
    assert len(page.find("fieldset")) == len(page.find("legend"))


def draft_of(platform: Any, tenant: Any, citizen: Citizen, service_id: str) -> Draft:
    token = citizen.client.get_cookie(f"tt_draft_{service_id}", path=f"/{citizen.slug}/").value
    return platform.db(drafts.load(tenant, token))


def citizen_of(app: Any, tenant: Any) -> Citizen:
    return Citizen(app.test_client(), tenant.slug)


# --- the tests -------------------------------------------------------------------------------


def test_the_town_lists_its_services_in_thai(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    platform.db(tenants.disable_service(town, "garbage-fee"))
    try:
        page = citizen.get(f"/{town.slug}/").page
    finally:
        platform.db(tenants.enable_service(town, platform.catalog.get("garbage-fee")))
    assert citizen.status == 200
    assert town.name_th in page.text
    food = platform.catalog.get(FOOD)
    assert food.service.title.th in page.text
    assert "หนังสือรับรอง" in page.text  # its category
    assert platform.catalog.get("garbage-fee").service.title.th not in page.text
    hrefs = [a.get("href") for a in page.find("a")]
    assert f"/{town.slug}/services/{FOOD}" in hrefs
    english = citizen.get(f"/{town.slug}/?lang=en").page
    assert food.service.title.en in english.text


def test_the_service_page_says_what_is_needed_before_starting(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    text = citizen.get(f"/{town.slug}/services/{FOOD}").page.text
    assert "เอกสารที่ต้องเตรียม" in text
    assert "สำเนาบัตรประจำตัวประชาชน" in text and "ขนาดไม่เกิน 5 MB" in text
    assert "ไม่เกิน 25 ตารางเมตร: 50 บาท ต่อปี" in text  # tiered fee in words
    # The office's own service standard sets this maximum, not a law, and the page says so.
    assert "ไม่เกิน 7 วันทำการ ตามมาตรฐานการให้บริการ" in text and "ตามที่กฎหมายกำหนด" not in text
    assert "10 ปี" in text and "มาตรา 24 (4)" in text  # PDPA retention and basis
    assert "ระบบออกเลขที่คำขอทันที" in text  # steps for the applicant
    forms_ = citizen.page.find("form", method="post")
    assert any(f.get("action", "").endswith(f"/services/{FOOD}/start") for f in forms_)
    # A fixed fee that always applies is computed, with the town's own rate.
    wastewater = platform.catalog.get("wastewater-fee")
    assert any(f.kind == "per_unit" for f in wastewater.service.fees)
    english = citizen.get(f"/{town.slug}/services/{FOOD}?lang=en").page.text
    assert "7 working days" in english and "Documents you need" in english
    # The privacy notice is one sentence in each language.
    assert "เราเก็บและใช้ข้อมูลส่วนบุคคลของท่านเพื่อรับแจ้งและออกหนังสือรับรอง" in text
    assert "We collect and use your personal data to receive the notification" in english


def test_a_local_fee_rate_is_shown(app: Any, platform: Any):
    tenant = make_town(platform, "LF")
    food = platform.catalog.get(FOOD)
    tiers = [{"up_to": 25, "amount": 80}, {"up_to": None, "amount": 400}]
    platform.db(tenants.enable_service(tenant, food, {"fees": {"certificate_fee": {"tiers": tiers}}}))
    text = citizen_of(app, tenant).get(f"/{tenant.slug}/services/{FOOD}").page.text
    assert "ไม่เกิน 25 ตารางเมตร: 80 บาท ต่อปี" in text and "เกิน 25 ตารางเมตร: 400 บาท ต่อปี" in text


def test_unknown_town_and_service_are_404_pages(app: Any, town: Any):
    citizen = citizen_of(app, town)
    assert citizen.get("/no-such-town/").status == 404
    assert "ไม่พบหน้าที่ต้องการ" in citizen.page.text
    assert citizen.get(f"/{town.slug}/services/no-such-service").status == 404


@pytest.mark.parametrize(
    "path",
    [p for service in SERVICE_IDS for p in example_files(service, "valid")],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_walk_every_step_from_the_examples_and_submit(app: Any, platform: Any, town: Any, path: Any):
    definition = platform.catalog.get(path.parent.name)
    data = read(path)
    citizen = citizen_of(app, town)
    seen = walk(citizen, definition, data)
    assert seen == [s.id for s in forms.visible_steps(definition, data)]
    check = citizen.get(f"/{town.slug}/services/{definition.id}/check")
    assert check.status == 200
    check_markup(check.page)
    assert "ยังกรอกข้อมูลไม่ครบ" not in check.page.text
    changes = [a["href"] for a in check.page.find("a") if "change=1" in a.get("href", "")]
    assert changes and all("/apply/" in href for href in changes)
    citizen.post(f"/{town.slug}/services/{definition.id}/submit")
    assert citizen.status == 302, citizen.page.text[:1000]
    done = citizen.follow()
    assert done.status == 200
    reference = done.page.find("strong", **{"class": "reference"})
    assert reference
    match = re.search(r"PT-25[0-9]{2}-[0-9]{6}", done.page.text)
    assert match, done.page.text
    stored = platform.db(Submission.get(tenant=town, reference=match.group(0)))
    assert comparable(definition, stored.data) == comparable(definition, data)
    # The uploaded files now belong to the submission.
    attached = platform.db(Attachment.filter(tenant=town, submission_id=stored.id).count())
    assert attached == sum(
        len(forms.files_of(stored.data, a.field)) for a in definition.service.form_attachments()
    )
    # The draft is gone; submitting again just shows the confirmation.
    assert citizen.client.get_cookie(f"tt_draft_{definition.id}", path=f"/{town.slug}/") is None
    again = citizen.post(f"/{town.slug}/services/{definition.id}/submit")
    assert again.status == 302 and again.location.endswith("/done")


def test_errors_are_shown_per_field_and_the_other_answers_kept(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    citizen.post(first, {"/operator/kind": "person", "action": "continue"})
    operator = urlsplit(citizen.location).path
    assert operator.endswith("/apply/operator")
    citizen.get(operator)
    body = {
        "action": "continue",
        "/operator/name/prefix": "นาง",
        "/operator/name/first_name": "สุนีย์",
        "/operator/national_id": "3 1006 01234 56 5",
        "/operator/phone": "08123",
        "/operator/address/house_no": "55/2",
        "/operator/address/province": "เชียงใหม่",
        "/operator/address/district": "เมืองเชียงใหม่",
        "/operator/address/subdistrict": "แม่เหียะ",
        "/operator/address/postcode": "50100",
    }
    citizen.post(operator, body)
    assert citizen.status == 200
    page = citizen.page
    assert page.text.count("มีข้อผิดพลาด") == 1
    assert page.summary_links() == ["#f-operator-name-last_name", "#f-operator-phone"]
    assert "กรุณากรอกนามสกุล" in page.text
    assert "หมายเลขโทรศัพท์ไม่ถูกต้อง" in page.text
    # Messages sit next to their inputs and are announced with them.
    phone = page.find("input", id="f-operator-phone")[0]
    assert phone["aria-describedby"].endswith("f-operator-phone-error") and phone["aria-invalid"] == "true"
    assert page.find("span", id="f-operator-phone-error")
    # What was typed is still there (the ID without its spaces), the wrong phone too.
    assert page.value_of("/operator/name/first_name") == "สุนีย์"
    assert page.value_of("/operator/national_id") == "3100601234565"
    assert page.value_of("/operator/phone") == "08123"
    assert page.value_of("/operator/address/subdistrict") == "แม่เหียะ"
    assert page.find("option", value="นาง", selected="")
    assert citizen.html.count("autofocus") == 1 and "data-error-summary" in citizen.html
    assert "<title>ข้อผิดพลาด:" in citizen.html
    # Errors of other steps are not shown here.
    assert "ชื่อสถานประกอบการ" not in page.text
    # The same in English.
    citizen.post(operator + "?lang=en", body)
    assert "Enter last name" in citizen.page.text and "There is a problem" in citizen.page.text
    citizen.get(operator + "?lang=th")


def test_thai_digits_and_spaces_are_understood(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    citizen.post(first, {"/operator/kind": "person", "action": "continue"})
    operator = urlsplit(citizen.location).path
    citizen.get(operator)
    citizen.post(
        operator,
        {
            "action": "continue",
            "/operator/name/prefix": "นาย",
            "/operator/name/first_name": "สมชาย",
            "/operator/name/last_name": "ใจดี",
            "/operator/national_id": "๓-๑๐๐๖-๐๑๒๓๔-๕๖-๕",
            "/operator/phone": "+66 84 123 9876",
            "/operator/address/house_no": "๑๒",
            "/operator/address/moo": "หมู่ ๓",
            "/operator/address/province": "เชียงใหม่",
            "/operator/address/district": "เมืองเชียงใหม่",
            "/operator/address/subdistrict": "แม่เหียะ",
            "/operator/address/postcode": "๕๐๑๐๐",
        },
    )
    assert citizen.status == 302, citizen.page.text[:800]
    data = draft_of(platform, town, citizen, FOOD).data
    assert data["operator"]["national_id"] == "3100601234565"
    assert data["operator"]["phone"] == "0841239876"
    assert data["operator"]["address"] == {
        "house_no": "12",
        "moo": 3,
        "province": "เชียงใหม่",
        "district": "เมืองเชียงใหม่",
        "subdistrict": "แม่เหียะ",
        "postcode": "50100",
    }


def _details_page(citizen: Citizen) -> str:
    first = citizen.start(COMPLAINT)
    citizen.post(first, {"/complainant/anonymous": "true", "action": "continue"})
    category = urlsplit(citizen.location).path
    citizen.get(category)
    citizen.post(category, {"/complaint/category": "road_damage", "action": "continue"})
    details = urlsplit(citizen.location).path
    assert details.endswith("/apply/details")
    citizen.get(details)
    return details


def _date(day: str, month: str, year: str) -> dict[str, str]:
    pointer = "/complaint/incident_date"
    return {f"{pointer}|day": day, f"{pointer}|month": month, f"{pointer}|year": year}


def test_dates_are_typed_in_the_buddhist_era_and_stored_iso(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    details = _details_page(citizen)
    answers = {
        "action": "continue",
        "/complaint/title": "ถนนเป็นหลุมบ่อหน้าตลาด",
        "/complaint/description": "ถนนหน้าตลาดมีหลุมบ่อขนาดใหญ่หลายจุด รถจักรยานยนต์ล้มบ่อย",
    }
    page = citizen.page
    assert page.find("input", id="f-complaint-incident_date", inputmode="numeric")
    assert "ปี พ.ศ." in page.text

    citizen.post(details, {**answers, **_date("31", "2", "2568")})
    assert citizen.status == 200
    assert "วันที่เกิดเหตุหรือพบปัญหาต้องเป็นวันที่ที่มีอยู่จริง" in citizen.page.text
    assert citizen.page.value_of("/complaint/incident_date|day") == "31"
    assert citizen.page.value_of("/complaint/title") == answers["/complaint/title"]

    citizen.post(details, {**answers, **_date("2", "3", "2025")})
    assert "กรุณากรอกปีเป็นพุทธศักราช" in citizen.page.text

    citizen.post(details, {**answers, **_date("2", "", "2568")})
    assert "ต้องระบุวัน เดือน และปี" in citizen.page.text

    future = buddhist_year(__import__("datetime").date.today()) + 1
    citizen.post(details, {**answers, **_date("1", "1", str(future))})
    assert "ต้องไม่เป็นวันในอนาคต" in citizen.page.text

    citizen.post(details, {**answers, **_date("๒", "๓", "๒๕๖๘")})
    assert citizen.status == 302, citizen.page.text[:800]
    assert draft_of(platform, town, citizen, COMPLAINT).data["complaint"]["incident_date"] == "2025-03-02"
    again = citizen.get(details).page
    assert (
        again.value_of("/complaint/incident_date|day"),
        again.value_of("/complaint/incident_date|year"),
    ) == (
        "2",
        "2568",
    )
    check = citizen.get(f"/{town.slug}/services/{COMPLAINT}/check").page.text
    assert "2 มีนาคม 2568" in check


def _attachments_page(citizen: Citizen, platform: Any, tenant: Any) -> str:
    citizen.start(FOOD)
    draft = draft_of(platform, tenant, citizen, FOOD)
    data = read(example_files(FOOD, "valid")[0])
    data.pop("attachments")
    platform.db(drafts.save(draft, data, "attachments"))
    url = f"/{tenant.slug}/services/{FOOD}/apply/attachments"
    citizen.get(url)
    assert citizen.status == 200
    return url


def test_uploads_are_checked_by_content_stored_and_removable(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    url = _attachments_page(citizen, platform, town)
    page = citizen.page
    assert page.find("form", enctype="multipart/form-data")
    assert page.find(
        "input", type="file", id="f-attachments-id_card", accept="application/pdf,image/jpeg,image/png"
    )
    before = platform.db(Attachment.filter(tenant=town).count())

    citizen.post(
        url,
        {
            "action": "upload:/attachments/id_card",
            "/attachments/id_card": [(io.BytesIO(FAKE_PDF_EXE), "บัตร.pdf")],
        },
    )
    assert citizen.status == 200
    assert "บัตร.pdf: ไฟล์ต้องเป็น PDF, JPG หรือ PNG" in citizen.page.text
    assert citizen.page.summary_links() == ["#f-attachments-id_card"]
    assert platform.db(Attachment.filter(tenant=town).count()) == before

    citizen.post(
        url,
        {
            "action": "upload:/attachments/id_card",
            "/attachments/id_card": [(io.BytesIO(TINY_PDF), "บัตรประชาชน.pdf")],
        },
    )
    assert citizen.status == 302
    page = citizen.follow().page
    assert "บัตรประชาชน.pdf" in page.text
    draft = draft_of(platform, town, citizen, FOOD)
    [described] = draft.data["attachments"]["id_card"]
    assert described["content_type"] == "application/pdf" and described["size"] == len(TINY_PDF)
    stored = platform.db(Attachment.get(tenant=town, id=described["id"]))
    assert (
        stored.draft_id == draft.id and stored.blob_key == f"tenant/{town.id}/attachments/{described['id']}"
    )
    assert platform.blobs.get(stored.blob_key) == TINY_PDF
    remove = [b for b in page.find("button", name="action") if b["value"].startswith("remove-file:")]
    assert remove and "บัตรประชาชน.pdf" in remove[0]["aria-label"]

    # The limit of files per field (2 for the ID card).
    citizen.post(
        url,
        {
            "action": "upload:/attachments/id_card",
            "/attachments/id_card": [(io.BytesIO(TINY_PDF), "2.pdf"), (io.BytesIO(TINY_PDF), "3.pdf")],
        },
    )
    assert citizen.status == 200 and "แนบไฟล์ได้ไม่เกิน 2 ไฟล์" in citizen.page.text
    assert len(draft_of(platform, town, citizen, FOOD).data["attachments"]["id_card"]) == 2

    citizen.post(url, {"action": remove[0]["value"]})
    assert citizen.status == 302
    assert "บัตรประชาชน.pdf" not in citizen.follow().page.text
    assert not platform.db(Attachment.exists(tenant=town, id=described["id"]))
    assert not platform.blobs.exists(stored.blob_key)

    # Continuing without the required files names each of them.
    citizen.post(url, {"action": "continue"})
    links = citizen.page.summary_links()
    assert "#f-attachments-premises_document" in links and "#f-attachments-premises_photos" in links
    assert "กรุณาแนบสำเนาทะเบียนบ้าน" in citizen.page.text


def test_hidden_answers_are_dropped(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    citizen.post(first, {"/operator/kind": "juristic", "action": "continue"})
    company = urlsplit(citizen.location).path
    assert company.endswith("/apply/company")
    citizen.get(company)
    assert "ขั้นตอนที่ 2 จาก 9" in citizen.page.text
    citizen.post(
        company,
        {
            "action": "continue",
            "/operator/company_name": "บริษัท ล้านนาฟู้ด จำกัด",
            "/operator/company_registration_no": "0505561000012",
        },
    )
    assert "company_name" in draft_of(platform, town, citizen, FOOD).data["operator"]
    citizen.get(first)
    citizen.post(first, {"/operator/kind": "person", "action": "continue"})
    assert urlsplit(citizen.location).path.endswith("/apply/operator")
    operator = draft_of(platform, town, citizen, FOOD).data["operator"]
    assert operator == {"kind": "person"}
    # The company step is not asked any more.
    assert citizen.get(company).status == 302
    assert citizen.location.endswith("/apply/operator-kind")
    assert "ขั้นตอนที่ 2 จาก 8" in citizen.get(company.replace("/company", "/operator")).page.text


def test_fields_revealed_on_the_same_page_carry_their_condition(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    citizen.start("building-permit")
    draft = draft_of(platform, town, citizen, "building-permit")
    platform.db(drafts.save(draft, {}, "building-work"))
    page = citizen.get(f"/{town.slug}/services/building-permit/apply/building-work").page
    [group] = [a for t, a in page.elements if a.get("data-reveal-pointer") == "/building/work_kind"][:1]
    assert group["data-reveal-values"] == '["modify", "extend"]' and group["data-reveal-negate"] == "false"
    assert page.find("input", id="f-building-existing_permit_no")  # shown without JavaScript


def test_a_draft_is_resumed_with_its_secret_link(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    citizen.post(first, {"/operator/kind": "person", "action": "continue"})
    operator = urlsplit(citizen.location).path
    page = citizen.get(operator).page
    [resume] = page.find("input", id="resume-link")
    link = urlsplit(resume["value"]).path
    assert re.fullmatch(rf"/{town.slug}/resume/[A-Za-z0-9_-]{{20,}}", link)
    citizen.post(operator, {"action": "save", "/operator/name/first_name": "สุนีย์"})
    assert citizen.location.endswith(f"/services/{FOOD}/saved")
    saved = citizen.follow().page
    assert saved.find("input", id="resume-link")[0]["value"].endswith(link)
    # Only a digest of the token is stored.
    token = link.rsplit("/", 1)[-1]
    assert not platform.db(Draft.exists(token_hash=token))

    other_device = citizen_of(app, town)
    other_device.get(link)
    assert other_device.status == 302 and urlsplit(other_device.location).path == operator
    resumed = other_device.follow().page
    assert resumed.value_of("/operator/name/first_name") == "สุนีย์"

    broken = citizen_of(app, town).get(link[:-3] + "xyz")
    assert broken.status == 404 and "ลิงก์นี้ใช้ไม่ได้" in broken.page.text


def test_drafts_and_tracking_do_not_cross_towns(app: Any, platform: Any, town: Any, other_town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    token = citizen.client.get_cookie(f"tt_draft_{FOOD}", path=f"/{town.slug}/").value
    # The resume link of one town opens nothing in another.
    stranger = citizen_of(app, other_town)
    stranger.get(f"/{other_town.slug}/resume/{token}")
    assert stranger.status == 404
    # Nor does the token as a cookie of the other town.
    stranger.client.set_cookie(f"tt_draft_{FOOD}", token, path=f"/{other_town.slug}/")
    stranger.get(f"/{other_town.slug}/services/{FOOD}/apply/operator-kind")
    assert stranger.status == 302 and "expired=1" in stranger.location
    with pytest.raises(drafts.DraftNotFound):
        platform.db(drafts.load(other_town, token))
    # An upload of one town cannot be removed through another.
    url = _attachments_page(citizen, platform, town)
    citizen.post(
        url,
        {"action": "upload:/attachments/id_card", "/attachments/id_card": [(io.BytesIO(TINY_PDF), "a.pdf")]},
    )
    attachment_id = draft_of(platform, town, citizen, FOOD).data["attachments"]["id_card"][0]["id"]
    from engine.services import uploads

    with pytest.raises(uploads.UnknownAttachment):
        platform.db(uploads.remove(other_town, attachment_id, blobs=platform.blobs))
    assert platform.db(Attachment.exists(tenant=town, id=attachment_id))
    assert first  # (the first step's URL was only needed to start)
    # A reference of one town is not found in the other, even with the right secret.
    reference, tracking_token = _submitted(app, platform, town)
    other = citizen_of(app, other_town)
    other.get(f"/{other_town.slug}/track")
    other.post(f"/{other_town.slug}/track", {"reference": reference, "secret": tracking_token})
    assert "ไม่พบคำขอที่ตรงกับข้อมูลนี้" in other.page.text
    assert other.get(f"/{other_town.slug}/track/{reference}/{tracking_token}").status == 404


def _submitted(
    app: Any, platform: Any, tenant: Any, example: str = "valid-noodle-shop-person"
) -> tuple[str, str]:
    """Apply through the portal; returns the reference and tracking token of the confirmation page."""
    definition = platform.catalog.get(FOOD)
    citizen = citizen_of(app, tenant)
    walk(citizen, definition, read(example_files(FOOD, "valid")[0].with_name(example + ".json")))
    citizen.get(f"/{tenant.slug}/services/{FOOD}/check")
    citizen.post(f"/{tenant.slug}/services/{FOOD}/submit")
    done = citizen.follow().page
    reference = done.find("strong", **{"class": "reference"})
    assert reference
    match = re.search(rf"{tenant.reference_prefix}-25[0-9]{{2}}-[0-9]{{6}}", done.text)
    assert match
    [code] = [a for t, a in done.elements if t == "code"]
    token = re.search(r"data-tracking-token>([^<]+)<", citizen.html)
    assert token and code is not None
    return match.group(0), token.group(1)


def test_tracking_with_the_tracking_code_shows_the_timeline(app: Any, platform: Any, town: Any):
    reference, tracking_token = _submitted(app, platform, town)
    definition = platform.catalog.get(FOOD)
    initial = definition.workflow.states[definition.workflow.initial]
    citizen = citizen_of(app, town)
    citizen.get(f"/{town.slug}/track")
    citizen.post(
        f"/{town.slug}/track", {"reference": reference.lower().replace("-", " "), "secret": tracking_token}
    )
    assert citizen.status == 302, citizen.page.text[:500]
    status = citizen.follow().page
    assert reference in status.text
    assert initial.title.th in status.text and initial.applicant_message.th in status.text
    assert re.search(r"[0-9]{1,2} [ก-๛]+ 25[0-9]{2} [0-9]{2}:[0-9]{2} น\.", status.text), status.text
    english = citizen.get(f"/{town.slug}/track/{reference}?lang=en").page.text
    assert initial.applicant_message.en in english
    assert re.search(r"[0-9]{1,2} [A-Z][a-z]+ 20[0-9]{2}", english)


def test_tracking_with_a_phone_number_or_id_shows_the_status_only(app: Any, platform: Any, town: Any):
    reference, _token = _submitted(app, platform, town)
    definition = platform.catalog.get(FOOD)
    initial = definition.workflow.states[definition.workflow.initial]
    for secret in ("0841239876", "084-123-9876", "3-1006-01234-56-5"):
        citizen = citizen_of(app, town)
        citizen.get(f"/{town.slug}/track")
        citizen.post(f"/{town.slug}/track", {"reference": reference, "secret": secret})
        assert citizen.status == 200, (secret, citizen.page.text[:500])
        page = citizen.page
        assert reference in page.text and initial.applicant_message.th in page.text
        assert "ระบบได้ส่งลิงก์ติดตามคำขอใหม่ไปยังหมายเลขโทรศัพท์ 08x-xxx-9876" in page.text
        assert "0841239876" not in citizen.html and "ความคืบหน้า" not in page.text
        # The browser is not let in to the full page.
        assert citizen.get(f"/{town.slug}/track/{reference}").status == 302


def test_tracking_with_a_wrong_secret_says_only_not_found(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    neighbour = reference[:-1] + ("1" if reference[-1] != "1" else "2")
    answers = []
    for guess_reference, secret in (
        (reference, "0899999999"),
        (reference, "1111111111119"),
        (neighbour, token),  # a tracking token opens only its own submission
        ("PT-2500-999999", "anything"),
    ):
        citizen = citizen_of(app, town)
        citizen.get(f"/{town.slug}/track")
        citizen.post(f"/{town.slug}/track", {"reference": guess_reference, "secret": secret})
        page = citizen.page
        answers.append((citizen.status, page.text.replace(guess_reference, "REF")))
        assert "ไม่พบคำขอที่ตรงกับข้อมูลนี้" in page.text
        assert "สถานะปัจจุบัน" not in page.text
    assert len(set(answers)) == 1, "every wrong combination must look the same"
    # Without proof, the status page sends people to the form.
    nobody = citizen_of(app, town)
    nobody.get(f"/{town.slug}/track/{reference}")
    assert nobody.status == 302 and "/track?reference=" in nobody.location
    assert nobody.get(f"/{town.slug}/track/{reference}/not-the-token").status == 404
    # Empty fields are asked for, each next to its input.
    citizen = citizen_of(app, town)
    citizen.get(f"/{town.slug}/track")
    citizen.post(f"/{town.slug}/track", {"reference": "", "secret": ""})
    assert citizen.page.summary_links() == ["#track-reference", "#track-secret"]


def test_the_tracking_link_of_the_confirmation_page_works(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    citizen = citizen_of(app, town)
    citizen.get(f"/{town.slug}/track/{reference}/{token}")
    assert citizen.status == 302 and citizen.location.endswith(
        f"/track/{reference}"
    )  # token not kept in the URL
    assert reference in citizen.follow().page.text


def test_a_post_without_the_csrf_token_is_refused(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    before = platform.db(Draft.filter(tenant=town).count())
    citizen.get(f"/{town.slug}/services/{FOOD}")
    citizen.post(f"/{town.slug}/services/{FOOD}/start", token=False)
    assert citizen.status == 400
    assert "หน้านี้หมดอายุแล้ว" in citizen.page.text
    assert platform.db(Draft.filter(tenant=town).count()) == before
    citizen.post(
        f"/{town.slug}/track", {"reference": "X", "secret": "Y", "csrf_token": "forged"}, token=False
    )
    assert citizen.status == 400


def test_submitting_with_missing_answers_goes_back_to_the_first_such_step(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    citizen.start(COMPLAINT)
    check = citizen.get(f"/{town.slug}/services/{COMPLAINT}/check").page
    assert "ยังกรอกข้อมูลไม่ครบ" in check.text
    before = platform.db(Submission.filter(tenant=town).count())
    citizen.post(f"/{town.slug}/services/{COMPLAINT}/submit")
    assert (
        citizen.status == 302
        and "/apply/identity_choice" in citizen.location
        and "check=1" in citizen.location
    )
    page = citizen.follow().page
    assert page.summary_links() == ["#f-complainant-anonymous"]
    assert platform.db(Submission.filter(tenant=town).count()) == before
    assert draft_of(platform, town, citizen, COMPLAINT).step != drafts.SUBMITTING


def test_a_change_link_returns_to_the_check_page(app: Any, platform: Any, town: Any):
    definition = platform.catalog.get(COMPLAINT)
    citizen = citizen_of(app, town)
    walk(citizen, definition, read(example_files(COMPLAINT, "valid")[0]))
    check = citizen.get(f"/{town.slug}/services/{COMPLAINT}/check").page
    [change] = [
        a["href"]
        for a in check.find("a")
        if "/apply/details" in a.get("href", "") and "incident_date" in a.get("href", "")
    ]
    assert change.endswith("#f-complaint-incident_date")
    page = citizen.get(change.split("#")[0]).page
    assert page.find("a", href=f"/{town.slug}/services/{COMPLAINT}/check")  # back goes to the check page
    body = step_form(
        definition, forms.find_step(definition, "details"), draft_of(platform, town, citizen, COMPLAINT).data
    )
    citizen.post(change.split("#")[0], {**body, "/complaint/title": "หัวเรื่องที่แก้ไขแล้ว"})
    assert citizen.status == 302 and citizen.location.endswith(f"/services/{COMPLAINT}/check")
    assert "หัวเรื่องที่แก้ไขแล้ว" in citizen.follow().page.text


def test_when_storing_fails_the_citizen_is_told_nothing_was_stored(
    app: Any, platform: Any, town: Any, monkeypatch: Any
):
    import portal.views

    definition = platform.catalog.get(FOOD)
    citizen = citizen_of(app, town)
    walk(citizen, definition, read(example_files(FOOD, "valid")[0]))
    before = platform.db(Submission.filter(tenant=town).count())

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database went away")

    citizen.get(f"/{town.slug}/services/{FOOD}/check")
    with monkeypatch.context() as patch:
        patch.setattr(portal.views.submissions, "submit", broken)
        citizen.post(f"/{town.slug}/services/{FOOD}/submit")
    assert citizen.status == 503
    assert "คำขอยังไม่ถูกบันทึก" in citizen.page.text and "ข้อมูลที่กรอกไว้ยังอยู่" in citizen.page.text
    assert platform.db(Submission.filter(tenant=town).count()) == before
    # The draft is intact and can be sent again.
    assert draft_of(platform, town, citizen, FOOD).step != drafts.SUBMITTING
    citizen.post(f"/{town.slug}/services/{FOOD}/submit")
    assert citizen.status == 302 and citizen.location.endswith("/done")
    assert platform.db(Submission.filter(tenant=town).count()) == before + 1


def test_a_failure_after_storing_still_shows_the_reference(
    app: Any, platform: Any, town: Any, monkeypatch: Any
):
    import portal.views

    definition = platform.catalog.get(FOOD)
    citizen = citizen_of(app, town)
    walk(citizen, definition, read(example_files(FOOD, "valid")[0]))

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database went away")

    citizen.get(f"/{town.slug}/services/{FOOD}/check")
    with monkeypatch.context() as patch:
        patch.setattr(portal.views.drafts, "discard", broken)
        citizen.post(f"/{town.slug}/services/{FOOD}/submit")
    assert citizen.status == 302 and citizen.location.endswith("/done")
    assert re.search(r"PT-25[0-9]{2}-[0-9]{6}", citizen.follow().page.text)


def test_language_switch_keeps_the_page(app: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    page = citizen.get(first).page
    # On a form page the switch is a button of the step's form (what was typed is saved first).
    [switch] = page.find("button", **{"class": "lang-switch link-button"})
    assert switch["form"] == "step-form" and switch["value"] == "lang:en"
    citizen.post(first, {"action": "lang:en"})
    assert urlsplit(citizen.location).path == first and "lang=en" in citizen.location
    english = citizen.follow().page.text
    assert "Who runs the business" in english and "Step 1 of 8" in english
    # Elsewhere it is a link to the same page in the other language.
    [link] = citizen.get(f"/{town.slug}/services/{FOOD}").page.find("a", **{"class": "lang-switch"})
    assert "lang=" in link["href"]
    assert "ผู้ประกอบการ" in citizen.get(first + "?lang=th").page.text


def test_the_address_data_is_served_for_the_picker(app: Any):
    client = app.test_client()
    provinces = client.get("/portal/thai-address.json")
    assert provinces.status_code == 200 and len(provinces.json) == 77 and "เชียงใหม่" in provinces.json
    chiang_mai = client.get("/portal/thai-address/เชียงใหม่.json")
    assert chiang_mai.json["เมืองเชียงใหม่"]["แม่เหียะ"] == ["50100"]
    assert len(chiang_mai.json) == 25
    assert "max-age" in chiang_mai.headers["Cache-Control"]
    assert client.get("/portal/thai-address/Atlantis.json").status_code == 404


def test_pages_forbid_inline_scripts_and_every_form_has_a_token(app: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(FOOD)
    for url in (f"/{town.slug}/", f"/{town.slug}/services/{FOOD}", first, f"/{town.slug}/track"):
        response = citizen.client.get(url)
        html = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "style=" not in html and "onclick" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert 'name="csrf_token"' in form


# --- the renderer on its own: a repeated group (no catalog service has one yet) ------------


def _with_repeat(definition: ServiceDefinition) -> ServiceDefinition:
    form = copy.deepcopy(definition.form)
    form["required"] = [*form["required"], "helpers"]
    form["properties"]["helpers"] = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["name", "phone"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "phone": {"type": "string", "format": "thai-phone"},
            },
        },
    }
    step = Step.model_validate(
        {
            "id": "helpers",
            "title": {"th": "ผู้ช่วย", "en": "Helpers"},
            "fields": [
                {
                    "pointer": "/helpers",
                    "widget": "repeat",
                    "label": {"th": "ผู้ช่วยงาน", "en": "Helpers"},
                    "item_label": {"th": "ผู้ช่วย", "en": "Helper"},
                    "item_fields": [
                        {"pointer": "/name", "widget": "text", "label": {"th": "ชื่อ", "en": "Name"}},
                        {"pointer": "/phone", "widget": "phone", "label": {"th": "โทรศัพท์", "en": "Phone"}},
                    ],
                }
            ],
        }
    )
    ui = definition.ui.model_copy(update={"steps": (*definition.ui.steps, step)})
    return definition.model_copy(update={"form": form, "ui": ui, "folder": definition.folder / "with-repeat"})


class Posted(dict):
    def getlist(self, key: str) -> list[Any]:
        value = self.get(key)
        return value if isinstance(value, list) else ([] if value is None else [value])


def test_repeated_groups_are_added_removed_and_validated_per_item(catalog: Any):
    definition = _with_repeat(catalog.get(COMPLAINT))
    step = forms.find_step(definition, "helpers")
    assert step is not None
    data: dict[str, Any] = {}
    forms.add_item(data, "/helpers")
    forms.add_item(data, "/helpers")
    views, _links = forms.step_view(definition, step, data)
    [group] = views
    assert [item.legend for item in group.items] == ["ผู้ช่วย 1", "ผู้ช่วย 2"]
    assert (
        group.items[1].fields[1].name == "/helpers/1/phone" and group.items[1].fields[1].input_type == "tel"
    )
    parsed = forms.parse_step(
        definition,
        step,
        Posted(
            {
                "/helpers|count": "2",
                "/helpers/0/name": "สมศรี",
                "/helpers/0/phone": "081 234 5678",
                "/helpers/1/name": "สมหมาย",
                "/helpers/1/phone": "12",
            }
        ),
        data,
    )
    assert parsed.data["helpers"] == [
        {"name": "สมศรี", "phone": "0812345678"},
        {"name": "สมหมาย", "phone": "12"},
    ]
    errors = forms.step_errors(definition, step, parsed.data)
    assert [e.pointer for e in errors] == ["/helpers/1/phone"]
    views, links = forms.step_view(definition, step, parsed.data, errors=errors)
    assert [link.href for link in links] == ["#f-helpers-1-phone"]
    assert views[0].items[1].fields[1].error and views[0].items[0].fields[1].error is None
    forms.remove_item(parsed.data, "/helpers", 0)
    assert parsed.data["helpers"] == [{"name": "สมหมาย", "phone": "12"}]
    assert forms.parse_action("remove-item:/helpers:3") == forms.Action("remove-item", "/helpers", "3")
    empty: dict[str, Any] = {"helpers": [{}]}
    forms.drop_empty_items(definition, step, empty)
    assert empty == {}
    assert [e.pointer for e in forms.step_errors(definition, step, empty)] == ["/helpers"]


def test_numbers_accept_thai_digits_and_commas_and_refuse_words(catalog: Any):
    definition = catalog.get(FOOD)
    step = forms.find_step(definition, "size")
    assert step is not None
    parsed = forms.parse_step(
        definition,
        step,
        Posted({"/business/area_sqm": "๔๕.๕", "/business/seats": "1,2", "/business/food_handlers": "สาม"}),
        {"business": {"kind": "sale"}},
    )
    assert parsed.data["business"] == {"kind": "sale", "area_sqm": 45.5, "seats": 12}
    assert [(p.pointer, p.keyword) for p in parsed.problems] == [("/business/food_handlers", "type")]
    assert parsed.raw == {"/business/food_handlers": "สาม"}
    views, _links = forms.step_view(definition, step, parsed.data, errors=parsed.problems, raw=parsed.raw)
    handlers = next(v for v in views if v.pointer == "/business/food_handlers")
    assert (
        handlers.value == "สาม" and handlers.inputmode == "numeric" and "จำนวนเต็ม" in (handlers.error or "")
    )
    area = next(v for v in views if v.pointer == "/business/area_sqm")
    assert area.inputmode == "decimal" and area.suffix == "ตารางเมตร"


def test_too_large_a_post_gets_a_page_that_says_so(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    url = _attachments_page(citizen, platform, town)
    before = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        citizen.post(
            url,
            {
                "action": "upload:/attachments/id_card",
                "/attachments/id_card": [(io.BytesIO(b"%PDF-" + b"0" * 8000), "big.pdf")],
            },
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = before
    assert citizen.status == 413
    assert "ไฟล์ที่ส่งมีขนาดใหญ่เกินไป" in citizen.page.text


def test_a_draft_is_submitted_once_even_when_claimed_twice(platform: Any, town: Any):
    from datetime import UTC, datetime, timedelta

    definition = platform.catalog.get(COMPLAINT)
    _token, draft = platform.db(drafts.create(town, definition, step="details"))
    assert platform.db(drafts.claim_for_submission(draft)) is True
    assert platform.db(drafts.claim_for_submission(draft)) is False
    # A claim whose request died long ago can be taken over.
    later = datetime.now(UTC) + drafts.SUBMIT_TIMEOUT + timedelta(seconds=5)
    assert platform.db(drafts.claim_for_submission(draft, now=later)) is True
    platform.db(drafts.release(draft, "details"))
    assert platform.db(Draft.get(id=draft.id)).step == "details"


def test_deleting_a_draft_deletes_its_uploads(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    url = _attachments_page(citizen, platform, town)
    citizen.post(
        url,
        {"action": "save", "/attachments/id_card": [(io.BytesIO(TINY_PDF), "id.pdf")]},
    )
    assert citizen.location.endswith(f"/services/{FOOD}/saved")
    saved = citizen.follow()
    [described] = draft_of(platform, town, citizen, FOOD).data["attachments"]["id_card"]
    key = f"tenant/{town.id}/attachments/{described['id']}"
    assert platform.blobs.exists(key)
    saved.post(f"/{town.slug}/services/{FOOD}/discard")
    assert citizen.status == 302 and "discarded=1" in citizen.location
    assert "ลบแบบร่างแล้ว" in citizen.follow().page.text
    assert not platform.db(Attachment.exists(tenant=town, id=described["id"]))
    assert not platform.blobs.exists(key)


def test_page_titles_end_with_the_municipality_and_pages_have_an_icon(app: Any, town: Any):
    citizen = citizen_of(app, town)
    for url in (f"/{town.slug}/", f"/{town.slug}/services/{FOOD}", f"/{town.slug}/track"):
        html = citizen.get(url).html
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title and title.group(1).strip().endswith(town.name_th), (url, title)
        assert 'rel="icon"' in html
    officer_login = citizen.get(f"/{town.slug}/admin/login").html
    title = re.search(r"<title>(.*?)</title>", officer_login, re.S)
    assert title and title.group(1).strip().endswith(town.name_th)


def test_a_building_site_without_a_house_number_is_accepted(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    citizen.start("building-permit")
    draft = draft_of(platform, town, citizen, "building-permit")
    platform.db(drafts.save(draft, {}, "site"))
    site = f"/{town.slug}/services/building-permit/apply/site"
    page = citizen.get(site).page
    assert "บ้านเลขที่ (ถ้ามี)" in page.text  # this address's house number is optional
    assert "บ้านใกล้เคียง" not in page.text
    citizen.post(
        site,
        {
            "/site/address/moo": "3",
            "/site/address/province": "เชียงใหม่",
            "/site/address/district": "เมืองเชียงใหม่",
            "/site/address/subdistrict": "แม่เหียะ",
            "/site/address/postcode": "50100",
            "/site/location|lat": "18.7468",
            "/site/location|lon": "98.9661",
            "action": "continue",
        },
    )
    assert citizen.status == 302, citizen.html[:2000]
    assert not urlsplit(citizen.location).path.endswith("/apply/site")
    saved = draft_of(platform, town, citizen, "building-permit").data["site"]["address"]
    assert "house_no" not in saved and saved["subdistrict"] == "แม่เหียะ"
    # The applicant's registered address still asks for its house number.
    applicant = citizen.get(f"/{town.slug}/services/building-permit/apply/applicant").page
    assert "บ้านเลขที่ (ถ้ามี)" not in applicant.text


def test_a_permit_application_without_the_sites_house_number_validates(platform: Any):
    definition = platform.catalog.get("building-permit")
    data = read(EXAMPLES / "building-permit" / "valid-new-house-owner.json")
    del data["site"]["address"]["house_no"]
    assert validate_submission(definition, data) == []
    del data["applicant"]["address"]["house_no"]
    assert [e.pointer for e in validate_submission(definition, data)] == ["/applicant/address/house_no"]


def test_an_older_person_is_offered_adult_prefixes_and_no_health_question(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(ELDERLY)
    assert first.endswith("/apply/applicant")
    page = citizen.get(first).page
    offered = {o["value"] for o in page.find("option") if o.get("value")}
    assert {"นาย", "นาง", "นางสาว", "อื่น ๆ"} <= offered
    assert not offered & {"เด็กชาย", "เด็กหญิง"}
    # The benefits step no longer asks about assistance for people living with HIV/AIDS (PDPA s. 26).
    draft = draft_of(platform, town, citizen, ELDERLY)
    platform.db(drafts.save(draft, {}, "welfare"))
    welfare = f"/{town.slug}/services/{ELDERLY}/apply/welfare"
    page = citizen.get(welfare).page
    assert "เบี้ยความพิการ" in page.text
    assert "เอดส์" not in page.text and not page.find("input", value="hiv_allowance")
    # An answer to the removed question is an unknown choice: the step stops at it, and so does submitting.
    citizen.post(
        welfare,
        {
            "/welfare/state_support": "none",
            "/welfare/other_allowances": ["hiv_allowance"],
            "action": "continue",
        },
    )
    assert citizen.status == 200 and "มีข้อผิดพลาด" in citizen.page.text
    definition = platform.catalog.get(ELDERLY)
    data = read(EXAMPLES / ELDERLY / "valid-bank-self.json")
    assert validate_submission(definition, data) == []
    data["welfare"]["other_allowances"] = ["disability_allowance", "hiv_allowance"]
    assert [e.pointer for e in validate_submission(definition, data)] == ["/welfare/other_allowances/1"]


def test_a_time_limit_set_by_law_is_called_so(app: Any, platform: Any, town: Any):
    # The Building Control Act sets the permit's 45 days; the page names the law as the source.
    text = citizen_of(app, town).get(f"/{town.slug}/services/building-permit").page.text
    assert "ไม่เกิน 45 วัน ตามที่กฎหมายกำหนด" in text and "ตามมาตรฐานการให้บริการ" not in text
