"""The officers' inbox over the API: the desk's items and counts for the same filters, cursor paging
without gap or repeat, another municipality's officer refused, bad parameters answered 400."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import accounts, desk, tenants
from engine.store.models import Submission
from thongthin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.db

CLERK = "clerk"


def make_office(platform: Any, client: Any, *, applications: int) -> tuple[Any, str]:
    """A municipality with ``applications`` in random services, states and deadlines (deadlines
    days away from the edges between overdue, soon and on time), and a clerk's bearer token."""
    rng = random.Random(20261204)
    now = datetime.now(UTC)
    waiting = desk.states_waiting_for(list(platform.catalog), {CLERK})
    services = sorted(waiting)
    deadlines = [None, now - timedelta(days=3), now + timedelta(days=1), now + timedelta(days=9)]
    slug = f"i{uuid.uuid4().hex[:8]}"

    async def seed() -> Any:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาลตำบลทดสอบ {slug}",
            name_en=slug,
            kind="municipality",
            province="ลำพูน",
            reference_prefix="IB",
        )
        await accounts.create_user(tenant, f"{slug}.clerk", DEMO_PASSWORD, "เจ้าหน้าที่ธุรการ", [CLERK])
        submitted = now - timedelta(days=4)
        await Submission.bulk_create(
            [
                Submission(
                    tenant=tenant,
                    reference=f"IB-2569-{number:06d}",
                    service_id=(service := rng.choice(services)),
                    service_version="1.0.0",
                    state=rng.choice([*waiting[service], "elsewhere"]),
                    closed=rng.random() < 0.1,
                    due_at=rng.choice(deadlines),
                    # Ties on purpose: the order must still be total.
                    submitted_at=submitted + timedelta(hours=rng.randrange(3)),
                    state_entered_at=submitted,
                    data={"applicant": {"first_name": "สมชาย" if number % 5 == 0 else "สมหญิง"}},
                    tracking_token_hash="0" * 64,
                )
                for number in range(applications)
            ]
        )
        return tenant

    tenant = platform.db(seed())
    answer = client.post(
        "/api/v1/auth/token", json={"tenant": slug, "username": f"{slug}.clerk", "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.json
    return tenant, answer.json["token"]


@pytest.fixture(scope="module")
def office(app: Any, platform: Any) -> tuple[Any, str]:
    return make_office(platform, app.test_client(), applications=150)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def desk_inbox(platform: Any, tenant: Any, chosen: desk.InboxFilter, **paging: Any) -> desk.Inbox:
    return platform.db(desk.inbox(tenant, list(platform.catalog), {CLERK}, chosen, **paging))


def as_api(item: desk.InboxItem) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "service": item.service_id,
        "state": item.state,
        "submitted_at": item.submitted_at.isoformat(),
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "sla": item.sla.value,
    }


def filters_of(platform: Any, tenant: Any) -> list[tuple[dict[str, str], desk.InboxFilter]]:
    everything = desk_inbox(platform, tenant, desk.InboxFilter())
    service = max(everything.by_service, key=lambda s: everything.by_service[s])
    state = max(everything.by_state, key=lambda s: everything.by_state[s])
    return [
        ({}, desk.InboxFilter()),
        ({"service": service}, desk.InboxFilter(service_id=service)),
        ({"state": state}, desk.InboxFilter(state=state)),
        ({"sla": "overdue"}, desk.InboxFilter(sla=desk.Sla.OVERDUE)),
        ({"sla": "soon", "service": service}, desk.InboxFilter(service_id=service, sla=desk.Sla.SOON)),
        ({"q": "สมชาย"}, desk.InboxFilter(search="สมชาย")),
        ({"q": "IB-2569-00001"}, desk.InboxFilter(search="IB-2569-00001")),
        ({"service": "no-such-service"}, desk.InboxFilter(service_id="no-such-service")),
    ]


def test_the_same_items_and_counts_as_the_desk(client: Any, platform: Any, office: tuple[Any, str]):
    tenant, token = office
    for query, chosen in filters_of(platform, tenant):
        answer = client.get(f"/api/v1/tenants/{tenant.slug}/inbox", query_string=query, headers=bearer(token))
        assert answer.status_code == 200, (query, answer.json)
        expected = desk_inbox(platform, tenant, chosen, limit=50)
        body = answer.json
        assert body["items"] == [as_api(item) for item in expected.items], query
        assert body["total"] == expected.total and body["waiting"] == expected.waiting, query
        assert body["by_service"] == expected.by_service, query
        assert body["by_state"] == expected.by_state, query
        assert body["by_sla"] == {kind.value: n for kind, n in expected.by_sla.items()}, query
        assert (body["next_cursor"] is None) == (expected.total <= 50), query
    # The filters narrow something here: the test would prove little otherwise.
    everything = desk_inbox(platform, tenant, desk.InboxFilter())
    assert everything.total > 60 and len(everything.by_service) > 1 and everything.by_sla[desk.Sla.OVERDUE]


@pytest.mark.parametrize("limit", [1, 7, 50, 100])
def test_the_cursor_pages_without_gap_or_repeat(
    client: Any, platform: Any, office: tuple[Any, str], limit: int
):
    tenant, token = office
    for query, chosen in filters_of(platform, tenant)[:5]:
        expected = [i.reference for i in desk_inbox(platform, tenant, chosen, limit=1000).items]
        seen: list[str] = []
        cursor = None
        for _ in range(200):
            args = {**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
            page = client.get(
                f"/api/v1/tenants/{tenant.slug}/inbox", query_string=args, headers=bearer(token)
            )
            assert page.status_code == 200, page.json
            assert len(page.json["items"]) <= limit
            seen += [item["reference"] for item in page.json["items"]]
            cursor = page.json["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, (query, limit)


def test_another_municipalitys_officer_and_anonymous_callers_are_refused(
    app: Any, client: Any, platform: Any, office: tuple[Any, str]
):
    tenant, _token = office
    _other, other_token = make_office(platform, app.test_client(), applications=3)
    url = f"/api/v1/tenants/{tenant.slug}/inbox"
    refused = client.get(url, headers=bearer(other_token))
    assert refused.status_code == 403 and refused.json["code"] == "wrong_tenant"
    assert "items" not in refused.json
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.json["code"] == "unauthorized"
    assert client.get(url, headers=bearer("not-a-token")).status_code == 401
    assert (
        client.get(
            f"/api/v1/tenants/nowhere{uuid.uuid4().hex[:6]}/inbox", headers=bearer(other_token)
        ).status_code
        == 404
    )


def test_an_officer_whose_roles_wait_for_nothing_sees_an_empty_inbox(
    client: Any, platform: Any, office: tuple[Any, str]
):
    tenant, _token = office

    async def create() -> None:
        await accounts.create_user(tenant, f"{tenant.slug}.nobody", DEMO_PASSWORD, "ไม่มีบทบาท", [])

    platform.db(create())
    token = client.post(
        "/api/v1/auth/token",
        json={"tenant": tenant.slug, "username": f"{tenant.slug}.nobody", "password": DEMO_PASSWORD},
    ).json["token"]
    answer = client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.json["items"] == [] and answer.json["total"] == 0 and answer.json["next_cursor"] is None


def test_bad_parameters_are_answered_400(client: Any, platform: Any, office: tuple[Any, str]):
    tenant, token = office
    url = f"/api/v1/tenants/{tenant.slug}/inbox"
    first = client.get(url, query_string={"limit": "5"}, headers=bearer(token)).json
    cursor = first["next_cursor"]
    bad = [
        ({"sla": "late"}, "sla"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10000"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "๕"}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "eyJvIjotMX0"}, "cursor"),  # {"o":-1}
        ({"cursor": ""}, "cursor"),
        ({"cursor": cursor[:-2]}, "cursor"),
        ({"cursor": "A" * 5000}, "cursor"),
        ({"cursor": cursor, "sla": "overdue"}, "cursor"),  # made for other filters
        ({"q": "x" * (desk.MAX_SEARCH + 1)}, "q"),
        ({"service": "s" * 65}, "service"),
        ({"state": "s" * 65}, "state"),
    ]
    for query, named in bad:
        answer = client.get(url, query_string=query, headers=bearer(token))
        assert answer.status_code == 400, (query, answer.status_code)
        code = "invalid_cursor" if named == "cursor" else "invalid_request"
        assert answer.json["code"] == code and named in answer.json["message"], query
    assert (
        client.get(url, query_string={"cursor": cursor, "limit": "5"}, headers=bearer(token)).status_code
        == 200
    )


def test_the_answer_is_what_the_openapi_document_says(client: Any, office: tuple[Any, str]):
    from jsonschema import Draft202012Validator

    from api.openapi import SPEC

    tenant, token = office
    body = client.get(f"/api/v1/tenants/{tenant.slug}/inbox", headers=bearer(token)).json
    Draft202012Validator(
        {"$ref": "#/components/schemas/OfficerInbox", "components": SPEC["components"]}
    ).validate(body)
    assert body["items"] and body["next_cursor"]
