"""The JSON API end to end on SQLite and on PostgreSQL (+ S3): every catalog service, every refusal."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from engine.services import accounts, tenants
from engine.store.models import AuditEntry, Submission
from tests.conftest import EXAMPLES, SERVICE_IDS, example_files, read
from tests.uploads import TINY_PDF, with_uploaded_files
from tests.walks import first_input, passable, paths_to
from thongthin.demo import DEMO_PASSWORD

SERVER_CONTEXT = {"payment": "none"}


@dataclass
class Municipality:
    slug: str
    tokens: dict[str, str]  # role -> bearer token of an officer holding only that role

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_municipality(platform: Any, client: Any) -> Municipality:
    """A new tenant with every catalog service and one officer per role, logged in through the API."""
    slug = f"t{uuid.uuid4().hex[:8]}"

    async def setup() -> list[str]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลทดสอบ",
            name_en="Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="TT",
        )
        # The national seed's services: other tests on this platform publish services of their own.
        for service_id in SERVICE_IDS:
            await tenants.enable_service(tenant, platform.catalog.get(service_id))
        roles = [r for r, spec in platform.catalog.roles.items() if not spec.system and r != "applicant"]
        for role in roles:
            await accounts.create_user(tenant, f"{slug}.{role}", DEMO_PASSWORD, f"เจ้าหน้าที่ {role}", [role])
        return roles

    roles = platform.db(setup())
    tokens = {}
    for role in roles:
        response = client.post(
            "/api/v1/auth/token",
            json={"tenant": slug, "username": f"{slug}.{role}", "password": DEMO_PASSWORD},
        )
        assert response.status_code == 200, response.json
        tokens[role] = response.json["token"]
    return Municipality(slug, tokens)


@pytest.fixture(scope="module")
def town(app: Any, platform: Any) -> Municipality:
    return make_municipality(platform, app.test_client())


@pytest.fixture(scope="module")
def other_town(app: Any, platform: Any) -> Municipality:
    return make_municipality(platform, app.test_client())


def submit(client: Any, town: Municipality, service_id: str, data: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/tenants/{town.slug}/services/{service_id}/submissions", json=data)
    assert response.status_code == 201, response.json
    return response.json


def act(
    client: Any, town: Municipality, reference: str, action: str, headers: dict[str, str], **body: Any
) -> Any:
    return client.post(
        f"/api/v1/tenants/{town.slug}/submissions/{reference}/transitions",
        json={"action": action, **body},
        headers=headers,
    )


def test_services_list_what_the_town_enabled(client: Any, town: Municipality):
    response = client.get(f"/api/v1/tenants/{town.slug}/services")
    assert response.status_code == 200
    assert {s["id"] for s in response.json["services"]} == set(SERVICE_IDS)
    assert all(s["title"]["th"] and s["title"]["en"] for s in response.json["services"])


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_every_service_walks_to_every_end_through_the_api(
    client: Any, platform: Any, town: Municipality, service_id: str
):
    definition = platform.catalog.get(service_id)
    examples = [read(p) for p in example_files(service_id, "valid")]
    for final in definition.workflow.final_states():
        path, data = next(
            ((p, d) for p in paths_to(definition, final) for d in examples if passable(p, d, SERVER_CONTEXT)),
            (None, None),
        )
        if path is None:
            continue  # only reachable with a bank's payment notification (arrives with the payments module)
        receipt = submit(client, town, service_id, with_uploaded_files(client, town.slug, definition, data))
        reference, tracking = receipt["reference"], receipt["tracking_token"]
        assert reference.startswith(f"TT-{25}")
        for transition in path:
            for role in transition.roles:
                headers = {"X-Tracking-Token": tracking} if role == "applicant" else town.auth(role)
                response = act(
                    client, town, reference, transition.action, headers, input=first_input(transition) or {}
                )
                assert response.status_code == 200, (transition.action, role, response.json)
                if response.json["fired"]:
                    break
            assert response.json["status"] == transition.to
        tracked = client.get(
            f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers={"X-Tracking-Token": tracking}
        )
        assert tracked.status_code == 200
        assert tracked.json["status"] == final
        assert [h["to"] for h in tracked.json["history"]] == [
            definition.workflow.initial,
            *(t.to for t in path),
        ]
        assert tracked.json["actions"] == []
        assert "data" not in tracked.json, "applicants see their status, not the officers' view"


def test_invalid_submission_is_refused_whole_with_field_errors(
    client: Any, platform: Any, town: Municipality
):
    before = platform.db(Submission.filter(tenant__slug=town.slug).count())
    data = read(example_files("building-permit", "invalid")[0])
    response = client.post(f"/api/v1/tenants/{town.slug}/services/building-permit/submissions", json=data)
    assert response.status_code == 422
    assert response.json["code"] == "invalid_submission"
    [error] = response.json["errors"]
    assert error["pointer"].startswith("/") and error["message_th"] and error["message_en"]
    assert platform.db(Submission.filter(tenant__slug=town.slug).count()) == before


@pytest.mark.parametrize(
    "body,code",
    [(b"not json", "invalid_json"), (b"[1, 2]", "invalid_json")],
)
def test_malformed_bodies_get_json_errors(client: Any, town: Municipality, body: bytes, code: str):
    response = client.post(
        f"/api/v1/tenants/{town.slug}/services/complaint/submissions",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json["code"] == code


def test_unknown_places_are_json_404s(client: Any, town: Municipality):
    for url in (
        "/api/v1/tenants/nowhere/services",
        f"/api/v1/tenants/{town.slug}/services/nothing/submissions",
        "/api/v1/nothing",
    ):
        response = client.post(url, json={}) if "submissions" in url else client.get(url)
        assert response.status_code == 404, url
        assert response.is_json and response.json["code"]


def _petition(client: Any, town: Municipality) -> dict[str, Any]:
    from thongthin.app import platform as current

    with client.application.app_context():
        definition = current().catalog.get("general-petition")
    data = with_uploaded_files(
        client, town.slug, definition, read(example_files("general-petition", "valid")[0])
    )
    return submit(client, town, "general-petition", data)


def test_refusals(client: Any, platform: Any, town: Municipality):
    receipt = _petition(client, town)
    reference = receipt["reference"]
    definition = platform.catalog.get("general-petition")
    first = definition.workflow.transitions_from(definition.workflow.initial)[0]
    role = first.roles[0]
    outsider = next(r for r in town.tokens if r not in first.roles)
    given = first_input(first) or {}

    assert act(client, town, reference, first.action, {}, input=given).status_code == 401
    forbidden = act(client, town, reference, first.action, town.auth(outsider), input=given)
    assert forbidden.status_code == 403 and forbidden.json["code"] == "forbidden"
    if first.input and first.input.get("required"):
        invalid = act(client, town, reference, first.action, town.auth(role), input={})
        assert invalid.status_code == 422 and invalid.json["errors"]
    unknown = act(client, town, reference, "fly-to-the-moon", town.auth(role))
    assert unknown.status_code == 422 and unknown.json["code"] == "unknown_action"
    stale = act(client, town, reference, first.action, town.auth(role), input=given, version=99)
    assert stale.status_code == 409 and stale.json["code"] == "conflict"
    done = act(client, town, reference, first.action, town.auth(role), input=given, version=1)
    assert done.status_code == 200 and done.json["version"] == 2
    again = act(client, town, reference, first.action, town.auth(role), input=given)
    assert again.status_code == 409 and again.json["code"] == "wrong_state"


def test_tracking_needs_the_right_secret(client: Any, town: Municipality):
    receipt = _petition(client, town)
    url = f"/api/v1/tenants/{town.slug}/submissions/{receipt['reference']}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"X-Tracking-Token": "guess"}).status_code == 404
    guessed = f"/api/v1/tenants/{town.slug}/submissions/TT-2569-999999"
    assert client.get(guessed, headers={"X-Tracking-Token": receipt["tracking_token"]}).status_code == 404
    tracked = client.get(url, headers={"X-Tracking-Token": receipt["tracking_token"]})
    assert tracked.status_code == 200
    (received,) = tracked.json["history"]  # the application received, titled as the tracking page does
    assert received["to_title"] == tracked.json["status_title"] and received["to_title"]["th"]
    assert (received["action"], received["action_title"]) == ("submit", {"th": "ยื่นคำขอ", "en": "Submitted"})
    # A phone number the applicant gave is known to others: it is no tracking token.
    phone = read(example_files("general-petition", "valid")[0])["petitioner"]["phone"]
    assert client.get(url, headers={"X-Tracking-Token": phone}).status_code == 404


def test_officers_of_another_town_see_nothing(client: Any, town: Municipality, other_town: Municipality):
    receipt = _petition(client, town)
    url = f"/api/v1/tenants/{town.slug}/submissions/{receipt['reference']}"
    for role in other_town.tokens:
        looked = client.get(url, headers=other_town.auth(role))
        assert looked.status_code == 403 and looked.json["code"] == "wrong_tenant"
        acted = client.post(url + "/transitions", json={"action": "route"}, headers=other_town.auth(role))
        assert acted.status_code == 403
    # Their own tenant's URL with the other town's reference finds nothing either.
    own = f"/api/v1/tenants/{other_town.slug}/submissions/{receipt['reference']}"
    assert client.get(own, headers=other_town.auth("clerk")).status_code == 404


def test_bad_credentials(client: Any, town: Municipality):
    def token(**body: Any) -> Any:
        return client.post("/api/v1/auth/token", json=body)

    wrong = token(tenant=town.slug, username=f"{town.slug}.clerk", password="nope")
    assert wrong.status_code == 401 and wrong.json["code"] == "unauthorized"
    nobody = token(tenant=town.slug, username="nobody", password="nope")
    elsewhere = token(tenant="no-such-town", username=f"{town.slug}.clerk", password=DEMO_PASSWORD)
    # One answer, whatever was wrong: nobody learns which usernames or towns exist.
    assert nobody.status_code == elsewhere.status_code == 401
    assert nobody.json == elsewhere.json == wrong.json
    assert token(username=f"{town.slug}.clerk", password=DEMO_PASSWORD).status_code == 400
    url = f"/api/v1/tenants/{town.slug}/submissions/TT-2569-000001"
    assert client.get(url, headers={"Authorization": "Bearer forged"}).status_code == 401


def test_concurrent_transitions_one_wins(app: Any, platform: Any, town: Municipality):
    receipt = _petition(app.test_client(), town)
    reference = receipt["reference"]
    definition = platform.catalog.get("general-petition")
    first = definition.workflow.transitions_from(definition.workflow.initial)[0]
    barrier = threading.Barrier(4)
    results: list[int] = []

    def racer() -> None:
        client = app.test_client()
        barrier.wait()
        response = act(
            client,
            town,
            reference,
            first.action,
            town.auth(first.roles[0]),
            input=first_input(first) or {},
            version=1,
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [200, 409, 409, 409]
    submission = platform.db(Submission.get(tenant__slug=town.slug, reference=reference))
    entries = platform.db(
        AuditEntry.filter(submission=submission).order_by("seq").values_list("seq", flat=True)
    )
    assert submission.version == 2
    assert list(entries) == [1, 2]


def test_openapi_document(client: Any):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.1")
    from openapi_spec_validator import validate

    validate(spec)
    for path in (
        "/api/v1/auth/token",
        "/api/v1/tenants/{tenant}/services",
        "/api/v1/tenants/{tenant}/services/{service_id}/submissions",
        "/api/v1/tenants/{tenant}/submissions/{reference}",
        "/api/v1/tenants/{tenant}/submissions/{reference}/transitions",
    ):
        assert path in spec["paths"]


def test_uploads_are_checked_by_content_and_stored(client: Any, platform: Any, town: Municipality):
    definition = platform.catalog.get("building-permit")
    spec = next(a for a in definition.service.form_attachments() if "application/pdf" in a.accept)
    url = f"/api/v1/tenants/{town.slug}/services/building-permit/attachments/{spec.id}"
    import io

    fake = client.post(
        url,
        data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "plan.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and fake.json["code"] == "upload_type_not_accepted"
    assert fake.json["message_th"] and fake.json["message"]
    good = client.post(
        url, data={"file": (io.BytesIO(TINY_PDF), "แบบแปลน.pdf")}, content_type="multipart/form-data"
    )
    assert good.status_code == 201
    assert good.json["content_type"] == "application/pdf" and good.json["filename"] == "แบบแปลน.pdf"
    from engine.store.models import Attachment

    row = platform.db(Attachment.get(id=good.json["id"]))
    assert platform.blobs.get(row.blob_key) == TINY_PDF
    missing = client.post(url, data={}, content_type="multipart/form-data")
    assert missing.status_code == 400
    unknown = client.post(
        url.replace(spec.id, "no-such-attachment"),
        data={"file": (io.BytesIO(TINY_PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert unknown.status_code == 404


def test_concurrent_first_submissions_get_distinct_numbers(app: Any, platform: Any):
    town = make_municipality(platform, app.test_client())
    data = read(example_files("complaint", "valid")[0])
    barrier = threading.Barrier(6)
    references: list[str] = []
    statuses: list[int] = []

    def citizen() -> None:
        client = app.test_client()
        mine = with_uploaded_files(client, town.slug, platform.catalog.get("complaint"), data)
        barrier.wait()
        response = client.post(f"/api/v1/tenants/{town.slug}/services/complaint/submissions", json=mine)
        statuses.append(response.status_code)
        if response.status_code == 201:
            references.append(response.json["reference"])

    threads = [threading.Thread(target=citizen) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [201] * 6
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_files_must_be_uploaded_before_they_are_submitted(client: Any, platform: Any, town: Municipality):
    definition = platform.catalog.get("building-permit")
    data = read(example_files("building-permit", "valid")[0])  # its files were never uploaded
    response = client.post(f"/api/v1/tenants/{town.slug}/services/building-permit/submissions", json=data)
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json["errors"]}
    assert pointers and all(
        p.startswith(tuple(a.field for a in definition.service.form_attachments())) for p in pointers
    )
    assert all("แนบ" in e["message_th"] for e in response.json["errors"])
    # A file that is part of one application cannot be listed by another.
    first = with_uploaded_files(client, town.slug, definition, data)
    submit(client, town, "building-permit", first)
    again = client.post(f"/api/v1/tenants/{town.slug}/services/building-permit/submissions", json=first)
    assert again.status_code == 422
    # And the other town cannot point at this town's uploads.
    stolen = client.post(f"/api/v1/tenants/{town.slug}x/services/building-permit/submissions", json=first)
    assert stolen.status_code == 404


def test_a_building_site_without_a_house_number_is_accepted(client: Any, platform: Any, town: Municipality):
    definition = platform.catalog.get("building-permit")
    data = read(EXAMPLES / "building-permit" / "valid-new-house-owner.json")
    del data["site"]["address"]["house_no"]
    created = submit(
        client, town, "building-permit", with_uploaded_files(client, town.slug, definition, data)
    )
    assert created["reference"]
    # The applicant's registered address still needs its house number, and "" is no house number.
    data["applicant"]["address"].pop("house_no")
    data["site"]["address"]["house_no"] = ""
    response = client.post(
        f"/api/v1/tenants/{town.slug}/services/building-permit/submissions",
        json=with_uploaded_files(client, town.slug, definition, data),
    )
    assert response.status_code == 422
    errors = {e["pointer"]: e["message_th"] for e in response.json["errors"]}
    assert errors["/applicant/address/house_no"] == "กรุณากรอกบ้านเลขที่"
    assert errors["/site/address/house_no"] == "หากยังไม่มีบ้านเลขที่ กรุณาเว้นช่องบ้านเลขที่ไว้ว่าง"
