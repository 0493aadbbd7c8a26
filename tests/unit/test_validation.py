"""Submission validation: one clear message per wrong answer, in Thai and English."""

from datetime import date

import pytest

from engine.definitions.model import UiField
from engine.forms import compile_schema

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["applicant", "building"],
    "additionalProperties": False,
    "properties": {
        "applicant": {
            "type": "object",
            "required": ["national_id", "phone", "birth_date"],
            "additionalProperties": False,
            "properties": {
                "national_id": {"type": "string", "format": "thai-national-id"},
                "phone": {"type": "string", "format": "thai-phone"},
                "email": {"type": "string", "format": "email"},
                "birth_date": {
                    "type": "string",
                    "format": "date",
                    "x-min-age": {"years": 60, "on": "next-fiscal-year-end"},
                    "x-not-future": True,
                },
                "reply": {"enum": ["sms", "email"]},
            },
            "if": {"properties": {"reply": {"const": "email"}}, "required": ["reply"]},
            "then": {"required": ["email"]},
        },
        "building": {
            "type": "object",
            "required": ["floor_area"],
            "properties": {
                "floor_area": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 150,
                    "x-messages": {
                        "maximum": {
                            "th": "อาคารที่มีพื้นที่เกิน 150 ตารางเมตร ต้องยื่นคำขอที่สำนักงาน",
                            "en": "Buildings over 150 m² are applied for at the office",
                        }
                    },
                },
                "plans": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "urn:thongthin:types#/$defs/attachment"},
                },
            },
        },
    },
}

UI = [
    UiField(
        pointer="/applicant/national_id",
        widget="national-id",
        label={"th": "เลขประจำตัวประชาชน", "en": "National ID number"},
    ),
    UiField(
        pointer="/applicant/phone",
        widget="phone",
        label={"th": "หมายเลขโทรศัพท์มือถือ", "en": "Mobile phone number"},
    ),
    UiField(pointer="/applicant/email", widget="email", label={"th": "อีเมล", "en": "Email address"}),
    UiField(
        pointer="/applicant/birth_date", widget="date", label={"th": "วันเดือนปีเกิด", "en": "Date of birth"}
    ),
    UiField(
        pointer="/applicant/reply",
        widget="radio",
        label={"th": "ช่องทางรับคำตอบ", "en": "Reply channel"},
        options=[
            {"value": "sms", "label": {"th": "SMS", "en": "SMS"}},
            {"value": "email", "label": {"th": "อีเมล", "en": "Email"}},
        ],
    ),
    UiField(pointer="/building/floor_area", widget="number", label={"th": "พื้นที่อาคาร", "en": "Floor area"}),
    UiField(
        pointer="/building/plans",
        widget="file",
        label={"th": "แบบแปลน", "en": "Building plans"},
        attachment="plans",
    ),
]

TODAY = date(2026, 11, 21)
GOOD = {
    "applicant": {"national_id": "3100600445635", "phone": "0812345678", "birth_date": "1960-05-01"},
    "building": {"floor_area": 120},
}

form = compile_schema(SCHEMA, UI)


def errors_of(data):
    return {e.pointer: e for e in form.errors(data, today=TODAY)}


def with_(path, value):
    import copy

    data = copy.deepcopy(GOOD)
    node = data
    *parents, last = path.strip("/").split("/")
    for p in parents:
        node = node[p]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


def test_valid_data_has_no_errors():
    assert form.errors(GOOD, today=TODAY) == []
    assert form.is_valid(GOOD, today=TODAY)


def test_missing_answer_names_the_field_in_both_languages():
    errors = errors_of(with_("/applicant/phone", None))
    assert list(errors) == ["/applicant/phone"]
    assert errors["/applicant/phone"].message_th == "กรุณากรอกหมายเลขโทรศัพท์มือถือ"
    assert errors["/applicant/phone"].message_en == "Enter mobile phone number"


def test_national_id_checksum_and_length_are_told_apart():
    checksum = errors_of(with_("/applicant/national_id", "3100600445636"))["/applicant/national_id"]
    length = errors_of(with_("/applicant/national_id", "31006004456"))["/applicant/national_id"]
    assert "ตรวจสอบตัวเลขอีกครั้ง" in checksum.message_th
    assert "13 หลัก" in length.message_th
    assert "13 digits" in length.message_en


def test_phone_message_gives_an_example():
    error = errors_of(with_("/applicant/phone", "12345"))["/applicant/phone"]
    assert "0812345678" in error.message_th and "0812345678" in error.message_en


def test_definition_can_word_its_own_message():
    error = errors_of(with_("/building/floor_area", 151))["/building/floor_area"]
    assert error.message_th == "อาคารที่มีพื้นที่เกิน 150 ตารางเมตร ต้องยื่นคำขอที่สำนักงาน"
    assert error.message_en == "Buildings over 150 m² are applied for at the office"


