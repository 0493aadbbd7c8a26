"""Officers' internal comments on an application, on the desk and over the API, and the officer's
answer for one application against what the desk's page of it shows.

A comment written on the desk is read over the API and the other way round; the applicant never
reads one (their tracking token, the portal, their answers of the API); officers of another
municipality and officers whose roles the service does not name get nothing.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from typing import Any

import pytest

from engine.services import api_keys, retention, submissions
from engine.store.models import Attachment, SubmissionComment
from tests.conftest import EXAMPLES, read
from tests.integration.test_admin import (
    FOOD,
    Town,
    make_town,
    officer_client,
    post_form,
    submit_food,
    text_of,
)
from tests.integration.test_api_officer import token_of

pytestmark = pytest.mark.db


def bearer(client: Any, town: Town, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(client, town.slug, town.users[role])}"}


def comments_section(page: str) -> str:
    found = re.search(r'<section id="comments".*?</section>', page, re.S)
    assert found, "the page has its comments section"
    return found.group(0)


def submit_with_token(platform: Any, town: Town) -> tuple[str, str]:
    """A food-premises notification through the service layer; its reference and tracking token."""
    data = copy.deepcopy(read(EXAMPLES / FOOD / "valid-noodle-shop-person.json"))

    async def store() -> submissions.Receipt:
        for files in data["attachments"].values():
            for item in files:
                item["id"] = f"att_{uuid.uuid4().hex[:16]}"
                content = item["id"].encode()
                await Attachment.create(
                    id=item["id"],
                    tenant=town.tenant,
                    blob_key=f"tenant/{town.tenant.id}/attachments/{item['id']}",
                    filename=item["filename"],
                    content_type=item["content_type"],
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                )
        return await submissions.submit(town.tenant, platform.catalog.get(FOOD), data)

    receipt = platform.db(store())
    return receipt.reference, receipt.tracking_token


def test_a_comment_on_the_desk_is_read_over_the_api_and_the_other_way_round(
    app: Any, platform: Any, client: Any
) -> None:
    town = make_town(platform, roles=["sanitarian"], prefix="CM")
    reference, _ = submit_food(platform, town)
    desk = officer_client(app, town, "sanitarian")
    page_url = f"/{town.slug}/admin/submissions/{reference}"
    api_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/comments"
    officer = bearer(client, town, "sanitarian")

    saved = post_form(
        desk, f"{page_url}/comments", {"body": "  ตรวจสถานที่แล้ว\r\nเอกสารครบถ้วน  "}, page=page_url
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{page_url}#comments")

    listed = client.get(api_url, headers=officer)
    assert listed.status_code == 200, listed.json
    (first,) = listed.json["comments"]
    assert first["body"] == "ตรวจสถานที่แล้ว\nเอกสารครบถ้วน"  # trimmed, line breaks kept as one
    assert first["author"] == f"เจ้าหน้าที่ {town.users['sanitarian']}"
    assert first["author_id"] == town.ids[town.users["sanitarian"]]
    assert listed.json["next_cursor"] is None

    added = client.post(api_url, headers=officer, json={"body": "โทรแจ้งผู้ขอให้นำใบอนุญาตตัวจริงมาแสดง"})
    assert added.status_code == 201, added.json
    assert added.json["body"] == "โทรแจ้งผู้ขอให้นำใบอนุญาตตัวจริงมาแสดง"

    section = comments_section(text_of(desk.get(page_url)))
    assert "ตรวจสถานที่แล้ว<br>เอกสารครบถ้วน" in section
    assert "โทรแจ้งผู้ขอให้นำใบอนุญาตตัวจริงมาแสดง" in section
    assert section.index("ตรวจสถานที่แล้ว") < section.index("โทรแจ้งผู้ขอ")  # oldest first, as the API
    # Dates in the Buddhist Era, as every date on the desk.
    created = platform.db(SubmissionComment.get(id=added.json["id"])).created_at
    assert str(created.year + 543) in section and str(created.year) not in section

    # The officer's answer for the application says where the comments are.
    view = client.get(f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers=officer).json
    assert view["comments_url"] == api_url
    assert view["comments"] == client.get(api_url, headers=officer).json["comments"]


def test_the_applicant_never_reads_the_comments(app: Any, platform: Any, client: Any) -> None:
    town = make_town(platform, roles=["sanitarian"], prefix="CN")
    reference, token = submit_with_token(platform, town)
    api_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/comments"
    note = "ผู้ขอเคยถูกเตือนเรื่องสุขลักษณะเมื่อปีก่อน"
    assert (
        client.post(api_url, headers=bearer(client, town, "sanitarian"), json={"body": note}).status_code
        == 201
    )

    applicant = {"X-Tracking-Token": token}
    read_refused = client.get(api_url, headers=applicant)
    assert read_refused.status_code == 403 and read_refused.json["code"] == "forbidden"
    assert note not in read_refused.get_data(as_text=True)
    assert client.post(api_url, headers=applicant, json={"body": "ขอบคุณค่ะ"}).status_code == 403
    assert client.get(api_url).status_code == 401

    # Neither the applicant's answer of the API nor the portal's tracking page shows them.
    own = client.get(f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers=applicant)
    assert own.status_code == 200
    assert note not in own.get_data(as_text=True)
    assert "comments" not in own.json and "comments_url" not in own.json
    portal = app.test_client().get(f"/{town.slug}/track/{reference}/{token}", follow_redirects=True)
    assert portal.status_code == 200 and reference in text_of(portal)
    assert note not in text_of(portal)
    assert platform.db(SubmissionComment.filter(body="ขอบคุณค่ะ").count()) == 0


def test_officers_without_need_to_know_and_other_municipalities_get_nothing(
    app: Any, platform: Any, client: Any
) -> None:
    town = make_town(platform, roles=["sanitarian", "health_officer"], prefix="CO")
    elsewhere = make_town(platform, roles=["sanitarian"], prefix="CP")
    reference, _ = submit_food(platform, town)
    api_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/comments"
    note = "หมายเหตุภายในที่ผู้อื่นต้องไม่เห็น"
    assert (
        client.post(api_url, headers=bearer(client, town, "sanitarian"), json={"body": note}).status_code
        == 201
    )

    # A role the food service does not name: as if the application did not exist, on the API and the desk.
    outsider = bearer(client, town, "health_officer")
    for answer in (
        client.get(api_url, headers=outsider),
        client.post(api_url, headers=outsider, json={"body": "แอบเขียน"}),
        client.post(api_url, headers=outsider, json={"body": ""}),  # the text is not judged first
    ):
        assert answer.status_code == 404 and answer.json["code"] == "submission_not_found", answer.json
        assert note not in answer.get_data(as_text=True)
    outsider_desk = officer_client(app, town, "health_officer")
    own_inbox = f"/{town.slug}/admin/"
    refused = post_form(
        outsider_desk,
        f"/{town.slug}/admin/submissions/{reference}/comments",
        {"body": "แอบเขียน"},
        page=own_inbox,
    )
    assert refused.status_code == 404

    # Another municipality's officer: refused on this municipality's address, not found on their own.
    stranger = bearer(client, elsewhere, "sanitarian")
    wrong = client.get(api_url, headers=stranger)
    assert wrong.status_code == 403 and wrong.json["code"] == "wrong_tenant"
    own_url = f"/api/v1/tenants/{elsewhere.slug}/submissions/{reference}/comments"
    assert client.get(own_url, headers=stranger).status_code == 404
    assert client.post(own_url, headers=stranger, json={"body": "แอบเขียน"}).status_code == 404
    stranger_desk = officer_client(app, elsewhere, "sanitarian")
    planted = post_form(
        stranger_desk,
        f"/{elsewhere.slug}/admin/submissions/{reference}/comments",
        {"body": "แอบเขียน"},
        page=f"/{elsewhere.slug}/admin/",
    )
    assert planted.status_code == 404
    assert platform.db(SubmissionComment.filter(body="แอบเขียน").count()) == 0


def test_bad_comments_get_a_message_for_the_field(app: Any, platform: Any, client: Any) -> None:
    town = make_town(platform, roles=["sanitarian"], prefix="CQ")
    reference, _ = submit_food(platform, town)
    api_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/comments"
    officer = bearer(client, town, "sanitarian")

    for body, said_en, said_th in (
        ("   \n ", "Write the comment", "กรุณาเขียนความเห็น"),
        ("ก" * 4001, "at most 4,000 characters", "ไม่เกิน 4,000 ตัวอักษร"),
        (17, "as a string", "เป็นข้อความ"),
    ):
        refused = client.post(api_url, headers=officer, json={"body": body})
        assert refused.status_code == 422 and refused.json["code"] == "invalid_comment", refused.json
        (error,) = refused.json["errors"]
        assert error["pointer"] == "/body"
        assert said_en in error["message_en"] and said_th in error["message_th"]
    assert client.post(api_url, headers=officer, json={"body": "ก" * 4000}).status_code == 201

    # The desk says the same beside the field, in Thai and in English, and keeps what was written.
    desk = officer_client(app, town, "sanitarian")
    page_url = f"/{town.slug}/admin/submissions/{reference}"
    empty = post_form(desk, f"{page_url}/comments", {"body": "  "}, page=page_url)
    assert empty.status_code == 422
    assert re.search(r'id="comment-body-error">กรุณาเขียนความเห็นก่อนบันทึก<', text_of(empty))
    assert 'href="#comment-body"' in text_of(empty)  # the error summary leads to the field
    desk.get(f"{page_url}?lang=en")
    long = post_form(desk, f"{page_url}/comments", {"body": "x" * 4005}, page=page_url)
    assert long.status_code == 422
    assert "at most 4,000 characters long; this one has 4,005" in text_of(long)
    assert "x" * 4005 in text_of(long)  # the officer's text is kept to shorten
    assert platform.db(SubmissionComment.filter(submission__reference=reference).count()) == 1


def test_comments_are_paged_with_an_etag_and_api_keys_act_by_their_scopes(
    app: Any, platform: Any, client: Any
) -> None:
    town = make_town(platform, roles=["sanitarian"], prefix="CR")
    reference, _ = submit_food(platform, town)
    other_reference, _ = submit_food(platform, town)
    api_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/comments"
    _, reader = platform.db(api_keys.create(town.tenant, "ระบบรายงาน", ["submissions:read"]))
    _, writer = platform.db(api_keys.create(town.tenant, "ระบบงานสาธารณสุข", ["submissions:write"]))

    refused = client.post(api_url, headers={"Authorization": f"Bearer {reader}"}, json={"body": "x"})
    assert refused.status_code == 403
    for n in range(3):
        made = client.post(api_url, headers={"Authorization": f"Bearer {writer}"}, json={"body": f"บันทึก {n}"})
        assert made.status_code == 201, made.json
        assert made.json["author"] == "API · ระบบงานสาธารณสุข" and made.json["author_id"] is None

    key = {"Authorization": f"Bearer {reader}"}
    first = client.get(f"{api_url}?limit=2", headers=key)
    assert [c["body"] for c in first.json["comments"]] == ["บันทึก 0", "บันทึก 1"]
    cursor = first.json["next_cursor"]
    rest = client.get(f"{api_url}?limit=2&cursor={cursor}", headers=key)
    assert [c["body"] for c in rest.json["comments"]] == ["บันทึก 2"] and rest.json["next_cursor"] is None
    again = client.get(f"{api_url}?limit=2", headers={**key, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # A cursor of another application, a made-up one and a limit out of range are refused, not guessed at.
    other = f"/api/v1/tenants/{town.slug}/submissions/{other_reference}/comments"
    assert client.get(f"{other}?cursor={cursor}", headers=key).status_code == 400
    assert client.get(f"{api_url}?cursor=bm9wZQ", headers=key).status_code == 400
    assert client.get(f"{api_url}?limit=101", headers=key).status_code == 400

    # The desk lists what the key wrote, under the key's name.
    section = comments_section(
        text_of(officer_client(app, town, "sanitarian").get(f"/{town.slug}/admin/submissions/{reference}"))
    )
    assert section.count("API · ระบบงานสาธารณสุข") == 3


def test_the_officers_answer_carries_what_the_desk_page_shows(app: Any, platform: Any, client: Any) -> None:
    town = make_town(platform, roles=["clerk"], prefix="CS")
    reference, ids = submit_food(platform, town)
    officer = bearer(client, town, "clerk")
    answer = client.get(f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers=officer)
    assert answer.status_code == 200, answer.json
    view = answer.json
    page = text_of(officer_client(app, town, "clerk").get(f"/{town.slug}/admin/submissions/{reference}"))

    # What was there before stays.
    assert view["reference"] == reference and view["status"] and view["data"] and view["history"]
    # The state, the service and the deadline's standing, as the page shows them.
    assert view["status_title"]["th"] in page and view["service_title"]["th"] in page
    assert view["closed"] is False and view["sla"] in ("overdue", "soon", "on_time")
    shown = {kind for kind in ("overdue", "soon") if f'class="tag {kind}"' in page}
    assert shown == ({view["sla"]} - {"on_time"})  # the page tags only what is late or nearly so
    assert view["waiting_for"] == list(platform.catalog.get(FOOD).workflow.states[view["status"]].assignees)
    assert "clerk" in view["waiting_for"]
    # The answers as people read them: every label and every text the page lists.
    texts = [a for step in view["answers"] for a in step["answers"]]
    assert texts and all(step["title"]["th"] in page for step in view["answers"])
    for a in texts:
        assert a["label"]["th"] in page
        if not a["items"]:
            assert a["text"]["th"].replace('"', "&#34;") in page or a["text"]["th"] in page
    # The files: the same ones, each with where to download it.
    assert sorted(f["id"] for f in view["attachments"]) == sorted(ids)
    assert all(f["filename"] in page for f in view["attachments"])
    got = client.get(view["attachments"][0]["download_url"], headers=officer)
    assert got.status_code == 200
    # The actions: a form on the page for each.
    assert view["actions"] and all(f'id="action-{a["action"]}"' in page for a in view["actions"])
    # History, documents issued (none yet) and the delivery log.
    assert len(view["history"]) == page.count("<li>", page.index('class="timeline"'))
    timeline = page[page.index('class="timeline"') :]
    for step in view["history"]:  # each step with the titles the page shows, Thai beside the names
        if step["to"] != step["from"]:
            assert step["to_title"]["th"] in timeline
        if step["action_title"] is not None:
            assert step["action_title"]["th"] in timeline
    assert view["documents"] == [] and f"/{town.slug}/admin/documents/" not in page
    assert isinstance(view["messages"], list)


def test_comments_go_with_the_personal_data_when_the_application_is_anonymised(
    app: Any, platform: Any, client: Any
) -> None:
    town = make_town(platform, roles=["sanitarian"], prefix="CT")
    reference, _ = submit_food(platform, town)
    api_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/comments"
    officer = bearer(client, town, "sanitarian")
    assert client.post(api_url, headers=officer, json={"body": "ผู้ขอแจ้งว่าป่วยเป็นโรคเบาหวาน"}).status_code == 201

    found = platform.db(submissions.find(town.tenant, reference))
    platform.db(retention.anonymise(found, blobs=platform.blobs))
    # Officers' notes may describe the applicant: they end with the rest of the personal data.
    assert client.get(api_url, headers=officer).json["comments"] == []
    assert platform.db(SubmissionComment.filter(submission_id=found.id).count()) == 0
