"""The rest of the tracking page over the API, each checked against the page for the same input:
the applicant's actions, correcting reopened answers, choosing how to be told, a message's stop
link, and the printable bill of a fee account."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest

from engine.services import billing_runs, submissions
from engine.store.models import Delivery, FeeAccount, Submission
from tests.integration.test_applicant_replies import _posted_fields
from tests.integration.test_billing import direct_accounts, make_tenant
from tests.integration.test_portal import FOOD, citizen_of, make_town
from tests.uploads import with_stored_files

pytestmark = pytest.mark.db

QUESTION = "กรุณาแก้ไขชื่อสถานประกอบการให้ตรงกับป้ายหน้าร้าน"
LONG_NOTE = "แก้ไขแล้ว " + "ก" * 2100


@pytest.fixture(scope="module")
def town(platform: Any) -> Any:
    return make_town(platform, "CM")


@pytest.fixture(scope="module")
def other(platform: Any) -> Any:
    return make_town(platform, "CX")


def _applied(platform: Any, tenant: Any, *, ask: bool = True) -> tuple[str, str]:
    """A food-premises notification filed, and (with ``ask``) sent back for the applicant to correct."""
    from tests.conftest import example_files, read

    definition = platform.catalog.get(FOOD)
    example = read(example_files(FOOD, "valid")[0].with_name("valid-noodle-shop-person.json"))
    data = platform.db(with_stored_files(platform, tenant, definition, example))
    receipt = platform.db(submissions.submit(tenant, definition, data))
    if ask:
        platform.db(
            submissions.transition(
                tenant, definition, receipt.reference, "request_info", {"clerk"}, input={"message": QUESTION}
            )
        )
    return receipt.reference, receipt.tracking_token


def _stored(platform: Any, tenant: Any, reference: str) -> Submission:
    return platform.db(Submission.get(tenant=tenant, reference=reference))


def _tracking(app: Any, tenant: Any, reference: str, token: str) -> Any:
    citizen = citizen_of(app, tenant)
    citizen.get(f"/{tenant.slug}/track/{reference}/{token}")
    assert citizen.status == 302
    citizen.follow()
    assert citizen.status == 200
    return citizen


def _api(tenant: Any, reference: str, tail: str = "") -> str:
    return f"/api/v1/tenants/{tenant.slug}/submissions/{reference}{tail}"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- the applicant's actions: POST …/transitions already takes them ---------------------------------


def test_the_applicants_actions_go_through_transitions_as_on_the_page(app: Any, platform: Any, town: Any):
    on_page, page_token = _applied(platform, town, ask=False)
    over_api, api_token = _applied(platform, town, ask=False)
    reason = "ย้ายไปเปิดร้านที่อื่น"
    citizen = _tracking(app, town, on_page, page_token)
    citizen.post(
        f"/{town.slug}/track/{on_page}/actions/withdraw",
        {
            "version": str(_stored(platform, town, on_page).version),
            "input-reason": reason,
            "confirmed": "yes",
        },
    )
    assert citizen.status == 302
    client = app.test_client()
    headers = {"X-Tracking-Token": api_token}
    view = client.get(_api(town, over_api), headers=headers).get_json()
    assert {a["action"] for a in view["actions"]} == {"withdraw"}
    assert next(a for a in view["actions"])["ends_application"] is True, "the page asks to confirm it"
    answer = client.post(
        _api(town, over_api, "/transitions"),
        json={"action": "withdraw", "input": {"reason": reason}, "version": view["version"]},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert _stored(platform, town, on_page).state == _stored(platform, town, over_api).state == "withdrawn"
    page_told = _text(citizen.follow().html)
    api_told = [
        t["value"] for item in answer.get_json()["history"] if item["by_applicant"] for t in item["told"]
    ]
    assert api_told == [reason] and reason in page_told, "both show the reason given"


def test_a_refused_reply_gets_the_pages_messages_and_an_officers_action_is_refused(
    app: Any, platform: Any, town: Any
):
    on_page, page_token = _applied(platform, town)
    over_api, api_token = _applied(platform, town)
    citizen = _tracking(app, town, on_page, page_token)
    citizen.post(
        f"/{town.slug}/track/{on_page}/actions/resubmit",
        {"version": str(_stored(platform, town, on_page).version), "input-note": LONG_NOTE},
    )
    assert citizen.status == 422
    client = app.test_client()
    headers = {"X-Tracking-Token": api_token}
    refused = client.post(
        _api(town, over_api, "/transitions"),
        json={"action": "resubmit", "input": {"note": LONG_NOTE}},
        headers=headers,
    )
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error["pointer"] == "/note" and error["message_th"] in _text(citizen.html)
    assert _stored(platform, town, over_api).state == _stored(platform, town, on_page).state == "needs_info"
    officers = client.post(
        _api(town, over_api, "/transitions"),
        json={"action": "accept_documents", "input": {}},
        headers=headers,
    )
    assert officers.status_code in (403, 409, 422), officers.get_json()
    assert _stored(platform, town, over_api).state == "needs_info"


# --- corrections ----------------------------------------------------------------------------------


def test_the_correction_form_shows_the_reopened_answers_as_the_page_does(app: Any, platform: Any, town: Any):
    reference, token = _applied(platform, town)
    stored = _stored(platform, town, reference)
    form = app.test_client().get(
        _api(town, reference, "/corrections/resubmit"), headers={"X-Tracking-Token": token}
    )
    assert form.status_code == 200, form.get_json()
    body = form.get_json()
    assert body["version"] == stored.version
    assert [s["id"] for s in body["steps"]] == [
        "business",
        "size",
        "premises",
        "opening-hours",
        "attachments",
    ]
    assert body["answers"]["business"] == stored.data["business"]
    assert "operator" not in body["answers"], "only the reopened steps"
    pointers = [f["pointer"] for s in body["steps"] for f in s["fields"]]
    assert "/business/name" in pointers and "/operator/national_id" not in pointers
    page = _tracking(app, town, reference, token).get(f"/{town.slug}/track/{reference}/correct/resubmit")
    assert page.status == 200
    assert f'value="{stored.data["business"]["name"]}"' in page.html
    shown = _posted_fields(page.html)
    assert shown["/business/name"] == body["answers"]["business"]["name"]
    assert body["input"]["properties"].keys() >= {"note"}


def test_a_refused_correction_gives_the_pages_messages_and_stores_nothing(app: Any, platform: Any, town: Any):
    on_page, page_token = _applied(platform, town)
    over_api, api_token = _applied(platform, town)
    before = _stored(platform, town, over_api)
    citizen = _tracking(app, town, on_page, page_token)
    url = f"/{town.slug}/track/{on_page}/correct/resubmit"
    fields = _posted_fields(citizen.get(url).html)
    citizen.post(
        url,
        {
            **fields,
            "/business/name": "",
            "version": str(_stored(platform, town, on_page).version),
            "action": "continue",
        },
    )
    assert citizen.status == 422
    page_links = re.findall(r'<li><a href="([^"]+)">([^<]+)<', citizen.html)
    client = app.test_client()
    headers = {"X-Tracking-Token": api_token}
    form = client.get(_api(town, over_api, "/corrections/resubmit"), headers=headers).get_json()
    answers = form["answers"]
    del answers["business"]["name"]  # the emptied box
    refused = client.post(
        _api(town, over_api, "/corrections/resubmit"),
        json={"answers": answers, "input": {"note": "แก้แล้ว"}, "version": form["version"]},
        headers=headers,
    )
    assert refused.status_code == 422, refused.get_json()
    body = refused.get_json()
    assert body["code"] == "correction_invalid" and body["message_th"]
    assert [(e["pointer"], e["step_id"]) for e in body["errors"]] == [("/business/name", "business")]
    assert [unescape(m) for _href, m in page_links] == [e["message_th"] for e in body["errors"]]
    after = _stored(platform, town, over_api)
    assert (after.state, after.version, after.data) == ("needs_info", before.version, before.data)
    # An answer the reopened steps do not ask is refused, as a step of a draft refuses it.
    answers = form["answers"]
    answers["business"]["name"] = "ร้านใหม่"
    foreign = client.post(
        _api(town, over_api, "/corrections/resubmit"),
        json={"answers": {**answers, "operator": {"national_id": "1101700203451"}}},
        headers=headers,
    )
    assert foreign.status_code == 422
    assert [e["pointer"] for e in foreign.get_json()["errors"]] == ["/operator/national_id"]
    assert _stored(platform, town, over_api).data == before.data


def test_a_correction_sent_through_the_api_changes_what_the_page_would(app: Any, platform: Any, town: Any):
    on_page, page_token = _applied(platform, town)
    over_api, api_token = _applied(platform, town)
    name = "ก๋วยเตี๋ยวเรือป้านีย์ สาขาแม่เหียะ"
    note = "แก้ชื่อร้านให้ตรงกับป้ายแล้ว"
    citizen = _tracking(app, town, on_page, page_token)
    url = f"/{town.slug}/track/{on_page}/correct/resubmit"
    fields = _posted_fields(citizen.get(url).html)
    citizen.post(
        url,
        {
            **fields,
            "/business/name": name,
            "input-note": note,
            "version": str(_stored(platform, town, on_page).version),
            "action": "continue",
        },
    )
    assert citizen.status == 302
    client = app.test_client()
    headers = {"X-Tracking-Token": api_token}
    form = client.get(_api(town, over_api, "/corrections/resubmit"), headers=headers).get_json()
    form["answers"]["business"]["name"] = name
    done = client.post(
        _api(town, over_api, "/corrections/resubmit"),
        json={"answers": form["answers"], "input": {"note": note}, "version": form["version"]},
        headers=headers,
    )
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    page_done = _text(citizen.follow().html)
    assert body["status"] == "submitted" and body["message"]["th"] in page_done
    by_page, by_api = _stored(platform, town, on_page), _stored(platform, town, over_api)
    assert by_page.state == by_api.state == "submitted"
    assert by_page.data["business"] == by_api.data["business"]
    assert by_api.data["business"]["name"] == name
    for stored in (by_page, by_api):
        entry = platform.db(submissions.history(stored))[-1]
        assert entry.input["corrected"] == ["/business/name"] and entry.input["note"] == note
    # The action is taken: no correcting it again, as the page sends the applicant back.
    again = client.get(_api(town, over_api, "/corrections/resubmit"), headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "action_not_available"
    assert again.get_json()["message_th"] in _text(
        citizen.get(f"/{town.slug}/track/{on_page}/correct/resubmit").follow().html
    )


def test_corrections_need_the_right_token_and_the_municipality_and_an_action_that_reopens(
    app: Any, platform: Any, town: Any, other: Any
):
    reference, token = _applied(platform, town)
    client = app.test_client()
    path = "/corrections/resubmit"
    assert client.get(_api(town, reference, path)).status_code == 401
    wrong = client.get(_api(town, reference, path), headers={"X-Tracking-Token": "x" * 40})
    assert wrong.status_code == 404
    elsewhere = client.get(_api(other, reference, path), headers={"X-Tracking-Token": token})
    assert elsewhere.status_code == 404
    headers = {"X-Tracking-Token": token}
    assert client.get(_api(town, reference, "/corrections/withdraw"), headers=headers).status_code == 409
    assert client.get(_api(town, reference, "/corrections/" + "x" * 300), headers=headers).status_code == 409
    for body in ([], {"answers": "none"}, {"answers": {}, "input": []}, {"answers": {}, "version": "2"}):
        refused = client.post(_api(town, reference, path), json=body, headers=headers)
        assert refused.status_code == 400, (body, refused.get_json())
    garbage = client.post(
        _api(town, reference, path), data=b"\xff{", headers={**headers, "Content-Type": "application/json"}
    )
    assert garbage.status_code == 400
    nested = client.post(
        _api(town, reference, path), json={"answers": {"business": [[[]]] * 3}}, headers=headers
    )
    assert nested.status_code == 422
    stale = client.get(_api(town, reference, path), headers=headers).get_json()
    platform.db(
        submissions.transition(town, platform.catalog.get(FOOD), reference, "resubmit", {"applicant"})
    )
    platform.db(
        submissions.transition(
            town,
            platform.catalog.get(FOOD),
            reference,
            "request_info",
            {"clerk"},
            input={"message": QUESTION},
        )
    )
    late = client.post(
        _api(town, reference, path),
        json={"answers": stale["answers"], "version": stale["version"]},
        headers=headers,
    )
    assert late.status_code == 409 and late.get_json()["code"] == "conflict" and late.get_json()["message_th"]


# --- messages -------------------------------------------------------------------------------------


def _delivery(platform: Any, tenant: Any, reference: str, channel: str) -> Delivery:
    submission = _stored(platform, tenant, reference)
    return platform.db(
        Delivery.create(
            tenant=tenant,
            submission_id=submission.id,
            channel=channel,
            address="0812345678",
            masked="08x-xxx-5678",
            text="สถานะคำขอของท่านเปลี่ยนแล้ว",
            next_attempt_at=datetime.now(UTC),
            key=uuid.uuid4().hex,
        )
    )


def test_the_stop_link_over_the_api_stops_the_channel_as_the_page_does(
    app: Any, platform: Any, town: Any, other: Any
):
    on_page, _page_token = _applied(platform, town, ask=False)
    over_api, _api_token = _applied(platform, town, ask=False)
    by_page, by_api = _delivery(platform, town, on_page, "sms"), _delivery(platform, town, over_api, "sms")
    citizen = citizen_of(app, town)
    citizen.get(f"/{town.slug}/messages/stop/{by_page.key}")
    citizen.post(f"/{town.slug}/messages/stop/{by_page.key}")
    assert citizen.status == 200
    client = app.test_client()
    elsewhere = client.post(f"/api/v1/tenants/{other.slug}/messages/stop", json={"key": by_api.key})
    assert elsewhere.status_code == 404 and elsewhere.get_json()["code"] == "message_not_found"
    assert _stored(platform, town, over_api).stopped_channels == []
    done = client.post(f"/api/v1/tenants/{town.slug}/messages/stop", json={"key": by_api.key})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["reference"] == over_api and body["channel"] == "sms" and body["to"] == "08x-xxx-5678"
    assert body["message"]["th"].replace(over_api, on_page) in _text(citizen.html)
    assert (
        _stored(platform, town, on_page).stopped_channels
        == _stored(platform, town, over_api).stopped_channels
    )
    assert platform.db(Delivery.get(id=by_api.id)).status == platform.db(Delivery.get(id=by_page.id)).status
    assert platform.db(Delivery.get(id=by_api.id)).status == "stopped", "a queued message is not sent"
    unknown = client.post(f"/api/v1/tenants/{town.slug}/messages/stop", json={"key": "not-a-key"})
    page_unknown = citizen_of(app, town).get(f"/{town.slug}/messages/stop/not-a-key")
    assert unknown.status_code == page_unknown.status == 404
    assert unknown.get_json()["message_th"] in _text(page_unknown.html)
    for bad in ({}, {"key": 7}, {"key": "k" * 129}, {"key": ""}):
        assert client.post(f"/api/v1/tenants/{town.slug}/messages/stop", json=bad).status_code == 400


def test_the_applicant_chooses_how_to_be_told_as_on_the_tracking_page(
    app: Any, platform: Any, town: Any, other: Any
):
    on_page, page_token = _applied(platform, town, ask=False)
    over_api, api_token = _applied(platform, town, ask=False)
    client = app.test_client()
    headers = {"X-Tracking-Token": api_token}
    sms = _api(town, over_api, "/messages/sms")
    assert client.get(sms, headers=headers).get_json()["subscribed"] is True
    stopped = client.delete(sms, headers=headers)
    assert stopped.status_code == 200 and stopped.get_json()["subscribed"] is False
    assert stopped.get_json()["stopped_channels"] == ["sms"]
    assert _stored(platform, town, over_api).stopped_channels == ["sms"]
    # The page stops by the message's link, and offers to resume on the tracking page.
    platform.db(Submission.filter(tenant=town, reference=on_page).update(stopped_channels=["sms"]))
    citizen = _tracking(app, town, on_page, page_token)
    citizen.post(f"/{town.slug}/track/{on_page}/messages/sms")
    assert citizen.status == 302
    resumed_page = _text(citizen.follow().html)
    resumed = client.put(sms, headers=headers)
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["subscribed"] is True and resumed.get_json()["stopped_channels"] == []
    assert resumed.get_json()["message"]["th"] in resumed_page
    assert (
        _stored(platform, town, on_page).stopped_channels
        == _stored(platform, town, over_api).stopped_channels
        == []
    )
    # Who may: the applicant, with the right token, of this municipality; a known channel.
    assert client.put(sms).status_code == 401
    assert client.put(sms, headers={"X-Tracking-Token": page_token}).status_code == 404
    assert client.delete(_api(other, over_api, "/messages/sms"), headers=headers).status_code == 404
    unknown = client.put(_api(town, over_api, "/messages/fax"), headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "channel_not_found"
    assert client.put(sms + "?tracking_token=" + api_token).status_code == 400


# --- the printable bill ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def account(platform: Any) -> Any:
    async def setup() -> tuple[Any, FeeAccount, Any]:
        tenant = await make_tenant(platform)
        await direct_accounts(tenant, 1)
        found = await FeeAccount.get(tenant=tenant)
        await billing_runs.run_billing(tenant, "2570-01", catalog=platform.catalog)
        elsewhere = await make_tenant(platform)
        return tenant, found, elsewhere

    return platform.db(setup())


def test_the_printable_bill_is_the_pages_for_whoever_has_the_account_number(client: Any, account: Any):
    tenant, fee_account, elsewhere = account
    page = client.get(f"/{tenant.slug}/bills/{fee_account.number}/bill.pdf")
    api = client.get(f"/api/v1/tenants/{tenant.slug}/bills/{fee_account.number}/bill.pdf")
    assert page.status_code == api.status_code == 200
    assert api.mimetype == "application/pdf" and api.data.startswith(b"%PDF")
    assert api.headers["Content-Disposition"] == page.headers["Content-Disposition"]
    assert abs(len(api.data) - len(page.data)) < len(page.data) // 20, "the same one-page bill"
    missing = client.get(f"/api/v1/tenants/{elsewhere.slug}/bills/{fee_account.number}/bill.pdf")
    assert missing.status_code == 404 and missing.get_json()["code"] == "account_not_found"
    assert client.get(f"/{elsewhere.slug}/bills/{fee_account.number}/bill.pdf").status_code == 404
    long = client.get(f"/api/v1/tenants/{tenant.slug}/bills/{'9' * 500}/bill.pdf")
    assert long.status_code == 404