def test_limits_are_in_the_message():
    error = errors_of(with_("/building/floor_area", 0))["/building/floor_area"]
    assert error.message_th == "พื้นที่อาคารต้องมากกว่า 0"
    assert error.message_en == "Floor area must be more than 0"


def test_wrong_type_is_one_error():
    errors = errors_of(with_("/building/floor_area", "ร้อยยี่สิบ"))
    assert list(errors) == ["/building/floor_area"]
    assert errors["/building/floor_area"].message_en == "Floor area must be a number"


def test_conditionally_required_field():
    data = with_("/applicant/reply", "email")
    errors = errors_of(data)
    assert list(errors) == ["/applicant/email"]
    assert errors["/applicant/email"].message_th == "กรุณากรอกอีเมล"


def test_age_is_counted_to_the_end_of_the_next_fiscal_year():
    # On 21 Nov 2026 the next fiscal year ends on 30 Sep 2028: born 1968-09-30 turns 60 that day.
    assert "/applicant/birth_date" not in errors_of(with_("/applicant/birth_date", "1968-09-30"))
    error = errors_of(with_("/applicant/birth_date", "1968-10-01"))["/applicant/birth_date"]
    assert error.message_th == "ผู้ยื่นต้องมีอายุครบ 60 ปีบริบูรณ์ ภายในวันที่ 30 กันยายน 2571"
    assert error.message_en == "The applicant must be 60 years old by 30 September 2028"


def test_dates_in_the_future_are_refused():
    schema = {
        "type": "object",
        "properties": {"d": {"type": "string", "format": "date", "x-not-future": True}},
    }
    single = compile_schema(schema)
    assert single.errors({"d": "2026-11-21"}, today=TODAY) == []
    [error] = single.errors({"d": "2026-11-22"}, today=TODAY)
    assert error.pointer == "/d" and "อนาคต" in error.message_th


def test_unknown_fields_are_reported_one_by_one():
    data = with_("/applicant/nickname", "หนุ่ม")
    data["extra"] = 1
    errors = errors_of(data)
    assert set(errors) == {"/applicant/nickname", "/extra"}
    assert "nickname" in errors["/applicant/nickname"].message_en


def test_every_problem_is_reported_in_form_order():
    data = {"applicant": {"national_id": "1", "birth_date": "2026-02-30"}, "building": {"floor_area": 999}}
    pointers = [e.pointer for e in form.errors(data, today=TODAY)]
    assert pointers == [
        "/applicant/national_id",
        "/applicant/phone",
        "/applicant/birth_date",
        "/building/floor_area",
    ]


def test_missing_file_asks_for_an_upload():
    errors = errors_of(with_("/building/plans", []))
    assert errors["/building/plans"].message_th == "กรุณาแนบแบบแปลน"
    assert errors["/building/plans"].message_en == "Upload building plans"


def test_missing_choice_asks_to_select():
    schema = {"type": "object", "required": ["reply"], "properties": {"reply": {"enum": ["sms", "email"]}}}
    [error] = compile_schema(schema, [UI[4].model_copy(update={"pointer": "/reply"})]).errors({})
    assert error.message_th == "กรุณาเลือกช่องทางรับคำตอบ"
    assert error.message_en == "Select reply channel"


@pytest.mark.parametrize("data", [None, [], "text", 5])
def test_non_objects_get_one_error_not_an_exception(data):
    errors = form.errors(data, today=TODAY)
    assert len(errors) == 1 and errors[0].pointer == ""


def test_an_empty_address_gets_one_message_per_part_it_needs():
    from engine.definitions import load_catalog
    from engine.forms import validate_submission

    definition = load_catalog().get("general-petition")
    errors = validate_submission(definition, {"petitioner": {}})
    by_pointer = {e.pointer: e.message("th") for e in errors if e.pointer.startswith("/petitioner/address")}
    assert by_pointer == {
        "/petitioner/address/house_no": "กรุณากรอกบ้านเลขที่",
        "/petitioner/address/subdistrict": "กรุณากรอกตำบลหรือแขวง",
        "/petitioner/address/district": "กรุณากรอกอำเภอหรือเขต",
        "/petitioner/address/province": "กรุณากรอกจังหวัด",
        "/petitioner/address/postcode": "กรุณากรอกรหัสไปรษณีย์",
    }, "the optional parts (moo, village, soi, road) never get a message"


