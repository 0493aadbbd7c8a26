"""The applicant answers the office: the officer's question on the tracking page, a reply with
files, corrected papers, a withdrawal that is confirmed first; the same through the API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.services import desk, submissions
from engine.store.models import Attachment, Submission
from tests.integration.test_portal import FOOD, _submitted, citizen_of, make_town
from tests.uploads import TINY_PDF, with_stored_files

QUESTION = "กรุณาแนบแบบแปลนรูปตัดที่แสดงระดับพื้นชั้นล่าง และสำเนาโฉนดที่ดินด้านหลัง"
PETITION = "general-petition"


@pytest.fixture(scope="module")
def town(platform: Any) -> Any:
    return make_town(platform, "AR")


def _ask(platform: Any, tenant: Any, reference: str, message: str = QUESTION) -> None:
    definition = platform.catalog.get(FOOD)
    platform.db(
        submissions.transition(
            tenant, definition, reference, "request_info", {"clerk"}, input={"message": message}
        )
    )


def _tracking(app: Any, tenant: Any, reference: str, token: str) -> Any:
    citizen = citizen_of(app, tenant)
    citizen.get(f"/{tenant.slug}/track/{reference}/{token}")
    assert citizen.status == 302
    citizen.follow()
    assert citizen.status == 200
    return citizen


def test_the_applicant_reads_the_question_and_answers_with_a_file(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    _ask(platform, town, reference)
    citizen = _tracking(app, town, reference, token)
    page = citizen.page
    assert QUESTION in page.text, "the officer's question is on the tracking page"
    forms = {f.get("data-applicant-action") for f in page.find("form") if f.get("data-applicant-action")}
    assert forms == {"resubmit", "withdraw"}
    assert "data-correct-link" in citizen.html, "resubmitting offers to correct the answers"
    assert 'type="file"' in citizen.html and 'enctype="multipart/form-data"' in citizen.html

    citizen.post(
        f"/{town.slug}/track/{reference}/actions/resubmit",
        {
            "version": _version(platform, town, reference),
            "input-note": "แนบแบบรูปตัดและสำเนาโฉนดด้านหลังเพิ่มแล้ว",
            "input-documents": [(_pdf(), "section.pdf")],
        },
    )
    assert citizen.status == 302, citizen.html[:800]
    after = citizen.follow().page.text
    assert "ส่งถึงเจ้าหน้าที่เรียบร้อยแล้ว" in after
    assert "แนบแบบรูปตัดและสำเนาโฉนดด้านหลังเพิ่มแล้ว" in after and "section.pdf" in after

    stored = platform.db(Submission.get(tenant=town, reference=reference))
    assert stored.state == "submitted"
    files = platform.db(desk.attachments_of(stored))
    assert "section.pdf" in [f.filename for f in files], "the officer's desk lists the reply's file"
    entry = platform.db(submissions.history(stored))[-1]
    assert entry.role == "applicant" and entry.action == "resubmit"
    assert entry.input["documents"][0]["filename"] == "section.pdf"
    assert entry.input["documents"][0]["sha256"]


def test_a_refused_reply_keeps_what_was_written(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    _ask(platform, town, reference)
    citizen = _tracking(app, town, reference, token)
    note = "ส่งเอกสารแล้ว " + "ก" * 2100
    citizen.post(
        f"/{town.slug}/track/{reference}/actions/resubmit",
        {
            "version": _version(platform, town, reference),
            "input-note": note,
            "input-documents": [(_exe(), "plans.pdf")],
        },
    )
    assert citizen.status == 422
    page = citizen.page
    assert "มีข้อผิดพลาด" in page.text  # the error summary
    assert "plans.pdf" in page.text  # the file's refusal names it
    assert platform.db(Attachment.filter(tenant=town, filename="plans.pdf").count()) == 0
    assert platform.db(Submission.get(tenant=town, reference=reference)).state == "needs_info"
    citizen.post(
        f"/{town.slug}/track/{reference}/actions/resubmit",
        {"version": _version(platform, town, reference), "input-note": note},
    )
    assert citizen.status == 422
    assert note in citizen.html, "the applicant's text is kept"
    assert 'href="#resubmit-note"' in citizen.html


def test_withdrawing_is_confirmed_first(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    citizen = _tracking(app, town, reference, token)
    version = _version(platform, town, reference)
    citizen.post(
        f"/{town.slug}/track/{reference}/actions/withdraw",
        {"version": version, "input-reason": "ย้ายไปเปิดร้านที่อื่น"},
    )
    assert citizen.status == 200
    assert "ท่านต้องการถอนคำขอใช่หรือไม่" in citizen.page.text or "ใช่หรือไม่" in citizen.page.text
    assert platform.db(Submission.get(tenant=town, reference=reference)).state == "submitted"
    assert 'value="ย้ายไปเปิดร้านที่อื่น"' in citizen.html
    citizen.post(
        f"/{town.slug}/track/{reference}/actions/withdraw",
        {"version": version, "input-reason": "ย้ายไปเปิดร้านที่อื่น", "confirmed": "yes"},
    )
    assert citizen.status == 302
    assert platform.db(Submission.get(tenant=town, reference=reference)).state == "withdrawn"
    page = citizen.follow().page
    assert not [f for f in page.find("form") if f.get("data-applicant-action")], "nothing left to do"


def test_only_the_holder_of_the_tracking_code_may_answer(app: Any, platform: Any, town: Any):
    reference, _token = _submitted(app, platform, town)
    _ask(platform, town, reference)
    stranger = citizen_of(app, town)
    stranger.get(f"/{town.slug}/track")
    stranger.post(
        f"/{town.slug}/track/{reference}/actions/resubmit",
        {"version": _version(platform, town, reference), "input-note": "แก้ไขแล้ว"},
    )
    assert stranger.status == 302 and "/track" in stranger.location
    assert platform.db(Submission.get(tenant=town, reference=reference)).state == "needs_info"


def test_an_officers_action_is_not_the_applicants(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    citizen = _tracking(app, town, reference, token)
    citizen.post(
        f"/{town.slug}/track/{reference}/actions/accept_documents",
        {"version": _version(platform, town, reference)},
    )
    assert citizen.status == 302
    assert "ใช้ไม่ได้แล้ว" in citizen.follow().page.text
    assert platform.db(Submission.get(tenant=town, reference=reference)).state == "submitted"


def test_the_api_tells_the_applicant_the_question_and_takes_the_reply(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    _ask(platform, town, reference)
    client = app.test_client()
    headers = {"X-Tracking-Token": token}
    view = client.get(f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers=headers).get_json()
    told = [t for item in view["history"] for t in item["told"]]
    assert {k: told[0][k] for k in ("pointer", "value")} == {"pointer": "/message", "value": QUESTION}
    assert {a["action"] for a in view["actions"]} == {"resubmit", "withdraw"}
    answer = client.post(
        f"/api/v1/tenants/{town.slug}/submissions/{reference}/transitions",
        json={"action": "resubmit", "input": {"note": "แก้ไขตามที่แจ้งแล้ว"}, "version": view["version"]},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "submitted"
    mine = [item for item in body["history"] if item["by_applicant"]]
    assert mine[-1]["told"][0]["value"] == "แก้ไขตามที่แจ้งแล้ว"


def test_an_answer_drafted_for_approval_reaches_the_applicant_only_when_closed(platform: Any, town: Any):
    definition = platform.catalog.get(PETITION)
    example = platform.db(with_stored_files(platform, town, definition, definition_examples(definition)[0]))
    receipt = platform.db(submissions.submit(town, definition, example))
    ref = receipt.reference

    def fire(action: str, roles: set[str], given: dict[str, Any] | None = None) -> None:
        platform.db(submissions.transition(town, definition, ref, action, roles, input=given or {}))

    fire("route", {"clerk"}, {"department": "engineering"})
    fire("draft_answer", {"department_officer"}, {"answer": "ร่างแรก " * 5})
    fire("send_back", {"department_head"}, {"comment": "แก้ไขวันที่"})
    fire("draft_answer", {"department_officer"}, {"answer": "คำตอบที่อนุมัติแล้ว " * 3})

    def told() -> list[Any]:
        found = platform.db(Submission.get(tenant=town, reference=ref))
        from engine.services import applicant

        items = applicant.history(definition, platform.db(submissions.history(found)), closed=found.closed)
        return [s.value for item in items for s in item.said]

    assert told() == [], "a draft is not the municipality's answer yet"
    fire("approve_answer", {"department_head"})
    assert told() == ["คำตอบที่อนุมัติแล้ว " * 3], "only the approved draft"


def definition_examples(definition: Any) -> list[Any]:
    from tests.conftest import example_files, read

    return [read(path) for path in example_files(definition.id, "valid")]


def _version(platform: Any, tenant: Any, reference: str) -> str:
    return str(platform.db(Submission.get(tenant=tenant, reference=reference)).version)


def _pdf() -> Any:
    import io

    return io.BytesIO(TINY_PDF)


def _exe() -> Any:
    import io

    return io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200)


def test_switching_language_mid_form_keeps_what_was_typed(app: Any, platform: Any, town: Any):
    citizen = citizen_of(app, town)
    first = citizen.start(PETITION)
    citizen.get(first)
    assert 'form="step-form"' in citizen.html and 'value="lang:en"' in citizen.html
    citizen.post(first, {"action": "lang:en", "/petitioner/name/first_name": "พิมพ์ชนก"})
    assert citizen.status == 302 and "lang=en" in citizen.location
    english = citizen.follow()
    assert english.status == 200 and 'lang="en"' in english.html
    assert 'value="พิมพ์ชนก"' in english.html, "the typed answer survives the switch"
    assert "error-summary" not in english.html, "switching language is not a check of the answers"


def test_the_applicant_corrects_the_reopened_answers_and_sends_the_application_again(
    app: Any, platform: Any, town: Any
):
    reference, token = _submitted(app, platform, town)
    _ask(platform, town, reference)
    before = platform.db(Submission.get(tenant=town, reference=reference)).data
    citizen = _tracking(app, town, reference, token)
    assert "data-correct-link" in citizen.html
    url = f"/{town.slug}/track/{reference}/correct/resubmit"
    page = citizen.get(url)
    assert page.status == 200
    assert f'value="{before["business"]["name"]}"' in page.html, "the answers as they were"
    assert "/operator/national_id" not in page.html, "only the reopened steps"
    # An emptied required answer is refused; nothing changes.
    emptied = {**_posted_fields(page.html), "/business/name": ""}
    citizen.post(url, {**emptied, "version": _version(platform, town, reference), "action": "continue"})
    assert citizen.status == 422 and "มีข้อผิดพลาด" in citizen.html
    assert re.findall(r'<li><a href="([^"]+)"', citizen.html) == ["#f-business-name"]
    assert platform.db(Submission.get(tenant=town, reference=reference)).data == before
    fields = _posted_fields(citizen.html)
    fields.update(
        {
            "version": _version(platform, town, reference),
            "/business/name": "ก๋วยเตี๋ยวเรือป้านีย์ สาขาแม่เหียะ",
            "input-note": "แก้ชื่อร้านให้ตรงกับป้ายแล้ว",
            "action": "continue",
        }
    )
    citizen.post(url, fields)
    assert citizen.status == 302, re.findall(r"<li><a href=\"([^\"]+)\">([^<]+)<", citizen.html)
    after = platform.db(Submission.get(tenant=town, reference=reference))
    assert after.state == "submitted"
    assert after.data["business"]["name"] == "ก๋วยเตี๋ยวเรือป้านีย์ สาขาแม่เหียะ"
    assert after.data["operator"] == before["operator"], "answers of other steps untouched"
    entry = platform.db(submissions.history(after))[-1]
    assert entry.input["corrected"] == ["/business/name"]


def test_corrections_over_the_api_only_with_an_action_that_reopens_steps(app: Any, platform: Any, town: Any):
    reference, token = _submitted(app, platform, town)
    _ask(platform, town, reference)
    client = app.test_client()
    headers = {"X-Tracking-Token": token}
    base = f"/api/v1/tenants/{town.slug}/submissions/{reference}"
    view = client.get(base, headers=headers).get_json()
    resubmit = next(a for a in view["actions"] if a["action"] == "resubmit")
    assert "business" in resubmit["reopens"]
    data = platform.db(Submission.get(tenant=town, reference=reference)).data
    corrected = {**data, "business": {**data["business"], "seats": 30}, "operator": {"kind": "company"}}
    refused = client.post(
        f"{base}/transitions",
        json={"action": "withdraw", "input": {}, "corrected": corrected},
        headers=headers,
    )
    assert refused.status_code == 400 and refused.get_json()["code"] == "correction_not_allowed"
    done = client.post(
        f"{base}/transitions",
        json={"action": "resubmit", "input": {}, "corrected": corrected},
        headers=headers,
    )
    assert done.status_code == 200, done.get_json()
    stored = platform.db(Submission.get(tenant=town, reference=reference)).data
    assert stored["business"]["seats"] == 30 and stored["operator"] == data["operator"]


def _posted_fields(html: str) -> dict[str, str]:
    """What the browser would post back from the page's text boxes and chosen options."""
    import re

    found: dict[str, Any] = {}
    for name, value in re.findall(r'<input[^>]*name="(/[^"]+)"[^>]*type="text"[^>]*value="([^"]*)"', html):
        found[name] = value
    for tag in re.findall(r"<input[^>]*checked[^>]*>", html):
        name = re.search(r'name="(/[^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value:
            found.setdefault(name.group(1), [])
            if isinstance(found[name.group(1)], list):
                found[name.group(1)].append(value.group(1))
    for name, body in re.findall(r'<select[^>]*name="(/[^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        if chosen:
            found[name] = chosen.group(1)
    for name, body in re.findall(r'<textarea[^>]*name="(/[^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        found[name] = body
    return found