def test_a_date_error_marks_only_the_wrong_box():
    from renderers.forms import wrong_date_parts

    assert wrong_date_parts("15", "", "2568") == ("month",)
    assert wrong_date_parts("", "", "") == ("day", "month", "year")
    assert wrong_date_parts("15", "3", "68") == ("year",)
    assert wrong_date_parts("32", "3", "2568") == ("day",)
    assert wrong_date_parts("15", "13", "2568") == ("month",)
    # No such day in that month, or a date the question does not allow: the whole date.
    assert wrong_date_parts("31", "2", "2568") == ("day", "month", "year")


def test_messages_read_as_sentences_with_the_short_label_and_without_the_optional_mark(catalog):
    import json

    from engine.forms.validation import compile_form
    from tests.conftest import example_files

    definition = catalog.get("food-premises-notification")
    data = json.loads(example_files("food-premises-notification", "valid")[0].read_text(encoding="utf-8"))
    data["operator"]["email"] = "somchai.example.com"
    del data["operator"]["kind"]
    errors = {e.pointer: e for e in compile_form(definition).errors(data, today=TODAY)}
    assert errors["/operator/kind"].message_th == "กรุณาเลือกประเภทผู้แจ้ง"
    assert errors["/operator/kind"].message_en == "Select who is notifying"
    email = errors["/operator/email"]
    assert email.message_th == "กรุณากรอกอีเมลในรูปแบบที่ถูกต้อง เช่น name@example.com"
    assert "ถ้ามี" not in email.message_th and "if any" not in email.message_en


def test_a_label_that_does_not_read_inside_a_message_is_a_check_problem():
    from pathlib import Path

    from engine.definitions.checks import check_message_label

    def problems(**field):
        ui_field = UiField.model_validate({"pointer": "/kind", "widget": "radio", **field})
        return [str(p) for p in check_message_label(Path("ui.json"), "/steps/0/fields/0", ui_field, [{}])]

    glued = problems(label={"th": "ผู้แจ้งเป็น", "en": "Notifying as"})
    assert glued and glued[0].startswith("ui.json:/steps/0/fields/0/label: 'ผู้แจ้งเป็น'")
    assert problems(label={"th": "ผู้แจ้งเป็น", "en": "x"}, short_label={"th": "ประเภทผู้แจ้ง", "en": "y"}) == []
    assert problems(label={"th": "ประเภทผู้แจ้ง (ถ้ามี)", "en": "Kind"}) == []


def test_a_privacy_purpose_completes_the_notice_sentence():
    from pathlib import Path

    from engine.definitions.checks import check_purpose

    def problems(th, en):
        return [str(p) for p in check_purpose(Path("service.json"), th, en)]

    assert problems("เพื่อพิจารณาคำขอ", "To consider the application") == []
    assert problems("ใช้ข้อมูลเพื่อพิจารณาคำขอ", "Your data is used to consider it") == [
        "service.json:/pdpa/purpose/th: start the purpose with 'เพื่อ': it completes "
        "'เราเก็บและใช้ข้อมูลส่วนบุคคลของท่าน…'",
        "service.json:/pdpa/purpose/en: start the purpose with 'To': it completes "
        "'We collect and use your personal data …'",
    ]


def test_a_version_published_before_the_wording_rules_still_loads(catalog_copy):
    from engine.definitions.loader import load_roles, load_service
    from tests.conftest import edit_json

    root, _ = catalog_copy("food-premises-notification")
    folder = root / "food-premises-notification"

    def as_published_before(ui):
        for step in ui["steps"]:
            for field in step["fields"]:
                field.pop("short_label", None)

    edit_json(folder / "ui.json", as_published_before)
    edit_json(folder / "service.json", lambda s: s["pdpa"]["purpose"].update(th="ใช้ข้อมูลเพื่อรับแจ้ง"))
    problems = []
    roles = load_roles(root, problems)
    assert load_service(folder, roles, problems, check_example_files=False, authoring=False) is not None
    assert problems == []
    assert load_service(folder, roles, problems, check_example_files=False) is None
    assert {p.pointer for p in problems} == {"/steps/0/fields/0/label", "/pdpa/purpose/th"}


def test_an_adult_is_not_offered_the_prefixes_of_children(catalog):
    import json

    from engine.forms.validation import compile_form
    from tests.conftest import example_files

    definition = catalog.get("food-premises-notification")
    prefixes = next(f for f in definition.ui.fields() if f.pointer == "/operator/name/prefix")
    assert {o.value for o in prefixes.options} == {"นาย", "นาง", "นางสาว", "อื่น ๆ"}
    data = json.loads(example_files("food-premises-notification", "valid")[0].read_text(encoding="utf-8"))
    data["operator"]["name"]["prefix"] = "เด็กชาย"
    errors = {e.pointer: e for e in compile_form(definition).errors(data, today=TODAY)}
    assert "/operator/name/prefix" in errors
